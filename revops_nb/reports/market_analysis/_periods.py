"""The periods of the market report: whole periods with data, the ramp-up kept out of growth rates.

Totals, shares, customers and win rates cover every whole period of :class:`Window`;
growth rates compare only its ``growth_periods``, which start once the pipeline has
filled (:class:`RampUp`), so a partly filled pipeline never understates a growth base.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.errors import DataError, ParamsError
from revops_nb.reports.market_analysis.settings import Settings


@dataclass(frozen=True)
class RampUp:
    """When the pipeline has filled: the first deal's creation plus a quantile of won-deal cycle days.

    Deals created before the data begins are missing, so the bookings of the first
    periods lack them and understate the base of any growth measured from there.
    """

    first_created: pd.Timestamp
    days: int
    quantile: float

    @property
    def end(self) -> pd.Timestamp:
        return self.first_created + pd.Timedelta(days=self.days)


def ramp_up(deals: pd.DataFrame, quantile: float | None) -> RampUp | None:
    """The ramp-up of the data: first ``created_date`` + the ``quantile`` of won deals' days to close.

    None when ``quantile`` is None or no won deal has both dates.
    """
    if quantile is None or "created_date" not in deals:
        return None
    first = deals["created_date"].min()
    won = deals[deals["is_won"]]
    days = (won["close_date"] - won["created_date"]).dt.days.dropna()
    days = days[days >= 0]
    if pd.isna(first) or days.empty:
        return None
    return RampUp(pd.Timestamp(first).normalize(), int(np.ceil(days.quantile(quantile))), quantile)


@dataclass(frozen=True)
class Window:
    """The whole periods analysed, and the comparison windows built from them.

    ``periods`` is every whole period with data: totals, shares, customers and win
    rates cover all of them. Growth rates (period on period, year on year, CAGR and
    the mix/rate decomposition) compare only ``growth_periods``, which start after
    the ramp-up, so a partly filled pipeline never understates the base of a growth.
    """

    periods: pd.PeriodIndex
    as_of: pd.Timestamp
    grain: str
    periods_per_year: int
    notes: tuple[str, ...] = field(default_factory=tuple)
    ramp_up_skipped: str = ""  # label of the ramp-up periods kept out of growth rates ('' = none)
    growth_start: pd.Period | None = None  # first period growth rates use (None = the first period)
    partial: bool = False  # the last period is only partly covered (the data covers no whole period)

    @property
    def start(self) -> pd.Timestamp:
        return self.periods[0].start_time

    @property
    def end(self) -> pd.Timestamp:
        return self.periods[-1].end_time.normalize()

    @property
    def growth_periods(self) -> pd.PeriodIndex:
        """The periods growth rates compare: those from :attr:`growth_start` on."""
        if self.growth_start is None:
            return self.periods
        return self.periods[self.periods >= self.growth_start]

    @property
    def has_year_on_year(self) -> bool:
        """Two non-overlapping twelve-month windows fit in the growth periods."""
        return len(self.growth_periods) >= 2 * self.periods_per_year

    @property
    def current(self) -> pd.PeriodIndex:
        """The last twelve months (in periods)."""
        return self.growth_periods[-self.periods_per_year :]

    @property
    def base(self) -> pd.PeriodIndex:
        """The twelve months before :attr:`current`."""
        k = self.periods_per_year
        return self.growth_periods[-2 * k : -k]

    @property
    def first_year(self) -> pd.PeriodIndex:
        """The first twelve months after the ramp-up, the base of the CAGR."""
        return self.growth_periods[: self.periods_per_year]

    @property
    def cagr_years(self) -> float:
        """Years between the first and the last twelve-month window."""
        return (len(self.growth_periods) - self.periods_per_year) / self.periods_per_year

    def describe(self) -> str:
        """'13 whole quarters, 2023Q1 to 2026Q3 (data up to 2026-09-30)' in words."""
        span = (
            label(self.periods[0])
            if len(self.periods) == 1
            else f"{label(self.periods[0])} to {label(self.periods[-1])}"
        )
        if self.partial:
            return f"part of the {self.grain} {span} (data up to {self.as_of:%Y-%m-%d})"
        return f"{len(self.periods)} whole {self.grain}s, {span} (data up to {self.as_of:%Y-%m-%d})"

    def describe_growth(self) -> str:
        """Which periods growth rates compare, and why some are left out of them."""
        if not self.ramp_up_skipped:
            return "growth rates compare every period of the window"
        if len(self.growth_periods) == 0:
            return f"no growth rate: every period of the window is ramp-up ({self.ramp_up_skipped})"
        return (
            f"growth rates start in {label(self.growth_periods[0])}, after the ramp-up "
            f"({self.ramp_up_skipped}), which totals, shares, customers and win rates include"
        )


def label(period: pd.Period | pd.PeriodIndex) -> str:
    """'2026Q3', '2026-09', '2026'; a span of several periods as 'first–last'."""
    if isinstance(period, pd.PeriodIndex):
        if len(period) == 0:
            return "–"
        return str(period[0]) if len(period) == 1 else f"{period[0]}–{period[-1]}"
    return str(period)


def window_anchor(deals: pd.DataFrame) -> pd.Series:
    """The dates the window starts from: won deals' close dates, else closed deals', else creation dates."""
    closed = deals["close_date"].where(deals["is_closed"])
    for dates in (closed.where(deals["is_won"]), closed, deals["created_date"]):
        if dates.notna().any():
            return dates.dropna()
    return deals["created_date"]


def data_as_of(opportunities: pd.DataFrame) -> pd.Timestamp:
    """Latest date the opportunities speak for: a closing of a closed deal or a creation."""
    closed = opportunities.loc[opportunities["is_closed"].astype(bool), "close_date"]
    latest = pd.concat([closed, opportunities["created_date"]]).max()
    if pd.isna(latest):
        raise DataError("opportunities: no created_date or close_date is set, so no period can be analysed")
    return pd.Timestamp(latest).normalize()


def analysis_window(
    settings: Settings, won_close: pd.Series, as_of: pd.Timestamp, ramp: RampUp | None = None
) -> Window:
    """Whole periods between the parameters (or the data's first booking and its as-of date).

    A period only partly covered by ``period_start``/``period_end`` or by the data is left out,
    and so is every period that begins before ``ramp`` ends (the pipeline was still filling),
    with a note naming them.
    """
    freq, notes, partial = settings.freq, [], False
    if settings.period_start is not None:
        first = pd.Period(settings.period_start, freq)
        if settings.period_start > first.start_time:
            first += 1
    else:
        if won_close.dropna().empty:
            raise DataError(
                "opportunities: no won deal has a close_date, so there are no bookings to analyse"
            )
        first = pd.Period(won_close.min(), freq)
    skipped, growth_start = "", None
    if ramp is not None:
        filled = pd.Period(ramp.end, freq)
        if ramp.end > filled.start_time:
            filled += 1
        if filled > first:
            growth_start = filled
    latest = pd.Period(as_of, freq)
    if as_of < latest.end_time.normalize():
        notes.append(
            f"{latest} is left out: the data ends on {as_of:%Y-%m-%d}, before the {settings.grain} ends"
        )
        latest -= 1
    last = latest
    if settings.period_end is not None:
        wanted = pd.Period(settings.period_end, freq)
        if settings.period_end < wanted.end_time.normalize():
            wanted -= 1
        if wanted > latest:
            notes.append(f"period_end is after the data ends; the analysis stops at {latest}")
        last = min(wanted, latest)
    if last < first and settings.period_start is None and settings.period_end is None and latest + 1 >= first:
        last, partial = latest + 1, True  # the data covers no whole period: keep the one it partly covers
        notes[-1] = (
            f"{last} is the only {settings.grain} with data and the data ends on {as_of:%Y-%m-%d}, before it "
            f"ends; it is kept, so its figures cover only part of the {settings.grain}"
        )
    if last < first:
        raise ParamsError(
            f"no whole {settings.grain} lies between {first.start_time:%Y-%m-%d} and "
            f"{last.end_time:%Y-%m-%d}; widen period_start/period_end or use a shorter grain"
        )
    if growth_start is not None and ramp is not None:
        ramp_periods = pd.period_range(first, min(growth_start - 1, last), freq=freq)
        skipped = label(ramp_periods)
        notes.insert(0, _ramp_note(ramp_periods, ramp, growth_start <= last))
    periods = pd.period_range(first, last, freq=freq)
    return Window(
        periods,
        as_of,
        settings.grain,
        settings.periods_per_year,
        tuple(notes),
        skipped,
        growth_start,
        partial,
    )


def _ramp_note(excluded: pd.PeriodIndex, ramp: RampUp, any_growth: bool) -> str:
    verb = "is" if len(excluded) == 1 else "are"
    tail = "" if any_growth else "; no whole period after it remains, so no growth rate is computed"
    return (
        f"{label(excluded)} {verb} the ramp-up, kept in totals, shares, customers and win rates but not "
        f"used as the base of growth rates: the data starts with a deal created on "
        f"{ramp.first_created:%Y-%m-%d}, and {ramp.quantile:.0%} of won deals closed within {ramp.days} days "
        f"of creation, so until {ramp.end:%Y-%m-%d} bookings lack the deals created before the data begins "
        f"(set ramp_up_quantile to None to use them as a base){tail}"
    )
