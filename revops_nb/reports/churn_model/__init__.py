"""The churn model report: who will churn, how sure we are, and the ARR at risk.

Two modes: *history* builds observation rows from subscription history (with usage,
NPS, support tickets and account attributes known before each date); *snapshot* takes
a ``customers`` table with a churn flag. A naive tenure baseline, a logistic regression
and gradient boosting are compared on rows they were not fitted on (time-ordered in
history mode); the chosen model scores today's customers.

``analyze`` imports the modelling libraries when called, so importing this package
(as the runner does to check :class:`Settings`) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revops_nb.reports.churn_model._history import history_table
from revops_nb.reports.churn_model._result import ChurnResult
from revops_nb.reports.churn_model.settings import Settings

if TYPE_CHECKING:
    from revops_nb.data import Dataset

__all__ = ["TABLES", "ChurnResult", "Settings", "analyze", "history_table"]

# Every table the notebook loads: subscriptions or customers are required, the rest used when present.
TABLES = (
    "subscriptions",
    "usage",
    "nps_responses",
    "accounts",
    "fx_rates",
    "customers",
    "support_tickets",
    "churn_events",
)


def analyze(data: Dataset, settings: Settings) -> ChurnResult:
    """Fit and evaluate the churn models on the loaded tables and compute every section's result.

    Only ``data.get(name)`` is used, so a mapping of table name to frame works as well.
    """
    from revops_nb.reports.churn_model._analyze import analyze as _analyze

    return _analyze(data, settings)
