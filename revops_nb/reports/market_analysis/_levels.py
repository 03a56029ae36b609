"""Levels of the market report: bookings, ARR and customers by period, and who counts as a customer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from revops_nb.data.subscriptions import active_on
from revops_nb.reports.market_analysis._periods import Window, label
from revops_nb.reports.market_analysis.settings import REGION


def bookings_by_period(bookings: pd.DataFrame, window: Window, dimensions: Sequence[str]) -> pd.DataFrame:
    """Bookings and won deals per period and combination of ``dimensions`` (observed combinations)."""
    dims = list(dimensions)
    grouped = bookings.groupby(["period", *dims], observed=True, sort=True)
    out = grouped["amount"].agg(bookings="sum", deals="size").reset_index()
    out["period"] = out["period"].map(label)
    return out[["period", *dims, "bookings", "deals"]]


def customer_base(
    subscriptions: pd.DataFrame | None,
    deals: pd.DataFrame,
    day: pd.Timestamp,
    dimensions: Sequence[str],
    include_undated: bool = False,
) -> pd.DataFrame:
    """One row per customer on ``day`` with its dimensions and ARR.

    With subscriptions, a customer is an account with a subscription active on
    ``day`` (started on or before it, not ended by it) and its ARR is the sum over
    them. Without, it is an account with a won deal closed by ``day`` (ARR unknown);
    ``include_undated`` also counts won deals without a close date (on the last day).
    """
    dims = list(dimensions)
    if subscriptions is None:
        by_day = deals["close_date"] <= day
        if include_undated:
            by_day |= deals["close_date"].isna()
        won = deals[deals["is_won"] & by_day & deals["account_id"].notna()]
        first = won.sort_values("close_date", kind="stable").drop_duplicates("account_id")
        return first[["account_id", *dims]].assign(arr=np.nan).reset_index(drop=True)
    on_day = active_on(subscriptions["start_date"], subscriptions["end_date"], day)
    active = subscriptions[on_day & subscriptions["account_id"].notna()]
    grouped = active.groupby("account_id", sort=False)
    out = grouped[dims].first()
    out["arr"] = grouped["arr"].sum(min_count=1)
    return out.reset_index()


def arr_by_period(
    subscriptions: pd.DataFrame | None, deals: pd.DataFrame, window: Window, dimensions: Sequence[str]
) -> pd.DataFrame:
    """ARR and customers on the last day of each period, per combination of ``dimensions``."""
    dims = list(dimensions)
    frames = []
    for period in window.periods:
        last = period == window.periods[-1]
        base = customer_base(subscriptions, deals, period.end_time.normalize(), dims, include_undated=last)
        grouped = base.groupby(dims, observed=True, sort=True)
        part = pd.DataFrame({"arr": grouped["arr"].sum(min_count=1), "customers": grouped.size()})
        frames.append(part.reset_index().assign(period=label(period)))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["period", *dims, "arr", "customers"])
    out = pd.concat(frames, ignore_index=True)
    return out[["period", *dims, "arr", "customers"]]


def levels(
    subscriptions: pd.DataFrame | None,
    deals: pd.DataFrame,
    window: Window,
    dims: list[str],
    gaps: dict[str, str],
) -> tuple[pd.DataFrame, bool]:
    """ARR and customers by period, and whether won deals lack close dates; notes the gaps."""
    out = pd.DataFrame(columns=["period", *dims, "arr", "customers"])
    if subscriptions is None and deals.get("account_id", pd.Series(dtype="str")).isna().all():
        gaps["customers"] = (
            "Customers need an account_id on opportunities or a subscriptions table, and there is neither."
        )
    else:
        out = arr_by_period(subscriptions, deals, window, dims)
    won_dates = deals.loc[deals["is_won"], "close_date"]
    undated = subscriptions is None and not won_dates.empty and won_dates.isna().all()
    if subscriptions is None and won_dates.empty:
        gaps["levels_trend"] = "No deal has been won, so there are no customers to chart over time."
    elif undated:
        gaps["levels_trend"] = (
            "Customers over time need the close dates of won deals (or a subscriptions table), and there "
            f"are none, so customers are counted on {window.end:%Y-%m-%d} only."
        )
    return out, undated


def customers_basis(subscriptions: pd.DataFrame | None, undated: bool = False) -> str:
    """Who counts as a customer, in words."""
    if subscriptions is None and undated:
        return "accounts with a won deal (no subscriptions table, and won deals have no close dates)"
    if subscriptions is None:
        return "accounts with a won deal closed by the period end (no subscriptions table)"
    return "accounts with a subscription active on the period end"


def latest_by_dimension(
    bookings_by_period: pd.DataFrame, last_levels: pd.DataFrame, dims: list[str], periods: list[str]
) -> pd.DataFrame:
    """Bookings and won deals over ``periods``, ARR and customers on the last day, per combination of ``dims``."""
    b = bookings_by_period
    book = b[b["period"].isin(periods)].groupby(dims, observed=True)[["bookings", "deals"]].sum()
    on_last_day = last_levels.groupby(dims, observed=True)[["arr", "customers"]].sum(min_count=1)
    return book.join(on_last_day, how="outer").reset_index()


def by_period_and_region(frame: pd.DataFrame, column: str, periods: list[str]) -> pd.DataFrame:
    """``column`` summed per period (rows, every one of ``periods``) and region (columns); 0 where none."""
    data = frame.groupby(["period", REGION], observed=True)[column].sum().unstack()
    return data.reindex(periods).fillna(0.0)
