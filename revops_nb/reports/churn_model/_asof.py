"""For each row, the last event of the same account strictly before a time: an as-of lookup on integers.

``pd.merge_asof(..., by=account, allow_exact_matches=False)`` answers the same question but
sorts the rows and merges frames; over two million customer-dates and a million tickets that
took about 2.6 s per lookup. Here account and time become one sortable integer (the account
code, then the time's rank among every time involved), so a lookup is one ``searchsorted``.
"""

from __future__ import annotations

import numpy as np

NO_TIME = np.iinfo(np.int64).min  # NaT as int64


def last_before(
    event_account: np.ndarray, event_time: np.ndarray, row_account: np.ndarray, row_time: np.ndarray
) -> np.ndarray:
    """Per row: the position of the last event with the row's account and a time before the row's; -1 if none.

    Events must be sorted by account, then time (ties keep their order; the last of them is
    found, as ``merge_asof`` finds it). Accounts are non-negative integer codes (a row's -1
    matches nothing); times are int64 (nanoseconds), NaT matching nothing.
    """
    event_account = np.asarray(event_account, dtype=np.int64)
    row_account = np.asarray(row_account, dtype=np.int64)
    event_time = np.asarray(event_time, dtype=np.int64)
    row_time = np.asarray(row_time, dtype=np.int64)
    times = np.unique(np.concatenate([event_time, row_time]))
    width = np.int64(len(times) + 1)
    event_key = event_account * width + np.searchsorted(times, event_time)
    row_key = row_account * width + np.searchsorted(times, row_time)
    position = np.searchsorted(event_key, row_key, side="left") - 1  # last event key below the row's
    found = (position >= 0) & (row_account >= 0) & (row_time != NO_TIME)
    found[found] = event_account[position[found]] == row_account[found]
    return np.where(found, position, -1)
