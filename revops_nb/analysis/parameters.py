"""The value constraints of every report's parameters, declared once.

The runner checks merged parameters against :data:`REPORT_RULES` before any kernel
starts (exit 2 naming the parameter, value and what is allowed); each report's
settings function checks the same rules inside the kernel; ``revops-nb list``
prints them. This module imports nothing heavy so planning a run stays fast.
"""

from __future__ import annotations

from revops_nb.param_rules import ReportRules
from revops_nb.reports._settings import CONFIDENCE, MIN_N, PERIOD, date_parameter  # noqa: F401

REPORT_RULES: dict[str, ReportRules] = {}

from revops_nb.reports import CURRENCY_PARAMETER, MONEY_TABLES  # noqa: E402, F401
