"""What the churn report shows: churn rates, lift, calibration, drivers, survival and the scored customers.

Every function takes a fitted :class:`~revops_nb.analysis.churn.ChurnModel` (or
its table) and returns a DataFrame or a small dataclass; rates carry their n and
a Wilson interval, and groups under ``min_n`` rows are flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import expit
from sklearn.inspection import permutation_importance

from revops_nb import stats
from revops_nb.analysis.churn import LOGISTIC, ChurnModel, limited_threads
from revops_nb.analysis.churn_features import DATE, KEY, LABEL, ModelTable
from revops_nb.regression import fit_logit

PERMUTATION_ROWS = 20_000
LOGIT_ROWS = 100_000
DRIVER_MIN_CHANGE = 0.005
EFFECT_NUMBERS = ["coef_per_sd", "prob_change", "prob_change_ci_low", "prob_change_ci_high", "p_value"]
EFFECT_COLUMNS = ["term", "feature", *EFFECT_NUMBERS]


def _rates(frame: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    grouped = frame.groupby(by, sort=True) if by else frame.assign(_all="all").groupby("_all")
    out = grouped[LABEL].agg(n="size", churners="sum").reset_index()
    out["churners"] = out["churners"].astype(int)
    out["churn_rate"] = out["churners"] / out["n"]
    out["ci_low"], out["ci_high"] = stats.wilson_interval(out["churners"], out["n"])
    return out


def churn_rates(table: ModelTable) -> pd.DataFrame:
    """Churn rate with n and Wilson CI: per observation date (history) or overall (snapshot)."""
    if table.mode == "history":
        return _rates(table.frame, DATE)
    return _rates(table.frame).drop(columns="_all")


def headline_rate(table: ModelTable) -> pd.Series:
    """The rate the summary quotes: the latest labeled observation date, or the whole snapshot."""
    return churn_rates(table).iloc[-1]


# ---------------------------------------------------------------- lift and calibration


def _banded(y: np.ndarray, p: np.ndarray, bands: np.ndarray, min_n: int) -> pd.DataFrame:
    frame = pd.DataFrame({"band": bands, LABEL: y, "p": p})
    out = frame.groupby("band").agg(
        n=(LABEL, "size"), churners=(LABEL, "sum"), mean_probability=("p", "mean")
    )
    out = out.reset_index()
    out["churners"] = out["churners"].astype(int)
    out["churn_rate"] = out["churners"] / out["n"]
    out["ci_low"], out["ci_high"] = stats.wilson_interval(out["churners"], out["n"])
    out["flagged"] = out["n"] < min_n
    return out


def lift_table(model: ChurnModel, min_n: int = 30) -> pd.DataFrame:
    """Decile lift and cumulative gains of the chosen model on the test rows (decile 1 = riskiest).

    ``lift`` is the decile's churn rate over the test churn rate; its interval is the
    decile's Wilson interval over that same overall rate.
    """
    y, p = model.y_test, model.test_scores[model.chosen]
    rank = pd.Series(-p).rank(method="first").to_numpy()
    decile = np.ceil(rank * 10 / len(p)).astype(int)
    out = _banded(y, p, decile, min_n).rename(columns={"band": "decile"})
    overall = y.mean()
    out["lift"] = out["churn_rate"] / overall
    out["lift_ci_low"] = out["ci_low"] / overall
    out["lift_ci_high"] = out["ci_high"] / overall
    out["cum_share_customers"] = out["n"].cumsum() / out["n"].sum()
    out["cum_share_churners"] = out["churners"].cumsum() / max(out["churners"].sum(), 1)
    out["cum_lift"] = out["cum_share_churners"] / out["cum_share_customers"]
    return out


def calibration_table(model: ChurnModel, bins: int = 10, min_n: int = 30) -> pd.DataFrame:
    """Mean predicted probability vs observed churn rate (Wilson CI) in equal-size bins of the test rows."""
    y, p = model.y_test, model.test_scores[model.chosen]
    rank = pd.Series(p).rank(method="first").to_numpy()
    band = np.ceil(rank * bins / len(p)).astype(int)
    out = _banded(y, p, band, min_n).rename(columns={"band": "bin"})
    out["within_ci"] = (out["mean_probability"] >= out["ci_low"]) & (
        out["mean_probability"] <= out["ci_high"]
    )
    return out


# ---------------------------------------------------------------- drivers


def permutation_drivers(model: ChurnModel, repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """Drop in test ROC AUC when each feature is shuffled (chosen model), mean and range over repeats."""
    test = model.test_frame
    y = model.y_test
    if len(test) > PERMUTATION_ROWS:
        keep = np.random.default_rng(seed).choice(len(test), PERMUTATION_ROWS, replace=False)
        test, y = test.iloc[keep], y[keep]
    features = model.table.features
    result = permutation_importance(
        model.models[model.chosen],
        test[features],
        y,
        scoring="roc_auc",
        n_repeats=repeats,
        random_state=seed,
    )
    return pd.DataFrame(
        {
            "feature": features,
            "auc_drop": result.importances_mean,
            "auc_drop_min": result.importances.min(axis=1),
            "auc_drop_max": result.importances.max(axis=1),
        }
    )


def _design(model: ChurnModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Standardized numerics (+ missing flags) and drop-first dummies, as the logistic model sees them.

    Constant, duplicate and collinear columns stay in: :func:`~revops_nb.regression.fit_logit`
    leaves them out by name, so the report can say which and why.
    """
    pre = model.models[LOGISTIC].named_steps["pre"].named_transformers_["num"]
    numeric = model.table.numeric
    values = pre.transform(frame[numeric])
    names = list(pre.get_feature_names_out(numeric))
    parts = [pd.DataFrame(values, columns=names, index=frame.index)]
    if model.table.categorical:
        cats = (
            frame[model.table.categorical]
            .astype(object)
            .where(frame[model.table.categorical].notna(), "(missing)")
        )
        parts.append(pd.get_dummies(cats, prefix_sep="=", drop_first=True, dtype=float))
    return pd.concat(parts, axis=1)


def logistic_effects(model: ChurnModel, confidence: float = 0.95) -> pd.DataFrame:
    """Logistic regression (statsmodels, on the fit rows) as change in churn probability per SD.

    Numeric features are standardized, so a coefficient is the log-odds change per
    standard deviation (fitted on at most ~100,000 rows of whole accounts, for speed);
    ``prob_change`` is the average change in churn probability
    when the feature rises by one SD (one-hot terms: membership of that category),
    with the interval from the coefficient's cluster-robust (by account) interval.
    ``attrs["note"]`` says which terms were left out as collinear and why, or why
    nothing could be estimated (then the table has no rows); it is empty otherwise.
    """
    fit_rows = _whole_accounts(model.table.frame.iloc[model.split.fit], LOGIT_ROWS)
    y = fit_rows[LABEL].astype(int).to_numpy()
    X = sm.add_constant(_design(model, fit_rows), has_constant="add")
    fit = fit_logit(y, X, groups=fit_rows[KEY].to_numpy())
    if not fit.ok:
        note = f"the logistic regression's effects could not be estimated because {fit.reason}"
        empty = pd.DataFrame(columns=EFFECT_COLUMNS).astype(dict.fromkeys(EFFECT_NUMBERS, float))
        return _with_note(empty, note)
    ci = fit.conf_int(1 - confidence)
    eta = X[fit.columns].to_numpy() @ fit.params.to_numpy()
    rows = []
    for term in fit.params.index.drop("const"):
        beta, low, high = fit.params[term], ci.loc[term, 0], ci.loc[term, 1]
        rows.append(
            {
                "term": term,
                "feature": _term_feature(term, model.table),
                "coef_per_sd": beta,
                "prob_change": _mean_shift(eta, beta),
                "prob_change_ci_low": _mean_shift(eta, low),
                "prob_change_ci_high": _mean_shift(eta, high),
                "p_value": fit.pvalues[term],
            }
        )
    note = f"logistic regression: {fit.note}" if fit.dropped else ""
    return _with_note(pd.DataFrame(rows, columns=EFFECT_COLUMNS), note)


def _with_note(frame: pd.DataFrame, note: str) -> pd.DataFrame:
    frame.attrs["note"] = note
    return frame


def _whole_accounts(rows: pd.DataFrame, limit: int, seed: int = 0) -> pd.DataFrame:
    """At most about ``limit`` rows, keeping or dropping each account's rows together (large data only)."""
    if len(rows) <= limit:
        return rows
    accounts = rows[KEY].unique()
    keep_share = limit / len(rows)
    keep = np.random.default_rng(seed).random(len(accounts)) < keep_share
    return rows[rows[KEY].isin(accounts[keep])]


def _mean_shift(eta: np.ndarray, beta: float) -> float:
    return float(np.mean(expit(eta + beta) - expit(eta)))


def _term_feature(term: str, table: ModelTable) -> str:
    if term.startswith("missingindicator_"):
        return term.removeprefix("missingindicator_")
    return term.split("=", 1)[0] if "=" in term and term.split("=", 1)[0] in table.categorical else term


@limited_threads
def drivers(model: ChurnModel, repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """One row per feature: permutation importance plus its strongest logistic term, most important first.

    ``attrs["logistic_note"]`` carries the logistic fit's note (terms left out, or
    why no effect could be estimated) for the report; see :func:`logistic_effects`.
    """
    perm = permutation_drivers(model, repeats, seed)
    effects = logistic_effects(model)
    note = effects.attrs.get("note", "")
    effects = effects.assign(_abs=effects["coef_per_sd"].abs())
    strongest = effects.sort_values("_abs", ascending=False).drop_duplicates("feature").drop(columns="_abs")
    perm = perm.merge(strongest, on="feature", how="left")
    out = perm.sort_values("auc_drop", ascending=False, kind="stable").reset_index(drop=True)
    out["clear"] = (out["auc_drop_min"] > 0) & (out["p_value"] < 0.05)
    out.attrs["logistic_note"] = note
    return out


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True)
class ArrAtRisk:
    """Expected ARR lost within the horizon and a 90% range of what may actually be lost."""

    expected: float
    low: float
    high: float
    customers: int


@limited_threads
def score_current(model: ChurnModel, top_drivers: int = 3) -> pd.DataFrame:
    """Current customers with churn probability, ARR, ARR at risk and top drivers, riskiest ARR first.

    History mode scores every customer active on the as-of date; snapshot mode
    scores the customers not yet churned, using out-of-fold predictions so no
    customer is scored by a model that saw it.
    """
    current = model.table.current
    p = _out_of_fold(model) if model.table.mode == "snapshot" else model.predict(current)
    arr = current["arr"].astype(float).to_numpy()
    out = pd.DataFrame(
        {
            KEY: current[KEY].to_numpy(),
            "churn_probability": p,
            "arr": arr,
            "arr_at_risk": p * np.nan_to_num(arr),
            "top_drivers": _account_drivers(model, current, p, top_drivers),
        }
    )
    return out.sort_values(["arr_at_risk", KEY], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def _out_of_fold(model: ChurnModel) -> np.ndarray:
    """Snapshot mode: each retained customer scored by a copy of the chosen model fitted without it."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    frame, y = model.table.frame, model.table.y
    features = model.table.features
    p = np.empty(len(frame))
    for fit_idx, score_idx in StratifiedKFold(5, shuffle=True, random_state=0).split(frame, y):
        pipe = clone(model.models[model.chosen]).fit(frame.iloc[fit_idx][features], y[fit_idx])
        p[score_idx] = pipe.predict_proba(frame.iloc[score_idx][features])[:, 1]
    p = model.calibrator(p)
    return p[~frame[LABEL].to_numpy()]


def _account_drivers(model: ChurnModel, current: pd.DataFrame, p: np.ndarray, top: int) -> list[str]:
    """Per account: features whose typical value would lower its probability most ('feature (+x pts)')."""
    features = model.table.features
    gains = np.zeros((len(current), len(features)))
    for j, col in enumerate(features):
        reference = current[col].median() if col in model.table.numeric else current[col].mode(dropna=True)
        if not np.isscalar(reference):
            reference = reference.iloc[0] if len(reference) else np.nan
        swapped = current.copy()
        swapped[col] = reference
        gains[:, j] = p - model.predict(swapped)
    labels = []
    for row in gains:
        order = np.argsort(-row)[:top]
        parts = [f"{features[j]} (+{100 * row[j]:.1f} pts)" for j in order if row[j] >= DRIVER_MIN_CHANGE]
        labels.append("; ".join(parts))
    return labels


def arr_at_risk(scores: pd.DataFrame, draws: int = 4000, seed: int = 0) -> ArrAtRisk:
    """Expected ARR lost (sum of probability x ARR) and the 5th-95th percentile of simulated losses."""
    p = scores["churn_probability"].to_numpy()
    arr = np.nan_to_num(scores["arr"].to_numpy(dtype=float))
    rng = np.random.default_rng(seed)
    lost = np.zeros(draws)
    for start in range(0, draws, 500):
        n = min(500, draws - start)
        lost[start : start + n] = (rng.random((n, len(p))) < p) @ arr
    low, high = np.quantile(lost, [0.05, 0.95])
    return ArrAtRisk(float(np.sum(p * arr)), float(low), float(high), len(p))


# ---------------------------------------------------------------- survival


def tenure_survival(table: ModelTable, subscriptions: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Kaplan–Meier curve of customer tenure in months (churn = event, still active = censored).

    History mode: from each account's first start to its last end (or the as-of date).
    Snapshot mode: from a tenure column (months or days); None when there is none.
    """
    if table.mode == "history" and subscriptions is not None:
        subs = subscriptions[subscriptions["start_date"] <= table.as_of]
        per = subs.groupby(KEY).agg(start=("start_date", "min"), end=("end_date", "max"))
        open_ = subs["end_date"].isna() | (subs["end_date"] > table.as_of)
        active = open_.groupby(subs[KEY]).any()
        end = per["end"].where(~active, table.as_of).fillna(table.as_of)
        months = (end - per["start"]).dt.days / 30.44
        return stats.kaplan_meier(months, (~active).astype(int))
    frame = table.frame
    for col, per_month in (("tenure_months", 1.0), ("tenure_days", 30.44)):
        if col in frame:
            return stats.kaplan_meier(frame[col].astype(float) / per_month, frame[LABEL].astype(int))
    return None


def survival_points(curve: pd.DataFrame, months: tuple[int, ...] = (6, 12, 24, 36)) -> pd.DataFrame:
    """Share still a customer at given tenures, with the curve's pointwise interval and number at risk."""
    rows = []
    for m in months:
        before = curve[curve["time"] <= m]
        if before.empty or curve["time"].max() < m:
            continue
        last = before.iloc[-1]
        at_risk = int(curve.loc[curve["time"] >= m, "at_risk"].iloc[0]) if (curve["time"] >= m).any() else 0
        rows.append(
            {
                "tenure_months": m,
                "retained": last["survival"],
                "ci_low": last["ci_low"],
                "ci_high": last["ci_high"],
                "at_risk": at_risk,
            }
        )
    return pd.DataFrame(rows, columns=["tenure_months", "retained", "ci_low", "ci_high", "at_risk"])
