"""Pipeline coverage: open pipeline expected to close in each coming period against what is left of its target.

Raw coverage is the open amount whose expected close date falls in the period divided by
the target minus the bookings already won in it; weighted coverage weights each deal by
the win rate from its current stage (the latest it entered, after any move back; the
overall win rate without stage history).
Open deals past their expected close date count in the first period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb.reports.pipeline_forecast._deals import Deals
from revops_nb.reports.pipeline_forecast.settings import Settings

COVERAGE_COLUMNS = [
    "period",
    "target",
    "won_to_date",
    "remaining",
    "open_deals",
    "pipeline",
    "weighted_pipeline",
    "coverage",
    "weighted_coverage",
]


@dataclass
class Coverage:
    """Coverage per coming period (columns :data:`COVERAGE_COLUMNS`) and the open deals it leaves out."""

    table: pd.DataFrame
    target_source: str  # '' when there is no target
    n_open: int
    n_past_due: int  # open deals whose expected close date has passed (counted in the first period)
    n_undated: int  # open deals with no expected close date (in no period)
    undated_amount: float
    n_no_amount: int  # open deals without an amount
    n_later: int  # open deals expected to close after the periods shown
    later_amount: float

    @property
    def first(self) -> pd.Series:
        """The first period's row (the period the forecast is for)."""
        return self.table.iloc[0]


def forecast_period(as_of: pd.Timestamp, freq: str) -> pd.Period:
    """The period the forecast is for: the one holding the first day after the report date."""
    return (as_of + pd.Timedelta(days=1)).to_period(freq)


def coverage(
    deals: Deals, win_probability: pd.Series, targets: pd.Series, target_source: str, settings: Settings
) -> Coverage:
    """Coverage of the coming ``coverage_periods`` periods; ``win_probability`` is per deal (frame index)."""
    frame = deals.frame
    periods = targets.index
    first = periods[0]
    is_open = frame["status"].eq("open")
    expected = frame["close_date"].where(is_open)
    past_due = is_open & expected.notna() & (expected <= deals.as_of)
    period = expected.dt.to_period(settings.freq).where(~past_due, first)
    won = frame["status"].eq("won") & frame["close_date"].notna()
    won_period = frame["close_date"].where(won).dt.to_period(settings.freq)
    amount = frame["amount_rep"]
    rows = []
    for p in periods:
        here = is_open & (period == p)
        won_here = float(amount[won & (won_period == p)].sum())
        target = float(targets[p])
        remaining = max(target - won_here, 0.0) if np.isfinite(target) else np.nan
        pipe = float(amount[here].sum())
        weighted = float((amount[here] * win_probability[here]).sum())
        rows.append(
            {
                "period": str(p),
                "target": target,
                "won_to_date": won_here,
                "remaining": remaining,
                "open_deals": int(here.sum()),
                "pipeline": pipe,
                "weighted_pipeline": weighted,
                "coverage": pipe / remaining if remaining and remaining > 0 else np.nan,
                "weighted_coverage": weighted / remaining if remaining and remaining > 0 else np.nan,
            }
        )
    later = is_open & period.notna() & (period > periods[-1])
    undated = is_open & expected.isna()
    return Coverage(
        table=pd.DataFrame(rows, columns=COVERAGE_COLUMNS),
        target_source=target_source,
        n_open=int(is_open.sum()),
        n_past_due=int(past_due.sum()),
        n_undated=int(undated.sum()),
        undated_amount=float(amount[undated].sum()),
        n_no_amount=int((is_open & amount.isna()).sum()),
        n_later=int(later.sum()),
        later_amount=float(amount[later].sum()),
    )
