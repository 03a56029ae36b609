"""Score and retention: Spearman correlation and a logistic regression of churn on score with controls."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb import stats
from revops_nb.reports.nps_retention.settings import Settings

MIN_EVENTS = 5  # fewer churned (or retained) accounts than this: no test is attempted
SEPARATION = (
    "the odds ratio cannot be estimated (separation: the score or a control splits churned from "
    "retained accounts (almost) perfectly, so the fit does not converge to finite values)"
)


def score_correlation(accounts: pd.DataFrame) -> stats.TestResult:
    """Spearman correlation of score with retained (1) / churned (0), one row per account."""
    return stats.spearman(accounts["score"], accounts["retained"].astype(float))


@dataclass(frozen=True)
class OddsRatio:
    """Odds ratio of churn per one-point higher score, adjusted for the listed controls."""

    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    controls: tuple[str, ...]
    note: str = ""


def churn_regression(accounts: pd.DataFrame, settings: Settings) -> OddsRatio:
    """Logistic regression of churn on score, controlling for segment and log ARR where available.

    A control that is constant or an exact combination of the others is left out,
    named in ``note``, and dropped from ``controls``. No odds ratio is given (only
    a note) when scores do not vary, when there are too few churned or retained
    accounts, when score itself is collinear with the controls, or when the fit
    does not converge or has an infinite or implausibly wide interval, which is
    what perfect or quasi-complete separation produces.
    """
    from revops_nb.regression import fit_logit

    design, controls = _design(accounts)
    y = accounts["churned"].astype(float).to_numpy()
    n, events = len(y), int(y.sum())

    def no_fit(note: str, used: tuple[str, ...] = controls) -> OddsRatio:
        return OddsRatio(np.nan, np.nan, np.nan, np.nan, n, used, note)

    if min(events, n - events) < MIN_EVENTS:
        return no_fit(f"too few churned or retained accounts ({events} of {n} churned)")
    if accounts["score"].nunique() < 2:
        return no_fit("every linked account has the same score, so its effect cannot be estimated")
    fit = fit_logit(y, design)
    if "score" in fit.dropped:
        return no_fit("score is collinear with the controls (rank-deficient design)")
    if not fit.ok:
        return no_fit(SEPARATION if fit.kind in ("separation", "convergence") else fit.reason)
    control_of = {"log_arr": "log ARR"} | {c: "segment" for c in design.columns if c.startswith("seg_")}
    used = tuple(c for c in controls if c in {control_of.get(col) for col in fit.columns})
    # fixed words only (segment names stay out): the note reaches the summary unescaped
    left_out = [c for c in controls if c in {control_of.get(col) for col in fit.dropped}]
    note = (
        f"{' and '.join(left_out)} left out of the controls (constant, or an exact combination of score "
        "and the other controls)"
        if left_out
        else ""
    )
    low, high = fit.conf_int(alpha=settings.alpha).loc["score"]
    beta, p_value = fit.params["score"], fit.pvalues["score"]
    odds = np.exp([beta, low, high])
    if not np.all(np.isfinite(odds)) or not np.isfinite(p_value):
        return no_fit(SEPARATION, used)
    if odds[1] < 1e-6 or odds[2] > 1e6:  # an interval this wide only comes from (quasi-)separation
        return no_fit(SEPARATION, used)
    return OddsRatio(float(odds[0]), float(odds[1]), float(odds[2]), float(p_value), n, used, note)


def _design(accounts: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    design = pd.DataFrame({"const": 1.0, "score": accounts["score"].astype(float)}, index=accounts.index)
    controls: list[str] = []
    segments = accounts["segment"].astype(str)
    if segments.nunique() > 1:
        dummies = pd.get_dummies(segments, prefix="seg", drop_first=True, dtype=float)
        design = design.join(dummies)
        controls.append("segment")
    arr = accounts["arr"].astype(float)
    if arr.notna().all() and arr.nunique() > 1:
        design["log_arr"] = np.log1p(arr.clip(lower=0))
        controls.append("log ARR")
    return design, tuple(controls)
