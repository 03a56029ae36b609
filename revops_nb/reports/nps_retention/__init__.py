"""NPS and retention: does customer sentiment predict retention here, and how much ARR sits with unhappy customers?

Survey responses (any score scale) are put into categories, linked to what happened to
the account after each response (churn within a horizon from ``subscriptions``, or a
``customers`` churn flag), and compared: NPS with multinomial intervals, retention by
category with Wilson intervals and a chi-square test, rank correlation, a logistic
regression with controls, Kaplan–Meier curves with a log-rank test, ARR at risk and a
plain verdict. Outcome analyses count each account once, through its first response
whose outcome is known.

Odd shapes step aside instead of failing: responses without dates still give NPS, and
with a ``customers`` snapshot every outcome analysis; only the time-based parts need
dates. The steps below are public for tests and benchmarks; a notebook needs only
``TABLES``, ``Settings``, ``analyze`` and :mod:`.view`.

The computation is imported on first use (``__getattr__``): the runner imports
:mod:`.settings` to check parameters before any kernel starts, and importing it
imports this package, which stays as light as the settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revops_nb.reports._lazy import lazy_attributes
from revops_nb.reports.nps_retention.settings import CATEGORIES, Settings

TABLES = ("nps_responses", "subscriptions", "customers", "accounts", "fx_rates")

# The report's API (TABLES, Settings, analyze, NpsResult) and the steps, for tests and benchmarks.
__all__ = [
    "ALL_SEGMENTS",
    "CATEGORIES",
    "TABLES",
    "NpsResult",
    "Settings",
    "account_history",
    "analyze",
    "arr_at_risk",
    "categorize",
    "churn_regression",
    "link_outcomes",
    "nps_by",
    "nps_by_quarter",
    "nps_by_segment",
    "prepare_responses",
    "respondents_vs_non",
    "respondents_window",
    "retention_by_category",
    "score_correlation",
    "survival_by_category",
    "verdict",
]

_MODULE_OF = {
    "analyze": "_analyze",
    "NpsResult": "_result",
    "ALL_SEGMENTS": "_responses",
    "categorize": "_responses",
    "prepare_responses": "_responses",
    "account_history": "_linking",
    "link_outcomes": "_linking",
    "nps_by": "_nps",
    "nps_by_quarter": "_nps",
    "nps_by_segment": "_nps",
    "retention_by_category": "_retention",
    "survival_by_category": "_retention",
    "churn_regression": "_association",
    "score_correlation": "_association",
    "arr_at_risk": "_at_risk",
    "respondents_vs_non": "_respondents",
    "respondents_window": "_respondents",
    "verdict": "_verdict",
}


__getattr__ = lazy_attributes(__name__, _MODULE_OF)


if TYPE_CHECKING:
    from revops_nb.reports.nps_retention._analyze import analyze
    from revops_nb.reports.nps_retention._association import churn_regression, score_correlation
    from revops_nb.reports.nps_retention._at_risk import arr_at_risk
    from revops_nb.reports.nps_retention._linking import account_history, link_outcomes
    from revops_nb.reports.nps_retention._nps import nps_by, nps_by_quarter, nps_by_segment
    from revops_nb.reports.nps_retention._respondents import respondents_vs_non, respondents_window
    from revops_nb.reports.nps_retention._responses import ALL_SEGMENTS, categorize, prepare_responses
    from revops_nb.reports.nps_retention._result import NpsResult
    from revops_nb.reports.nps_retention._retention import retention_by_category, survival_by_category
    from revops_nb.reports.nps_retention._verdict import verdict
