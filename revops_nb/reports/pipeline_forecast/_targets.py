"""Bookings targets per period: the ``target`` parameter for every period, or the ``targets`` table.

Each row of the table counts in the report period its date falls in, whatever day of the
period it is dated (first day, last day) and however many rows a period has (per rep,
segment or region: they are added up). Two grains are reconciled:

- **coarser than the report** (a quarterly table read by month: at most one row date per
  quarter): each quarter's total is spread evenly over its three months, and the source
  says so;
- **finer than the report** (a monthly table read by quarter): a quarter is complete only
  when all three of its months have a target; an incomplete quarter's partial sum is not
  used (its target is left empty, so coverage and the plan do not use it) and a note says
  which quarters and months.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from revops_nb.reports.pipeline_forecast.settings import Settings


class Targets(NamedTuple):
    """The target of each report period (NaN where none is set or it is incomplete), its source, notes."""

    by_period: pd.Series
    source: str  # '' when there is no target
    notes: list[str]


def targets_by_period(targets: pd.DataFrame | None, settings: Settings, periods: pd.PeriodIndex) -> Targets:
    """The target of each of ``periods`` (see the module docstring for how rows are added up)."""
    if settings.target is not None:
        return Targets(pd.Series(settings.target, index=periods, dtype="float64"), "the target parameter", [])
    if targets is None or targets.empty:
        return Targets(pd.Series(float("nan"), index=periods, dtype="float64"), "", [])
    frame = targets.dropna(subset=["period", "target"])
    dates = pd.DatetimeIndex(frame["period"])
    values = pd.Series(pd.to_numeric(frame["target"], errors="coerce").to_numpy(float), index=dates)
    values = values.dropna()
    dates = values.index
    if values.empty:
        return Targets(pd.Series(float("nan"), index=periods, dtype="float64"), "", [])
    source, notes = "the targets table", []
    if settings.freq == "M" and _quarterly(dates):
        by_quarter = values.groupby(dates.to_period("Q")).sum()
        months = {q: pd.period_range(q.start_time, periods=3, freq="M") for q in by_quarter.index}
        by_period = pd.Series(
            [v / 3 for q, v in by_quarter.items() for _ in months[q]],
            index=pd.PeriodIndex([m for q in by_quarter.index for m in months[q]], freq="M"),
        )
        source = "the targets table (quarterly targets spread evenly over their three months)"
    else:
        by_period = values.groupby(dates.to_period(settings.freq)).sum()
        if settings.freq == "Q" and _monthly(dates):
            by_period, note = _complete_quarters(by_period, dates, periods)
            notes += [note] if note else []
    return Targets(by_period.reindex(periods).astype("float64"), source, notes)


def _quarterly(dates: pd.DatetimeIndex) -> bool:
    """Whether the table is quarterly: at most one distinct row date in each quarter, over two quarters or more."""
    quarters = pd.Series(dates.normalize(), index=dates.to_period("Q"))
    per_quarter = quarters.groupby(level=0).nunique()
    return bool(len(per_quarter) > 1 and (per_quarter <= 1).all())


def _monthly(dates: pd.DatetimeIndex) -> bool:
    """Whether the table is monthly: some quarter has rows in more than one of its months."""
    months = pd.Series(dates.to_period("M"), index=dates.to_period("Q"))
    return bool((months.groupby(level=0).nunique() > 1).any())


def _complete_quarters(
    by_quarter: pd.Series, dates: pd.DatetimeIndex, periods: pd.PeriodIndex
) -> tuple[pd.Series, str]:
    """Quarter sums of a monthly table with the quarters missing a month emptied, and a note on those shown."""
    months = pd.Series(dates.to_period("M"), index=dates.to_period("Q")).groupby(level=0).unique()
    incomplete = {q: m for q, m in months.items() if len(set(m)) < 3}
    out = by_quarter.copy()
    out[list(incomplete)] = float("nan")
    shown = [q for q in periods if q in incomplete]
    if not shown:
        return out, ""
    parts = [f"{q} (only {', '.join(str(m) for m in sorted(set(incomplete[q])))})" for q in shown]
    return out, (
        "The targets table is monthly and has a target for only some months of "
        + "; ".join(parts)
        + ": those quarters' partial targets are not used for coverage or the plan"
    )
