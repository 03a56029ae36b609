"""Every number the win/loss report shows, computed once: the result the view tells in words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb.reports._window import closed_deals_window, window_dates
from revops_nb.reports.win_loss._cycle import Cycle
from revops_nb.reports.win_loss._deals import Deals
from revops_nb.reports.win_loss._drivers import Drivers
from revops_nb.reports.win_loss._losses import LossAnalysis
from revops_nb.reports.win_loss._overall import OverallWinRate
from revops_nb.reports.win_loss._rates import RATE_COLUMNS, DimensionResult
from revops_nb.reports.win_loss._time_to_close import TimeToClose
from revops_nb.reports.win_loss._trend import Trend
from revops_nb.reports.win_loss.settings import Settings

# what a section would show, for the sentence saying it steps aside when nothing closed
NOTHING_CLOSED = {
    "win_rate": "no win rate to show",
    "losses": "no lost deal to analyse",
    "competitors": "no win rate against competitors",
    "cycle": "no sales cycle to measure",
    "time_to_close": "no time to close to estimate",
    "velocity": "no win rate or won deal to project the open pipeline with",
    "trend": "no win rate by quarter",
    "drivers": "no won or lost deal to model",
}
# a section that needs close dates, and the sentence it shows when the closed deals have none
UNDATED = {
    "cycle": "The sales cycle needs close dates, and the closed deals have none.",
    "time_to_close": "Time to close needs close dates, and the closed deals have none.",
    "velocity": "Pipeline velocity needs the cycle length of won deals, and the closed deals have no close dates.",
    "trend": "Win rate by quarter needs close dates, and the closed deals have none.",
}
UNDATED_WINDOW = "all closed deals (no close dates)"


@dataclass
class WinLossResult:
    """Every win/loss result for one period, plus the key figures and tables the run records.

    Built by :func:`revops_nb.reports.win_loss.analyze`. ``open_amount`` is the open
    pipeline in the reporting currency (None when no open deal has an amount);
    ``competitor_baseline_rate`` the win rate on deals with no competitor that the
    head-to-head rates are tested against (NaN when too few such deals closed).
    """

    deals: Deals
    settings: Settings
    overall: OverallWinRate
    dimensions: dict[str, DimensionResult]
    losses: LossAnalysis
    competitors: pd.DataFrame
    cycle: Cycle
    time_to_close: TimeToClose
    velocity: pd.DataFrame
    trend: Trend
    drivers: Drivers
    velocity_note: str  # why velocity is not estimated ('' = it is)
    n_open: int
    open_amount: float | None
    competitor_baseline_rate: float

    @property
    def window(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """First and last close date of the window: the parameters, else the data's first close and as-of.

        None when no closed deal in the window has a close date (closed by stage only, or none closed).
        """
        first = self.settings.period_start
        if first is None:
            dates = self.deals.closed["close_date"].dropna()
            if dates.empty:
                return None
            first = dates.min()
        last = self.settings.period_end or self.deals.as_of
        return pd.Timestamp(first), pd.Timestamp(last)

    @property
    def window_text(self) -> str:
        """The window in the words every report uses, or what stands in for it without close dates."""
        if self.window is not None:
            return closed_deals_window(*self.window)
        return UNDATED_WINDOW if len(self.deals.closed) else "no deal has closed yet"

    def aside(self, section: str) -> str | None:
        """Why ``section`` (a key of ``NOTHING_CLOSED``) steps aside, in one sentence; None when it shows."""
        if self.deals.closed.empty:
            return f"No deal has closed yet ({self.n_open:,} open), so there is {NOTHING_CLOSED[section]}."
        if not self.deals.dated and section in UNDATED:
            return UNDATED[section]
        if section == "velocity":
            return self.velocity_note or None
        won = int(self.deals.closed["is_won"].sum())
        if section == "drivers" and won in (0, len(self.deals.closed)):
            outcome = "won" if won else "lost"
            return f"Win drivers need won and lost deals to compare, and every closed deal in the period was {outcome}."
        return None

    def key_figures(self) -> dict[str, float | int | str | None]:
        """The headline figures recorded in run.json; None where the data cannot give one."""
        o, cycle = self.overall, self.cycle.table.set_index("outcome")["median_days"]
        window = self.window
        figures = {
            "window": window_dates(*window) if window else (UNDATED_WINDOW if o.n_closed else None),
            "win_rate": o.win_rate,
            "win_rate_ci_low": o.ci_low,
            "win_rate_ci_high": o.ci_high,
            "n_closed": o.n_closed,
            "n_won": o.n_won,
            "n_open": self.n_open,
            "won_amount": o.won_amount if o.n_with_amount else None,
            "win_rate_amount_weighted": o.win_rate_amount,
            "median_cycle_days_won": float(cycle["Won"]),
            "median_cycle_days_lost": float(cycle["Lost"]),
            "pipeline_velocity_per_day": float(self.velocity["velocity_per_day"].iloc[0]),
        }
        return {k: _finite(v) for k, v in figures.items()}

    def tables(self) -> dict[str, pd.DataFrame]:
        """The main tables saved as CSV: win rate per dimension, loss reasons, win drivers."""
        out = {
            f"win_rate_by_{name}": result.table[RATE_COLUMNS]
            for name, result in self.dimensions.items()
            if not result.absent
        }
        out["loss_reasons"] = self.losses.pareto
        out["win_drivers"] = self.drivers.table
        return out


def _finite(value):
    """A float figure that is NaN or infinite becomes None; anything else is kept."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
