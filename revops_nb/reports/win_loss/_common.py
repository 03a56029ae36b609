"""Small pieces several win/loss computations share: a test not run, Holm adjustment, days in words."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from revops_nb.stats import TestResult


def no_test(note: str = "") -> TestResult:
    """A test that was not run (NaN statistic and p-value), with why in ``note``."""
    return TestResult(float("nan"), float("nan"), "none", note)


def holm(p_values: pd.Series, alpha: float) -> tuple[pd.Series, pd.Series]:
    """Holm-adjusted p-values and rejections over the finite p-values (NaN stays NaN, not significant)."""
    adjusted = pd.Series(np.nan, index=p_values.index, dtype=float)
    reject = pd.Series(False, index=p_values.index, dtype=bool)
    finite = p_values.notna()
    if finite.any():
        rej, adj, _, _ = multipletests(p_values[finite].astype(float), alpha=alpha, method="holm")
        adjusted[finite] = adj
        reject[finite] = rej
    return adjusted, reject


def days_text(value: float) -> str:
    """'0 days, as every deal closed on the day it was created' or '12 days'."""
    if value == 0:
        return "0 days: every deal closed on the day it was created"
    return f"{value:g} days"
