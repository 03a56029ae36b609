"""Warnings a careful analyst expects on valid but suspicious data, in one sentence each.

Nothing here excludes a row: the data meets the contract, but the numbers it gives
would mislead without a word (a 0–10 NPS scale whose scores never pass 5, every
deal won, every deal closed the day it was created, trial subscriptions with no
ARR counted as customers, overlapping subscriptions summed, responses before the
customer existed, absurd amounts). ``revops-nb check`` prints them and every report
lists them with its data note.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revops_nb.data.subscriptions import subscription_arr, with_end_date

MIN_ROWS = 20  # fewer rows say too little to warn about a pattern
ABSURD_AMOUNT = 1e12  # no single deal or subscription is worth a trillion in any currency


def table_warnings(name: str, frame: pd.DataFrame, score_min: float = 0, score_max: float = 10) -> list[str]:
    """Warnings about one loaded table on its own."""
    checks = {
        "opportunities": _opportunity_warnings,
        "subscriptions": _subscription_warnings,
        "customers": _money_warnings,
    }
    out = list(checks[name](frame)) if name in checks else []
    if name == "nps_responses":
        out += _score_warnings(frame, score_min, score_max)
    return out


def cross_table_warnings(frames: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """Warnings that need two tables, keyed by the table they are about."""
    out: dict[str, list[str]] = {}
    subs, responses = frames.get("subscriptions"), frames.get("nps_responses")
    if subs is not None and responses is not None and "response_date" in responses:
        first = subs.groupby("account_id")["start_date"].min()
        start = responses["account_id"].map(first)
        early = responses["response_date"].notna() & start.notna() & (responses["response_date"] < start)
        if early.any():
            out.setdefault("nps_responses", []).append(
                f"{int(early.sum()):,} response(s) are dated before their account's first subscription "
                f"(e.g. account {responses.loc[early, 'account_id'].iloc[0]!r}); they are linked to the "
                "customer that began later, so check the account ids or the dates"
            )
    return out


def _opportunity_warnings(frame: pd.DataFrame) -> list[str]:
    out = _money_warnings(frame)
    closed = frame[frame["is_closed"].astype(bool)]
    if len(closed) >= MIN_ROWS and closed["is_won"].astype(bool).all():
        out.append(
            f"every closed opportunity is won ({len(closed):,} of {len(closed):,}): a 100% win rate usually "
            "means lost deals are missing from the export or lost_stages does not name them"
        )
    if "close_date" in closed and len(closed) >= MIN_ROWS:
        dated = closed[closed["close_date"].notna() & closed["created_date"].notna()]
        same_day = (dated["close_date"].dt.normalize() == dated["created_date"].dt.normalize()).sum()
        if len(dated) and same_day >= 0.5 * len(dated):
            out.append(
                f"{int(same_day):,} of {len(dated):,} closed opportunities closed on the day they were "
                "created: cycle lengths and time to close are then zero (does the export carry the "
                "real created_date?)"
            )
    return out


def _subscription_warnings(frame: pd.DataFrame) -> list[str]:
    out = _money_warnings(frame)
    arr = subscription_arr(frame)
    zero = arr.eq(0)
    if zero.any():
        out.append(
            f"{int(zero.sum()):,} subscription(s) have ARR 0 (trials or free plans?): they count as "
            "customers with no ARR in customer counts and churn"
        )
    overlap = _overlapping_accounts(frame)
    if overlap:
        count, most, example = overlap
        out.append(
            f"{count:,} account(s) have subscriptions that run at the same time (up to {most} at once, e.g. "
            f"{example!r}); their ARR is summed, which double-counts if they are renewals or amendments "
            "of one contract rather than separate products"
        )
    return out


def _overlapping_accounts(frame: pd.DataFrame) -> tuple[int, int, str] | None:
    """(accounts with overlapping subscriptions, most at once, an example) or None."""
    subs = with_end_date(frame)  # no end_date column: every row still runs
    subs = subs[subs["account_id"].notna() & subs["start_date"].notna()]
    multi = subs[subs.duplicated("account_id", keep=False)]
    if multi.empty:
        return None
    far = pd.Timestamp.max.normalize()
    events = pd.concat(
        [
            pd.DataFrame({"account_id": multi["account_id"], "t": multi["start_date"], "d": 1}),
            pd.DataFrame({"account_id": multi["account_id"], "t": multi["end_date"].fillna(far), "d": -1}),
        ]
    )
    events = events.sort_values(["account_id", "t", "d"], kind="stable")  # an end before a start on one day
    events["open"] = events.groupby("account_id")["d"].cumsum()
    peak = events.groupby("account_id")["open"].max()
    over = peak[peak > 1]
    if over.empty:
        return None
    return len(over), int(over.max()), str(over.idxmax())


def _money_warnings(frame: pd.DataFrame) -> list[str]:
    out = []
    for col in ("amount", "arr", "mrr"):
        if col not in frame:
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        infinite = np.isinf(values)
        huge = values.abs().ge(ABSURD_AMOUNT) & ~infinite
        if infinite.any():
            out.append(f"{col}: {int(infinite.sum()):,} value(s) are infinite; treated as missing")
        if huge.any():
            out.append(
                f"{col}: {int(huge.sum()):,} value(s) of {ABSURD_AMOUNT:,.0f} or more (e.g. "
                f"{values[huge].iloc[0]:,.0f}) look like an export error; they dominate every total"
            )
    return out


def _score_warnings(frame: pd.DataFrame, score_min: float, score_max: float) -> list[str]:
    scores = pd.to_numeric(frame["score"], errors="coerce").dropna()
    if len(scores) < MIN_ROWS or score_max - score_min < 6:
        return []
    top = scores.max()
    if top <= score_min + (score_max - score_min) / 2:
        return [
            f"score: no score exceeds {top:g} on the configured {score_min:g}–{score_max:g} scale; if this is "
            "a 1–5 CSAT survey, set score_min/score_max in data.yaml and the report's detractor_max/"
            "promoter_min, or every respondent counts as a detractor"
        ]
    return []
