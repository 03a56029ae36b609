"""Every number the market report shows, computed once: the result the view tells in words and charts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.reports._window import closed_deals_window, window_dates
from revops_nb.reports.market_analysis._growth import TOTAL, HeatmapCells, TopGrowth, heatmap_cells
from revops_nb.reports.market_analysis._levels import by_period_and_region, latest_by_dimension
from revops_nb.reports.market_analysis._periods import Window, label
from revops_nb.reports.market_analysis._rates import WinRate
from revops_nb.reports.market_analysis.settings import REGION, Settings
from revops_nb.stats import TestResult

REGION_ASIDE = "This section compares regions, and the data has no region column (see the note at the top)."
# sections -> the gaps that make each step aside (a section not listed needs only its own gap)
NEEDS = {
    "growth": ("bookings",),
    "deal_size": ("bookings",),
    "share": ("bookings", "region"),
    "growth_by_region": ("bookings", "region"),
    "heatmap": ("bookings", "region", "breakdown", "yoy"),
    "win_rate_by_region": ("win_rate", "region"),
    "levels_trend": ("customers", "levels_trend"),
    "levels": ("customers",),
}


@dataclass
class MarketResult:
    """Every table and test of the market report, computed once by :func:`analyze`.

    ``gaps`` holds what the data cannot give (name -> why, in one sentence); ``win_rate_basis``
    is '' for deals closed in the window, else which closed deals the win rate counts.
    """

    settings: Settings
    window: Window
    regions: tuple[str, ...]
    bookings: pd.DataFrame
    bookings_by_period: pd.DataFrame
    period_series: pd.DataFrame
    growth_by_region: pd.DataFrame
    growth_by_cell: pd.DataFrame
    top: TopGrowth | None
    decomposition: pd.DataFrame
    levels_by_period: pd.DataFrame
    customers_basis: str
    has_arr: bool
    win_rates: pd.DataFrame
    win_test: TestResult
    win_rate: WinRate
    deal_sizes: pd.DataFrame
    size_test: TestResult
    penetration: pd.DataFrame | None
    notes: list[str] = field(default_factory=list)
    gaps: dict[str, str] = field(default_factory=dict)
    win_rate_basis: str = ""

    @property
    def currency(self) -> str:
        return self.settings.currency

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
        for gap in NEEDS.get(section, (section,)):
            if gap in self.gaps:
                return REGION_ASIDE if gap == "region" else self.gaps[gap]
        return None

    # ------------------------------------------------------------ totals

    @property
    def total_row(self) -> pd.Series | None:
        """The 'All regions' row of the growth table (None without bookings)."""
        rows = self.growth_by_region[self.growth_by_region[REGION] == TOTAL]
        return rows.iloc[0] if len(rows) else None

    @property
    def bookings_total(self) -> float:
        """Bookings over the whole window, as in ``bookings_by_period``."""
        return float(self.bookings_by_period["bookings"].sum())

    @property
    def deals_total(self) -> int:
        """Won deals behind :attr:`bookings_total`."""
        return int(self.bookings_by_period["deals"].sum())

    @property
    def last_levels(self) -> pd.DataFrame:
        """ARR and customers rows of the last period."""
        last = label(self.window.periods[-1])
        return self.levels_by_period[self.levels_by_period["period"] == last]

    @property
    def arr_total(self) -> float | None:
        """ARR on the last day of the window; None without subscription ARR."""
        return float(self.last_levels["arr"].sum()) if self.has_arr else None

    @property
    def customers_total(self) -> int | None:
        """Customers on the last day of the window (None when customers cannot be counted)."""
        return int(self.last_levels["customers"].sum()) if self.has_customers else None

    @property
    def window_text(self) -> str:
        """The window in the words every report uses, then its whole periods and growth basis."""
        w = self.window
        deals = self.win_rate_basis or closed_deals_window(w.start, w.end)
        growth = f"; {w.describe_growth()}" if self.has_bookings else ""
        return f"{deals}: {w.describe()}{growth}"

    # ------------------------------------------------------------ tables and chart data

    @property
    def dimensions(self) -> list[str]:
        """Region, then the other breakdowns of bookings, ARR and customers."""
        return list(dict.fromkeys([REGION, *self.settings.dimensions]))

    @property
    def latest_periods(self) -> list[str]:
        """The periods of the 'latest' table: the last twelve months (every period without two years)."""
        w = self.window
        return [label(p) for p in (w.current if w.has_year_on_year else w.periods)]

    @property
    def latest(self) -> pd.DataFrame:
        """Bookings and won deals of :attr:`latest_periods`, ARR and customers on the last day, by dimension."""
        return latest_by_dimension(
            self.bookings_by_period, self.last_levels, self.dimensions, self.latest_periods
        )

    @property
    def bookings_by_region(self) -> pd.DataFrame:
        """Bookings per period (rows, every period of the window) and region (columns)."""
        return by_period_and_region(
            self.bookings_by_period, "bookings", [label(p) for p in self.window.periods]
        )

    @property
    def levels_by_region(self) -> pd.DataFrame:
        """ARR (customers, without ARR) on the last day of each period (rows) per region (columns)."""
        column = "arr" if self.has_arr else "customers"
        return by_period_and_region(self.levels_by_period, column, [label(p) for p in self.window.periods])

    @property
    def heatmap(self) -> HeatmapCells:
        """Year-on-year growth, flags and deals by region (rows) × breakdown (columns)."""
        return heatmap_cells(self.growth_by_cell, self.settings.breakdown)

    # ------------------------------------------------------------ recorded

    def key_figures(self) -> dict[str, float | str | int | None]:
        """The headline numbers for run.json; each equals a value shown in the report's tables.

        A figure the data cannot give (e.g. bookings without amounts) is None, never left out; penetration
        is listed only when a market table is configured.
        """
        total = self.total_row
        top = self.top
        figures: dict[str, float | str | int | None] = {
            "window": window_dates(self.window.start, self.window.end),
            "bookings_total": self.bookings_total if self.has_bookings else None,
            "bookings_growth_yoy": _finite(total["growth"]) if total is not None else None,
            "arr_total": self.arr_total,
            "customers_total": self.customers_total,
            "top_growth_region": top.region if top else None,
            "top_growth_region_growth": _finite(top.growth) if top else None,
            "win_rate": _finite(self.win_rate.rate),
            "win_rate_ci_low": _finite(self.win_rate.ci_low),
            "win_rate_ci_high": _finite(self.win_rate.ci_high),
            "n_closed": self.win_rate.n,
        }
        if self.penetration is not None:
            figures["penetration_accounts"] = _finite(self.penetration.iloc[-1]["penetration_accounts"])
        elif "penetration" in self.gaps:
            figures["penetration_accounts"] = None
        return figures

    def tables(self) -> dict[str, pd.DataFrame]:
        """The main tables for ``tables/<name>.csv``, leaving out those the data could not give.

        Names: bookings_by_period, arr_customers_by_period, growth_by_region, penetration.
        """
        available = {
            "bookings_by_period": self.bookings_by_period if self.has_bookings else None,
            "arr_customers_by_period": self.levels_by_period if self.has_customers else None,
            "growth_by_region": table_for_csv(self.growth_by_region) if self.has_bookings else None,
            "penetration": self.penetration,
        }
        return {name: frame for name, frame in available.items() if frame is not None}


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def table_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A result table without internal columns, for ``save_table``."""
    return frame.drop(columns=[c for c in ("log_se", "deals_log_se") if c in frame.columns])
