"""Time to close: Kaplan–Meier curves from creation (open deals censored), medians and a log-rank test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb import stats
from revops_nb.reports.win_loss._common import days_text, no_test
from revops_nb.reports.win_loss._deals import BLANK, Deals
from revops_nb.reports.win_loss.settings import Settings
from revops_nb.stats import TestResult


@dataclass(frozen=True)
class TimeToClose:
    """Kaplan–Meier time to close (open deals censored), overall and by group, with a log-rank test."""

    by: str | None
    curves: dict[str, pd.DataFrame]
    table: pd.DataFrame
    test: TestResult
    horizon_days: int = 90
    note: str = ""  # why the curves say nothing (e.g. every deal closed the day it was created); "" otherwise


def time_to_close(
    deals: Deals, settings: Settings, by: str = "segment", horizon_days: int = 90
) -> TimeToClose:
    """Share of deals still open over time since creation; open deals count until the report date.

    When no deal has a time to close, or every deal has the same one (e.g. each
    closed on the day it was created), ``note`` says so and there is no test.
    """
    cohort = deals.frame[deals.frame["ttc_days"].notna()]
    note = ""
    if cohort.empty:
        note = "no deal in the period has a creation date to measure the time to close from"
    elif not cohort["ttc_closed"].astype(bool).any():
        note = "no deal in the period has closed on a known date, so every deal is still open"
    elif cohort["ttc_days"].nunique() == 1:
        note = f"every deal has the same time to close ({days_text(cohort['ttc_days'].iloc[0])})"
    groups: dict[str, pd.DataFrame] = {"All deals": cohort}
    use_by = by if by not in deals.absent and by in cohort else None
    if use_by:
        labels = cohort[use_by].astype("object").fillna(BLANK)
        for value in labels.value_counts().index:
            groups[str(value)] = cohort[labels == value]
    curves, rows = {}, []
    for label, part in groups.items():
        curve = stats.kaplan_meier(part["ttc_days"], part["ttc_closed"].astype(float), settings.confidence)
        curves[label] = curve
        rows.append(_ttc_row(label, part, curve, horizon_days, settings.min_n))
    table = pd.DataFrame(rows)
    test = no_test(note or (f"every deal has the same {use_by}" if use_by else ""))
    if use_by and len(groups) > 2 and not note:
        test = stats.logrank_test(
            cohort["ttc_days"],
            cohort["ttc_closed"].astype(float),
            cohort[use_by].astype("object").fillna(BLANK),
        )
    return TimeToClose(use_by, curves, table, test, horizon_days, note)


def _ttc_row(label: str, part: pd.DataFrame, curve: pd.DataFrame, horizon: int, min_n: int) -> dict:
    at = curve[curve["time"] <= horizon].iloc[-1] if not curve.empty else None
    closed_share = 1 - at["survival"] if at is not None else np.nan
    return {
        "group": label,
        "deals": len(part),
        "closed": int(part["ttc_closed"].sum()),
        "open_censored": int((~part["ttc_closed"].astype(bool)).sum()),
        "median_days": stats.median_survival(curve),
        "median_ci_low": _first_below_half(curve, "ci_low"),
        "median_ci_high": _first_below_half(curve, "ci_high"),
        f"closed_by_{horizon}d": closed_share,
        "ci_low": 1 - at["ci_high"] if at is not None else np.nan,
        "ci_high": 1 - at["ci_low"] if at is not None else np.nan,
        "flagged": len(part) < min_n,
    }


def _first_below_half(curve: pd.DataFrame, column: str) -> float:
    # the median's interval where the pointwise band crosses 0.5; not SurvfuncRight.quantile_ci, which inverts
    # a test: NaN where a curve steps past 0.5 or to 0, and inf where the band never falls to 0.5 (NaN here)
    hit = curve[curve[column] <= 0.5]
    return float(hit["time"].iloc[0]) if len(hit) else float("nan")
