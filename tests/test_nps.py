"""Unit tests of the NPS-to-retention analysis (revops_nb.reports.nps_retention)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from revops_nb import data, stats
from revops_nb.errors import DataError, ParamsError
from revops_nb.reports import nps_retention as nps
from revops_nb.reports.nps_retention import view
from tests.nps_helpers import dataset, quick_verdict

FIXTURE = Path(__file__).parent / "fixtures" / "nps" / "data.yaml"
TABLES = ["nps_responses", "subscriptions", "customers", "accounts", "fx_rates"]


@pytest.fixture(scope="module")
def sample_tables() -> dict[str, pd.DataFrame]:
    ds = data.load(TABLES, data_file=None)
    return {name: ds[name] for name in TABLES}


@pytest.fixture(scope="module")
def report(sample_tables) -> nps.NpsResult:
    return nps.analyze(dataset(**sample_tables), nps.Settings.from_params())


def D(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# ---------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"score_min": 10, "score_max": 0}, "score_min"),
        ({"detractor_max": 11}, "detractor_max"),
        ({"promoter_min": 0}, "promoter_min"),
        ({"detractor_max": 8, "promoter_min": 7}, "detractor_max (8) must be below promoter_min (7)"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"confidence": 1.5}, "confidence"),
        ({"min_n": 0}, "min_n"),
        ({"period_start": "last year"}, "period_start"),
        ({"period_start": "2025-01-01", "period_end": "2024-01-01"}, "period_end"),
        ({"segment_dimension": " "}, "segment_dimension"),
    ],
)
def test_bad_parameters_raise_one_clear_sentence(kwargs, fragment):
    with pytest.raises(ParamsError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        nps.Settings.from_params(**kwargs)


def test_csat_parameters_are_accepted_and_categorize():
    params = nps.Settings.from_params(score_min=1, score_max=5, detractor_max=2, promoter_min=5)
    cats = nps.categorize(pd.Series([1, 2, 3, 4, 5]), params).astype(str).tolist()
    assert cats == ["detractor", "detractor", "passive", "passive", "promoter"]
    assert params.alpha == pytest.approx(0.05)


def test_unknown_segment_dimension_names_the_column(sample_tables):
    params = nps.Settings.from_params(segment_dimension="tier")
    with pytest.raises(ParamsError, match="segment_dimension 'tier'"):
        nps.prepare_responses(sample_tables["nps_responses"], params, sample_tables["accounts"])


def test_every_public_name_resolves_and_the_settings_import_no_statistics():
    for name in nps.__all__:
        assert getattr(nps, name) is not None, name
    heavy = "('scipy', 'statsmodels', 'sklearn', 'matplotlib', 'IPython')"
    code = f"import sys, revops_nb.reports.nps_retention.settings; print([m for m in {heavy} if m in sys.modules])"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"  # the runner checks the rules without loading the analysis


# ---------------------------------------------------------------- preparing and linking (hand-made data)


def _toy() -> tuple[pd.DataFrame, pd.DataFrame]:
    responses = pd.DataFrame(
        {
            "response_id": ["r1", "r2", "r3", "r4", "r5", "r6", "r7"],
            "account_id": ["a", "b", "c", "d", "a", "x", "b"],
            "response_date": [D("2024-01-01")] * 4 + [D("2024-02-01"), D("2024-01-01"), D("2024-09-01")],
            "score": [10, 3, 7, 11, 9, 5, 2],
        }
    )
    subs = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "start_date": [D("2023-01-01")] * 4,
            # b churns 100 days after r2; c is active; d churned before its response date
            "end_date": [pd.NaT, D("2024-04-10"), pd.NaT, D("2023-06-01")],
            "arr": [1000.0, 2000.0, 3000.0, 4000.0],
        }
    )
    return responses, subs


def test_prepare_excludes_out_of_scale_and_out_of_period_rows_and_counts_them():
    responses, _ = _toy()
    params = nps.Settings.from_params(period_end="2024-06-30", segment_dimension="account_id")
    prepared = nps.prepare_responses(responses, params)
    assert sorted(prepared.frame["response_id"]) == ["r1", "r2", "r3", "r5", "r6"]
    assert prepared.excluded == {"score missing or outside 0-10": 1, "response after period_end": 1}


def test_link_from_subscriptions_ties_each_response_to_churn_within_horizon():
    responses, subs = _toy()
    params = nps.Settings.from_params(horizon_days=180, as_of="2024-12-31", segment_dimension="account_id")
    linked = nps.link_outcomes(nps.prepare_responses(responses, params), params, subscriptions=subs)
    by_id = linked.responses.set_index("response_id")
    # r1, r5: a retained; r2: b churned 100 days later; r3: c retained; r7: after b churned
    assert by_id.loc[["r1", "r2", "r3", "r5"], "linked"].all()
    assert by_id.loc["r2", "churned"] and not by_id.loc[["r1", "r3", "r5"], "churned"].any()
    assert linked.excluded == {
        "account has no subscription": 1,
        "response after the account churned": 1,  # r7 (r4, score 11, is out of scale)
    }
    assert linked.n_linked == 4
    assert list(linked.accounts["response_id"]) == ["r1", "r2", "r3"]  # first linked response per account
    assert by_id.loc["r2", "duration_days"] == 100 and by_id.loc["r2", "event"] == 1


def test_responses_whose_horizon_is_not_over_are_pending_whether_churned_or_not():
    """Finding 1: an early churner is not 'known' before the survivors of the same age are."""
    responses, subs = _toy()
    params = nps.Settings.from_params(horizon_days=365, as_of="2024-06-30", segment_dimension="account_id")
    linked = nps.link_outcomes(nps.prepare_responses(responses, params), params, subscriptions=subs)
    pending = [k for k in linked.excluded if k.startswith("outcome not yet known")]
    # r1, r3, r5 (survivors) and r2 (b churned 100 days later) are all younger than the horizon
    assert len(pending) == 1 and linked.excluded[pending[0]] == 4
    assert not linked.responses.set_index("response_id").loc["r2", "linked"]
    assert linked.accounts.empty
    # the retention curves still follow a, b, c from their first response: b's churn is an event,
    # a and c are censored at as_of (182 days), not dropped
    followed = linked.followed.set_index("account_id")
    assert sorted(followed.index) == ["a", "b", "c"]
    assert followed.loc["b", "event"] == 1 and followed.loc["b", "duration_days"] == 100
    assert followed.loc["a", "event"] == 0 and followed.loc["a", "duration_days"] == 181


def test_horizon_analyses_do_not_admit_early_churners_only():
    """Finding 1: with all recent churners admitted, retention was biased down (old code: 50%)."""
    n = 40
    old = [f"o{i}" for i in range(n)]  # answered 2 years ago, 10% churned within the year
    new = [f"n{i}" for i in range(n)]  # answered 2 months ago; half churned since
    responses = pd.DataFrame(
        {
            "account_id": old + new,
            "response_date": [D("2022-06-01")] * n + [D("2024-05-01")] * n,
            "score": [10] * (2 * n),
        }
    )
    end = [D("2022-09-01") if i < 4 else pd.NaT for i in range(n)]
    end += [D("2024-06-01") if i < n // 2 else pd.NaT for i in range(n)]
    subs = pd.DataFrame(
        {"account_id": old + new, "start_date": D("2021-01-01"), "end_date": end, "arr": 100.0}
    )
    params = nps.Settings.from_params(as_of="2024-07-01", segment_dimension="account_id")
    linked = nps.link_outcomes(nps.prepare_responses(responses, params), params, subscriptions=subs)
    table = nps.retention_by_category(linked.accounts, params).set_index("category")
    assert table.loc["promoter", "accounts"] == n
    assert table.loc["promoter", "logo_retention"] == pytest.approx(0.9)
    assert len(linked.followed) == 2 * n  # every account is followed in the retention curves
    survival = nps.survival_by_category(linked.followed, params)
    assert survival.at_horizon.set_index("category").loc["promoter", "accounts"] == 2 * n


def test_link_from_customers_snapshot_uses_the_churn_flag():
    responses, _ = _toy()
    customers = pd.DataFrame(
        {"account_id": ["a", "b", "c"], "churned": [False, True, pd.NA], "arr": [1.0, 2.0, 3.0]}
    )
    customers["churned"] = customers["churned"].astype("boolean")
    params = nps.Settings.from_params(segment_dimension="account_id")
    linked = nps.link_outcomes(nps.prepare_responses(responses, params), params, customers=customers)
    assert linked.mode == "customers"
    assert linked.excluded == {"account not in customers": 1, "churn flag missing": 1}
    by_id = linked.responses.set_index("response_id")
    assert by_id.loc["r2", "churned"] and by_id.loc["r7", "churned"] and not by_id.loc["r1", "churned"]
    assert nps.survival_by_category(linked.accounts, params) is None


def test_linking_without_outcome_tables_is_a_data_error():
    responses, _ = _toy()
    params = nps.Settings.from_params(segment_dimension="account_id")
    with pytest.raises(DataError, match="subscriptions table or a customers table"):
        nps.link_outcomes(nps.prepare_responses(responses, params), params)


def test_arr_comes_from_subscriptions_converted_with_fx_rates():
    subs = pd.DataFrame(
        {
            "account_id": ["a", "a"],
            "start_date": [D("2023-01-01"), D("2023-06-01")],
            "end_date": [pd.NaT, pd.NaT],
            "arr": [100.0, 50.0],
            "currency": ["EUR", "EUR"],
        }
    )
    fx = pd.DataFrame({"currency": ["EUR"], "rate_to_reporting": [2.0]})
    history, _ = nps.account_history(subs, fx, D("2024-01-01"))
    assert history.loc[0, "arr_now"] == pytest.approx(300.0)
    assert not history.loc[0, "churned"]


# ---------------------------------------------------------------- NPS and retention


def test_nps_by_segment_matches_nps_score_and_flags_small_groups():
    params = nps.Settings.from_params(min_n=5)
    frame = pd.DataFrame({"segment": ["A"] * 10 + ["B"] * 3, "score": [10] * 6 + [0] * 4 + [9, 9, 9]})
    table = nps.nps_by(frame, "segment", params)
    a = table.set_index("segment").loc["A"]
    expected = stats.nps_score(frame["score"][:10])
    assert a["nps"] == pytest.approx(20.0) == pytest.approx(expected.nps)
    assert a["ci_low"] == pytest.approx(expected.ci_low)
    assert table["flagged"].tolist() == [False, True]


def test_retention_by_category_counts_rates_and_intervals():
    params = nps.Settings.from_params(min_n=3)
    accounts = pd.DataFrame(
        {
            "category": ["promoter"] * 4 + ["detractor"] * 4 + ["passive"] * 2,
            "retained": [True, True, True, False, True, False, False, False, True, True],
            "arr": [10.0, 10.0, 10.0, 30.0, 100.0, 100.0, 100.0, 100.0, 5.0, 5.0],
        }
    )
    table = nps.retention_by_category(accounts, params).set_index("category")
    assert table.loc["promoter", "logo_retention"] == pytest.approx(0.75)
    assert table.loc["promoter", "arr_retention"] == pytest.approx(0.5)
    low, high = stats.wilson_interval(1, 4)
    assert table.loc["detractor", "ci_low"] == pytest.approx(float(low))
    assert table.loc["detractor", "ci_high"] == pytest.approx(float(high))
    assert table.loc["passive", "flagged"] and not table.loc["promoter", "flagged"]
    assert table.loc["promoter", "arr_ci_low"] <= 0.5 <= table.loc["promoter", "arr_ci_high"]


def test_churn_regression_recovers_a_known_odds_ratio():
    rng = np.random.default_rng(3)
    n = 4000
    score = rng.integers(0, 11, n).astype(float)
    segment = rng.choice(["SMB", "Ent"], n)
    logit = 0.5 - 0.3 * score + np.where(segment == "Ent", 0.5, 0.0)
    churned = rng.random(n) < 1 / (1 + np.exp(-logit))
    accounts = pd.DataFrame(
        {"score": score, "segment": segment, "arr": rng.lognormal(10, 1, n), "churned": churned}
    )
    fit = nps.churn_regression(accounts, nps.Settings.from_params())
    assert fit.ci_low < np.exp(-0.3) < fit.ci_high
    assert fit.controls == ("segment", "log ARR")


def test_churn_regression_declines_with_too_few_events():
    accounts = pd.DataFrame(
        {"score": [1.0, 5, 9, 10], "segment": "A", "arr": 1.0, "churned": [True, False, False, False]}
    )
    fit = nps.churn_regression(accounts, nps.Settings.from_params())
    assert np.isnan(fit.odds_ratio) and "too few" in fit.note


# ---------------------------------------------------------------- verdict


def test_sample_verdict_is_predicts_and_figures_agree_with_tables(report):
    figures = report.key_figures()
    assert figures["verdict"] == "predicts"
    assert figures["spearman_score_retention"] > 0 and figures["spearman_p"] < 0.05
    assert figures["odds_ratio_per_point"] < 1 and figures["logrank_p"] < 0.05
    table = report.tables()["retention_by_category"].set_index("category")
    for cat in nps.CATEGORIES:
        assert figures[f"retention_{cat}s"] == table.loc[cat, "logo_retention"]
        assert figures[f"retention_{cat}s_ci_low"] == table.loc[cat, "ci_low"]
    assert figures["retention_promoters"] > figures["retention_detractors"]
    overall = stats.nps_score(report.responses.frame["score"])
    assert figures["nps"] == pytest.approx(overall.nps)
    assert figures["n_linked"] + sum(report.linked.excluded.values()) == figures["n_responses"]


def test_reversed_relationship_gives_opposite(sample_tables):
    flipped = sample_tables["nps_responses"].assign(score=lambda f: 10 - f["score"])
    verdict = quick_verdict(
        flipped,
        nps.Settings.from_params(),
        sample_tables["subscriptions"],
        fx_rates=sample_tables["fx_rates"],
    )
    assert verdict.label == "opposite"


def test_shuffled_scores_rarely_give_a_verdict(sample_tables):
    params = nps.Settings.from_params()
    responses = sample_tables["nps_responses"]
    labels = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        shuffled = responses.assign(score=rng.permutation(responses["score"].to_numpy()))
        labels.append(
            quick_verdict(
                shuffled, params, sample_tables["subscriptions"], fx_rates=sample_tables["fx_rates"]
            ).label
        )
    false_positives = sum(label != "no evidence" for label in labels)
    # at alpha 0.05, P(4 or more of 20 false positives) is under 2%
    assert false_positives <= 3, labels


def test_small_samples_get_no_evidence_with_the_reason(sample_tables):
    params = nps.Settings.from_params()
    few = sample_tables["nps_responses"].head(40)
    verdict = quick_verdict(few, params, sample_tables["subscriptions"], fx_rates=sample_tables["fx_rates"])
    assert verdict.label == "no evidence" and "too little data" in verdict.reason


def test_csat_fixture_runs_end_to_end_and_predicts():
    ds = data.load(TABLES, data_file=FIXTURE)
    params = nps.Settings.from_params(score_min=1, score_max=5, detractor_max=2, promoter_min=5)
    rep = nps.analyze(ds, params)
    assert rep.verdict.label == "predicts"
    assert rep.distribution["score"].tolist() == [1, 2, 3, 4, 5]
    assert rep.distribution["responses"].sum() == rep.overall.n
    assert rep.retention.set_index("category").loc["detractor", "flagged"]  # 25 accounts < min_n
    assert "fewer than 30 accounts: read with care" in view.summary_lines(rep)[2]


# ---------------------------------------------------------------- words and charts


def test_summary_claims_a_difference_only_when_the_test_holds(sample_tables):
    rng = np.random.default_rng(11)
    responses = sample_tables["nps_responses"]
    shuffled = responses.assign(score=rng.permutation(responses["score"].to_numpy()))
    rep = nps.analyze(
        dataset(
            nps_responses=shuffled,
            subscriptions=sample_tables["subscriptions"],
            accounts=sample_tables["accounts"],
            fx_rates=sample_tables["fx_rates"],
        ),
        nps.Settings.from_params(),
    )
    text = " ".join(view.summary_lines(rep))
    assert rep.verdict.label == "no evidence"
    assert "no evidence that sentiment predicts retention" in text
    assert ("points higher" in text) == rep.contrast.test.significant(0.05)


def test_summary_states_intervals_and_sizes(report):
    lines = view.summary_lines(report)
    assert lines[0].startswith("**Verdict: sentiment predicts retention here.**")
    assert "95% CI" in lines[1] and f"{report.overall.n:,} responses" in lines[1]
    assert "n=" in lines[2] and "two-proportion" in lines[2]


def test_arr_at_risk_sums_active_detractor_accounts(report):
    customers = report.linked.customers
    latest = report.linked.responses.drop_duplicates("account_id", keep="last").set_index("account_id")[
        "category"
    ]
    active = customers[~customers["churned"]]
    expected = active.loc[active["account_id"].map(latest) == "detractor", "arr"].sum()
    assert report.at_risk.arr == pytest.approx(expected) and report.at_risk.arr > 0
    assert (
        report.at_risk.expected_loss_low <= report.at_risk.expected_loss <= report.at_risk.expected_loss_high
    )


def test_charts_have_titles_and_labelled_axes(report):
    figures = [
        view.nps_segment_figure(report),
        view.nps_quarter_figure(report),
        view.distribution_figure(report),
        view.retention_figure(report),
        view.score_retention_figure(report),
        view.survival_figure(report),
    ]
    for fig in figures:
        ax = fig.axes[0]
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_segment_names_from_the_data_are_escaped(sample_tables):
    accounts = sample_tables["accounts"].assign(segment="<script>x</script>")
    rep = nps.analyze(
        dataset(
            nps_responses=sample_tables["nps_responses"],
            subscriptions=sample_tables["subscriptions"],
            accounts=accounts,
            fx_rates=sample_tables["fx_rates"],
        ),
        nps.Settings.from_params(),
    )
    html = view.nps_table(rep.by_segment).data
    assert "<script>" not in html and "&lt;script&gt;" in html


# ---------------------------------------------------------------- review fixes


def _separated(n: int = 40) -> pd.DataFrame:
    score = (np.arange(n) % 11).astype(float)
    return pd.DataFrame({"score": score, "segment": "A", "arr": 1.0, "churned": score < 5})


def test_perfect_separation_gives_a_note_not_a_no_effect_odds_ratio():
    """Finding 4: statsmodels only warns on separation; the old code printed OR ~0, p ~1 as 'no effect'."""
    fit = nps.churn_regression(_separated(), nps.Settings.from_params())
    assert np.isnan(fit.odds_ratio) and np.isnan(fit.p_value) and "separation" in fit.note


def test_constant_score_gives_a_note_not_an_odds_ratio():
    """Finding 4: every score 10 made a rank-deficient design that still printed an odds ratio."""
    accounts = _separated().assign(score=10.0)
    fit = nps.churn_regression(accounts, nps.Settings.from_params())
    assert np.isnan(fit.odds_ratio) and "same score" in fit.note


def test_summary_says_cannot_be_estimated_under_separation(report):
    from dataclasses import replace

    separated = replace(report, regression=nps.churn_regression(_separated(), nps.Settings.from_params()))
    line = view._regression_line(separated)
    assert "could not be estimated" in line and "separation" in line and "no effect" not in line


def _multi_currency() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "start_date": [D("2023-01-01")] * 3,
            "end_date": [pd.NaT] * 3,
            "arr": [100.0, 100.0, 100.0],
            "currency": ["USD", "EUR", "CHF"],
        }
    )


def test_a_currency_without_a_rate_is_a_data_error_naming_it():
    """Finding 6: CHF had no rate and silently became 0 ARR."""
    fx = pd.DataFrame({"currency": ["USD", "EUR"], "rate_to_reporting": [1.0, 1.1]})
    with pytest.raises(DataError, match="CHF"):
        nps.account_history(_multi_currency(), fx, D("2024-01-01"))


def test_reporting_currency_is_rate_one_and_rates_rebase_to_it():
    """Finding 6: a USD row missing from fx_rates made USD subscriptions 0 ARR."""
    subs = _multi_currency().iloc[:2]
    fx = pd.DataFrame({"currency": ["EUR"], "rate_to_reporting": [1.1]})
    history, _ = nps.account_history(subs, fx, D("2024-01-01"))
    assert history.set_index("account_id")["arr_now"].to_dict() == pytest.approx({"a": 100.0, "b": 110.0})
    fx = pd.DataFrame({"currency": ["USD", "EUR"], "rate_to_reporting": [1.0, 1.1]})
    history, _ = nps.account_history(subs, fx, D("2024-01-01"), reporting_currency="EUR")
    assert history.set_index("account_id")["arr_now"].to_dict() == pytest.approx({"a": 100 / 1.1, "b": 100.0})
    assert nps.Settings.from_params(reporting_currency=" eur ").reporting_currency == "EUR"
    with pytest.raises(ParamsError, match="reporting_currency"):
        nps.Settings.from_params(reporting_currency="")


def test_customers_snapshot_without_segment_column_renders_unsegmented(sample_tables):
    """Finding 9a: customers only, no accounts and no segment column used to raise ParamsError."""
    customers = sample_tables["customers"].drop(columns=["segment"])
    tables = dataset(nps_responses=sample_tables["nps_responses"], customers=customers)
    rep = nps.analyze(tables, nps.Settings.from_params())
    assert rep.by_segment["segment"].tolist() == [nps.ALL_SEGMENTS]
    assert "column, so NPS is shown for all accounts together" in view.segment_text(rep).data
    assert rep.linked.mode == "customers" and rep.outcomes_known


def test_no_outcome_known_yet_renders_nps_and_says_not_yet_known(sample_tables):
    """Finding 9b: every response younger than the horizon used to fail the whole report."""
    subs = sample_tables["subscriptions"].assign(end_date=pd.NaT)  # no churn at all
    tables = dataset(
        nps_responses=sample_tables["nps_responses"], subscriptions=subs, fx_rates=sample_tables["fx_rates"]
    )
    no_churn = nps.analyze(tables, nps.Settings.from_params())
    assert no_churn.verdict.label == "no evidence" and "0 churned" in no_churn.verdict.reason
    # the data span about 3.6 years: with a 4-year horizon no response's outcome is known
    rep = nps.analyze(tables, nps.Settings.from_params(horizon_days=1461))
    assert not rep.outcomes_known and rep.overall.n == len(sample_tables["nps_responses"])
    assert not rep.by_quarter.empty and len(rep.distribution)
    assert rep.verdict.label == "no evidence" and "not known yet" in rep.verdict.reason
    text = " ".join(view.summary_lines(rep))
    assert "not yet known" in text and "Promoters were retained" not in text
    for shown in (view.retention_table(rep), view.retention_figure(rep)):
        assert "Not yet known" in shown.data
    assert view.association_text(rep).data == ""
    view.nps_segment_figure(rep), view.distribution_figure(rep)
    figures = rep.key_figures()
    assert figures["verdict"] == "no evidence" and np.isnan(figures["retention_promoters"])


def test_expected_arr_loss_uses_arr_retention_not_logo_retention(report):
    """Finding 11: the logo churn rate was applied to ARR."""
    det = report.retention.set_index("category").loc["detractor"]
    assert det["arr_retention"] != pytest.approx(det["logo_retention"], abs=0.01)
    a = report.at_risk
    assert a.expected_loss == pytest.approx(a.arr * (1 - det["arr_retention"]))
    assert a.expected_loss_low == pytest.approx(a.arr * (1 - det["arr_ci_high"]))
    assert a.expected_loss_high == pytest.approx(a.arr * (1 - det["arr_ci_low"]))


def test_respondents_compare_customers_active_on_the_same_date():
    """Finding 13: customers who left before any survey were counted as churned non-respondents."""
    responses = pd.DataFrame(
        {"account_id": ["a", "b"], "response_date": [D("2023-01-01"), D("2023-06-01")], "score": [9, 3]}
    )
    subs = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d", "e"],
            "start_date": [D("2022-01-01")] * 4 + [D("2023-09-01")],
            # d left before any survey; e started after the landmark; c stayed, never answered
            "end_date": [pd.NaT, D("2023-10-01"), pd.NaT, D("2022-06-01"), pd.NaT],
            "arr": 1.0,
        }
    )
    params = nps.Settings.from_params(
        horizon_days=365, as_of="2024-06-01", min_n=1, segment_dimension="account_id"
    )
    linked = nps.link_outcomes(nps.prepare_responses(responses, params), params, subscriptions=subs)
    window = nps.respondents_window(linked, params)
    assert window.start == D("2023-06-02") and window.end == D("2024-06-01") and window.dropped == 2
    table, _ = nps.respondents_vs_non(linked, params)
    by = table.set_index("group")
    assert by.loc["respondents", "customers"] == 2 and by.loc["respondents", "still_active"] == 1
    assert by.loc["non-respondents", "customers"] == 1 and by.loc["non-respondents", "still_active"] == 1
