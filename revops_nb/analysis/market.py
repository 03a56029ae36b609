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
from revops_nb.errors import DataError
from revops_nb.stats import TestResult, wilson_interval

__all__ = ["MarketParams", "MarketResult", "analyse", "key_figures", "market_params"]


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

    @property
    def total_row(self) -> pd.Series:
        """The 'All regions' row of the growth table."""
        rows = self.growth_by_region[self.growth_by_region[REGION] == mg.TOTAL]
        return rows.iloc[0]

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
        return f"{closed_deals_window(w.start, w.end)}: {w.describe()}; {w.describe_growth()}"

    @property
    def customers_total(self) -> int:
        """Customers on the last day of the window."""
        return int(self.last_levels["customers"].sum())


def analyse(
    params: MarketParams,
    opportunities: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    subscriptions: pd.DataFrame | None = None,
    market: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> MarketResult:
    """Compute the whole market report from the loaded tables (optional ones may be None)."""
    rates = conversion_rates(fx_rates, params.currency)
    deals, notes = md.prepare_deals(opportunities, accounts, rates, params)
    in_regions, chosen = md.select_regions(deals[REGION], params.regions)
    ramp = md.ramp_up(deals, params.ramp_up_quantile)
    window = md.analysis_window(params, deals.loc[deals["is_won"], "close_date"], md.data_as_of(deals), ramp)
    deals = deals[in_regions]
    notes = [*window.notes, *notes]
    bookings = md.bookings_frame(deals, window)
    if bookings.empty:
        raise DataError(f"opportunities: no won deal with an amount closed in {window.describe()}")
    dims = list(params.dimensions)
    subs = _subscriptions(subscriptions, accounts, opportunities, rates, params, chosen)
    levels_dims = list(dict.fromkeys([REGION, *dims]))
    levels = mm.arr_by_period(subs, deals, window, levels_dims)
    growth = mg.growth_table(bookings, window, [REGION], params.min_n, params.confidence)
    cells = mg.growth_table(
        bookings, window, [REGION, params.breakdown], params.min_n, params.confidence, total=False
    )
    closed = md.closed_frame(deals, window)
    win_rates, win_test = mm.win_rates(closed, params.min_n, params.confidence)
    sizes, size_test = mm.deal_sizes(bookings, params.min_n, params.confidence)
    pen = None
    if market is not None:
        base = mm.customer_base(subs, deals, window.end, list(dict.fromkeys([REGION, md.SEGMENT])))
        pen = mm.penetration(market, base, chosen, params.min_n, params.confidence)
    return MarketResult(
        params=params,
        window=window,
        regions=chosen,
        bookings=bookings,
        bookings_by_period=mm.bookings_by_period(bookings, window, dims),
        period_series=mg.period_series(bookings, window, params.confidence),
        growth_by_region=growth,
        growth_by_cell=cells,
        top=mg.top_growth(growth),
        decomposition=mg.mix_rate_decomposition(bookings, window),
        levels_by_period=levels,
        customers_basis=_basis(subs),
        has_arr=subs is not None and bool(subs["arr"].notna().any()),
        win_rates=win_rates,
        win_test=win_test,
        deal_sizes=sizes,
        size_test=size_test,
        penetration=pen,
        notes=notes,
    )


def _subscriptions(subscriptions, accounts, opportunities, rates, params, chosen) -> pd.DataFrame | None:
    if subscriptions is None:
        return None
    columns = list(dict.fromkeys([REGION, md.SEGMENT, *params.dimensions]))
    by_account = md.account_dimensions(accounts, opportunities, columns)
    subs = md.prepare_subscriptions(subscriptions, by_account, rates, params)
    return subs[subs[REGION].isin(chosen)] if chosen else subs


def _basis(subs: pd.DataFrame | None) -> str:
    if subs is None:
        return "accounts with a won deal closed by the period end (no subscriptions table)"
    return "accounts with a subscription active on the period end"


def key_figures(result: MarketResult) -> dict[str, float | str | int | None]:
    """The headline numbers for ``record()``; each equals a value shown in the report's tables."""
    total = result.total_row
    top = result.top
    n_closed, _, rate, low, high = result.win_rate
    figures: dict[str, float | str | int | None] = {
        "window": window_dates(result.window.start, result.window.end),
        "bookings_total": result.bookings_total,
        "bookings_growth_yoy": _finite(total["growth"]),
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
    return figures


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def table_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A result table without internal columns, for ``save_table``."""
    return frame.drop(columns=[c for c in ("log_se", "deals_log_se") if c in frame.columns])
