"""The ARR waterfall per period, and net and gross revenue retention per period.

Each account's ARR is measured at the end of the day before a period starts (opening) and at the
end of its last day (closing; the report date for a period still under way). Per account:
0 → more is new, more → 0 is churned, a rise is expansion and a fall is contraction. Summed over
accounts, closing = opening + new + expansion − contraction − churned, exactly as measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb.reports.revenue_retention._book import Book, arr_on_days
from revops_nb.reports.revenue_retention._ratio import retention_interval
from revops_nb.reports.revenue_retention.settings import Settings

FLOWS = ("opening", "new", "expansion", "contraction", "churned", "closing")


@dataclass
class Waterfall:
    """``table``: one row per period with the flows, account counts, NRR and GRR with intervals."""

    table: pd.DataFrame
    first_day: pd.Timestamp
    last_day: pd.Timestamp

    def totals(self) -> dict[str, float]:
        """Opening of the first period, closing of the last, and every flow summed over the periods."""
        t = self.table
        return {
            "opening": float(t["opening"].iloc[0]),
            "new": float(t["new"].sum()),
            "expansion": float(t["expansion"].sum()),
            "contraction": float(t["contraction"].sum()),
            "churned": float(t["churned"].sum()),
            "closing": float(t["closing"].iloc[-1]),
        }


def periods_of(book: Book, settings: Settings) -> pd.PeriodIndex:
    """The report's periods: from period_start (else the first subscription) to the report date."""
    first = settings.period_start or book.rows["start_date"].min()
    if first > book.as_of:
        first = book.as_of
    return pd.period_range(
        pd.Period(first, settings.freq), pd.Period(book.as_of, settings.freq), freq=settings.freq
    )


def arr_waterfall(book: Book, settings: Settings) -> Waterfall:
    """The waterfall of every period of :func:`periods_of`, balanced per period."""
    periods = periods_of(book, settings)
    opening_day = periods[0].start_time.normalize() - pd.Timedelta(days=1)
    closing_days = [min(p.end_time.normalize(), book.as_of) for p in periods]
    accounts = pd.Index(book.customers.index)
    arr = arr_on_days(book.rows, [opening_day, *closing_days], accounts)
    rows = []
    for i, period in enumerate(periods):
        o, c = arr[:, i], arr[:, i + 1]
        flows = account_flows(o, c)
        was = o > 0
        nrr, grr = np.nan, np.nan
        low = {"nrr": np.nan, "grr": np.nan}
        high = dict(low)
        if was.any():
            nrr = c[was].sum() / o[was].sum()
            grr = np.minimum(c, o)[was].sum() / o[was].sum()
            for name in ("nrr", "grr"):
                low[name], high[name] = retention_interval(
                    o[was], c[was], name, settings.confidence, settings.bootstrap_replicates, seed=i
                )
        rows.append(
            {
                "period": str(period),
                "start": period.start_time.normalize(),
                "end": closing_days[i],
                "partial": bool(closing_days[i] < period.end_time.normalize()),
                **{k: float(v) for k, v in flows.items() if not k.startswith("n_")},
                "nrr": nrr,
                "nrr_ci_low": low["nrr"],
                "nrr_ci_high": high["nrr"],
                "grr": grr,
                "grr_ci_low": low["grr"],
                "grr_ci_high": high["grr"],
                **{k: int(v) for k, v in flows.items() if k.startswith("n_")},
            }
        )
    return Waterfall(
        table=pd.DataFrame(rows), first_day=opening_day + pd.Timedelta(days=1), last_day=closing_days[-1]
    )


def account_flows(opening: np.ndarray, closing: np.ndarray) -> dict[str, float]:
    """The waterfall of accounts' opening and closing ARR, with how many accounts made each move."""
    o, c = np.asarray(opening, float), np.asarray(closing, float)
    was, now = o > 0, c > 0
    both = was & now
    diff = c - o
    up, down = both & (diff > 0), both & (diff < 0)
    return {
        "opening": o[was].sum(),
        "new": c[~was & now].sum(),
        "expansion": diff[up].sum(),
        "contraction": -diff[down].sum() + 0.0,
        "churned": o[was & ~now].sum(),
        "closing": c[now].sum(),
        "n_opening": was.sum(),
        "n_new": (~was & now).sum(),
        "n_expanded": up.sum(),
        "n_contracted": down.sum(),
        "n_churned": (was & ~now).sum(),
        "n_closing": now.sum(),
    }
