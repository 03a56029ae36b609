"""Bookings targets per period: the ``target`` parameter for every period, or the ``targets`` table."""

from __future__ import annotations

import pandas as pd

from revops_nb.reports.pipeline_forecast.settings import Settings


def targets_by_period(
    targets: pd.DataFrame | None, settings: Settings, periods: pd.PeriodIndex
) -> tuple[pd.Series, str]:
    """The target of each of ``periods`` (NaN where none is set) and where the targets come from.

    A quarterly targets table read at a monthly grain is spread evenly over each quarter's months.
    """
    if settings.target is not None:
        return pd.Series(settings.target, index=periods, dtype="float64"), "the target parameter"
    if targets is None or targets.empty:
        return pd.Series(float("nan"), index=periods, dtype="float64"), ""
    frame = targets.dropna(subset=["period", "target"])
    dates = pd.DatetimeIndex(frame["period"])
    values = pd.to_numeric(frame["target"], errors="coerce").astype("float64")
    source = "the targets table"
    if settings.freq == "M" and _quarterly(dates):
        months = [pd.period_range(d.to_period("Q").start_time, periods=3, freq="M") for d in dates]
        index = pd.PeriodIndex([m for three in months for m in three], freq="M")
        values = pd.Series(values.to_numpy().repeat(3) / 3, index=index)
        source = "the targets table (quarterly targets spread evenly over their months)"
    else:
        values = pd.Series(values.to_numpy(), index=dates.to_period(settings.freq))
    by_period = values.groupby(level=0).sum()
    return by_period.reindex(periods).astype("float64"), source


def _quarterly(dates: pd.DatetimeIndex) -> bool:
    """Whether every date starts a quarter and no quarter has two rows: a quarterly table."""
    if len(dates) == 0:
        return False
    quarters = dates.to_period("Q")
    return bool((dates == quarters.start_time).all() and quarters.is_unique and len(dates) > 1)
