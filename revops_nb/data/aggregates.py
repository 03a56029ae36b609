"""Aggregations of the tables that can be large, as ibis expressions that run inside the engine.

Each takes the table's rows after the data contract (canonical names and types) and
returns what the reports need of them, with every figure derivable exactly:

- ``usage``: one row per account and calendar month, each metric its mean over the
  month (the churn model averages usage per month before anything else).
- ``leads``: one row per distinct (created, MQL, SQL date, source, opportunity) with the
  number of leads in it as ``lead_count``; every funnel rate, lag quantile and median of
  the pipeline report is a weighted count over these rows. On exports dated by day that
  is bounded by days x lags x sources plus the leads that became opportunities, not by
  the number of leads.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis

from revops_nb.data.contract import TABLES

LEAD_COUNT = "lead_count"


def usage_by_month(rows: ibis.Table) -> ibis.Table:
    """Mean of every numeric usage metric per account and month (``period_start`` = the month's first day)."""
    keys = TABLES["usage"].key
    metrics = [
        name
        for name, dtype in rows.schema().items()
        if name not in keys and dtype.is_numeric() and not dtype.is_boolean()
    ]
    month = rows.period_start.truncate("M").name("period_start")
    grouped = rows.group_by([rows.account_id, month]).aggregate(
        **{m: rows[m].cast("float64").mean() for m in metrics}
    )
    return grouped.order_by(["account_id", "period_start"])  # one order in every engine: equal fingerprints


def leads_by_dates(rows: ibis.Table) -> ibis.Table:
    """Leads counted per distinct combination of the contract's lead columns other than ``lead_id``."""
    keys = [c for c in TABLES["leads"].kinds if c != "lead_id" and c in rows.columns]
    return rows.group_by(keys).aggregate(**{LEAD_COUNT: rows.count()}).order_by(keys)


AGGREGATIONS: dict[str, Callable[[ibis.Table], ibis.Table]] = {
    "usage": usage_by_month,
    "leads": leads_by_dates,
}
