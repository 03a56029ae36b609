"""Market analysis: where do we grow, by region, segment and period?

``analyse`` turns the loaded tables into one :class:`MarketResult` holding every
table the notebook shows; ``key_figures`` and ``summary_lines`` read from it, so
the summary, the recorded figures and the sections always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.analysis import market_data as md
from revops_nb.analysis import market_growth as mg
from revops_nb.analysis import market_metrics as mm
from revops_nb.analysis.currency import conversion_rates
from revops_nb.analysis.market_data import REGION, MarketParams, Window, market_params
from revops_nb.analysis.window import closed_deals_window, window_dates
from revops_nb.stats import TestResult, wilson_interval

__all__ = ["MarketParams", "MarketResult", "analyse", "csv_tables", "key_figures", "market_params"]

REGION_ASIDE = "This section compares regions, and the data has no region column (see the note at the top)."
UNDATED = "all closed deals (no close dates)"


@dataclass
class MarketResult:
    """Every table and test of the market report, computed once."""

    params: MarketParams
    window: Window
    regions: tuple[str, ...]
    bookings: pd.DataFrame
    bookings_by_period: pd.DataFrame
    period_series: pd.DataFrame
    growth_by_region: pd.DataFrame
    growth_by_cell: pd.DataFrame
    top: mg.TopGrowth | None
    decomposition: pd.DataFrame
    levels_by_period: pd.DataFrame
    customers_basis: str
    has_arr: bool
    win_rates: pd.DataFrame
    win_test: TestResult
    deal_sizes: pd.DataFrame
    size_test: TestResult
    penetration: pd.DataFrame | None
    notes: list[str] = field(default_factory=list)
    gaps: dict[str, str] = field(default_factory=dict)  # what cannot be computed -> why, in one sentence
    win_rate_basis: str = ""  # '' = deals closed in the window; else which closed deals the win rate counts

    @property
    def has_regions(self) -> bool:
        """Whether the data has regions to compare (else every deal is in one group)."""
        return "region" not in self.gaps

    @property
    def has_bookings(self) -> bool:
        """Whether any won deal with an amount closed in the window."""
        return "bookings" not in self.gaps

    @property
    def has_customers(self) -> bool:
        """Whether customers could be counted (from subscriptions, or accounts of won deals)."""
        return "customers" not in self.gaps

    @property
    def has_win_rate(self) -> bool:
        """Whether any closed deal counts towards the win rate."""
        return "win_rate" not in self.gaps

    def aside(self, section: str) -> str | None:
        """Why ``section`` steps aside, in one sentence, or None when it shows.

        Sections: bookings, growth, levels, levels_trend, win_rate, deal_size, penetration, and the ones
        that compare regions: growth_by_region, share, win_rate_by_region, heatmap.
        """
        needs = {
            "growth": ("bookings",),
            "deal_size": ("bookings",),
            "share": ("bookings", "region"),
            "growth_by_region": ("bookings", "region"),
            "heatmap": ("bookings", "region", "breakdown", "yoy"),
            "win_rate_by_region": ("win_rate", "region"),
            "levels_trend": ("customers", "levels_trend"),
            "levels": ("customers",),
        }
        for gap in needs.get(section, (section,)):
            if gap in self.gaps:
                return REGION_ASIDE if gap == "region" else self.gaps[gap]
        return None

    @property
    def total_row(self) -> pd.Series | None:
        """The 'All regions' row of the growth table (None without bookings)."""
        rows = self.growth_by_region[self.growth_by_region[REGION] == mg.TOTAL]
        return rows.iloc[0] if len(rows) else None

    @property
    def bookings_total(self) -> float:
        """Bookings over the whole window, as in ``bookings_by_period``."""
        return float(self.bookings_by_period["bookings"].sum())

    @property
    def last_levels(self) -> pd.DataFrame:
        """ARR and customers rows of the last period."""
        last = md.label(self.window.periods[-1])
        return self.levels_by_period[self.levels_by_period["period"] == last]

    @property
    def arr_total(self) -> float | None:
        """ARR on the last day of the window; None without subscription ARR."""
        return float(self.last_levels["arr"].sum()) if self.has_arr else None

    @property
    def win_rate(self) -> tuple[int, int, float, float, float]:
        """Closed deals, won deals, win rate and its Wilson interval over the whole window."""
        n, won = int(self.win_rates["n"].sum()), int(self.win_rates["won"].sum())
        low, high = wilson_interval(won, n, self.params.confidence)
        return n, won, (won / n if n else float("nan")), float(low), float(high)

    @property
    def window_text(self) -> str:
        """The window in the words every report uses, then its whole periods and growth basis."""
        w = self.window
        deals = self.win_rate_basis or closed_deals_window(w.start, w.end)
        growth = f"; {w.describe_growth()}" if self.has_bookings else ""
        return f"{deals}: {w.describe()}{growth}"

    @property
    def customers_total(self) -> int | None:
        """Customers on the last day of the window (None when customers cannot be counted)."""
        return int(self.last_levels["customers"].sum()) if self.has_customers else None


def analyse(
    params: MarketParams,
    opportunities: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    subscriptions: pd.DataFrame | None = None,
    market: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> MarketResult:
    """Compute the whole market report from the loaded tables (optional ones may be None).

    What the data cannot support (no region, amounts, close dates, closed deals or account ids)
    is left out with its reason in ``gaps``, down to data where no deal has closed yet.
    """
    rates = conversion_rates(fx_rates, params.currency)
    deals, notes = md.prepare_deals(opportunities, accounts, rates, params)
    gaps: dict[str, str] = {}
    if not md.has_region(opportunities, accounts):
        gaps["region"] = md.NO_REGION
    in_regions, chosen = md.select_regions(deals[REGION], params.regions)
    ramp = md.ramp_up(deals, params.ramp_up_quantile)
    window = md.analysis_window(params, md.window_anchor(deals), md.data_as_of(deals), ramp)
    deals = deals[in_regions]
    notes = [*window.notes, *notes]
    if "region" in gaps:
        notes.insert(0, gaps["region"])
    bookings = md.bookings_frame(deals, window)
    if bookings.empty:
        gaps["bookings"] = md.bookings_gap(deals, window, "amount" in opportunities)
    gaps.update(_heatmap_gaps(deals, window, params))
    dims = list(params.dimensions)
    subs = _subscriptions(subscriptions, accounts, opportunities, rates, params, chosen, "region" in gaps)
    closed, basis = _closed(deals, window, gaps)
    win_rates, win_test = mm.win_rates(closed, params.min_n, params.confidence)
    levels, undated = _levels(subs, deals, window, list(dict.fromkeys([REGION, *dims])), gaps)
    growth = _growth(bookings, window, [REGION], params, gaps)
    sizes, size_test = mm.deal_sizes(bookings, params.min_n, params.confidence)
    pen = _penetration(market, subs, deals, window, chosen, params, gaps)
    return MarketResult(
        params=params,
        window=window,
        regions=chosen,
        bookings=bookings,
        bookings_by_period=mm.bookings_by_period(bookings, window, dims),
        period_series=mg.period_series(bookings, window, params.confidence),
        growth_by_region=growth,
        growth_by_cell=_growth(bookings, window, [REGION, params.breakdown], params, gaps, total=False),
        top=None if gaps.keys() & {"bookings", "region"} else mg.top_growth(growth),
        decomposition=mg.mix_rate_decomposition(bookings, window),
        levels_by_period=levels,
        customers_basis=_basis(subs, undated),
        has_arr=subs is not None and bool(subs["arr"].notna().any()),
        win_rates=win_rates,
        win_test=win_test,
        deal_sizes=sizes,
        size_test=size_test,
        penetration=pen,
        notes=notes,
        gaps=gaps,
        win_rate_basis=basis,
    )


def _heatmap_gaps(deals: pd.DataFrame, window: Window, params: MarketParams) -> dict[str, str]:
    """Why growth by region × breakdown cannot be shown: too short a window, or no breakdown values."""
    gaps, name = {}, params.breakdown.replace("_", " ")
    if not window.has_year_on_year:
        after = " after the ramp-up" if window.ramp_up_skipped else ""
        gaps["yoy"] = (
            f"Year-on-year growth by region and {name} needs two full years of {params.grain}s, and this "
            f"window has {len(window.growth_periods)}{after}."
        )
    if set(deals[params.breakdown]) <= {md.BLANK}:
        gaps["breakdown"] = (
            f"Growth by region and {name} needs a {params.breakdown} column in opportunities or accounts, "
            "and neither has one."
        )
    return gaps


def _levels(subs, deals: pd.DataFrame, window: Window, dims: list[str], gaps: dict[str, str]):
    """ARR and customers by period, and whether won deals lack close dates; notes the gaps."""
    levels = pd.DataFrame(columns=["period", *dims, "arr", "customers"])
    if subs is None and deals.get("account_id", pd.Series(dtype="str")).isna().all():
        gaps["customers"] = (
            "Customers need an account_id on opportunities or a subscriptions table, and there is neither."
        )
    else:
        levels = mm.arr_by_period(subs, deals, window, dims)
    won_dates = deals.loc[deals["is_won"], "close_date"]
    undated = subs is None and not won_dates.empty and won_dates.isna().all()
    if subs is None and won_dates.empty:
        gaps["levels_trend"] = "No deal has been won, so there are no customers to chart over time."
    elif undated:
        gaps["levels_trend"] = (
            "Customers over time need the close dates of won deals (or a subscriptions table), and there "
            f"are none, so customers are counted on {window.end:%Y-%m-%d} only."
        )
    return levels, undated


def _penetration(
    market, subs, deals, window: Window, chosen, params: MarketParams, gaps
) -> pd.DataFrame | None:
    """Penetration of the market table (None without one, or without customers: then a gap says why)."""
    if market is None:
        return None
    if "customers" in gaps:
        gaps["penetration"] = (
            "Penetration needs customers, and counting them needs an account_id on opportunities or a "
            "subscriptions table; there is neither."
        )
        return None
    base = mm.customer_base(subs, deals, window.end, [REGION, md.SEGMENT], include_undated=True)
    by_region = "region" not in gaps
    return mm.penetration(market, base, chosen, params.min_n, params.confidence, by_region=by_region)


def _growth(bookings, window, by, params, gaps, total: bool = True) -> pd.DataFrame:
    """The growth table, or an empty one without bookings."""
    if "bookings" in gaps:
        return pd.DataFrame(columns=[*by, "growth", "rank", "flagged", "share"])
    return mg.growth_table(bookings, window, by, params.min_n, params.confidence, total=total)


def _closed(deals: pd.DataFrame, window: Window, gaps: dict[str, str]) -> tuple[pd.DataFrame, str]:
    """Closed deals the win rate counts, and its basis in words ('' = closed in the window); notes a gap."""
    closed = deals[deals["is_closed"]]
    if closed.empty:
        gaps["win_rate"] = "No deal has closed yet, so there is no win rate."
        return closed, "no deal has closed yet"
    if closed["close_date"].isna().all():
        return closed, UNDATED
    in_window = md.closed_frame(deals, window)
    if in_window.empty:
        gaps["win_rate"] = f"No deal closed in {window.describe()}, so there is no win rate."
    return in_window, ""


def _subscriptions(
    subscriptions, accounts, opportunities, rates, params, chosen, one_group
) -> pd.DataFrame | None:
    if subscriptions is None:
        return None
    columns = list(dict.fromkeys([REGION, md.SEGMENT, *params.dimensions]))
    by_account = md.account_dimensions(accounts, opportunities, columns)
    subs = md.prepare_subscriptions(subscriptions, by_account, rates, params)
    if one_group:
        subs[REGION] = md.ONE_GROUP
    return subs[subs[REGION].isin(chosen)] if chosen else subs


def _basis(subs: pd.DataFrame | None, undated: bool = False) -> str:
    if subs is None and undated:
        return "accounts with a won deal (no subscriptions table, and won deals have no close dates)"
    if subs is None:
        return "accounts with a won deal closed by the period end (no subscriptions table)"
    return "accounts with a subscription active on the period end"


def key_figures(result: MarketResult) -> dict[str, float | str | int | None]:
    """The headline numbers for ``record()``; each equals a value shown in the report's tables.

    A figure the data cannot give (e.g. bookings without amounts) is None, never left out; penetration
    is listed only when a market table is configured.
    """
    total = result.total_row
    top = result.top
    n_closed, _, rate, low, high = result.win_rate
    figures: dict[str, float | str | int | None] = {
        "window": window_dates(result.window.start, result.window.end),
        "bookings_total": result.bookings_total if result.has_bookings else None,
        "bookings_growth_yoy": _finite(total["growth"]) if total is not None else None,
        "arr_total": result.arr_total,
        "customers_total": result.customers_total,
        "top_growth_region": top.region if top else None,
        "top_growth_region_growth": _finite(top.growth) if top else None,
        "win_rate": _finite(rate),
        "win_rate_ci_low": _finite(low),
        "win_rate_ci_high": _finite(high),
        "n_closed": n_closed,
    }
    if result.penetration is not None:
        pen_total = result.penetration.iloc[-1]
        figures["penetration_accounts"] = _finite(pen_total["penetration_accounts"])
    elif "penetration" in result.gaps:
        figures["penetration_accounts"] = None
    return figures


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def table_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A result table without internal columns, for ``save_table``."""
    return frame.drop(columns=[c for c in ("log_se", "deals_log_se") if c in frame.columns])


def csv_tables(result: MarketResult, *names: str) -> dict[str, pd.DataFrame]:
    """The named result tables the report saves as CSV, leaving out those the data could not give.

    Names: bookings_by_period, arr_customers_by_period, growth_by_region, penetration.
    """
    available = {
        "bookings_by_period": result.bookings_by_period if result.has_bookings else None,
        "arr_customers_by_period": result.levels_by_period if result.has_customers else None,
        "growth_by_region": table_for_csv(result.growth_by_region) if result.has_bookings else None,
        "penetration": result.penetration,
    }
    return {name: available[name] for name in names if available[name] is not None}
