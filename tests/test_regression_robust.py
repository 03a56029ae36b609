"""Logistic fits never crash and never leak warnings: collinear columns are named, hopeless fits explained.

Covers the shared helper (:mod:`revops_nb.regression`) and its three callers:
churn logistic effects, win/loss drivers and the NPS churn-on-score regression,
each on duplicate, constant and linearly dependent columns, perfect separation
and an outcome that never varies; plus the win/loss report when every deal
closes on the day it was created (zero-day cycles).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.discrete.discrete_model import Logit

from revops_nb import data
from revops_nb.regression import collinear_columns, fit_logit
from revops_nb.reports import churn_model
from revops_nb.reports import nps_retention as nps
from revops_nb.reports import win_loss as wl
from revops_nb.reports.churn_model import _drivers as churn_results
from revops_nb.reports.churn_model import view as churn_view
from revops_nb.reports.churn_model._analyze import model_table
from revops_nb.reports.churn_model._models import ChurnModel, fit_models
from revops_nb.reports.nps_retention import view as nps_view
from revops_nb.reports.win_loss import view as wl_view
from tests.helpers import win_loss_deals


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    """Any warning that would leak into a notebook's output fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _xy(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(a - 0.5 * b)))).astype(float)
    return pd.DataFrame({"const": 1.0, "a": a, "b": b}), y


# ---------------------------------------------------------------- the helper


def test_duplicate_column_is_left_out_and_named():
    x, y = _xy()
    fit = fit_logit(y, x.assign(a_again=x["a"]))
    assert fit.ok and fit.columns == ["const", "a", "b"]
    assert fit.dropped == {"a_again": "identical to a"}
    assert "a_again (identical to a)" in fit.note
    reference = sm.Logit(y, x).fit(disp=0)
    assert np.allclose(fit.params, reference.params)


def test_constant_and_all_zero_columns_are_left_out_and_named():
    x, y = _xy()
    fit = fit_logit(y, x.assign(flat=3.0, zero=0.0))
    assert fit.ok and fit.columns == ["const", "a", "b"]
    assert set(fit.dropped) == {"flat", "zero"}
    assert all("same value in every row" in why for why in fit.dropped.values())


def test_exact_linear_combination_is_left_out_with_the_columns_it_combines():
    x, y = _xy()
    fit = fit_logit(y, x.assign(mix=2 * x["a"] - x["b"] + 1))
    assert fit.ok and "mix" not in fit.columns
    assert fit.dropped["mix"] == "an exact linear combination of the intercept, a and b"


def test_nested_indicators_keep_the_earlier_columns():
    country = np.array(["FR", "DE", "US", "CA", "MX"] * 40)
    region = np.where(np.isin(country, ["FR", "DE"]), "EMEA", "AMER")
    x = pd.get_dummies(pd.DataFrame({"region": region, "country": country}), prefix_sep="=", dtype=float)
    x = x.drop(columns=["region=AMER", "country=CA"]).assign(const=1.0)
    dropped = collinear_columns(
        x[["const", "region=EMEA", "country=DE", "country=FR", "country=MX", "country=US"]]
    )
    assert list(dropped) == ["country=FR"]
    assert dropped["country=FR"] == "an exact linear combination of region=EMEA and country=DE"


def test_perfect_separation_is_a_reason_not_an_error():
    x, _ = _xy()
    fit = fit_logit((x["a"] > 0).astype(float), x)
    assert not fit.ok and fit.result is None and fit.kind == "separation"
    assert fit.note.startswith("the effects could not be estimated because") and "separation" in fit.note
    assert fit.params.empty and fit.conf_int().empty


def test_outcome_that_never_varies_is_a_reason_not_an_error():
    x, y = _xy()
    fit = fit_logit(np.zeros(len(y)), x)
    assert not fit.ok and fit.kind == "data"
    assert "the outcome does not vary (it is 0 in all 400 rows)" in fit.note


def test_singular_matrix_from_statsmodels_is_a_reason_not_an_error(monkeypatch):
    def singular(self, *args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(Logit, "fit", singular)
    x, y = _xy()
    fit = fit_logit(y, x)
    assert not fit.ok and "numerically singular" in fit.reason


def test_missing_values_and_too_few_rows_are_reasons():
    x, y = _xy(n=6)
    assert "missing or infinite" in fit_logit(y, x.assign(a=[np.nan, 1, 2, 3, 4, 5])).reason
    tiny = fit_logit([0.0, 1.0, 0.0], x.head(3))
    assert not tiny.ok and "3 rows for 3 coefficients" in tiny.reason
    with pytest.raises(ValueError, match="must match"):
        fit_logit(y[:3], x)


def test_cluster_covariance_matches_statsmodels():
    x, y = _xy()
    groups = np.arange(len(y)) // 4
    fit = fit_logit(y, x.assign(a_again=x["a"]), groups=groups)
    reference = sm.Logit(y, x).fit(disp=0, cov_type="cluster", cov_kwds={"groups": groups})
    assert np.allclose(fit.params, reference.params)
    assert np.allclose(fit.conf_int(0.05), reference.conf_int(0.05))
    assert np.allclose(fit.pvalues, reference.pvalues)


# ---------------------------------------------------------------- churn


def _customers(n: int = 600, seed: int = 1, **extra) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    churned = rng.random(n) < 1 / (1 + np.exp(-(-1.0 + a - b)))
    frame = pd.DataFrame({"account_id": [f"C{i}" for i in range(n)], "a": a, "b": b, "churned": churned})
    return frame.assign(**{k: v(frame) if callable(v) else v for k, v in extra.items()})


def _churn_model(customers: pd.DataFrame) -> ChurnModel:
    settings = churn_model.Settings.from_params(n_bootstrap=100)
    table = model_table({"customers": customers}, settings)
    return fit_models(
        table, settings.horizon_days, settings.test_share, settings.baseline_feature, settings.n_bootstrap, 0
    )


@pytest.mark.parametrize(
    ("extra", "column", "why"),
    [
        ({"a_copy": lambda f: f["a"]}, "a_copy", "identical to a"),
        ({"flat": 5.0}, "flat", "the same value in every row"),
        ({"a_plus_b": lambda f: f["a"] + f["b"]}, "a_plus_b", "an exact linear combination of"),
    ],
)
def test_churn_effects_leave_out_collinear_features_and_say_so(extra, column, why):
    model = _churn_model(_customers(**extra))
    effects = churn_results.logistic_effects(model)
    assert column not in effects["term"].tolist() and {"a", "b"} <= set(effects["term"])
    assert column in effects.attrs["note"] and why in effects.attrs["note"]
    drivers = churn_results.drivers(model, repeats=2)
    assert column in drivers.attrs["logistic_note"]


def test_churn_effects_under_perfect_separation_explain_instead_of_estimating():
    model = _churn_model(_customers(signal=lambda f: np.where(f["churned"], 1.0, -1.0)))
    effects = churn_results.logistic_effects(model)
    assert effects.empty and list(effects.columns) == churn_results.EFFECT_COLUMNS
    assert "could not be estimated because" in effects.attrs["note"] and "separation" in effects.attrs["note"]
    drivers = churn_results.drivers(model, repeats=2)
    assert drivers["p_value"].isna().all() and not drivers["clear"].any()


def test_churn_effects_when_the_fit_rows_never_churn():
    model = _churn_model(_customers())
    frame = model.table.frame.assign(churned=False)
    effects = churn_results.logistic_effects(replace(model, table=replace(model.table, frame=frame)))
    assert effects.empty and "the outcome does not vary" in effects.attrs["note"]


def test_churn_effects_survive_a_singular_matrix_error(monkeypatch):
    """The fresh-clone failure: LinAlgError, then 'All arrays must be of the same length' from the except branch."""
    model = _churn_model(_customers())

    def singular(self, *args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(Logit, "fit", singular)
    effects = churn_results.logistic_effects(model)
    assert effects.empty and "could not be estimated because" in effects.attrs["note"]


@pytest.fixture(scope="module")
def history_without_usage() -> churn_model.ChurnResult:
    ds = data.load(churn_model.TABLES)
    tables = {name: ds.get(name) for name in churn_model.TABLES}
    tables = {**tables, "usage": None, "nps_responses": None, "customers": None}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return churn_model.analyze(tables, churn_model.Settings.from_params(n_bootstrap=100))


def test_churn_history_mode_names_the_countries_nested_in_regions(history_without_usage):
    """Region is a sum of country indicators in the sample: the design is singular, never a crash."""
    note = history_without_usage.drivers.attrs["logistic_note"]
    assert "country=" in note and "an exact linear combination of region=" in note
    shown = [x.data for x in churn_view.drivers(history_without_usage) if hasattr(x, "data")]
    assert any("Logistic regression: left out of the model:" in text and "country=" in text for text in shown)


def test_churn_summary_says_why_no_logistic_effect_was_estimated(history_without_usage):
    note = "the logistic regression effects could not be estimated because of separation"
    drivers = history_without_usage.drivers.assign(p_value=np.nan, clear=False)
    drivers.attrs["logistic_note"] = note
    line = churn_view._driver_line(replace(history_without_usage, drivers=drivers))
    assert line.endswith(f"logistic regression: {note}.")


# ---------------------------------------------------------------- win/loss drivers


_deals = win_loss_deals  # hand-written rows -> (deals, settings)


def _region_deals(seed: int = 0, n: int = 240) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        region = ["NA", "EMEA", "APAC", "LATAM"][i % 4]
        rows.append(
            {
                "opportunity_id": f"O{i}",
                "created_date": "2025-01-01",
                "close_date": "2025-02-01",
                "is_closed": True,
                "is_won": bool(rng.random() < 0.4 + 0.1 * (region == "NA")),
                "region": region,
                "product": "Core" if region in ("NA", "EMEA") else "Lite",
                "decision_makers": int(rng.integers(1, 6)),
            }
        )
    return rows


def test_win_drivers_leave_out_a_driver_that_combines_others_and_say_so():
    deals, s = _deals(_region_deals(), drivers=["region", "product", "decision_makers"])
    d = wl.win_drivers(deals, s)
    assert d.message is None and len(d.table) == 4  # three regions and decision makers
    combined = [note for note in d.skipped if "an exact linear combination of" in note]
    assert len(combined) == 1 and combined[0].startswith("product=")
    report = wl.analyze_deals(deals, s)
    shown = " ".join(x.data for x in wl_view.drivers(report) if hasattr(x, "data"))
    assert "Left out of the model: product=" in shown


def test_win_drivers_duplicate_and_constant_drivers_are_named():
    rows = [{**r, "segment": r["region"], "lead_source": "Web"} for r in _region_deals()]
    deals, s = _deals(rows, drivers=["region", "segment", "lead_source", "decision_makers"])
    d = wl.win_drivers(deals, s)
    assert d.message is None
    assert any(note.startswith("segment=") and "identical" in note for note in d.skipped)
    assert any(note.startswith("lead_source") and "single value" in note for note in d.skipped)


def test_win_drivers_under_perfect_separation_explain_instead_of_estimating():
    rows = [{**r, "decision_makers": 5 if r["is_won"] else 1} for r in _region_deals()]
    deals, s = _deals(rows, drivers=["decision_makers"])
    d = wl.win_drivers(deals, s)
    assert d.table.empty and "could not be fitted" in d.message and "separates" in d.message


def test_win_drivers_when_every_deal_is_lost():
    rows = [{**r, "is_won": False} for r in _region_deals()]
    deals, s = _deals(rows, drivers=["decision_makers"])
    d = wl.win_drivers(deals, s)
    assert d.table.empty and "too few won or lost deals (0 won, 240 lost)" in d.message


def test_win_drivers_survive_a_singular_matrix_error(monkeypatch):
    def singular(self, *args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(Logit, "fit", singular)
    deals, s = _deals(_region_deals(), drivers=["region", "decision_makers"])
    d = wl.win_drivers(deals, s)
    assert d.table.empty and "could not be fitted because" in d.message


# ---------------------------------------------------------------- win/loss with zero-day cycles


def _same_day_deals(n: int = 120, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        day = pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(rng.integers(0, 150)))
        rows.append(
            {
                "opportunity_id": f"O{i}",
                "created_date": day,
                "close_date": day,
                "is_closed": True,
                "is_won": bool(rng.random() < 0.4),
                "segment": ["SMB", "Mid-Market", "Enterprise"][i % 3],
                "region": ["NA", "EMEA"][i % 2],
                "amount": float(rng.integers(1_000, 50_000)),
            }
        )
    return rows


def test_win_loss_with_every_deal_closed_the_day_it_was_created_runs_end_to_end():
    """Zero-day cycles made the time-to-close log-rank raise LinAlgError: Singular matrix."""
    deals, s = _deals(_same_day_deals())
    report = wl.analyze_deals(deals, s)
    ttc = report.time_to_close
    assert "every deal has the same time to close (0 days" in ttc.note
    assert np.isnan(ttc.test.p_value) and ttc.test.note
    assert "not tested: every closed deal has the same cycle length (0 days" in wl_view.summary(report).data
    section = wl_view.time_to_close_section(report)
    assert len(section) == 1 and "Time to close is not charted or tested: every deal" in section[0].data
    caption = wl_view.cycle(report)[1].data
    assert "won and lost are not compared: every closed deal has the same cycle length" in caption


def test_time_to_close_with_open_deals_and_same_day_closes_is_still_tested():
    rows = _same_day_deals()
    for row in rows[::4]:
        row.update(is_closed=False, is_won=False, close_date=None)
    deals, s = _deals(rows)
    ttc = wl.time_to_close(deals, s)
    assert ttc.note == "" and np.isfinite(ttc.test.p_value) and ttc.test.test == "log-rank test"


# ---------------------------------------------------------------- NPS churn on score


def _accounts(n: int = 600, seed: int = 3, **extra) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.integers(0, 11, n).astype(float)
    segment = rng.choice(["SMB", "Mid", "Ent"], n)
    churned = rng.random(n) < 1 / (1 + np.exp(-(0.5 - 0.3 * score)))
    frame = pd.DataFrame(
        {"score": score, "segment": segment, "arr": rng.lognormal(10, 1, n), "churned": churned}
    )
    return frame.assign(**{k: v(frame) if callable(v) else v for k, v in extra.items()})


@pytest.mark.parametrize(
    "arr",
    [
        pytest.param(lambda f: np.expm1(f["score"]), id="log ARR identical to score"),
        pytest.param(
            lambda f: f["segment"].map({"SMB": 1e3, "Mid": 1e4, "Ent": 1e5}), id="ARR set by segment"
        ),
    ],
)
def test_nps_regression_leaves_out_a_collinear_control_and_says_so(arr):
    fit = nps.churn_regression(_accounts(arr=arr), nps.Settings.from_params())
    assert np.isfinite(fit.odds_ratio) and fit.ci_low < np.exp(-0.3) < fit.ci_high
    assert fit.controls == ("segment",)
    assert fit.note.startswith("log ARR left out of the controls")


def test_nps_regression_under_perfect_separation_and_constant_outcome():
    separated = _accounts().assign(churned=lambda f: f["score"] < 5)
    fit = nps.churn_regression(separated, nps.Settings.from_params())
    assert np.isnan(fit.odds_ratio) and "separation" in fit.note
    never = nps.churn_regression(_accounts().assign(churned=False), nps.Settings.from_params())
    assert np.isnan(never.odds_ratio) and "too few churned" in never.note


def test_nps_regression_survives_a_singular_matrix_error(monkeypatch):
    def singular(self, *args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(Logit, "fit", singular)
    fit = nps.churn_regression(_accounts(), nps.Settings.from_params())
    assert np.isnan(fit.odds_ratio) and "numerically singular" in fit.note


def test_nps_report_shows_the_left_out_control_in_words():
    tables = ["nps_responses", "subscriptions", "customers", "accounts", "fx_rates"]
    ds = data.load(tables, data_file=None)
    report = nps.analyze(ds, nps.Settings.from_params())
    fit = nps.churn_regression(_accounts(arr=lambda f: np.expm1(f["score"])), nps.Settings.from_params())
    text = nps_view.association_text(replace(report, regression=fit)).data
    assert "controlling for segment," in text and "Note: log ARR left out of the controls" in text
