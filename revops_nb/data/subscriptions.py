"""One definition of an active subscription, a customer, its ARR and churn, for every report.

Reports that read ``subscriptions`` (market ARR and customers, NPS retention, the
churn model's labels and features) call these functions, so the same rows give the
same ARR on the same day and the same churn in every report, and each report states
:data:`DEFINITION` in words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFINITION = (
    "A subscription is active on a day when it started on or before that day and has not ended by it "
    "(start_date ≤ day < end_date; no end_date means it is still running). An account is a customer on "
    "a day when at least one of its subscriptions is active, its ARR is the sum of their ARR (arr, else "
    "mrr × 12), and it has churned when it was a customer and no subscription of it is active any more."
)


def subscription_arr(frame: pd.DataFrame) -> pd.Series:
    """ARR per subscription row: ``arr``, else ``mrr`` × 12 (row by row), else missing."""
    arr = pd.Series(np.nan, index=frame.index, dtype="float64")
    if "arr" in frame:
        arr = pd.to_numeric(frame["arr"], errors="coerce").astype("float64")
    if "mrr" in frame:
        arr = arr.fillna(pd.to_numeric(frame["mrr"], errors="coerce").astype("float64") * 12)
    return arr


def active_on(start, end, day):
    """Whether subscriptions with these start and end dates are active on ``day`` (arrays broadcast).

    ``start``/``end`` are Series or datetime64 arrays (NaT end = still running); ``day`` is a
    Timestamp, or an array shaped to broadcast against them (e.g. dates as a row vector).
    """
    if isinstance(start, pd.Series):
        return (start <= day) & (end.isna() | (end > day))
    return (start <= day) & (np.isnat(end) | (end > day))


def ended_by(end: pd.Series, day: pd.Timestamp) -> pd.Series:
    """Whether each subscription has ended on or before ``day`` (NaT end: not ended)."""
    return end.notna() & (end <= day)
