"""Inputs of the market report: parameters, currency conversion, deals, periods and subscriptions.

Everything here turns the loaded tables into tidy frames in the reporting
currency, restricted to the analysis window and the chosen regions, so the
growth and metric modules only aggregate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.analysis.currency import to_reporting
from revops_nb.analysis.parameters import MARKET, date_parameter
from revops_nb.data.subscriptions import subscription_arr
from revops_nb.errors import DataError, ParamsError

GRAINS: dict[str, tuple[str, int]] = {"month": ("M", 12), "quarter": ("Q", 4), "year": ("Y", 1)}
BLANK = "(blank)"
REGION = "region"
SEGMENT = "segment"
ONE_GROUP = "All deals"  # the one region when the data has no region column
NO_REGION = (
    "The data has no region column in opportunities or accounts, so all deals are treated as one group: "
    "totals, win rate and customers are for all deals together, and the sections that compare regions "
    "are left out."
)


@dataclass(frozen=True)
class MarketParams:
    """Validated parameters of the market report."""

    period_start: pd.Timestamp | None
    period_end: pd.Timestamp | None
    grain: str
    dimensions: tuple[str, ...]
    currency: str
    min_n: int
    regions: tuple[str, ...]
    confidence: float
    ramp_up_quantile: float | None = 0.9

    @property
    def alpha(self) -> float:
        """Significance level of every test, matching the intervals: 1 - confidence."""
        return 1.0 - self.confidence

    @property
    def freq(self) -> str:
        """Pandas period frequency of the grain."""
        return GRAINS[self.grain][0]

    @property
    def periods_per_year(self) -> int:
        """How many periods make a year (12, 4 or 1)."""
        return GRAINS[self.grain][1]

    @property
    def breakdown(self) -> str:
        """The dimension crossed with region in the heatmap: the first non-region one, else segment."""
        return next((d for d in self.dimensions if d != REGION), SEGMENT)


def market_params(
    period_start: str | None = None,
    period_end: str | None = None,
    grain: str = "quarter",
    dimensions: Sequence[str] = (REGION, SEGMENT),
    currency: str = "USD",
    min_n: int = 30,
    regions: Sequence[str] = (),
    confidence: float = 0.95,
    ramp_up_quantile: float | None = 0.9,
) -> MarketParams:
    """Check the notebook's parameters; raises :class:`ParamsError` naming the bad one."""
    MARKET.check(
        {
            "period_start": period_start,
            "period_end": period_end,
            "grain": grain,
            "dimensions": list(dimensions) if not isinstance(dimensions, str) else dimensions,
            "currency": currency,
            "min_n": min_n,
            "confidence": confidence,
            "ramp_up_quantile": ramp_up_quantile,
        }
    )
    start = date_parameter(period_start)
    end = date_parameter(period_end)
    grain_key = str(grain).strip().lower()
    dims = _param_names("dimensions", dimensions)
    code = str(currency).strip().upper()
    return MarketParams(
        start,
        end,
        grain_key,
        dims,
        code,
        int(min_n),
        _param_names("regions", regions),
        float(confidence),
        None if ramp_up_quantile is None else float(ramp_up_quantile),
    )


def _param_names(name: str, values: Sequence[str]) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ParamsError(f"{name} must be a list of names; got {values!r}")
    out: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise ParamsError(f"{name} must hold non-empty text values; got {value!r}")
        if value.strip() in out:
            raise ParamsError(f"{name} lists {value.strip()!r} twice")
        out.append(value.strip())
    return tuple(out)


# ---------------------------------------------------------------- currency


def account_dimensions(
    accounts: pd.DataFrame | None, opportunities: pd.DataFrame, columns: Sequence[str]
) -> pd.DataFrame:
    """One row per account_id with ``columns``: from accounts, else the account's latest opportunity."""
    parts = []
    if accounts is not None and "account_id" in accounts:
        have = [c for c in columns if c in accounts]
        parts.append(accounts[["account_id", *have]].dropna(subset=["account_id"]))
    if "account_id" in opportunities:
        have = [c for c in columns if c in opportunities]
        latest = opportunities.sort_values("created_date", kind="stable")
        parts.append(latest[["account_id", *have]].dropna(subset=["account_id"]))
    if not parts:
        return pd.DataFrame(columns=["account_id", *columns]).set_index("account_id")
    out = None
    for part in parts:
        frame = part.drop_duplicates("account_id", keep="last").set_index("account_id")
        frame = frame.reindex(columns=list(columns))
        out = frame if out is None else out.combine_first(frame.reindex(columns=list(columns)))
    return out


def with_dimensions(frame: pd.DataFrame, by_account: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with each of ``columns`` filled from the account where blank; still-blank -> '(blank)'."""
    frame = frame.copy()
    ids = frame["account_id"] if "account_id" in frame else pd.Series(np.nan, index=frame.index)
    for col in columns:
        own = frame[col].astype("str") if col in frame else pd.Series(np.nan, index=frame.index, dtype="str")
        from_account = ids.map(by_account[col]) if col in by_account else np.nan
        own = own.where(own.notna() & (own.str.strip() != ""), from_account)
        frame[col] = own.fillna(BLANK).astype("str")
    return frame


def has_region(opportunities: pd.DataFrame, accounts: pd.DataFrame | None) -> bool:
    """Whether opportunities or accounts have a region column with at least one value."""
    return any(
        frame is not None and REGION in frame and frame[REGION].notna().any()
        for frame in (opportunities, accounts)
    )


def check_dimensions(
    params: MarketParams, opportunities: pd.DataFrame, accounts: pd.DataFrame | None
) -> None:
    """Every dimension must be a column of opportunities or accounts (region and segment may be absent).

    Without a region, ``regions`` cannot choose any: that is a :class:`ParamsError`.
    """
    available = set(opportunities.columns) | (set(accounts.columns) if accounts is not None else set())
    if params.regions and not has_region(opportunities, accounts):
        raise ParamsError(
            f"regions lists {params.regions[0]!r}, but the data has no region column in opportunities or "
            "accounts; leave regions empty"
        )
    for dim in params.dimensions:
        if dim not in available and dim not in (REGION, SEGMENT):
            shown = ", ".join(sorted(c for c in available if not c.endswith(("_id", "_date"))))
            raise ParamsError(
                f"dimensions names {dim!r}, which is not a column of opportunities or accounts ({shown})"
            )


def select_regions(regions: pd.Series, wanted: Sequence[str]) -> tuple[pd.Series, tuple[str, ...]]:
    """Boolean mask of rows in ``wanted`` regions (case-insensitive; empty = all) and their spellings."""
    if not wanted:
        return pd.Series(True, index=regions.index), ()
    known = {r.casefold(): r for r in regions.dropna().unique()}
    chosen = []
    for name in wanted:
        if name.casefold() not in known:
            raise ParamsError(
                f"regions lists {name!r}, which is not a region in the data ({', '.join(sorted(known.values()))})"
            )
        chosen.append(known[name.casefold()])
    return regions.isin(chosen), tuple(chosen)


# ---------------------------------------------------------------- periods


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
    params: MarketParams, won_close: pd.Series, as_of: pd.Timestamp, ramp: RampUp | None = None
) -> Window:
    """Whole periods between the parameters (or the data's first booking and its as-of date).

    A period only partly covered by ``period_start``/``period_end`` or by the data is left out,
    and so is every period that begins before ``ramp`` ends (the pipeline was still filling),
    with a note naming them.
    """
    freq, notes, partial = params.freq, [], False
    if params.period_start is not None:
        first = pd.Period(params.period_start, freq)
        if params.period_start > first.start_time:
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
            f"{latest} is left out: the data ends on {as_of:%Y-%m-%d}, before the {params.grain} ends"
        )
        latest -= 1
    last = latest
    if params.period_end is not None:
        wanted = pd.Period(params.period_end, freq)
        if params.period_end < wanted.end_time.normalize():
            wanted -= 1
        if wanted > latest:
            notes.append(f"period_end is after the data ends; the analysis stops at {latest}")
        last = min(wanted, latest)
    if last < first and params.period_start is None and params.period_end is None and latest + 1 >= first:
        last, partial = latest + 1, True  # the data covers no whole period: keep the one it partly covers
        notes[-1] = (
            f"{last} is the only {params.grain} with data and the data ends on {as_of:%Y-%m-%d}, before it "
            f"ends; it is kept, so its figures cover only part of the {params.grain}"
        )
    if last < first:
        raise ParamsError(
            f"no whole {params.grain} lies between {first.start_time:%Y-%m-%d} and "
            f"{last.end_time:%Y-%m-%d}; widen period_start/period_end or use a shorter grain"
        )
    if growth_start is not None and ramp is not None:
        ramp_periods = pd.period_range(first, min(growth_start - 1, last), freq=freq)
        skipped = label(ramp_periods)
        notes.insert(0, _ramp_note(ramp_periods, ramp, growth_start <= last))
    periods = pd.period_range(first, last, freq=freq)
    return Window(
        periods, as_of, params.grain, params.periods_per_year, tuple(notes), skipped, growth_start, partial
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


# ---------------------------------------------------------------- frames


def prepare_deals(
    opportunities: pd.DataFrame,
    accounts: pd.DataFrame | None,
    rates: pd.Series | None,
    params: MarketParams,
) -> tuple[pd.DataFrame, list[str]]:
    """Opportunities with dimensions, amount in the reporting currency and the closing period.

    Returns the frame (all rows, any period) and notes on what was left out.
    """
    check_dimensions(params, opportunities, accounts)
    columns = list(dict.fromkeys([REGION, SEGMENT, *params.dimensions]))
    by_account = account_dimensions(accounts, opportunities, columns)
    frame = with_dimensions(opportunities, by_account, columns)
    if not has_region(opportunities, accounts):
        frame[REGION] = ONE_GROUP
    currencies = frame.get("currency")
    amount = frame["amount"] if "amount" in frame else pd.Series(np.nan, index=frame.index)
    frame["amount"] = to_reporting(amount, currencies, rates, params.currency, "opportunities").to_numpy()
    frame["is_won"] = frame["is_won"].astype(bool)
    frame["is_closed"] = frame["is_closed"].astype(bool)
    if "close_date" not in frame:
        frame["close_date"] = pd.NaT
    notes = []
    won = frame["is_won"]
    no_date = won & frame["close_date"].isna()
    if no_date.any() and not no_date.eq(won).all():  # none dated: bookings_gap says why, once
        notes.append(f"{int(no_date.sum()):,} won deal(s) have no close_date and are left out of bookings")
    no_amount = won & frame["close_date"].notna() & frame["amount"].isna()
    if no_amount.any() and not no_amount.eq(won & frame["close_date"].notna()).all():
        notes.append(
            f"{int(no_amount.sum()):,} won deal(s) have no amount and are left out of bookings and deal size"
        )
    frame["period"] = frame["close_date"].dt.to_period(params.freq)
    return frame, notes


def bookings_frame(deals: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Won deals with an amount that closed in the window."""
    keep = deals["is_won"] & deals["amount"].notna() & deals["period"].isin(window.periods)
    return deals[keep]


def closed_frame(deals: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Closed deals (won or lost) that closed in the window."""
    return deals[deals["is_closed"] & deals["period"].isin(window.periods)]


BOOKED = "bookings, growth, shares and deal sizes"


def bookings_gap(deals: pd.DataFrame, window: Window, has_amounts: bool) -> str:
    """Why no won deal counts as a booking in the window, in one sentence (for when there is none)."""
    won = deals[deals["is_won"]]
    if not deals["is_closed"].any():
        return f"No deal has closed yet ({len(deals):,} open), so there are no {BOOKED} to show."
    if won.empty:
        return f"No deal has been won, so there are no {BOOKED} to show."
    if not has_amounts:
        return f"{BOOKED.capitalize()} need deal amounts, and the opportunities have no amount column."
    if won["amount"].isna().all():
        return f"{BOOKED.capitalize()} need deal amounts, and no won deal has one."
    if won["close_date"].isna().all():
        return f"{BOOKED.capitalize()} need the close dates of won deals, and the opportunities have none."
    return f"No won deal with an amount closed in {window.describe()}, so there are no {BOOKED} to show."


def prepare_subscriptions(
    subscriptions: pd.DataFrame,
    by_account: pd.DataFrame,
    rates: pd.Series | None,
    params: MarketParams,
) -> pd.DataFrame:
    """Subscriptions with dimensions from their account and ARR in the reporting currency (NaN if unknown)."""
    columns = list(dict.fromkeys([REGION, SEGMENT, *params.dimensions]))
    frame = with_dimensions(subscriptions, by_account, columns)
    arr = subscription_arr(frame)
    currencies = frame.get("currency")
    frame["arr"] = to_reporting(arr, currencies, rates, params.currency, "subscriptions").to_numpy()
    if "end_date" not in frame:
        frame["end_date"] = pd.NaT
    return frame
