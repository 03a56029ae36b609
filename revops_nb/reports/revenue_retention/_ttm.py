"""Trailing-twelve-month net and gross revenue retention, overall and by segment, region...

The base is every account with ARR twelve months before the report date; NRR compares their ARR
on the report date with their ARR then (new customers since are left out), GRR the same with no
account counted above what it had. Groups smaller than ``min_n`` accounts are flagged, not ranked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.reports.revenue_retention._book import Book, arr_on_days
from revops_nb.reports.revenue_retention._ratio import retention, retention_interval
from revops_nb.reports.revenue_retention._waterfall import account_flows
from revops_nb.reports.revenue_retention.settings import Settings

TTM_COLUMNS = [
    "value",
    "n",
    "arr_then",
    "arr_now",
    "nrr",
    "nrr_ci_low",
    "nrr_ci_high",
    "grr",
    "grr_ci_low",
    "grr_ci_high",
    "flagged",
]


@dataclass
class Ttm:
    """TTM retention: ``overall`` (one row of :data:`TTM_COLUMNS`), ``by`` dimension tables, or why not.

    ``bridge`` is the twelve-month ARR bridge of every account (opening, new, expansion,
    contraction, churned, closing, from :func:`account_flows`). Its opening is the NRR base's ARR,
    so NRR = (opening + expansion − contraction − churned) / opening and GRR = (opening −
    contraction − churned) / opening hold exactly. Being point to point, it leaves out customers
    won and lost within the twelve months and moves up and down within them, which the waterfall
    per period counts: ``chained`` sums its flows over the same days, cut at each period's end.
    """

    base_day: pd.Timestamp
    overall: pd.Series | None
    by: dict[str, pd.DataFrame] = field(default_factory=dict)
    aside: str | None = None
    bridge: dict[str, float] | None = None
    chained: dict[str, float] | None = (
        None  # the same twelve months summed over the waterfall grain's periods
    )

    def reconciling(self) -> dict[str, float] | None:
        """What the waterfall, summed period by period over the same twelve months, counts beyond the
        point-to-point bridge: new and churned ARR of customers won and lost within the twelve months,
        expansion and contraction of accounts moving up and down within them. The four net to zero
        (both bridges run from the same opening to the same closing)."""
        if self.bridge is None or self.chained is None:
            return None
        return {k: self.chained[k] - self.bridge[k] for k in ("new", "expansion", "contraction", "churned")}


def ttm_retention(book: Book, settings: Settings) -> Ttm:
    """NRR and GRR over the twelve months to the report date; steps aside without twelve months of history."""
    base_day = book.as_of - pd.DateOffset(months=12)
    first = book.rows["start_date"].min()
    if first > base_day:
        return Ttm(
            base_day,
            None,
            aside=(
                f"Trailing-twelve-month retention needs subscriptions from twelve months before the report date "
                f"({base_day:%Y-%m-%d}); the first one starts on {first:%Y-%m-%d}."
            ),
        )
    accounts = pd.Index(book.customers.index)
    ends = pd.period_range(base_day, book.as_of, freq=settings.freq).end_time.normalize()
    days = [base_day, *[d for d in ends if base_day < d < book.as_of], book.as_of]
    arr = arr_on_days(book.rows, days, accounts)
    chained = dict.fromkeys(("new", "expansion", "contraction", "churned"), 0.0)
    for i in range(len(days) - 1):
        step = account_flows(arr[:, i], arr[:, i + 1])
        for k in chained:
            chained[k] += float(step[k])
    arr = arr[:, [0, -1]]
    base = arr[:, 0] > 0
    if not base.any():
        return Ttm(
            base_day,
            None,
            aside=f"No account had ARR on {base_day:%Y-%m-%d}, twelve months before the report date.",
        )
    bridge = {k: float(v) for k, v in account_flows(arr[:, 0], arr[:, 1]).items() if not k.startswith("n_")}
    then, now = arr[base, 0], arr[base, 1]
    overall = _row("All customers", then, now, settings, seed=0)
    by = {}
    customers = book.customers.loc[accounts[base]]
    for dim in settings.dimensions:
        if dim not in book.dimensions:
            continue
        groups = customers[dim].to_numpy()
        rows = [
            _row(value, then[groups == value], now[groups == value], settings, seed=i + 1)
            for i, value in enumerate(pd.unique(groups))
        ]
        table = pd.DataFrame(rows, columns=TTM_COLUMNS)
        table = table.sort_values(["flagged", "nrr"], ascending=[True, False], kind="stable").reset_index(
            drop=True
        )
        by[dim] = table
    return Ttm(base_day, pd.Series(overall, index=TTM_COLUMNS), by, bridge=bridge, chained=chained)


def _row(value: str, then: np.ndarray, now: np.ndarray, settings: Settings, seed: int) -> list:
    out = [value, len(then), float(then.sum()), float(now.sum())]
    for kind in ("nrr", "grr"):
        low, high = retention_interval(
            then, now, kind, settings.confidence, settings.bootstrap_replicates, seed
        )
        out += [retention(then, now, kind), low, high]
    return [*out, len(then) < settings.min_n]
