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


def with_end_date(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with an ``end_date`` column (all missing when the export has none: still running)."""
    if "end_date" in frame:
        return frame
    return frame.assign(end_date=pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]"))


def observed_until(
    subscriptions: pd.DataFrame, *other_dates: pd.Series | None, today: pd.Timestamp | None = None
) -> pd.Timestamp:
    """The latest day the data has observed: its latest start, end or other event (e.g. a
    response) that is not after ``today`` (default: the day the report runs).

    A date after today is scheduled (a customer who gave notice, a contract term end), not
    something that happened: it must not move the 'as of' date into the future, where every
    open subscription would look retained by construction.
    """
    today = pd.Timestamp.today().normalize() if today is None else today
    columns = [subscriptions.get("start_date"), subscriptions.get("end_date"), *other_dates]
    seen = [s[s <= today].max() for s in columns if s is not None and (s <= today).any()]
    if not seen:
        raise ValueError("no start, end or event date on or before today to date the data by")
    return pd.Timestamp(max(seen)).normalize()


def scheduled_ends(subscriptions: pd.DataFrame, as_of: pd.Timestamp) -> int:
    """How many end dates lie after ``as_of`` (scheduled, not yet happened)."""
    if "end_date" not in subscriptions:
        return 0
    return int((subscriptions["end_date"] > as_of).sum())
