"""Pipeline and forecast: will the period land, and how many leads does sales need?

The stage funnel (conversion from each open stage to the next and to won, with Wilson
intervals, and Kaplan–Meier time in stage, by segment and lead source), pipeline
coverage of the coming periods against the target (raw and weighted by win
probability), a forecast of bookings backtested on past periods (stage-weighted and
per-deal logistic probabilities, each learned only from what was known at the period's
start) whose errors give the current period's forecast as a range, and the
reverse-funnel SLA planner: how many opportunities, SQLs, MQLs and leads the target
needs, with the uncertainty of the rates and deal size propagated by simulation.

Optional tables widen what is shown: ``opportunity_stages`` (stage history),
``leads`` (lead, MQL and SQL dates) and ``targets``; without one, the sections that
need it say so in one sentence. The computation is imported on first use, so
importing :mod:`.settings` (the runner does, before any kernel starts) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revops_nb.reports._lazy import lazy_attributes
from revops_nb.reports.pipeline_forecast.settings import Settings

TABLES = ("opportunities", "opportunity_stages", "leads", "targets", "accounts", "fx_rates")
# What the report loses without each optional table; `revops-nb check` says it for the absent ones.
OPTIONAL = {
    "opportunity_stages": "the funnel from current stages only, no time in stage or stage-weighted backtest",
    "leads": "the plan stops at opportunities (no lead, MQL or SQL counts)",
    "targets": "no coverage or plan unless the target parameter is set",
}

__all__ = [
    "OPTIONAL",
    "TABLES",
    "Backtest",
    "Coverage",
    "Deals",
    "Funnel",
    "LeadRates",
    "PipelineForecastResult",
    "Plan",
    "Settings",
    "StageHistory",
    "analyze",
    "backtest",
    "coverage",
    "lead_rates",
    "prepare_deals",
    "reverse_funnel",
    "stage_funnel",
    "stage_history",
    "targets_by_period",
]

_MODULE_OF = {
    "analyze": "_analyze",
    "Deals": "_deals",
    "prepare_deals": "_deals",
    "StageHistory": "_history",
    "stage_history": "_history",
    "Funnel": "_funnel",
    "stage_funnel": "_funnel",
    "Coverage": "_coverage",
    "coverage": "_coverage",
    "targets_by_period": "_targets",
    "Backtest": "_forecast",
    "backtest": "_forecast",
    "LeadRates": "_leads",
    "lead_rates": "_leads",
    "Plan": "_plan",
    "reverse_funnel": "_plan",
    "PipelineForecastResult": "_result",
}

__getattr__ = lazy_attributes(__name__, _MODULE_OF)


if TYPE_CHECKING:
    from revops_nb.reports.pipeline_forecast._analyze import analyze
    from revops_nb.reports.pipeline_forecast._coverage import Coverage, coverage
    from revops_nb.reports.pipeline_forecast._deals import Deals, prepare_deals
    from revops_nb.reports.pipeline_forecast._forecast import Backtest, backtest
    from revops_nb.reports.pipeline_forecast._funnel import Funnel, stage_funnel
    from revops_nb.reports.pipeline_forecast._history import StageHistory, stage_history
    from revops_nb.reports.pipeline_forecast._leads import LeadRates, lead_rates
    from revops_nb.reports.pipeline_forecast._plan import Plan, reverse_funnel
    from revops_nb.reports.pipeline_forecast._result import PipelineForecastResult
    from revops_nb.reports.pipeline_forecast._targets import targets_by_period
