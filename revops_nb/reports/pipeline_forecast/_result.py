"""Every number the pipeline and forecast report shows, computed once: :class:`PipelineForecastResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.reports.pipeline_forecast._coverage import Coverage
from revops_nb.reports.pipeline_forecast._deals import Deals
from revops_nb.reports.pipeline_forecast._forecast import Backtest
from revops_nb.reports.pipeline_forecast._funnel import Funnel
from revops_nb.reports.pipeline_forecast._leads import LeadRates
from revops_nb.reports.pipeline_forecast._plan import Plan
from revops_nb.reports.pipeline_forecast.settings import Settings

NO_HISTORY = (
    "Conversion between stages and time in stage need the stage history (an opportunity_stages table); "
    "only the open deals by current stage and the overall win rate are shown."
)
NO_TARGET = "Coverage against target needs a target: set the target parameter or add a targets table."
NO_LEADS = (
    "The plan starts at opportunities: SQLs, MQLs and leads need a leads table with MQL and SQL dates "
    "linked to opportunities."
)


@dataclass
class PipelineForecastResult:
    """The funnel, coverage, forecast backtest and SLA plan of one report date."""

    deals: Deals
    settings: Settings
    funnel: Funnel
    coverage: Coverage
    backtest: Backtest
    leads: LeadRates | None
    plan: Plan
    notes: list[str] = field(default_factory=list)

    @property
    def as_of(self) -> pd.Timestamp:
        return self.deals.as_of

    @property
    def has_target(self) -> bool:
        return bool(self.coverage.target_source) and np.isfinite(self.coverage.first["target"])

    def aside(self, section: str) -> str | None:
        """Why ``section`` ('funnel', 'time', 'breakdowns', 'coverage', 'forecast', 'leads', 'plan')
        steps aside, in one sentence; None when it shows."""
        if section in ("funnel", "time", "breakdowns") and not self.funnel.history:
            return NO_HISTORY
        if section in ("funnel", "breakdowns") and self.funnel.n_closed == 0:
            return f"No deal has closed yet ({len(self.deals.open):,} open), so there is no conversion to measure."
        if section in ("funnel", "time", "breakdowns") and self.funnel.table["reached"].sum() == 0:
            return (
                "No closed deal's stage history names a stage in stage_order, so conversion and time in "
                "stage cannot be measured; set stage_order to your open stages, earliest first."
            )
        if section == "coverage" and not self.has_target:
            if self.coverage.target_source:
                return (
                    f"Coverage needs a target for {self.coverage.first['period']}, and "
                    f"{self.coverage.target_source} has no complete one for it."
                )
            return NO_TARGET
        if section == "forecast" and self.backtest.aside:
            return self.backtest.aside
        if section == "leads" and self.leads is None:
            return "Lead, MQL and SQL conversion need a leads table."
        if section == "plan" and self.plan.aside:
            return self.plan.aside
        return None

    def key_figures(self) -> dict[str, object]:
        """Headline figures for run.json; None where the data cannot give one."""
        current, acc = self.backtest.current, self.backtest.accuracy
        chosen = acc.set_index("method").loc[self.backtest.chosen] if self.backtest.chosen else None
        first = self.coverage.first
        figures: dict[str, object] = {
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "forecast_period": current.get("period"),
            "forecast_current_low": current.get("low"),
            "forecast_current_high": current.get("high"),
            "forecast_range_share": (
                current["inside"] / current["errors"] if self.backtest.has_range else None
            ),
            "forecast_method": self.backtest.chosen or None,
            "forecast_mape": None if chosen is None else chosen["mape"],
            "forecast_bias": None if chosen is None else chosen["bias"],
            "backtest_periods": len(self.backtest.table),
            "pipeline_amount": float(first["pipeline"]),
            "coverage_ratio": first["coverage"],
            "coverage_ratio_weighted": first["weighted_coverage"],
            "win_rate": self.funnel.win_rate,
            "win_rate_ci_low": self.funnel.win_ci_low,
            "win_rate_ci_high": self.funnel.win_ci_high,
            "required_opportunities": None,
            "required_mqls_low": None,
            "required_mqls_high": None,
        }
        if "Opportunities" in self.plan.levels:
            figures["required_opportunities"] = float(self.plan.first("Opportunities")["required"])
        if "MQLs" in self.plan.levels:
            mqls = self.plan.first("MQLs")
            figures["required_mqls_low"], figures["required_mqls_high"] = (
                float(mqls["low"]),
                float(mqls["high"]),
            )
        return {k: _finite(v) for k, v in figures.items()}

    def figure_meta(self) -> dict[str, dict[str, str]]:
        """Units the index cannot infer from the names."""
        return {
            "forecast_current_low": {"unit": "money", "label": "Forecast, low end of range"},
            "forecast_current_high": {"unit": "money", "label": "Forecast, high end of range"},
            "forecast_range_share": {"unit": "percent", "label": "Past forecast errors inside the range"},
            "forecast_mape": {"unit": "percent", "label": "Forecast MAPE (backtest)"},
            "forecast_bias": {"unit": "percent", "label": "Forecast bias (backtest)"},
            "backtest_periods": {"unit": "count"},
            "pipeline_amount": {
                "unit": "money",
                "label": f"Open pipeline closing in {self.coverage.first['period']}",
            },
            "coverage_ratio": {"unit": "ratio"},
            "coverage_ratio_weighted": {"unit": "ratio"},
            "required_opportunities": {"unit": "count"},
            "required_mqls_low": {"unit": "count", "label": "Required MQLs, low"},
            "required_mqls_high": {"unit": "count", "label": "Required MQLs, high"},
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tables saved with the run: stage funnel, forecast backtest, SLA plan, and their companions."""
        out = {
            "stage_funnel": self.funnel.table,
            "forecast_backtest": self.backtest.table,
            "sla_plan": self.plan.table,
            "coverage": self.coverage.table,
        }
        if self.funnel.breakdowns:
            out["stage_funnel_by_group"] = pd.concat(self.funnel.breakdowns.values(), ignore_index=True)
        if self.leads is not None:
            out["lead_conversion"] = self.leads.table
        if not self.plan.sensitivity.empty:
            out["sla_sensitivity"] = self.plan.sensitivity
        return out


def _finite(value):
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    return value
