"""Market analysis: where do we grow, by region, segment and period?

Bookings (won deals in the reporting currency) with growth year on year, period on period
and as a CAGR, each with its base and a compound-Poisson interval; shares and a mix/rate
decomposition of the change; ARR and customers on each period end; win rate and deal size
by region with their tests; penetration of the addressable market. What the data cannot
give steps aside in one sentence (``MarketResult.aside``).

A notebook needs only ``TABLES``, ``Settings``, ``analyze`` and :mod:`.view`; the steps are
public for tests and benchmarks. Everything but ``TABLES`` and ``Settings`` is imported on
first use, so the runner's check of ``Settings.RULES`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revops_nb.reports._lazy import lazy_attributes
from revops_nb.reports.market_analysis.settings import GRAIN_CHOICES, REGION, SEGMENT, Settings

if TYPE_CHECKING:
    from revops_nb.reports.market_analysis._analyze import analyze
    from revops_nb.reports.market_analysis._deals import (
        BLANK,
        NO_REGION,
        ONE_GROUP,
        account_dimensions,
        prepare_deals,
        prepare_subscriptions,
    )
    from revops_nb.reports.market_analysis._growth import (
        TOTAL,
        compare_growth,
        growth_interval,
        growth_table,
        mix_rate_decomposition,
        share_interval,
    )
    from revops_nb.reports.market_analysis._levels import arr_by_period, customer_base
    from revops_nb.reports.market_analysis._periods import RampUp, Window, analysis_window, label
    from revops_nb.reports.market_analysis._result import REGION_ASIDE, MarketResult

TABLES = ("opportunities", "accounts", "subscriptions", "market", "fx_rates")

_LAZY = {
    "analyze": "_analyze",
    "MarketResult": "_result",
    "REGION_ASIDE": "_result",
    "BLANK": "_deals",
    "NO_REGION": "_deals",
    "ONE_GROUP": "_deals",
    "account_dimensions": "_deals",
    "prepare_deals": "_deals",
    "prepare_subscriptions": "_deals",
    "TOTAL": "_growth",
    "compare_growth": "_growth",
    "growth_interval": "_growth",
    "growth_table": "_growth",
    "mix_rate_decomposition": "_growth",
    "share_interval": "_growth",
    "arr_by_period": "_levels",
    "customer_base": "_levels",
    "RampUp": "_periods",
    "Window": "_periods",
    "analysis_window": "_periods",
    "label": "_periods",
}

__all__ = [
    "BLANK",
    "GRAIN_CHOICES",
    "NO_REGION",
    "ONE_GROUP",
    "REGION",
    "REGION_ASIDE",
    "SEGMENT",
    "TABLES",
    "TOTAL",
    "MarketResult",
    "RampUp",
    "Settings",
    "Window",
    "account_dimensions",
    "analysis_window",
    "analyze",
    "arr_by_period",
    "compare_growth",
    "customer_base",
    "growth_interval",
    "growth_table",
    "label",
    "mix_rate_decomposition",
    "prepare_deals",
    "prepare_subscriptions",
    "share_interval",
]


__getattr__ = lazy_attributes(__name__, _LAZY)
