"""Support-ticket features of history rows, from tickets known before each observation date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from revops_nb.data.coercion import normalize_label
from revops_nb.reports.churn_model._asof import last_before
from revops_nb.reports.churn_model._table import DATE, KEY

TICKET_WINDOW_DAYS = 90
CSAT_LAG_DAYS = 30  # a satisfaction score without a close date counts as known this long after the ticket
HIGH_PRIORITY_LABELS = frozenset(
    {"high", "urgent", "critical", "highest", "blocker", "p0", "p1", "p2", "sev 1", "sev 2", "severity 1",
     "severity 2"}
)  # fmt: skip


def _window_sums(
    rows: pd.DataFrame, events: pd.DataFrame, when: str, cols: list[str], days: int
) -> tuple[pd.DataFrame, pd.Series]:
    """Per row: sums of ``cols`` over events with ``when`` in [date - days, date), and the last ``when`` before date.

    Events are summed per account and time, accumulated per account, and looked up strictly
    before each bound (:func:`~._asof.last_before`, as ``merge_asof`` would), so the window
    sum is the running total before the date minus the running total before date - days.
    """
    ev = events[[KEY, when, *cols]].dropna(subset=[KEY, when])
    # accounts as integer codes of the rows' accounts: the lookup works on integers
    accounts = pd.Index(pd.unique(rows[KEY]))
    ev = ev.assign(**{KEY: accounts.get_indexer(ev[KEY]), when: ev[when].astype("datetime64[ns]")})
    ev = ev[ev[KEY] >= 0]  # an account with no rows is never looked up
    agg = ev.groupby([KEY, when], as_index=False)[cols].sum().sort_values([KEY, when], kind="stable")
    agg[cols] = agg.groupby(KEY)[cols].cumsum()
    # a last row of zero totals and no time: where a lookup finds no event (position -1)
    totals = np.vstack([agg[cols].to_numpy(dtype=float), np.zeros(len(cols))])
    times = np.append(agg[when].to_numpy(), np.datetime64("NaT", "ns"))
    event_account, event_time = agg[KEY].to_numpy(), agg[when].to_numpy().view("int64")
    row_account = accounts.get_indexer(rows[KEY])
    dates = rows[DATE].astype("datetime64[ns]")

    def last_event(shift: int) -> np.ndarray:
        at = (dates - pd.Timedelta(days=shift)).to_numpy().view("int64")
        return last_before(event_account, event_time, row_account, at)

    now, then = last_event(0), last_event(days)
    sums = totals[now] - totals[then]
    last = times[now]
    return pd.DataFrame(sums, columns=cols), pd.Series(last, dtype="datetime64[ns]")


def is_high_priority(priority: pd.Series) -> pd.Series:
    """Whether each ticket's priority reads as high (High, Urgent, Critical, P1, Sev 1 ...)."""
    codes, labels = pd.factorize(priority, use_na_sentinel=True)  # a few labels, millions of tickets
    high = np.array([normalize_label(v) in HIGH_PRIORITY_LABELS for v in labels] + [False], dtype=float)
    return pd.Series(high[codes], index=priority.index)  # code -1 (missing) takes the trailing False


def ticket_features(rows: pd.DataFrame, tickets: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Support-ticket features of each row from tickets before its date; returns rows, feature names, notes.

    ``tickets_90d`` (opened in the 90 days before the date), ``high_priority_share_90d``
    (of those, the share High/Urgent/Critical/P1...), ``days_since_ticket`` (last ticket
    opened before the date), ``resolution_hours_90d`` and ``satisfaction_90d`` (means over
    tickets *closed* in the 90 days before the date: a resolution time or CSAT score is not
    known while the ticket is open). Resolution comes from ``resolution_hours`` or from
    ``closed_date`` - ``created_date``; a satisfaction score without any close time counts
    as known ``CSAT_LAG_DAYS`` after the ticket was opened.
    """
    t = tickets.dropna(subset=[KEY, "created_date"]).copy()
    t["created_date"] = t["created_date"].astype("datetime64[ns]")
    t["_n"] = 1.0
    cols, notes = ["_n"], []
    has_priority = "priority" in t and t["priority"].notna().any()
    if has_priority:
        t["_high"] = is_high_priority(t["priority"])
        if t["_high"].sum() == 0:
            shown = ", ".join(map(repr, t["priority"].dropna().astype(str).value_counts().index[:5]))
            notes.append(
                f"support_tickets: no priority reads as high (values seen: {shown}), so the high-priority "
                "share is left out"
            )
            has_priority = False
        else:
            cols.append("_high")
    sums, last = _window_sums(rows, t, "created_date", cols, TICKET_WINDOW_DAYS)
    out = rows.copy()
    out["tickets_90d"] = sums["_n"].to_numpy()
    features = ["tickets_90d"]
    if has_priority:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["high_priority_share_90d"] = np.where(sums["_n"] > 0, sums["_high"] / sums["_n"], np.nan)
        features.append("high_priority_share_90d")
    out["days_since_ticket"] = ((rows[DATE].astype("datetime64[ns]") - last).dt.days).to_numpy(dtype=float)
    features.append("days_since_ticket")
    closed = (
        t["closed_date"].astype("datetime64[ns]")
        if "closed_date" in t
        else pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
    )
    hours = (
        t["resolution_hours"].astype(float) if "resolution_hours" in t else pd.Series(np.nan, index=t.index)
    )
    hours = hours.fillna((closed - t["created_date"]) / pd.Timedelta(hours=1))
    known = closed.fillna(t["created_date"] + pd.to_timedelta(hours, unit="h"))
    for name, values, when in (
        ("resolution_hours_90d", hours, known),
        (
            "satisfaction_90d",
            t.get("satisfaction"),
            known.fillna(t["created_date"] + pd.Timedelta(days=CSAT_LAG_DAYS)),
        ),
    ):
        if values is None or values.notna().sum() == 0:
            continue
        scored = pd.DataFrame({KEY: t[KEY], "_when": when, "_sum": values.astype(float), "_k": 1.0})
        scored = scored[scored["_sum"].notna() & scored["_when"].notna()]
        window, _ = _window_sums(rows, scored, "_when", ["_sum", "_k"], TICKET_WINDOW_DAYS)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = np.where(window["_k"] > 0, window["_sum"] / window["_k"], np.nan)
        features.append(name)
    return out, features, notes
