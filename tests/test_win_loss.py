"""Win/loss analysis: parameters, deal preparation, statistics, planted effects and CRM exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom
from statsmodels.stats.proportion import proportion_confint

from revops_nb import data, sample
from revops_nb.errors import DataError, ParamsError
from revops_nb.reports import win_loss as wl
from revops_nb.reports._opportunities import deal_amounts
from revops_nb.reports.win_loss import view
from revops_nb.reports.win_loss._deals import NO_AMOUNT, one_spelling, size_bands
from revops_nb.reports.win_loss._velocity import _velocity_interval
from tests.helpers import win_loss_deals

FIXTURES = Path(__file__).parent / "fixtures" / "win_loss"


# ---------------------------------------------------------------- helpers


_deals = win_loss_deals  # hand-written rows -> (deals, settings)


def _closed(n_won: int, n_lost: int, **extra) -> list[dict]:
    base = {"created_date": "2025-01-01", "close_date": "2025-02-01", "is_closed": True}
    return [{**base, "is_won": i < n_won, **extra} for i in range(n_won + n_lost)]


def _frame(groups: dict[str, tuple[int, int]], column: str = "region") -> list[dict]:
    rows = []
    for value, (won, lost) in groups.items():
        rows += _closed(won, lost, **{column: value})
    for i, row in enumerate(rows):
        row["opportunity_id"] = f"O{i}"
    return rows


@pytest.fixture(scope="module")
def sample_report() -> wl.WinLossResult:
    ds = data.load(wl.TABLES, data_file=_sample_yaml())
    return wl.analyze(ds, wl.Settings.from_params())


def _sample_yaml() -> Path:
    path = Path(__file__).parent / "fixtures" / "win_loss" / "sample_data.yaml"
    return path


@pytest.fixture(scope="module")
def raw_sample() -> pd.DataFrame:
    opps = sample.table("opportunities")
    fx = sample.table("fx_rates").set_index("currency")["rate_to_reporting"]
    return opps.assign(usd=opps["amount"] * opps["currency"].map(fx))


# ---------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"period_start": "not a date"}, "period_start"),
        ({"period_start": "2025-06-01", "period_end": "2025-01-01"}, "period_end"),
        ({"min_n": 0}, "min_n"),
        ({"min_n": 2.5}, "min_n"),
        ({"confidence": 1.2}, "confidence"),
        ({"confidence": True}, "confidence"),
        ({"reporting_currency": "dollars"}, "reporting_currency"),
        ({"dimensions": ["region", "colour"]}, "'colour'"),
        ({"dimensions": "region"}, "dimensions"),
        ({"deal_size_bands": [50000, 10000]}, "increasing"),
        ({"deal_size_bands": [-5]}, "positive"),
        ({"deal_size_bands": []}, "deal_size_bands"),
        ({"drivers": ["deal_size", "weather"]}, "'weather'"),
    ],
)
def test_bad_parameters_raise_one_sentence_naming_them(kwargs, names):
    with pytest.raises(ParamsError, match=names):
        wl.Settings.from_params(**kwargs)


def test_defaults_are_valid_and_normalised():
    s = wl.Settings.from_params(reporting_currency=" eur ", period_start="2025-01-01")
    assert s.currency == "EUR" and s.period_start == pd.Timestamp("2025-01-01")
    assert s.alpha == pytest.approx(0.05)


# ---------------------------------------------------------------- preparation


def test_one_spelling_merges_case_and_spacing():
    out = one_spelling(pd.Series(["Core", "core ", " CORE", "Core", "Analytics", None]))
    assert out.iloc[:4].tolist() == ["Core"] * 4
    assert out.iloc[4] == "Analytics" and pd.isna(out.iloc[5])


def test_size_bands_are_right_open_and_missing_amounts_get_their_own_band():
    bands = size_bands(pd.Series([5.0, 10.0, 49.9, 50.0, np.nan]), (10.0, 50.0), "USD")
    assert bands.tolist() == ["< USD 10", "USD 10–50", "USD 10–50", "≥ USD 50", NO_AMOUNT]


def test_deal_amounts_use_cross_rates_and_stop_on_unrated_currencies():
    frame = pd.DataFrame({"amount": [100.0, 100.0, np.nan], "currency": ["USD", "EUR", "USD"]})
    fx = pd.DataFrame({"currency": ["USD", "EUR"], "rate_to_reporting": [1.0, 1.25]})
    out = deal_amounts(frame, fx, "EUR", [], "")
    assert out.iloc[0] == pytest.approx(80.0) and out.iloc[1] == pytest.approx(100.0)
    assert np.isnan(out.iloc[2])
    unrated = pd.concat([frame, pd.DataFrame({"amount": [100.0], "currency": ["CHF"]})], ignore_index=True)
    with pytest.raises(DataError, match="fx_rates has no rate for currency 'CHF', used by 1 row"):
        deal_amounts(unrated, fx, "EUR", [], "")
    with pytest.raises(ParamsError, match="reporting currency 'GBP' is not in fx_rates"):
        deal_amounts(frame, fx, "GBP", [], "")


def test_period_end_makes_later_closes_open_and_censors_them():
    rows = [
        {
            "opportunity_id": "a",
            "created_date": "2025-01-01",
            "close_date": "2025-01-20",
            "is_closed": True,
            "is_won": True,
        },
        {
            "opportunity_id": "b",
            "created_date": "2025-01-01",
            "close_date": "2025-03-01",
            "is_closed": True,
            "is_won": False,
        },
        {
            "opportunity_id": "c",
            "created_date": "2025-01-10",
            "close_date": None,
            "is_closed": False,
            "is_won": False,
        },
        {
            "opportunity_id": "d",
            "created_date": "2025-05-01",
            "close_date": None,
            "is_closed": False,
            "is_won": False,
        },
    ]
    deals, _ = _deals(rows, period_end="2025-02-01")
    status = deals.frame.set_index("opportunity_id")["status"]
    assert status.to_dict() == {"a": "won", "b": "open", "c": "open", "d": "out of scope"}
    ttc = deals.frame.set_index("opportunity_id")
    assert ttc.loc["a", "ttc_days"] == 19 and bool(ttc.loc["a", "ttc_closed"])
    assert ttc.loc["b", "ttc_days"] == 31 and not bool(ttc.loc["b", "ttc_closed"])
    assert pd.isna(ttc.loc["d", "ttc_days"])


def test_missing_required_column_is_a_data_error():
    with pytest.raises(DataError, match="'is_won'"):
        wl.prepare_deals(
            pd.DataFrame(
                {"opportunity_id": ["a"], "created_date": [pd.Timestamp("2025-01-01")], "is_closed": [True]}
            ),
            None,
            None,
            wl.Settings.from_params(),
        )


def test_no_closed_deal_in_period_is_a_data_error():
    deals, s = _deals(_frame({"NA": (3, 3)}), period_start="2026-01-01")
    with pytest.raises(DataError, match="no deal closed"):
        wl.analyze_deals(deals, s)


# ---------------------------------------------------------------- statistics


def test_rate_frame_flags_small_groups_and_does_not_rank_them():
    deals, s = _deals(_frame({"A": (10, 30), "B": (30, 10), "C": (4, 0), "D": (1, 4)}), min_n=20)
    table = wl.win_rate_by(deals, "region", s).table
    assert table["value"].tolist() == ["B", "A", "D", "C"]
    assert table["flagged"].tolist() == [False, False, True, True]
    low, high = proportion_confint(30, 40, method="wilson")
    assert table.loc[0, "ci_low"] == pytest.approx(low) and table.loc[0, "ci_high"] == pytest.approx(high)


def test_pairwise_comparisons_claim_only_real_differences():
    deals, s = _deals(_frame({"A": (20, 80), "B": (60, 40), "C": (40, 60)}))
    result = wl.win_rate_by(deals, "region", s)
    pairs = result.comparison.set_index(["higher", "lower"])
    assert result.test.significant()
    assert pairs.loc[("B", "A"), "significant"] and pairs.loc[("C", "A"), "significant"]
    assert pairs.loc[("B", "C"), "significant"]
    assert (pairs["p_value"] >= pairs["p_raw"]).all()  # Holm never lowers a p-value
    equal, s2 = _deals(_frame({"A": (40, 60), "B": (41, 59), "C": (39, 61)}))
    same = wl.win_rate_by(equal, "region", s2)
    assert not same.test.significant() and not same.comparison["significant"].any()
    report = wl.analyze_deals(equal, s2)
    assert "lower than" not in view.summary(report).data and "higher than" not in view.summary(report).data


def test_one_weak_group_does_not_make_the_others_look_better():
    # regression: each group vs "all other deals" made A, B and C look better because Bad sat in the rest
    deals, s = _deals(_frame({"Bad": (100, 900), "A": (300, 700), "B": (300, 700), "C": (290, 710)}))
    comp = wl.win_rate_by(deals, "region", s).comparison
    claimed = comp[comp["significant"]]
    assert set(claimed["lower"]) == {"Bad"} and set(claimed["higher"]) == {"A", "B", "C"}
    report = wl.analyze_deals(deals, s)
    text = view.summary(report).data
    assert "than the" not in text and "all other closed deals" not in text
    assert "A 30.0%" in text and "higher than Bad 10.0%" in text
    pair_said = view._dimension_sentence(report, "region").data
    assert "higher than C" not in pair_said and "higher than A" not in pair_said


def test_competitors_are_tested_against_deals_with_no_competitor():
    # regression: X looked better than "all other deals" only because Weak dragged the rest down
    rows = _frame({"No competitor": (300, 700), "X": (310, 690), "Weak": (100, 900)}, column="competitor")
    deals, s = _deals(rows)
    h2h = wl.head_to_head(deals, s).set_index("competitor")
    assert not h2h.loc["X", "significant"] and h2h.loc["Weak", "significant"]
    assert h2h.loc["Weak", "direction"] == "lower" and h2h.loc["X", "baseline_rate"] == pytest.approx(0.3)
    assert np.isnan(h2h.loc["No competitor", "p_value"])
    text = view.summary(wl.analyze_deals(deals, s)).data
    assert "Against X" not in text
    assert "**Against Weak** we win 10.0%" in text and "we win on deals with no competitor" in text


def test_competitors_without_a_baseline_are_not_tested():
    rows = _frame({"No competitor": (3, 7), "X": (300, 700), "Weak": (100, 900)}, column="competitor")
    deals, s = _deals(rows)
    h2h = wl.head_to_head(deals, s)
    assert not h2h["significant"].any() and h2h["p_value"].isna().all()
    text = view.summary(wl.analyze_deals(deals, s)).data
    assert "Against" not in text and "not tested: fewer than 30 closed deals with no competitor" in text


def test_a_dimension_that_was_not_tested_does_not_cite_a_test():
    # regression: a single region (test "none") was reported as "not supported by a chi-square test"
    deals, s = _deals(_frame({"NA": (40, 60)}))
    report = wl.analyze_deals(deals, s)
    text = view.summary(report).data
    assert "Win rate by region: not tested: fewer than two groups with at least 30 closed deals" in text
    assert not [line for line in text.splitlines() if "region" in line and "supported by a test" in line]
    said = view._dimension_sentence(report, "region").data
    assert (
        said.startswith("Win rate by region: not tested") and "chi-square" not in said and "nan" not in said
    )
    small, s2 = _deals(_frame({"NA": (5, 5), "EMEA": (6, 4)}))
    assert "not tested" in view._dimension_sentence(wl.analyze_deals(small, s2), "region").data


def test_amount_weighted_rate_and_interval():
    rate, low, high = wl.amount_weighted_rate(
        pd.Series([100.0, 300.0, 100.0, 500.0]), pd.Series([1, 1, 0, 0]), 0.95
    )
    assert rate == pytest.approx(0.4)
    assert 0 <= low < rate < high <= 1


@pytest.mark.parametrize("outcome", [1, 0])
def test_amount_weighted_interval_has_width_when_every_deal_has_one_outcome(outcome):
    # regression: the delta method gave "100.0% (95% CI 100.0%-100.0%)" when every deal was won
    amounts = pd.Series([1000.0] * 50 + [5000.0] * 10)
    rate, low, high = wl.amount_weighted_rate(amounts, pd.Series([outcome] * 60), 0.95)
    n_eff = amounts.sum() ** 2 / (amounts**2).sum()
    w_low, w_high = proportion_confint(outcome * n_eff, n_eff, method="wilson")
    assert rate == outcome and (low, high) == pytest.approx((w_low, w_high))
    assert high - low > 0.05
    deals, s = _deals([{**r, "amount": 1000.0} for r in _frame({"NA": (40, 0)})])
    report = wl.analyze_deals(deals, s)
    assert report.overall.amount_ci_low < 1 and report.overall.amount_ci_method == "wilson"
    assert "effective sample size" in view.overall(report).data


def test_median_interval_is_order_statistics():
    x = np.arange(1, 101, dtype=float)
    low, high = wl.median_interval(x, 0.95)
    assert (low, high) == (40.0, 61.0)  # the textbook ranks for n = 100
    coverage = 1 - 2 * binom.cdf(low - 1, 100, 0.5)
    assert coverage >= 0.95
    assert np.isnan(wl.median_interval(x[:4], 0.95)[0])


def test_loss_categories():
    reasons = pd.Series(["Lost to Competitor", "no-decision", "Status quo", "Price", None, "Vantora"])
    kinds = wl.loss_category(reasons, pd.Series(["Vantora"]))
    assert kinds.tolist() == [
        "Lost to competitor",
        "No decision",
        "No decision",
        "Other reason",
        "No reason given",
        "Lost to competitor",
    ]


def test_trend_tests_latest_quarter_against_previous():
    rows = _closed(20, 80, close_date="2025-05-15") + _closed(60, 40, close_date="2025-08-15")
    for i, row in enumerate(rows):
        row["opportunity_id"] = f"O{i}"
    deals, s = _deals(rows, period_end="2025-09-30")
    trend = wl.quarterly_trend(deals, s)
    assert (trend.latest, trend.previous) == ("2025Q3", "2025Q2")
    assert trend.test.significant() and not trend.latest_partial


def test_trend_does_not_test_a_partial_latest_quarter():
    # regression: the quarter still under way at the report date was tested against the one before
    rows = (
        _closed(40, 60, close_date="2025-02-15")
        + _closed(41, 59, close_date="2025-05-15")
        + _closed(80, 20, close_date="2025-08-15")
    )
    for i, row in enumerate(rows):
        row["opportunity_id"] = f"O{i}"
    deals, s = _deals(rows)  # report date 2025-08-15: Q3 is under way
    trend = wl.quarterly_trend(deals, s)
    assert (trend.latest, trend.previous, trend.partial) == ("2025Q2", "2025Q1", "2025Q3")
    assert not trend.test.significant() and trend.latest_partial
    assert trend.table.set_index("quarter")["complete"].to_dict() == {
        "2025Q1": True,
        "2025Q2": True,
        "2025Q3": False,
    }
    text = view.summary(wl.analyze_deals(deals, s)).data
    assert "last complete quarter, 2025Q2" in text and "2025Q3 is not complete (shown, not tested)" in text
    assert "is higher than" not in text


def test_cycle_direction_comes_from_the_rank_test_not_the_medians():
    # regression: equal medians with a significant Mann-Whitney test printed "Won deals take longer"
    def row(i: int, won: bool, days: int) -> dict:
        close = pd.Timestamp("2025-01-01") + pd.Timedelta(days=days)
        return {
            "opportunity_id": f"O{i}",
            "created_date": "2025-01-01",
            "close_date": str(close.date()),
            "is_closed": True,
            "is_won": won,
        }

    won_days = [30] * 51 + [5] * 49
    lost_days = [30] * 51 + [90] * 49
    rows = [row(i, True, d) for i, d in enumerate(won_days)]
    rows += [row(100 + i, False, d) for i, d in enumerate(lost_days)]
    deals, s = _deals(rows)
    cycle = wl.cycle_length(deals, s)
    table = cycle.table.set_index("outcome")
    assert table.loc["Won", "median_days"] == table.loc["Lost", "median_days"] == 30
    assert cycle.test.significant() and cycle.longer == "Lost"
    assert "Lost deals take longer" in view.summary(wl.analyze_deals(deals, s)).data
    assert wl.cycle_direction(30.0, 10, 4) == "Won" and wl.cycle_direction(20.0, 10, 4) is None


def test_drivers_report_why_the_model_cannot_be_fitted():
    rows = _frame({"A": (3, 2)})
    deals, s = _deals(rows)
    assert "no driver" in (wl.win_drivers(deals, s).message or "")
    rows = [{**r, "decision_makers": 5 if r["is_won"] else 1} for r in _frame({"A": (40, 40)})]
    deals, s = _deals(rows, drivers=["decision_makers"])
    assert "could not be fitted" in (wl.win_drivers(deals, s).message or "")


def test_drivers_leave_out_a_level_that_always_wins_and_say_so():
    # regression: X won 100/100 gave OR 9e11 with CI 0-inf while the summary said no odds ratio differs from 1
    rng = np.random.default_rng(1)
    rows = _frame({"No competitor": (60, 140), "Y": (50, 150), "X": (100, 0)}, column="competitor")
    rows = [{**r, "decision_makers": int(rng.integers(1, 6))} for r in rows]
    deals, s = _deals(rows, drivers=["competitor", "decision_makers"])
    d = wl.win_drivers(deals, s)
    assert d.message is None and d.n_separated == 100 and d.n_used == 400
    assert len(d.separated) == 1 and "competitor X: all 100 closed deals" in d.separated[0]
    assert "X (vs No competitor)" not in d.table["term"].tolist()
    assert np.isfinite(d.table[["odds_ratio", "ci_low", "ci_high"]].to_numpy()).all()
    report = wl.analyze_deals(deals, s)
    text = view.summary(report).data
    assert "left out of the model" in text and "**Against X** we win 100.0%" in text
    shown = " ".join(x.data for x in view.drivers(report) if hasattr(x, "data"))
    assert "competitor X: all 100 closed deals" in shown


def test_a_fit_that_did_not_converge_is_not_reported():
    from types import SimpleNamespace

    from revops_nb.reports.win_loss._drivers import fit_is_usable

    def fit(converged: bool, coef: float, se: float):
        params = pd.Series([0.1, coef], index=["const", "a"])
        ci = pd.DataFrame({0: params - 2 * se, 1: params + 2 * se})
        return SimpleNamespace(
            mle_retvals={"converged": converged},
            params=params,
            bse=pd.Series([0.1, se], index=params.index),
            conf_int=lambda alpha: ci,
        )

    assert fit_is_usable(fit(True, 0.5, 0.1), 0.05)
    assert not fit_is_usable(fit(False, 0.5, 0.1), 0.05)
    assert not fit_is_usable(fit(True, 27.5, 0.1), 0.05)
    assert not fit_is_usable(fit(True, 0.5, np.inf), 0.05)


def test_driver_significance_is_holm_adjusted_across_terms(sample_report):
    # regression: Quellio 1.15x (1.00-1.32), p = 0.045 reached the summary among 16 terms
    table = sample_report.drivers.table.set_index("term")
    assert (table["p_holm"] >= table["p_value"]).all()
    quellio = table.loc["Quellio (vs No competitor)"]
    assert quellio["p_value"] < 0.05 and not quellio["significant"]
    text = view.summary(sample_report).data
    assert "Quellio (vs No competitor)" not in text and f"Holm-adjusted across {len(table)} terms" in text


def test_absent_dimension_is_reported_not_an_error():
    deals, s = _deals(_frame({"A": (10, 10), "B": (10, 10)}))
    report = wl.analyze_deals(deals, s)
    assert report.dimensions["owner"].absent and "win_rate_by_owner" not in report.tables()
    shown = view.dimension(report, "owner")
    assert len(shown) == 1 and "no owner" in shown[0].data
    assert report.competitors.empty


# ---------------------------------------------------------------- the sample


def test_key_figures_equal_independent_pandas(sample_report, raw_sample):
    o = raw_sample
    closed, won = o[o["is_closed"]], o[o["is_won"]]
    fig = sample_report.key_figures()
    assert fig["n_closed"] == len(closed) and fig["n_won"] == len(won)
    assert fig["n_open"] == int((~o["is_closed"]).sum())
    assert fig["win_rate"] == pytest.approx(len(won) / len(closed))
    low, high = proportion_confint(len(won), len(closed), method="wilson")
    assert (fig["win_rate_ci_low"], fig["win_rate_ci_high"]) == pytest.approx((low, high))
    assert fig["won_amount"] == pytest.approx(won["usd"].sum())
    assert fig["win_rate_amount_weighted"] == pytest.approx(won["usd"].sum() / closed["usd"].sum())
    cycle = (closed["close_date"] - closed["created_date"]).dt.days
    assert fig["median_cycle_days_won"] == cycle[closed["is_won"]].median()
    assert fig["median_cycle_days_lost"] == cycle[~closed["is_won"]].median()
    velocity = (
        (~o["is_closed"]).sum() * len(won) / len(closed) * won["usd"].mean() / cycle[closed["is_won"]].mean()
    )
    assert fig["pipeline_velocity_per_day"] == pytest.approx(velocity)
    v = sample_report.velocity.iloc[0]
    assert v["ci_low"] < v["velocity_per_day"] < v["ci_high"]


def test_planted_competitor_effect_is_recovered(sample_report):
    h2h = sample_report.competitors.set_index("competitor")
    vantora = h2h.loc[sample.PLANTED_COMPETITOR]
    assert vantora["significant"] and vantora["direction"] == "lower"
    assert vantora["ci_high"] < vantora["baseline_rate"]
    drivers = sample_report.drivers.table.set_index("term")
    odds = drivers.loc[f"{sample.PLANTED_COMPETITOR} (vs No competitor)"]
    assert odds["ci_high"] < 1


def test_planted_decision_maker_effect_is_recovered(sample_report):
    row = sample_report.drivers.table.set_index("driver").loc["decision_makers"]
    assert row["ci_low"] > 1.2 and row["significant"]
    assert row["ci_low"] <= np.exp(0.35) <= row["ci_high"]


def test_planted_cycle_effect_and_time_to_close(sample_report):
    table = sample_report.cycle.table.set_index("outcome")
    assert table.loc["Lost", "median_days"] > table.loc["Won", "median_days"]
    assert sample_report.cycle.test.significant()
    ttc = sample_report.time_to_close.table.set_index("group")
    assert ttc.loc["All deals", "open_censored"] == sample_report.key_figures()["n_open"]
    assert ttc.loc["Enterprise", "median_days"] > 2 * ttc.loc["SMB", "median_days"]
    assert sample_report.time_to_close.test.significant()


def test_tables_have_the_documented_columns(sample_report):
    tables = sample_report.tables()
    expected = {f"win_rate_by_{d}" for d in sample_report.settings.dimensions} | {
        "loss_reasons",
        "win_drivers",
    }
    assert set(tables) == expected
    for name in expected - {"loss_reasons", "win_drivers"}:
        assert tables[name].columns.tolist() == [
            "value",
            "n",
            "won",
            "win_rate",
            "ci_low",
            "ci_high",
            "flagged",
        ]
        assert tables[name]["n"].sum() == sample_report.overall.n_closed
    pareto = tables["loss_reasons"]
    assert pareto["n"].sum() == sample_report.overall.n_closed - sample_report.overall.n_won
    assert pareto["cumulative_share"].iloc[-1] == pytest.approx(1.0)


def test_summary_states_tested_differences_with_intervals(sample_report):
    text = view.summary(sample_report).data
    assert f"Against {sample.PLANTED_COMPETITOR}** we win" in text and "lower than" in text
    assert "Lost deals take longer" in text and "Decision makers" in text
    assert "95% CI" in text


def test_sample_summary_has_no_claims_made_by_one_extreme_group(sample_report):
    # regression: Brightpath (p = 0.31 vs no competitor) and Inbound vs Partner/Event were claimed
    text = view.summary(sample_report).data
    assert "Against Brightpath" not in text and "Against Quellio" not in text
    assert "all other closed deals" not in text
    assert "Partner 30.6% (95% CI 27.9%–33.5%, n = 1,025) is higher than Outbound 22.6%" in text
    pairs = sample_report.dimensions["lead_source"].comparison.set_index(["higher", "lower"])
    assert not pairs.loc[("Inbound", "Event"), "significant"]
    assert not pairs.loc[("Partner", "Inbound"), "significant"]


# ---------------------------------------------------------------- CRM exports


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_crm_exports_render(crm):
    ds = data.load(wl.TABLES, data_file=FIXTURES / crm / "data.yaml")
    s = wl.Settings.from_params(min_n=20)
    report = wl.analyze(ds, s)
    deals = report.deals
    raw = pd.read_csv(FIXTURES / crm / "opportunities.csv", dtype=str, keep_default_na=False)
    stage = raw["Stage" if crm == "salesforce" else "Deal Stage"]
    won_stage, lost_stage = (
        ("Closed Won", "Closed Lost") if crm == "salesforce" else ("Won - Signed", "Lost - Dead")
    )
    figures = report.key_figures()
    assert figures["n_won"] == int((stage == won_stage).sum())
    assert figures["n_closed"] == int(stage.isin([won_stage, lost_stage]).sum())
    assert figures["n_open"] == len(raw) - figures["n_closed"]
    no_amount_open = (raw["Amount"] == "") & ~stage.isin([won_stage, lost_stage])
    assert no_amount_open.any() and (raw.iloc[:, 2 if crm == "hubspot" else 1] == "").any()
    assert sorted(report.dimensions["product"].table["value"].str.casefold()) == [
        "analytics",
        "core",
        "platform",
    ]
    assert report.drivers.message is None
    shown = [
        view.summary(report),
        view.overall(report),
        *view.losses(report),
        *view.cycle(report),
        *view.drivers(report),
    ]
    for name in s.dimensions:
        shown += view.dimension(report, name)
    html = " ".join(getattr(x, "data", "") or "" for x in shown)
    assert "<b>Acme</b>" not in html
    if crm == "hubspot":
        assert report.dimensions["competitor"].absent and report.dimensions["region"].absent
        assert any("no currency" in note for note in deals.notes)
    else:
        assert "&lt;b&gt;Acme&lt;/b&gt;" in html
        assert not report.dimensions["region"].absent


# ---------------------------------------------------------------- speed-ups


def test_velocity_bootstrap_matches_a_direct_resampling_bootstrap():
    rng = np.random.default_rng(3)
    n = 400
    won = rng.random(n) < 0.3
    amount = np.where(rng.random(n) < 0.1, np.nan, rng.lognormal(10, 1, n))
    cycle = np.where(rng.random(n) < 0.05, np.nan, rng.integers(10, 120, n).astype(float))
    low, high = _velocity_interval(won, amount, cycle, 50, 0.95, seed=0)
    idx = rng.integers(0, n, size=(20_000, n))
    w, a, c = won[idx], amount[idx], cycle[idx]
    has_a, has_c = w & ~np.isnan(a), w & ~np.isnan(c)
    avg = np.where(has_a, np.nan_to_num(a), 0).sum(1) / has_a.sum(1)
    days = np.where(has_c, np.nan_to_num(c), 0).sum(1) / has_c.sum(1)
    direct = 50 * w.mean(1) * avg / days
    d_low, d_high = np.percentile(direct, [2.5, 97.5])
    width = d_high - d_low
    assert abs(low - d_low) < 0.1 * width and abs(high - d_high) < 0.1 * width


def test_duplicate_driver_columns_are_found_without_transposing():
    from revops_nb.reports.win_loss._drivers import duplicate_columns

    x = pd.DataFrame({"a": [1.0, 0.0, 1.0], "b": [0.0, 1.0, 1.0], "c": [1.0, 0.0, 1.0]})
    assert duplicate_columns(x).tolist() == [False, False, True]
    rows = [
        {**r, "product": "P" if r["region"] == "EMEA" else "Q"}
        for r in _frame({"NA": (20, 20), "EMEA": (15, 25)})
    ]
    deals, s = _deals(rows, drivers=["region", "product"])
    d = wl.win_drivers(deals, s)
    assert any("identical to another term" in note for note in d.skipped) and len(d.table) == 1
