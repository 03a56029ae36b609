"""Unit tests of the churn model: feature tables, leakage, splits, metrics, results and errors."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from revops_nb import data
from revops_nb.errors import DataError, ParamsError
from revops_nb.reports import churn_model
from revops_nb.reports.churn_model import _at_risk, _survival, view
from revops_nb.reports.churn_model import _models as churn
from revops_nb.reports.churn_model._analyze import HISTORY_INPUTS
from revops_nb.reports.churn_model._history import history_table, observation_dates
from revops_nb.reports.churn_model._metrics import (
    GroupedScores,
    bootstrap_weights,
    group_draws,
    metric_table,
    weighted_metrics,
)
from revops_nb.reports.churn_model._snapshot import snapshot_table
from revops_nb.reports.churn_model._table import DATE, KEY, LABEL

FIXTURE = Path(__file__).parent / "fixtures" / "churn"
HISTORY_NAMES = HISTORY_INPUTS


@pytest.fixture(scope="module")
def sample_tables() -> dict[str, pd.DataFrame]:
    ds = data.load(churn_model.TABLES)
    return {name: ds.get(name) for name in churn_model.TABLES}


@pytest.fixture(scope="module")
def history_report(sample_tables) -> churn_model.ChurnResult:
    return churn_model.analyze(sample_tables, churn_model.Settings.from_params(n_bootstrap=200))


# ---------------------------------------------------------------- metrics


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_metrics_equal_sklearn_with_unit_weights(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(300) < 0.2).astype(int)
    score = np.round(rng.random(300) * 0.5 + 0.3 * y, 2)  # rounded: many ties
    got = weighted_metrics(y, score, np.ones((1, 300)))
    assert got["roc_auc"][0] == pytest.approx(roc_auc_score(y, score))
    assert got["pr_auc"][0] == pytest.approx(average_precision_score(y, score))
    assert got["brier"][0] == pytest.approx(brier_score_loss(y, score))


def test_weighted_metrics_equal_sklearn_on_a_resample():
    rng = np.random.default_rng(3)
    y = (rng.random(200) < 0.3).astype(int)
    score = rng.random(200) * 0.6 + 0.3 * y
    idx = rng.integers(0, 200, 200)
    w = np.bincount(idx, minlength=200)[None, :]
    got = weighted_metrics(y, score, w)
    assert got["roc_auc"][0] == pytest.approx(roc_auc_score(y[idx], score[idx]))
    assert got["pr_auc"][0] == pytest.approx(average_precision_score(y[idx], score[idx]))


def test_bootstrap_weights_resample_whole_groups():
    groups = np.array(["a", "a", "b", "c", "c", "c"])
    w = bootstrap_weights(groups, 50, np.random.default_rng(0))
    assert w.shape == (50, 6)
    assert (w[:, 0] == w[:, 1]).all() and (w[:, 3] == w[:, 5]).all()
    per_group = w[:, [0, 2, 3]]
    assert (per_group.sum(axis=1) == 3).all()  # three groups drawn each time


@pytest.mark.parametrize(
    ("case", "churn_share", "decimals"),
    [("ties", 0.2, 2), ("distinct", 0.3, 12), ("few churners", 0.02, 3), ("coarse", 0.4, 1)],
)
def test_grouped_scores_equal_row_weights_on_the_same_resamples(case, churn_share, decimals):
    """Tallied per account and churner level, every resample gives the row-by-row metrics."""
    rng = np.random.default_rng(len(case))
    n = 600
    y = (rng.random(n) < churn_share).astype(int)
    score = np.round(rng.random(n) * 0.6 + 0.3 * y, decimals)
    groups = rng.integers(0, 150, n).astype(str)  # accounts with several rows each
    codes, counts = group_draws(groups, 40, np.random.default_rng(9))
    got = GroupedScores(y, score, codes, counts.shape[1]).metrics(counts)
    want = weighted_metrics(y, score, counts[:, codes])
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=0, equal_nan=True, err_msg=key)


@pytest.mark.parametrize("y_value", [0, 1])
def test_grouped_scores_without_churners_or_without_stayers_give_nan_like_row_weights(y_value):
    y = np.full(50, y_value)
    score = np.linspace(0, 1, 50)
    codes, counts = group_draws(np.arange(50) % 7, 5, np.random.default_rng(0))
    got = GroupedScores(y, score, codes, counts.shape[1]).metrics(counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        want = weighted_metrics(y, score, counts[:, codes])
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, equal_nan=True, err_msg=key)
    assert np.isnan(got["roc_auc"]).all()


def test_metric_table_intervals_and_gain_over_baseline():
    rng = np.random.default_rng(5)
    y = (rng.random(400) < 0.25).astype(int)
    scores = {"random": rng.random(400), "good": y * 0.5 + rng.random(400) * 0.6}
    table = metric_table(y, scores, np.arange(400), baseline="random", n_boot=200).set_index("model")
    for model in scores:
        row = table.loc[model]
        assert row["roc_auc_ci_low"] <= row["roc_auc"] <= row["roc_auc_ci_high"]
    assert table.loc["good", "auc_gain_ci_low"] > 0
    assert np.isnan(table.loc["random", "auc_gain"])


# ---------------------------------------------------------------- parameters and modes


def test_choose_mode():
    assert churn.choose_mode("auto", {"subscriptions", "customers"}) == "history"
    assert churn.choose_mode("auto", {"customers"}) == "snapshot"
    assert churn.choose_mode("snapshot", {"subscriptions", "customers"}) == "snapshot"
    with pytest.raises(ParamsError, match=r"parameter 'mode'.*'weekly'"):
        churn.choose_mode("weekly", {"customers"})
    with pytest.raises(DataError, match="needs a subscriptions table"):
        churn.choose_mode("history", {"customers"})
    with pytest.raises(DataError, match=r"subscriptions table.*customers table"):
        churn.choose_mode("auto", set())


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"test_share": 0.9}, "test_share"),
        ({"n_bootstrap": 10}, "n_bootstrap"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"step_days": -5}, "step_days"),
        ({"as_of": "not a date"}, "as_of"),
        ({"mode": "both"}, "mode"),
        ({"top_n": 0}, "top_n"),
        ({"min_n": 0}, "min_n"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs, name):
    with pytest.raises(ParamsError, match=f"parameter '{name}'"):
        churn_model.Settings.from_params(**kwargs)


# ---------------------------------------------------------------- history features


def _tiny_history() -> dict[str, pd.DataFrame]:
    subs = pd.DataFrame(
        {
            KEY: ["A", "B", "C"],
            "start_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-06-15"]),
            "end_date": pd.to_datetime(["2024-07-20", None, None]),
            "arr": [1000.0, 2000.0, 500.0],
            "currency": ["EUR", "USD", "USD"],
        }
    )
    usage = pd.DataFrame(
        {
            KEY: ["A"] * 6,
            "period_start": pd.to_datetime([f"2024-0{m}-01" for m in range(1, 7)]),
            "active_users": [10.0, 10.0, 10.0, 5.0, 5.0, 999.0],
        }
    )
    nps = pd.DataFrame(
        {KEY: ["A", "A"], "response_date": pd.to_datetime(["2024-03-01", "2024-06-01"]), "score": [9.0, 2.0]}
    )
    fx = pd.DataFrame({"currency": ["EUR", "USD"], "rate_to_reporting": [2.0, 1.0]})
    return {"subscriptions": subs, "usage": usage, "nps_responses": nps, "accounts": None, "fx_rates": fx}


def test_history_rows_labels_and_features_on_a_tiny_history():
    table = history_table(_tiny_history(), horizon_days=60, step_days=30, as_of=pd.Timestamp("2024-07-31"))
    rows = table.frame.set_index([KEY, DATE])
    t = pd.Timestamp("2024-06-02")
    a = rows.loc[("A", t)]
    assert bool(a[LABEL]) is True  # ends 2024-07-20, within 60 days
    assert bool(rows.loc[("B", t), LABEL]) is False
    assert ("C", t) not in rows.index  # starts after t
    assert a["arr"] == 2000.0  # EUR converted at 2.0
    assert a["tenure_days"] == (t - pd.Timestamp("2024-01-01")).days
    # complete months before 2024-06-02 are Jan-May: last 3 = Mar-May, previous 3 = Jan-Mar (Jan, Feb only)
    assert a["active_users_3m"] == pytest.approx((10 + 5 + 5) / 3)
    assert a["active_users_trend"] == pytest.approx((20 / 3) / 10 - 1)
    assert a["last_nps"] == 2.0 and a["days_since_nps"] == 1.0
    assert set(table.current[KEY]) == {"B", "C"}


def test_nps_on_the_observation_date_is_not_used():
    tables = _tiny_history()
    table = history_table(tables, horizon_days=60, step_days=30, as_of=pd.Timestamp("2024-07-31"))
    dates = sorted(table.frame[DATE].unique())
    tables["nps_responses"] = pd.DataFrame({KEY: ["A"], "response_date": [dates[-1]], "score": [0.0]})
    again = history_table(tables, horizon_days=60, step_days=30, as_of=pd.Timestamp("2024-07-31"))
    assert again.frame["last_nps"].isna().all()


def test_observation_dates_step_back_from_the_horizon():
    dates = observation_dates(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-01-01"), 90, 30)
    assert dates[-1] == pd.Timestamp("2025-01-01")
    assert dates[-2] == pd.Timestamp("2025-01-01") - pd.Timedelta(days=90)
    assert (np.diff(dates[:-1]) == pd.Timedelta(days=30)).all()
    assert dates[0] >= pd.Timestamp("2024-01-01") + pd.Timedelta(days=90)
    with pytest.raises(DataError, match="too short"):
        observation_dates(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-05-01"), 90, 30)


def _perturb_after(tables: dict[str, pd.DataFrame], t: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Change every value dated on or after ``t`` (and usage months not complete by t)."""
    rng = np.random.default_rng(0)
    out = {k: (v.copy() if v is not None else None) for k, v in tables.items()}
    subs = out["subscriptions"]
    subs.attrs = {}  # the sample keeps a NumPy array in attrs, which pd.concat cannot compare
    later = subs["end_date"] >= t
    shift = pd.to_timedelta(rng.integers(0, 400, int(later.sum())), unit="D")
    new_end = pd.Series(t + shift, index=subs.index[later]).where(rng.random(int(later.sum())) < 0.5)
    subs.loc[later, "end_date"] = new_end
    subs.loc[subs["start_date"] >= t, "arr"] *= 3
    new_subs = subs.head(50).assign(start_date=t, end_date=pd.NaT, arr=1e7)
    subs = pd.concat([subs, new_subs], ignore_index=True)
    out["subscriptions"] = subs
    usage = out["usage"]
    not_complete = usage["period_start"] + pd.DateOffset(months=1) > t
    usage.loc[not_complete, "active_users"] = 0.0
    usage.loc[not_complete, "logins"] = 1e6
    out["usage"] = usage
    nps = out["nps_responses"]
    nps.loc[nps["response_date"] >= t, "score"] = 0.0
    extra = nps.head(30).assign(response_date=t, score=10.0)
    out["nps_responses"] = pd.concat([nps, extra], ignore_index=True)
    return out


def test_no_leakage_changing_data_after_a_date_keeps_its_features(sample_tables):
    inputs = {name: sample_tables[name] for name in HISTORY_NAMES}
    base = history_table(inputs, 90, 30)
    t = pd.Timestamp(sorted(base.frame[DATE].unique())[20])
    changed = history_table(_perturb_after(inputs, t), 90, 30, as_of=base.as_of)
    cols = [KEY, DATE, *base.features]
    before = base.frame.loc[base.frame[DATE] <= t, cols].reset_index(drop=True)
    after = changed.frame.loc[changed.frame[DATE] <= t, cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)
    # the labels of those dates do depend on what happened after them
    assert (
        not base.frame.loc[base.frame[DATE] <= t, LABEL]
        .reset_index(drop=True)
        .equals(changed.frame.loc[changed.frame[DATE] <= t, LABEL].reset_index(drop=True))
    )


def test_time_split_leaves_a_horizon_between_windows(history_report):
    frame, split, h = history_report.table.frame, history_report.model.split, pd.Timedelta(days=90)
    fit, val, test = (frame[DATE].iloc[idx] for idx in (split.fit, split.validation, split.test))
    assert fit.max() + h < val.min()
    assert val.max() + h < test.min()
    assert test.max() == frame[DATE].max()


# ---------------------------------------------------------------- history model on the sample


def test_history_mode_beats_the_naive_baseline(history_report):
    metrics = history_report.model.metrics.set_index("model")
    chosen = metrics.loc[history_report.model.chosen]
    assert history_report.model.baseline_feature == "tenure_days"
    assert chosen["auc_gain_ci_low"] > 0
    assert chosen["roc_auc_ci_low"] > 0.7


def test_history_mode_recovers_the_planted_usage_decline(history_report):
    d = history_report.drivers.set_index("feature")
    assert d["auc_drop"].idxmax() == "active_users_trend"
    trend = d.loc["active_users_trend"]
    assert trend["clear"]
    assert trend["prob_change_ci_high"] < 0  # usage rising lowers churn; falling raises it


def test_key_figures_equal_the_tables(history_report):
    figures, tables = history_report.key_figures(), history_report.tables()
    required = {"mode", "churn_rate", "n_train", "n_test", "roc_auc", "roc_auc_ci_low", "roc_auc_ci_high",
                "pr_auc", "brier", "top_decile_lift", "arr_at_risk", "model"}  # fmt: skip
    assert required <= set(figures)
    assert figures["mode"] == "history"
    chosen = tables["model_metrics"].set_index("model").loc[figures["model"]]
    for key in ("roc_auc", "roc_auc_ci_low", "roc_auc_ci_high", "pr_auc", "brier"):
        assert figures[key] == chosen[key]
    assert figures["n_test"] == chosen["n"]
    assert figures["top_decile_lift"] == tables["lift_by_decile"]["lift"].iloc[0]
    assert figures["arr_at_risk"] == pytest.approx(tables["churn_scores"]["arr_at_risk"].sum())
    assert figures["churn_rate"] == tables["churn_rates"]["churn_rate"].iloc[-1]
    assert list(tables["churn_scores"].columns) == [
        KEY,
        "churn_probability",
        "arr",
        "arr_at_risk",
        "top_drivers",
    ]


def test_scores_are_ranked_by_arr_at_risk(history_report):
    s = history_report.scores
    assert s["arr_at_risk"].is_monotonic_decreasing
    assert np.allclose(s["arr_at_risk"], s["churn_probability"] * s["arr"])
    assert s["churn_probability"].between(0, 1).all()
    assert len(s) == len(history_report.table.current)


def test_lift_and_calibration_tables(history_report):
    lift, cal = history_report.lift, history_report.calibration
    n_test = len(history_report.model.split.test)
    assert lift["decile"].tolist() == list(range(1, 11)) and lift["n"].sum() == n_test
    assert lift["cum_share_churners"].iloc[-1] == pytest.approx(1.0)
    assert lift["mean_probability"].is_monotonic_decreasing
    assert (lift["ci_low"] <= lift["churn_rate"]).all() and (lift["churn_rate"] <= lift["ci_high"]).all()
    assert cal["n"].sum() == n_test and cal["mean_probability"].is_monotonic_increasing


def test_survival_curve_from_subscriptions(history_report):
    curve = history_report.survival
    assert curve["survival"].is_monotonic_decreasing and curve["survival"].iloc[0] == 1.0
    points = _survival.survival_points(curve)
    assert (points["ci_low"] <= points["retained"]).all() and (points["retained"] <= points["ci_high"]).all()


# ---------------------------------------------------------------- snapshot mode


def test_snapshot_table_coerces_and_counts_text_in_numbers():
    customers = pd.DataFrame(
        {
            KEY: ["a", "b", "c", "d", "e"],
            LABEL: [True, False, False, None, True],
            "seats": ["10", "unknown", "", "7", "1,200"],
            "plan": ["Pro", None, "Basic", "Pro", "Pro"],
        }
    )
    table = snapshot_table(customers)
    assert table.numeric == ["seats"] and table.categorical == ["plan"]
    assert table.coerced == {"seats": 1, LABEL: 1}
    assert table.frame["seats"].tolist()[:1] == [10.0] and np.isnan(table.frame["seats"].iloc[1])
    assert table.frame["seats"].iloc[-1] == 1200.0
    assert set(table.current[KEY]) == {"b", "c"}


def test_snapshot_mode_runs_on_the_fixture_with_blanks_and_text():
    ds = data.load(churn_model.TABLES, data_file=FIXTURE / "data.yaml")
    tables = {name: ds.get(name) for name in churn_model.TABLES}
    report = churn_model.analyze(tables, churn_model.Settings.from_params(n_bootstrap=100))
    assert report.mode == "snapshot"
    assert any("seats" in w for w in ds.loads["customers"].warnings)
    assert report.model.baseline_feature == "tenure_months"
    assert len(report.scores) == int((~ds["customers"]["churned"].astype(bool)).sum())
    assert "plan" in report.table.categorical and "seats" in report.table.numeric
    assert report.survival is not None
    assert report.key_figures()["roc_auc_ci_low"] > 0.5  # usage_change_3m drives churn in the fixture


def test_snapshot_errors_name_the_column():
    customers = pd.read_csv(FIXTURE / "customers.csv")
    with pytest.raises(ParamsError, match="'nope'"):
        snapshot_table(customers, ["tenure_months", "nope"])
    flat = customers.assign(churned=False)
    with pytest.raises(DataError, match="at least 15"):
        churn_model.analyze({"customers": flat}, churn_model.Settings.from_params())


def test_calibrator_applies_only_when_it_helps():
    rng = np.random.default_rng(0)
    true_p = rng.uniform(0.02, 0.4, 4000)
    y = (rng.random(4000) < true_p).astype(int)
    squashed = churn.fit_calibrator(true_p**2, y)
    assert squashed.applied and squashed.brier_calibrated < squashed.brier_raw
    assert np.mean(squashed(true_p**2)) == pytest.approx(y.mean(), abs=0.01)


def test_arr_at_risk_extremes():
    scores = pd.DataFrame({"churn_probability": [0.0, 1.0, 0.0], "arr": [100.0, 250.0, np.nan]})
    risk = _at_risk.arr_at_risk(scores)
    assert risk.expected == 250.0 and risk.low == 250.0 and risk.high == 250.0 and risk.customers == 3


# ---------------------------------------------------------------- review fixes


def test_naive_baseline_is_a_fair_comparison_on_the_sample(history_report):
    """The straight-line tenure fit had test ROC AUC 0.43 (below chance): its slope sign was noise."""
    naive = history_report.model.metrics.set_index("model").loc[churn.NAIVE]
    assert naive["roc_auc"] > 0.5


def test_naive_baseline_follows_a_churn_rate_that_is_not_monotone_in_tenure():
    rng = np.random.default_rng(0)
    tenure = rng.uniform(0, 1000, 6000)
    p = np.where((tenure < 150) | (tenure > 850), 0.3, 0.05)  # churn high early and late
    y = (rng.random(6000) < p).astype(int)
    frame = pd.DataFrame({"tenure_days": tenure})
    pipe = churn.naive_pipeline("tenure_days").fit(frame.iloc[:4000], y[:4000])
    assert roc_auc_score(y[4000:], pipe.predict_proba(frame.iloc[4000:])[:, 1]) > 0.65


def test_summary_says_when_the_naive_baseline_is_no_better_than_chance(history_report):
    naive = history_report.model.metrics.set_index("model").loc[churn.NAIVE]
    line = view._baseline_line(history_report)
    assert "tenure_days band" in html.unescape(line)  # data text is written with character references
    if naive["roc_auc_ci_low"] <= 0.5:
        assert "not clearly better than chance" in line and "beats chance" in line


def test_a_currency_without_a_rate_stops_instead_of_dropping_arr():
    tables = _tiny_history()
    tables["subscriptions"].loc[0, "currency"] = "XYZ"
    with pytest.raises(DataError, match="'XYZ'"):
        history_table(tables, horizon_days=60, step_days=30, as_of=pd.Timestamp("2024-07-31"))
    tables = _tiny_history()
    tables["fx_rates"] = None  # EUR amounts and no fx table: not summed with USD
    with pytest.raises(DataError, match="no fx_rates"):
        history_table(tables, horizon_days=60, step_days=30, as_of=pd.Timestamp("2024-07-31"))


def test_arr_is_converted_into_the_reporting_currency():
    table = history_table(
        _tiny_history(), horizon_days=60, step_days=30, as_of=pd.Timestamp("2024-07-31"), currency="EUR"
    )
    b = table.current.set_index(KEY).loc["B"]
    assert b["arr"] == pytest.approx(2000.0 / 2.0)  # USD into EUR via the USD-quoted table
    assert churn_model.Settings.from_params(reporting_currency="eur").reporting_currency == "EUR"
    with pytest.raises(ParamsError, match="parameter 'reporting_currency'"):
        churn_model.Settings.from_params(reporting_currency="dollars")


def test_snapshot_arr_with_a_currency_column_is_converted():
    customers = pd.DataFrame(
        {
            KEY: ["a", "b"],
            LABEL: [True, False],
            "arr": [100.0, 100.0],
            "currency": ["EUR", "USD"],
            "x": [1, 2],
        }
    )
    fx = pd.DataFrame({"currency": ["EUR", "USD"], "rate_to_reporting": [1.1, 1.0]})
    table = snapshot_table(customers, ["x"], fx, "USD")
    assert table.frame["arr"].tolist() == pytest.approx([110.0, 100.0])


def test_customers_with_only_the_key_and_flag_is_a_data_error_not_a_parameter_error():
    customers = pd.read_csv(FIXTURE / "customers.csv")[[KEY, LABEL]]
    with pytest.raises(DataError, match="no column to model churn with"):
        churn_model.analyze({"customers": customers}, churn_model.Settings.from_params())


def test_no_churners_in_the_test_window_is_a_clear_error(sample_tables):
    tables = dict(sample_tables)
    subs = tables["subscriptions"].copy()
    subs.loc[subs["end_date"] > pd.Timestamp("2026-03-01"), "end_date"] = pd.NaT
    tables["subscriptions"] = subs
    with pytest.raises(DataError, match="the test rows have 0 churned"):
        churn_model.analyze(tables, churn_model.Settings.from_params(n_bootstrap=100))


def test_history_mode_runs_without_usage_and_nps(sample_tables):
    tables = {**sample_tables, "usage": None, "nps_responses": None, "customers": None}
    report = churn_model.analyze(tables, churn_model.Settings.from_params(n_bootstrap=100))
    assert not any(f.startswith(("active_users", "last_nps")) for f in report.table.features)
    assert np.isfinite(report.key_figures()["roc_auc"])


def test_snapshot_risk_sentence_claims_no_horizon():
    ds = data.load(churn_model.TABLES, data_file=FIXTURE / "data.yaml")
    tables = {name: ds.get(name) for name in churn_model.TABLES}
    report = churn_model.analyze(tables, churn_model.Settings.from_params(n_bootstrap=100))
    line = view._risk_line(report)
    assert "within 90 days" not in line and "no dates" in line


def test_fast_permutation_importance_equals_scikit_learns(history_report):
    """The tree-by-tree permutation importance (private scikit-learn internals) must stay bit-identical
    to sklearn.inspection.permutation_importance: a scikit-learn upgrade that breaks it fails here."""
    from sklearn.inspection import permutation_importance

    from revops_nb.reports.churn_model._drivers import _boosting_importances
    from revops_nb.reports.churn_model._models import BOOSTING

    model = history_report.model
    pipe = model.models[BOOSTING]
    test = model.test_frame.iloc[:3000]
    y = model.y_test[:3000]
    features = model.table.features
    fast = _boosting_importances(pipe, test[features], y, repeats=3, seed=0)
    assert fast is not None
    slow = permutation_importance(pipe, test[features], y, scoring="roc_auc", n_repeats=3, random_state=0)
    np.testing.assert_array_equal(fast, slow.importances)


def test_fast_account_drivers_equal_scoring_the_changed_rows(history_report, monkeypatch):
    """Per-account driver gains from transformed rows and re-run trees equal scoring each changed copy."""
    from dataclasses import replace

    from revops_nb.reports.churn_model import _at_risk
    from revops_nb.reports.churn_model._models import BOOSTING

    model = replace(history_report.model, chosen=BOOSTING)
    current = model.table.current.iloc[:2000]
    p = model.predict(current)
    assert _at_risk.TreeScores.of(model.models[BOOSTING], model.table.features) is not None
    fast = _at_risk.driver_gains(model, current, p)
    monkeypatch.setattr(_at_risk.TreeScores, "of", classmethod(lambda cls, pipe, features: None))
    slow = _at_risk.driver_gains(model, current, p)
    np.testing.assert_array_equal(fast, slow)
    assert (np.abs(slow) > 0).any(axis=0).sum() >= len(model.table.features) // 2  # not vacuous
