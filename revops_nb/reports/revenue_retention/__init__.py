"""Revenue retention and customer value: what is retention worth in money?

The ARR waterfall per period (opening, new, expansion, contraction, churned, closing, balanced per
account), net and gross revenue retention per period and over the trailing twelve months with
bootstrap intervals over accounts, by segment and region; logo and revenue retention by start cohort
and age; Kaplan–Meier logo survival by start year with a log-rank test; shifted-beta-geometric
retention (Fader & Hardie) fitted on all customers and per segment where a likelihood-ratio test
shows the segment differs, checked against held-out periods, giving each
customer's expected remaining lifetime and discounted lifetime value and the customer base's value;
CAC by channel, payback, LTV:CAC and the magic number when a ``marketing_spend`` table exists.

What the data cannot support steps aside in words (no end dates, no churn, under twelve months of
history, no spend). The steps are public for tests and benchmarks; a notebook needs only ``TABLES``,
``Settings``, ``analyze`` and :mod:`.view`. The computation is imported on first use: the runner
imports :mod:`.settings`, and this package stays as light as the settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revops_nb.reports._lazy import lazy_attributes
from revops_nb.reports.revenue_retention.settings import Settings

TABLES = ("subscriptions", "accounts", "opportunities", "marketing_spend", "fx_rates")
# What the report loses without each optional table; `revops-nb check` says it for the absent ones.
OPTIONAL = {
    "marketing_spend": "no CAC, payback, LTV:CAC or magic number",
    "opportunities": "no acquisition channel per customer, so no CAC by channel",
}

__all__ = [
    "OPTIONAL",
    "TABLES",
    "Acquisition",
    "Book",
    "Clv",
    "CohortSurvival",
    "RetentionResult",
    "SbgFit",
    "Settings",
    "Ttm",
    "Waterfall",
    "account_flows",
    "acquisition",
    "analyze",
    "arr_waterfall",
    "cohort_retention",
    "cohort_survival",
    "customer_value",
    "fit_sbg",
    "prepare_book",
    "ttm_retention",
]

_MODULE_OF = {
    "analyze": "_analyze",
    "Book": "_book",
    "prepare_book": "_book",
    "Acquisition": "_cac",
    "acquisition": "_cac",
    "Clv": "_clv",
    "customer_value": "_clv",
    "cohort_retention": "_cohorts",
    "RetentionResult": "_result",
    "SbgFit": "_sbg",
    "fit_sbg": "_sbg",
    "CohortSurvival": "_survival",
    "cohort_survival": "_survival",
    "Ttm": "_ttm",
    "ttm_retention": "_ttm",
    "Waterfall": "_waterfall",
    "account_flows": "_waterfall",
    "arr_waterfall": "_waterfall",
}

__getattr__ = lazy_attributes(__name__, _MODULE_OF)


if TYPE_CHECKING:
    from revops_nb.reports.revenue_retention._analyze import analyze
    from revops_nb.reports.revenue_retention._book import Book, prepare_book
    from revops_nb.reports.revenue_retention._cac import Acquisition, acquisition
    from revops_nb.reports.revenue_retention._clv import Clv, customer_value
    from revops_nb.reports.revenue_retention._cohorts import cohort_retention
    from revops_nb.reports.revenue_retention._result import RetentionResult
    from revops_nb.reports.revenue_retention._sbg import SbgFit, fit_sbg
    from revops_nb.reports.revenue_retention._survival import CohortSurvival, cohort_survival
    from revops_nb.reports.revenue_retention._ttm import Ttm, ttm_retention
    from revops_nb.reports.revenue_retention._waterfall import Waterfall, account_flows, arr_waterfall
