"""The market report computed from the loaded tables: deals, window, growth, levels, rates, penetration."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from revops_nb.data import Dataset
from revops_nb.reports._currency import conversion_rates
from revops_nb.reports.market_analysis import _deals, _growth, _levels, _periods, _rates
from revops_nb.reports.market_analysis._deals import BLANK, NO_REGION, ONE_GROUP
from revops_nb.reports.market_analysis._periods import Window
from revops_nb.reports.market_analysis._result import MarketResult
from revops_nb.reports.market_analysis.settings import REGION, SEGMENT, Settings

UNDATED = "all closed deals (no close dates)"


def analyze(data: Dataset | Mapping[str, pd.DataFrame], settings: Settings) -> MarketResult:
    """Compute the whole market report from the loaded tables (``opportunities``; the others optional).

    ``data`` is the loaded :class:`~revops_nb.data.Dataset` (or, in tests, a dict of frames).
    What the data cannot support (no region, amounts, close dates, closed deals or account ids)
    is left out with its reason in ``gaps``, down to data where no deal has closed yet.
    """
    opportunities, accounts = data["opportunities"], data.get("accounts")
    rates = conversion_rates(data.get("fx_rates"), settings.currency)
    deals, notes = _deals.prepare_deals(opportunities, accounts, rates, settings)
    gaps: dict[str, str] = {}
    if not _deals.has_region(opportunities, accounts):
        gaps["region"] = NO_REGION
    in_regions, chosen = _deals.select_regions(deals[REGION], settings.regions)
    ramp = _periods.ramp_up(deals, settings.ramp_up_quantile)
    window = _periods.analysis_window(
        settings, _periods.window_anchor(deals), _periods.data_as_of(deals), ramp
    )
    deals = deals[in_regions]
    notes = [*window.notes, *notes]
    if "region" in gaps:
        notes.insert(0, gaps["region"])
    bookings = _deals.bookings_frame(deals, window)
    if bookings.empty:
        gaps["bookings"] = _deals.bookings_gap(deals, window, "amount" in opportunities)
    gaps.update(_heatmap_gaps(deals, window, settings))
    dims = list(settings.dimensions)
    subs = _subscriptions(data, rates, settings, chosen, "region" in gaps)
    closed, basis = _closed(deals, window, gaps, settings, notes)
    win_rates, win_test = _rates.win_rates(closed, settings.min_n, settings.confidence)
    levels, undated = _levels.levels(subs, deals, window, list(dict.fromkeys([REGION, *dims])), gaps)
    growth = _growth_table(bookings, window, [REGION], settings, gaps)
    sizes, size_test = _rates.deal_sizes(bookings, settings.min_n, settings.confidence)
    return MarketResult(
        settings=settings,
        window=window,
        regions=chosen,
        bookings=bookings,
        bookings_by_period=_levels.bookings_by_period(bookings, window, dims),
        period_series=_growth.period_series(bookings, window, settings.confidence),
        growth_by_region=growth,
        growth_by_cell=_growth_table(
            bookings, window, [REGION, settings.breakdown], settings, gaps, total=False
        ),
        top=None if gaps.keys() & {"bookings", "region"} else _growth.top_growth(growth),
        decomposition=_growth.mix_rate_decomposition(bookings, window),
        levels_by_period=levels,
        customers_basis=_levels.customers_basis(subs, undated),
        has_arr=subs is not None and bool(subs["arr"].notna().any()),
        win_rates=win_rates,
        win_test=win_test,
        win_rate=_rates.overall_win_rate(win_rates, settings.confidence),
        deal_sizes=sizes,
        size_test=size_test,
        penetration=_penetration(data.get("market"), subs, deals, window, chosen, settings, gaps),
        notes=notes,
        gaps=gaps,
        win_rate_basis=basis,
    )


def _heatmap_gaps(deals: pd.DataFrame, window: Window, settings: Settings) -> dict[str, str]:
    """Why growth by region × breakdown cannot be shown: too short a window, or no breakdown values."""
    gaps, name = {}, settings.breakdown.replace("_", " ")
    if not window.has_year_on_year:
        after = " after the ramp-up" if window.ramp_up_skipped else ""
        gaps["yoy"] = (
            f"Year-on-year growth by region and {name} needs two full years of {settings.grain}s, and this "
            f"window has {len(window.growth_periods)}{after}."
        )
    if set(deals[settings.breakdown]) <= {BLANK}:
        gaps["breakdown"] = (
            f"Growth by region and {name} needs a {settings.breakdown} column in opportunities or accounts, "
            "and neither has one."
        )
    return gaps


def _penetration(
    market, subs, deals, window: Window, chosen, settings: Settings, gaps
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
    base = _levels.customer_base(subs, deals, window.end, [REGION, SEGMENT], include_undated=True)
    by_region = "region" not in gaps
    return _rates.penetration(market, base, chosen, settings.min_n, settings.confidence, by_region=by_region)


def _growth_table(bookings, window, by, settings: Settings, gaps, total: bool = True) -> pd.DataFrame:
    """The growth table, or an empty one without bookings."""
    if "bookings" in gaps:
        return pd.DataFrame(columns=[*by, "growth", "rank", "flagged", "share"])
    return _growth.growth_table(bookings, window, by, settings.min_n, settings.confidence, total=total)


def _closed(
    deals: pd.DataFrame, window: Window, gaps: dict[str, str], settings: Settings, notes: list[str]
) -> tuple[pd.DataFrame, str]:
    """Closed deals the win rate counts, and its basis in words ('' = closed in the window); notes a gap.

    Closed deals without a close date count when no period is set (as in the win/loss report,
    so the same deals give the same win rate); with a period they are left out, and said so.
    """
    closed = deals[deals["is_closed"]]
    if closed.empty:
        gaps["win_rate"] = "No deal has closed yet, so there is no win rate."
        return closed, "no deal has closed yet"
    undated = closed["close_date"].isna()
    if undated.all():
        return closed, UNDATED
    in_window = _deals.closed_frame(deals, window)
    if undated.any():
        n = int(undated.sum())
        if settings.period_start is None and settings.period_end is None:
            in_window = pd.concat([in_window, closed[undated]])
            notes.append(
                f"{n:,} closed deal(s) have no close date; the win rate counts them (no period is set)"
            )
        else:
            notes.append(f"{n:,} closed deal(s) have no close date and are left out of the win rate's period")
    if in_window.empty:
        gaps["win_rate"] = f"No deal closed in {window.describe()}, so there is no win rate."
    return in_window, ""


def _subscriptions(data, rates, settings: Settings, chosen, one_group) -> pd.DataFrame | None:
    """Subscriptions with dimensions and ARR in the reporting currency, in the chosen regions (None without)."""
    subscriptions = data.get("subscriptions")
    if subscriptions is None:
        return None
    columns = list(dict.fromkeys([REGION, SEGMENT, *settings.dimensions]))
    by_account = _deals.account_dimensions(data.get("accounts"), data["opportunities"], columns)
    subs = _deals.prepare_subscriptions(subscriptions, by_account, rates, settings)
    if one_group:
        subs[REGION] = ONE_GROUP
    return subs[subs[REGION].isin(chosen)] if chosen else subs
