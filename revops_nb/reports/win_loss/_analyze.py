"""The whole win/loss analysis on the loaded tables, each step once, into one :class:`WinLossResult`."""

from __future__ import annotations

from revops_nb.data import Dataset
from revops_nb.errors import DataError
from revops_nb.reports.win_loss._competitors import baseline_rate, head_to_head
from revops_nb.reports.win_loss._cycle import cycle_length
from revops_nb.reports.win_loss._deals import Deals, prepare_deals
from revops_nb.reports.win_loss._drivers import win_drivers
from revops_nb.reports.win_loss._losses import loss_analysis
from revops_nb.reports.win_loss._overall import overall_win_rate
from revops_nb.reports.win_loss._rates import win_rate_by
from revops_nb.reports.win_loss._result import WinLossResult
from revops_nb.reports.win_loss._time_to_close import time_to_close
from revops_nb.reports.win_loss._trend import quarterly_trend
from revops_nb.reports.win_loss._velocity import pipeline_velocity, velocity_note
from revops_nb.reports.win_loss.settings import Settings


def analyze(data: Dataset, settings: Settings) -> WinLossResult:
    """Prepare the deals from ``opportunities`` (with ``accounts`` and ``fx_rates`` when loaded), then
    run every analysis on them (:func:`analyze_deals`)."""
    deals = prepare_deals(data["opportunities"], data.get("accounts"), data.get("fx_rates"), settings)
    return analyze_deals(deals, settings)


def analyze_deals(deals: Deals, settings: Settings) -> WinLossResult:
    """Run every win/loss analysis; what the data cannot support steps aside (see ``WinLossResult.aside``).

    Raises :class:`~revops_nb.errors.DataError` only when deals closed but none within the period.
    """
    closed = deals.frame["is_closed"].astype(bool)
    if deals.closed.empty and closed.any():
        why = ""
        if deals.frame.loc[closed, "close_date"].isna().all():
            why = " (the closed deals have no close dates; leave period_start and period_end unset)"
        raise DataError(
            f"opportunities: no deal closed within the period, so there is no win rate to report{why}"
        )
    open_amount = deals.open["amount_rep"]
    competitors = head_to_head(deals, settings)
    return WinLossResult(
        deals=deals,
        settings=settings,
        overall=overall_win_rate(deals, settings),
        dimensions={d: win_rate_by(deals, d, settings) for d in settings.dimensions},
        losses=loss_analysis(deals, settings),
        competitors=competitors,
        cycle=cycle_length(deals, settings),
        time_to_close=time_to_close(deals, settings),
        velocity=pipeline_velocity(deals, settings),
        trend=quarterly_trend(deals, settings),
        drivers=win_drivers(deals, settings),
        velocity_note=velocity_note(deals),
        n_open=len(deals.open),
        open_amount=float(open_amount.sum()) if open_amount.notna().any() else None,
        competitor_baseline_rate=baseline_rate(competitors),
    )
