"""The whole pipeline and forecast analysis on the loaded tables, each step once."""

from __future__ import annotations

import pandas as pd

from revops_nb.data import Dataset
from revops_nb.reports.pipeline_forecast._coverage import coverage, forecast_period
from revops_nb.reports.pipeline_forecast._deals import prepare_deals
from revops_nb.reports.pipeline_forecast._forecast import backtest
from revops_nb.reports.pipeline_forecast._funnel import Funnel, stage_funnel
from revops_nb.reports.pipeline_forecast._history import StageHistory, stage_history
from revops_nb.reports.pipeline_forecast._leads import lead_rates
from revops_nb.reports.pipeline_forecast._plan import reverse_funnel
from revops_nb.reports.pipeline_forecast._result import PipelineForecastResult
from revops_nb.reports.pipeline_forecast._targets import targets_by_period
from revops_nb.reports.pipeline_forecast.settings import Settings


def analyze(data: Dataset, settings: Settings) -> PipelineForecastResult:
    """Funnel, coverage, forecast backtest and SLA plan from ``opportunities`` and the optional tables."""
    deals = prepare_deals(data["opportunities"], data.get("accounts"), data.get("fx_rates"), settings)
    history = stage_history(data.get("opportunity_stages"), deals, settings.stages)
    funnel = stage_funnel(deals, history, settings)
    first = forecast_period(deals.as_of, settings.freq)
    periods = pd.period_range(first, periods=settings.coverage_periods, freq=settings.freq)
    targets, source, target_notes = targets_by_period(data.get("targets"), settings, periods)
    cover = coverage(deals, win_probability(deals, history, funnel), targets, source, settings)
    leads = lead_rates(data.get("leads"), deals, settings)
    return PipelineForecastResult(
        deals=deals,
        settings=settings,
        funnel=funnel,
        coverage=cover,
        backtest=backtest(deals, history, settings),
        leads=leads,
        plan=reverse_funnel(deals, leads, targets, settings),
        notes=[*deals.notes, *history.notes, *target_notes],
    )


def win_probability(deals, history: StageHistory, funnel: Funnel) -> pd.Series:
    """Each open deal's chance of being won: the win rate from its current stage, else the overall rate."""
    overall = funnel.win_rate if funnel.n_closed else 0.0
    if not funnel.history:
        return pd.Series(overall, index=deals.frame.index, dtype="float64")
    by_stage = funnel.table["win_rate"]
    return history.current(deals).map(by_stage).fillna(overall).astype("float64")
