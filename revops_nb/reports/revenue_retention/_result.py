"""Every number the revenue retention report shows, computed once: the result the view tells in words."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.reports._window import window_dates
from revops_nb.reports.revenue_retention._book import Book
from revops_nb.reports.revenue_retention._cac import ALL_CHANNELS, Acquisition
from revops_nb.reports.revenue_retention._clv import Clv
from revops_nb.reports.revenue_retention._survival import CohortSurvival
from revops_nb.reports.revenue_retention._ttm import Ttm
from revops_nb.reports.revenue_retention._waterfall import Waterfall
from revops_nb.reports.revenue_retention.settings import Settings

WATERFALL_CSV = ["period", "opening", "new", "expansion", "contraction", "churned", "closing", "nrr", "grr"]
CLV_CSV = [
    "account_id",
    "segment",
    "periods_as_customer",
    "current_arr",
    "expected_remaining_years",
    "median_remaining_years",
    "discounted_future_periods",
    "clv",
]
FIGURE_META = {
    "nrr_ttm": {"unit": "percent", "label": "Net revenue retention (TTM)"},
    "grr_ttm": {"unit": "percent", "label": "Gross revenue retention (TTM)"},
    "arr_bridge": {"unit": "text", "label": "ARR bridge"},
    "arr_opening": {"unit": "money", "label": "Opening ARR"},
    "arr_closing": {"unit": "money", "label": "Closing ARR"},
    "arr_new": {"unit": "money", "label": "New ARR"},
    "arr_expansion": {"unit": "money", "label": "Expansion ARR"},
    "arr_contraction": {"unit": "money", "label": "Contraction ARR"},
    "arr_churned": {"unit": "money", "label": "Churned ARR"},
    "customers": {"unit": "count", "label": "Customers at the report date"},
    "clv_mean": {"unit": "money", "label": "Average customer lifetime value"},
    "customer_base_value": {"unit": "money", "label": "Customer base value"},
    "cac_blended": {"unit": "money", "label": "Blended CAC"},
    "cac_payback_months": {"unit": "number", "label": "CAC payback (months)"},
    "ltv_to_cac": {"unit": "ratio", "label": "LTV:CAC"},
    "magic_number": {"unit": "number", "label": "Magic number (TTM, marketing spend)"},
}


@dataclass
class RetentionResult:
    """Every revenue retention result, plus the key figures and tables the run records.

    Built by :func:`revops_nb.reports.revenue_retention.analyze`. A section whose ``aside`` is set
    (on its part) steps aside with that one sentence.
    """

    settings: Settings
    book: Book
    waterfall: Waterfall
    ttm: Ttm
    cohorts: pd.DataFrame
    survival: CohortSurvival
    clv: Clv
    acquisition: Acquisition
    notes: list[str] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.settings.currency

    @property
    def window_text(self) -> str:
        """'2023-01-01 to 2026-09-29'."""
        return window_dates(self.waterfall.first_day, self.waterfall.last_day)

    @property
    def bridge(self) -> tuple[dict[str, float], str]:
        """The headline ARR bridge and its dates in words: the twelve months to the report date
        (the same accounts and days as NRR and GRR, so they tie out), else the whole window."""
        if self.ttm.bridge is not None:
            return self.ttm.bridge, window_dates(self.ttm.base_day, self.book.as_of)
        return self.waterfall.totals(), self.window_text

    def key_figures(self) -> dict[str, float | int | str | None]:
        """The headline figures recorded in run.json; None where the data cannot give one."""
        totals, bridge_text = self.bridge
        overall = self.ttm.overall
        figures: dict[str, object] = {"window": self.window_text, "arr_bridge": bridge_text}
        for kind in ("nrr", "grr"):
            for suffix in ("", "_ci_low", "_ci_high"):
                figures[f"{kind}_ttm{suffix}"] = (
                    None if overall is None else float(overall[f"{kind}{suffix}"])
                )
        for flow in ("opening", "closing", "new", "expansion", "contraction", "churned"):
            figures[f"arr_{flow}"] = totals[flow]
        figures["customers"] = int((self.book.customers["current_arr"] > 0).sum())
        clv = self.clv
        figures |= {
            "clv_mean": clv.mean_clv,
            "clv_mean_ci_low": clv.mean_ci[0],
            "clv_mean_ci_high": clv.mean_ci[1],
            "customer_base_value": clv.base_value,
            "customer_base_value_ci_low": clv.base_ci[0],
            "customer_base_value_ci_high": clv.base_ci[1],
        }
        blended = self.acquisition.blended
        if blended is not None:
            figures |= {
                "cac_blended": blended["cac"],
                "cac_blended_ci_low": blended["cac_ci_low"],
                "cac_blended_ci_high": blended["cac_ci_high"],
                "cac_payback_months": blended["payback_months"],
                "cac_payback_months_ci_low": blended["payback_ci_low"],
                "cac_payback_months_ci_high": blended["payback_ci_high"],
                "ltv_to_cac": blended["ltv_to_cac"],
                "ltv_to_cac_ci_low": blended["ltv_to_cac_ci_low"],
                "ltv_to_cac_ci_high": blended["ltv_to_cac_ci_high"],
                "magic_number": self.acquisition.magic_ttm,
            }
        return {k: _finite(v) for k, v in figures.items()}

    def figure_meta(self) -> dict[str, dict[str, str]]:
        """Units and labels of the figures whose names alone would read wrongly in the index."""
        return {name: dict(meta) for name, meta in FIGURE_META.items()}

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables saved as CSV: waterfall, cohort retention, CLV per customer and its parameters, CAC."""
        out = {
            "arr_waterfall": self.waterfall.table[WATERFALL_CSV],
            "cohort_retention": self.cohorts,
            "clv_by_customer": self.clv.customers.reindex(columns=CLV_CSV),
            "clv_parameters": self.clv.parameters,
        }
        for dim, table in self.ttm.by.items():
            out[f"retention_by_{dim}"] = table
        if self.acquisition.aside is None:
            out["cac_by_channel"] = self.acquisition.channels
            out["cac_by_period"] = self.acquisition.by_period
        return out

    def channel_row(self, channel: str = ALL_CHANNELS) -> pd.Series | None:
        rows = self.acquisition.channels
        if rows.empty:
            return None
        hit = rows[rows["channel"] == channel]
        return hit.iloc[0] if len(hit) else None


def _finite(value):
    """A number that is NaN or infinite becomes None; numpy scalars become Python numbers."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value
