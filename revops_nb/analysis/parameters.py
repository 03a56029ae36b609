"""The value constraints of every report's parameters, declared once.

The runner checks merged parameters against :data:`REPORT_RULES` before any kernel
starts (exit 2 naming the parameter, value and what is allowed); each report's
settings function checks the same rules inside the kernel; ``revops-nb list``
prints them. This module imports nothing heavy so planning a run stays fast.
"""

from __future__ import annotations

from revops_nb.param_rules import (
    AtLeast,
    Between,
    CurrencyCode,
    IsoDate,
    OneOf,
    ReportRules,
)

CHURN_MODES = ("auto", "snapshot", "history")

from revops_nb.reports._settings import CONFIDENCE, MIN_N, PERIOD, date_parameter  # noqa: E402, F401

CHURN = ReportRules(
    fields={
        "mode": OneOf(CHURN_MODES),
        "horizon_days": AtLeast(1),
        "step_days": AtLeast(1),
        "as_of": IsoDate(),
        "test_share": Between(0.05, 0.5),
        "min_n": MIN_N,
        "n_bootstrap": AtLeast(100),
        "top_n": AtLeast(1),
        "reporting_currency": CurrencyCode(),
    },
)

REPORT_RULES: dict[str, ReportRules] = {
    "churn_model": CHURN,
}

from revops_nb.reports import CURRENCY_PARAMETER, MONEY_TABLES  # noqa: E402, F401
