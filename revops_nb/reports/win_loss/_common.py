"""Small pieces several win/loss computations share: a test not run, Holm adjustment, days in words."""

from __future__ import annotations

from revops_nb.stats import TestResult


def no_test(note: str = "") -> TestResult:
    """A test that was not run (NaN statistic and p-value), with why in ``note``."""
    return TestResult(float("nan"), float("nan"), "none", note)


def days_text(value: float) -> str:
    """'0 days, as every deal closed on the day it was created' or '12 days'."""
    if value == 0:
        return "0 days: every deal closed on the day it was created"
    return f"{value:g} days"
