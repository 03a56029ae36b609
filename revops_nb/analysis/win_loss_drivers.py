"""Win drivers: a logistic regression of winning on deal attributes, as odds ratios with intervals.

Numeric drivers enter per unit (decision makers: per extra person; deal size:
per doubling of the amount in the reporting currency). Categorical drivers
enter as indicators against a baseline level (the most common one, or "No
competitor"); levels with fewer than ``min_n`` closed deals are pooled as
"Other", and a missing value is its own level.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

from revops_nb.analysis.win_loss_data import BLANK, NO_COMPETITOR, Deals, Settings

DRIVER_COLUMNS = ["driver", "term", "odds_ratio", "ci_low", "ci_high", "p_value", "significant"]
NUMERIC_LABELS = {
    "deal_size": "Deal size (per doubling of amount)",
    "decision_makers": "Decision makers (per additional person)",
}
OTHER = "Other"
MIN_OUTCOMES = 10


@dataclass(frozen=True)
class Drivers:
    """Odds ratios of winning per driver (``table``), what the model used, and why drivers were left out."""

    table: pd.DataFrame
    n_used: int
    n_dropped: int
    baselines: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    message: str | None = None


def design_matrix(deals: Deals, settings: Settings) -> tuple[pd.DataFrame, pd.Series, dict, list[str]]:
    """Driver columns (numeric and indicator), the won outcome, baselines and skipped-driver notes."""
    closed = deals.closed
    parts: list[pd.DataFrame] = []
    baselines: dict[str, str] = {}
    skipped: list[str] = []
    for driver in settings.drivers:
        column = _driver_values(closed, driver)
        if column is None or column.dropna().nunique() < 2:
            skipped.append(f"{driver}: not in the data or has a single value")
            continue
        if driver in NUMERIC_LABELS:
            parts.append(column.rename(driver).to_frame())
            continue
        levels, baseline = _levels(column, settings.min_n, driver)
        if levels.nunique() < 2:
            skipped.append(f"{driver}: fewer than two values with {settings.min_n}+ closed deals")
            continue
        baselines[driver] = baseline
        dummies = pd.get_dummies(levels, prefix=driver, prefix_sep="=", dtype=float)
        parts.append(dummies.drop(columns=f"{driver}={baseline}"))
    x = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=closed.index)
    return x, closed["is_won"].astype(float), baselines, skipped


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
    x, y, baselines, skipped = design_matrix(deals, settings)
    complete = x.notna().all(axis=1)
    x, y = x[complete], y[complete]
    n_dropped = int((~complete).sum())
    empty = pd.DataFrame(columns=DRIVER_COLUMNS)
    if x.shape[1] == 0:
        return Drivers(empty, 0, n_dropped, baselines, skipped, "no driver is available in the data")
    x = x.loc[:, x.std() > 0]
    twins = x.T.duplicated()
    skipped += [f"{name}: identical to another term (same deals)" for name in x.columns[twins]]
    x = x.loc[:, ~twins]
    if min(y.sum(), (1 - y).sum()) < max(MIN_OUTCOMES, x.shape[1]):
        msg = f"too few won or lost deals ({int(y.sum())} won, {int((1 - y).sum())} lost) for {x.shape[1]} terms"
        return Drivers(empty, len(y), n_dropped, baselines, skipped, msg)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            fit = sm.Logit(y, sm.add_constant(x, has_constant="add")).fit(disp=0, maxiter=200)
    except (PerfectSeparationError, PerfectSeparationWarning):
        msg = "the model could not be fitted: a driver separates won from lost deals perfectly"
        return Drivers(empty, len(y), n_dropped, baselines, skipped, msg)
    except np.linalg.LinAlgError:
        msg = "the model could not be fitted: some drivers are exact combinations of others"
        return Drivers(empty, len(y), n_dropped, baselines, skipped, msg)
    return Drivers(_odds_table(fit, baselines, settings), len(y), n_dropped, baselines, skipped)


def _odds_table(fit, baselines: dict[str, str], settings: Settings) -> pd.DataFrame:
    ci = fit.conf_int(alpha=settings.alpha)
    rows = []
    for name in fit.params.index.drop("const"):
        driver, _, level = name.partition("=")
        term = NUMERIC_LABELS.get(name) or f"{level} (vs {baselines[driver]})"
        p = float(fit.pvalues[name])
        rows.append(
            (
                driver,
                term,
                float(np.exp(fit.params[name])),
                float(np.exp(ci.loc[name, 0])),
                float(np.exp(ci.loc[name, 1])),
                p,
                bool(p < settings.alpha),
            )
        )
    return pd.DataFrame(rows, columns=DRIVER_COLUMNS)
