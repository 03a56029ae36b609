"""Win/loss: why do we win and lose deals?

Win rates with Wilson intervals (overall, by amount and per dimension, with pairwise
Holm-adjusted tests), losses to competitors vs no decision and the loss-reason Pareto,
head-to-head rates against each competitor, the sales cycle of won vs lost deals,
Kaplan–Meier time to close (open deals censored), pipeline velocity with a bootstrap
interval, the quarterly trend and a logistic regression of win drivers.

What the data cannot support steps aside in words (no close dates, nothing closed,
one outcome only). The steps below are public for tests and benchmarks; a notebook
needs only ``TABLES``, ``Settings``, ``analyze`` and :mod:`.view`.

The computation is imported on first use (``__getattr__``): the runner imports
:mod:`.settings` to check parameters before any kernel starts, and importing it
imports this package, which stays as light as the settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revops_nb.reports._lazy import lazy_attributes
from revops_nb.reports.win_loss.settings import Settings

TABLES = ("opportunities", "accounts", "fx_rates")

__all__ = [
    "KNOWN_DIMENSIONS",
    "TABLES",
    "Cycle",
    "Deals",
    "DimensionResult",
    "Drivers",
    "LossAnalysis",
    "OverallWinRate",
    "Settings",
    "TimeToClose",
    "Trend",
    "WinLossResult",
    "amount_weighted_rate",
    "analyze",
    "analyze_deals",
    "compare_to_baseline",
    "cycle_direction",
    "cycle_length",
    "head_to_head",
    "loss_analysis",
    "loss_category",
    "median_interval",
    "overall_win_rate",
    "pairwise_comparisons",
    "pipeline_velocity",
    "prepare_deals",
    "quarterly_trend",
    "time_to_close",
    "velocity_note",
    "win_drivers",
    "win_rate_by",
]

_MODULE_OF = {
    "analyze": "_analyze",
    "analyze_deals": "_analyze",
    "head_to_head": "_competitors",
    "Cycle": "_cycle",
    "cycle_direction": "_cycle",
    "cycle_length": "_cycle",
    "median_interval": "_cycle",
    "KNOWN_DIMENSIONS": "_deals",
    "Deals": "_deals",
    "prepare_deals": "_deals",
    "Drivers": "_drivers",
    "win_drivers": "_drivers",
    "LossAnalysis": "_losses",
    "loss_analysis": "_losses",
    "loss_category": "_losses",
    "OverallWinRate": "_overall",
    "amount_weighted_rate": "_overall",
    "overall_win_rate": "_overall",
    "DimensionResult": "_rates",
    "compare_to_baseline": "_rates",
    "pairwise_comparisons": "_rates",
    "win_rate_by": "_rates",
    "WinLossResult": "_result",
    "TimeToClose": "_time_to_close",
    "time_to_close": "_time_to_close",
    "Trend": "_trend",
    "quarterly_trend": "_trend",
    "pipeline_velocity": "_velocity",
    "velocity_note": "_velocity",
}


__getattr__ = lazy_attributes(__name__, _MODULE_OF)


if TYPE_CHECKING:
    from revops_nb.reports.win_loss._analyze import analyze, analyze_deals
    from revops_nb.reports.win_loss._competitors import head_to_head
    from revops_nb.reports.win_loss._cycle import Cycle, cycle_direction, cycle_length, median_interval
    from revops_nb.reports.win_loss._deals import KNOWN_DIMENSIONS, Deals, prepare_deals
    from revops_nb.reports.win_loss._drivers import Drivers, win_drivers
    from revops_nb.reports.win_loss._losses import LossAnalysis, loss_analysis, loss_category
    from revops_nb.reports.win_loss._overall import OverallWinRate, amount_weighted_rate, overall_win_rate
    from revops_nb.reports.win_loss._rates import (
        DimensionResult,
        compare_to_baseline,
        pairwise_comparisons,
        win_rate_by,
    )
    from revops_nb.reports.win_loss._result import WinLossResult
    from revops_nb.reports.win_loss._time_to_close import TimeToClose, time_to_close
    from revops_nb.reports.win_loss._trend import Trend, quarterly_trend
    from revops_nb.reports.win_loss._velocity import pipeline_velocity, velocity_note
