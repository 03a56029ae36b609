"""Win drivers: a logistic regression of winning on deal attributes, as odds ratios with intervals.

Numeric drivers enter per unit (decision makers: per extra person; deal size:
per doubling of the amount in the reporting currency). Categorical drivers
enter as indicators against a baseline level (the most common one, or "No
competitor"); levels with fewer than ``min_n`` closed deals are pooled as
"Other", and a missing value is its own level.

A level whose closed deals were all won (or all lost) has no finite odds ratio
(quasi-separation): its deals are left out of the model and the report says so.
A term that is an exact combination of others (e.g. a product sold in one
region only) is left out of the model and named with the reason. A fit that
does not converge, or has an infinite interval, is not reported.
Significance is Holm-adjusted across all terms of the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm

from revops_nb import stats
from revops_nb.regression import MAX_LOG_ODDS, LogitFit, fit_logit
from revops_nb.reports.win_loss._deals import BLANK, NO_COMPETITOR, Deals
from revops_nb.reports.win_loss.settings import Settings

DRIVER_COLUMNS = ["driver", "term", "odds_ratio", "ci_low", "ci_high", "p_value", "p_holm", "significant"]
NUMERIC_LABELS = {
    "deal_size": "Deal size (per doubling of amount)",
    "decision_makers": "Decision makers (per additional person)",
}
OTHER = "Other"
NO_DRIVER = "no driver is available in the data"
MIN_OUTCOMES = 10
NOT_CONVERGED = (
    "the model could not be fitted: the fit did not converge to finite odds ratios "
    "(a combination of drivers nearly separates won from lost deals)"
)


@dataclass(frozen=True)
class Drivers:
    """Odds ratios of winning per driver (``table``), what the model used, and why drivers were left out."""

    table: pd.DataFrame
    n_used: int
    n_dropped: int
    baselines: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    message: str | None = None
    separated: list[str] = field(default_factory=list)
    n_separated: int = 0

    @property
    def n_terms(self) -> int:
        """Terms of the fitted model (rows of ``table``); Holm adjusts across all of them."""
        return len(self.table)


def design_matrix(
    deals: Deals, settings: Settings
) -> tuple[pd.DataFrame, pd.Series, dict, list[str], list[str], int]:
    """Driver columns (numeric and indicator), the won outcome, baselines and notes.

    Returns (x, y, baselines, skipped, separated, n_separated): ``separated``
    names each level whose closed deals all had one outcome; its
    ``n_separated`` deals in all are left out, and the levels rebuilt without
    them, until no level separates.
    """
    closed = deals.closed
    keep = pd.Series(True, index=closed.index)
    separated: list[str] = []
    while True:
        x, baselines, skipped, found = _build(closed[keep], settings)
        if not found:
            break
        for driver, level, rows, outcome in found:
            keep[rows] = False
            separated.append(
                f"{driver} {level}: all {len(rows)} closed deals in the model were {outcome}, so its odds "
                "ratio has no finite estimate; these deals are left out of the model"
            )
    return x, closed.loc[keep, "is_won"].astype(float), baselines, skipped, separated, int((~keep).sum())


def _build(closed: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, dict, list[str], list[tuple]]:
    """Design columns on ``closed``, plus (driver, level, rows, outcome) for each separating level."""
    parts: list[pd.DataFrame] = []
    baselines: dict[str, str] = {}
    skipped: list[str] = []
    found: list[tuple] = []
    values = {d: _driver_values(closed, d) for d in settings.drivers}
    usable = {d: v for d, v in values.items() if v is not None and v.dropna().nunique() >= 2}
    complete = pd.Series(True, index=closed.index)
    for driver, column in usable.items():
        if driver in NUMERIC_LABELS:
            complete &= column.notna()
    won = closed["is_won"].astype(bool)
    for driver in settings.drivers:
        column = usable.get(driver)
        if column is None:
            skipped.append(f"{driver}: not in the data or has a single value")
            continue
        if driver in NUMERIC_LABELS:
            parts.append(column.rename(driver).to_frame())
            continue
        levels, baseline = _levels(column, settings.min_n, driver)
        if levels.nunique() < 2:
            skipped.append(f"{driver}: fewer than two values with {settings.min_n}+ closed deals")
            continue
        rate = won[complete].groupby(levels[complete]).mean()
        for level in rate.index[(rate == 0) | (rate == 1)]:
            rows = levels.index[(levels == level) & complete]
            found.append((driver, str(level), rows, "won" if rate[level] == 1 else "lost"))
        baselines[driver] = baseline
        dummies = pd.get_dummies(levels, prefix=driver, prefix_sep="=", dtype=float)
        parts.append(dummies.drop(columns=f"{driver}={baseline}"))
    x = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=closed.index)
    return x, baselines, skipped, found


def _driver_values(closed: pd.DataFrame, driver: str) -> pd.Series | None:
    if driver == "deal_size":
        amount = closed["amount_rep"]
        return np.log2(amount.where(amount > 0))
    if driver not in closed or closed[driver].isna().all():
        return None
    if driver == "decision_makers":
        return pd.to_numeric(closed[driver], errors="coerce").astype(float)
    return closed[driver].astype("object")


def _levels(column: pd.Series, min_n: int, driver: str) -> tuple[pd.Series, str]:
    values = column.fillna(BLANK)
    counts = values.value_counts()
    small = counts.index[counts < min_n]
    values = values.where(~values.isin(small), OTHER)
    counts = values.value_counts()
    baseline = NO_COMPETITOR if driver == "competitor" and NO_COMPETITOR in counts.index else counts.index[0]
    return values, str(baseline)


def win_drivers(deals: Deals, settings: Settings) -> Drivers:
    """Fit the logistic regression on closed deals; a Drivers with ``message`` when it cannot be fitted."""
    x, y, baselines, skipped, separated, n_sep = design_matrix(deals, settings)
    complete = x.notna().all(axis=1)
    x, y = x[complete], y[complete]
    n_dropped = int((~complete).sum())
    empty = pd.DataFrame(columns=DRIVER_COLUMNS)

    def failed(msg: str, n_used: int) -> Drivers:
        return Drivers(empty, n_used, n_dropped, baselines, skipped, msg, separated, n_sep)

    if x.shape[1] == 0:
        return failed(NO_DRIVER, 0)
    x = x.loc[:, x.std() > 0]
    twins = duplicate_columns(x)
    skipped += [f"{name}: identical to another term (same deals)" for name in x.columns[twins]]
    x = x.loc[:, ~twins]
    if min(y.sum(), (1 - y).sum()) < max(MIN_OUTCOMES, x.shape[1]):
        msg = f"too few won or lost deals ({int(y.sum())} won, {int((1 - y).sum())} lost) for {x.shape[1]} terms"
        return failed(msg, len(y))
    fit = fit_logit(y, sm.add_constant(x, has_constant="add"))
    skipped += [f"{name}: {why}" for name, why in fit.dropped.items()]
    if not fit.ok:
        return failed(_failure(fit), len(y))
    if not fit_is_usable(fit.result, settings.alpha):
        return failed(NOT_CONVERGED, len(y))
    table = _odds_table(fit.result, baselines, settings)
    return Drivers(table, len(y), n_dropped, baselines, skipped, None, separated, n_sep)


def _failure(fit: LogitFit) -> str:
    """Why the drivers model could not be fitted, in the words the report uses."""
    if fit.kind == "separation":
        return "the model could not be fitted: a driver separates won from lost deals perfectly"
    if fit.kind == "convergence":
        return NOT_CONVERGED
    return f"the model could not be fitted because {fit.reason}"


def duplicate_columns(x: pd.DataFrame) -> np.ndarray:
    """True for each column identical to an earlier one (compared as bytes: no transposed frame)."""
    values = x.to_numpy(dtype=float)
    return pd.Series([values[:, j].tobytes() for j in range(values.shape[1])]).duplicated().to_numpy()


def fit_is_usable(fit, alpha: float) -> bool:
    """Converged, with finite coefficients, standard errors and intervals of a plausible size."""
    if not fit.mle_retvals.get("converged", False):
        return False
    ci = np.asarray(fit.conf_int(alpha=alpha), dtype=float)
    params, bse = np.asarray(fit.params, dtype=float), np.asarray(fit.bse, dtype=float)
    if not (np.isfinite(ci).all() and np.isfinite(params).all() and np.isfinite(bse).all()):
        return False
    return bool(np.abs(params).max() <= MAX_LOG_ODDS and np.abs(ci).max() <= 2 * MAX_LOG_ODDS)


def _odds_table(fit, baselines: dict[str, str], settings: Settings) -> pd.DataFrame:
    """One row per term: odds ratio, interval, raw p and Holm-adjusted p; significant by Holm."""
    ci = fit.conf_int(alpha=settings.alpha)
    names = fit.params.index.drop("const")
    raw = fit.pvalues[names].to_numpy(dtype=float)
    holm, reject = (s.to_numpy() for s in stats.holm(pd.Series(raw), settings.alpha))
    rows = []
    for i, name in enumerate(names):
        driver, _, level = name.partition("=")
        term = NUMERIC_LABELS.get(name) or f"{level} (vs {baselines[driver]})"
        rows.append(
            (
                driver,
                term,
                float(np.exp(fit.params[name])),
                float(np.exp(ci.loc[name, 0])),
                float(np.exp(ci.loc[name, 1])),
                float(raw[i]),
                float(holm[i]),
                bool(reject[i]),
            )
        )
    return pd.DataFrame(rows, columns=DRIVER_COLUMNS)
