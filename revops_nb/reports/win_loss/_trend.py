"""Win rate by close quarter, and the last complete quarter tested against the one before."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from revops_nb import stats
from revops_nb.reports.win_loss._common import no_test
from revops_nb.reports.win_loss._deals import Deals
from revops_nb.reports.win_loss._rates import rate_frame
from revops_nb.reports.win_loss.settings import Settings
from revops_nb.stats import TestResult


@dataclass(frozen=True)
class Trend:
    """Win rate by close quarter and the test of the last complete quarter against the one before.

    ``latest`` and ``previous`` are the two most recent complete quarters (the
    tested pair); ``partial`` is a quarter still under way at the report date
    (or cut by the period), shown descriptively and never tested.
    """

    table: pd.DataFrame
    latest: str | None
    previous: str | None
    test: TestResult
    partial: str | None = None

    @property
    def latest_partial(self) -> bool:
        """True when the most recent quarter in the table is incomplete (and so not tested)."""
        return self.partial is not None

    @property
    def direction(self) -> str | None:
        """'higher' or 'lower': the last complete quarter's win rate against the one before (None without both)."""
        if self.latest is None or self.previous is None:
            return None
        rates = self.table.set_index("quarter")["win_rate"]
        return "higher" if rates[self.latest] > rates[self.previous] else "lower"


def quarterly_trend(deals: Deals, settings: Settings) -> Trend:
    """Win rate per close quarter (n, Wilson CI, small quarters flagged) and last-complete-vs-previous test."""
    closed = deals.closed[deals.closed["quarter"].notna()]
    table = rate_frame(closed, "quarter", settings.min_n, settings.confidence)
    table = table.rename(columns={"value": "quarter"}).sort_values("quarter").reset_index(drop=True)
    table["complete"] = [_quarter_complete(q, deals.as_of, settings.period_start) for q in table["quarter"]]
    partial = None
    if len(table) and not table["complete"].iloc[-1]:
        partial = str(table["quarter"].iloc[-1])
    complete = table[table["complete"]]
    if len(complete) < 2:
        latest = str(complete["quarter"].iloc[-1]) if len(complete) else None
        return Trend(table, latest, None, no_test(), partial)
    last, prev = complete.iloc[-1], complete.iloc[-2]
    test = stats.two_proportion_test(int(last["won"]), int(last["n"]), int(prev["won"]), int(prev["n"]))
    return Trend(table, str(last["quarter"]), str(prev["quarter"]), test, partial)


def _quarter_complete(quarter: str, as_of: pd.Timestamp, period_start: pd.Timestamp | None) -> bool:
    """Whether the whole quarter lies within the data: ended by ``as_of`` and began on or after the start."""
    q = pd.Period(quarter, freq="Q")
    ended = as_of.normalize() >= q.end_time.normalize()
    begun = period_start is None or period_start <= q.start_time
    return bool(ended and begun)
