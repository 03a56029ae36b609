"""The subscription book the report reads: rows in one currency, and one row per customer account.

Built once from ``subscriptions`` (with ``accounts``, ``opportunities`` and ``fx_rates`` when loaded)
by the shared subscription rules (:mod:`revops_nb.data.subscriptions`): ARR is ``arr``, else
``mrr`` × 12, converted by the shared currency policy; an account's ARR on a day is the sum of its
active rows, so overlapping rows (several products) add up and a row that replaces another with a new
ARR is a change of that account's ARR, not a churn plus a new customer. A customer's life runs over
its paid rows (ARR > 0): from the first paid day to the end of the last paid row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.data.subscriptions import active_on, observed_until, subscription_arr, with_end_date
from revops_nb.errors import DataError
from revops_nb.reports._currency import conversion_rates, to_reporting
from revops_nb.reports.revenue_retention.settings import DIMENSIONS, Settings

UNKNOWN = "(unknown)"
UNATTRIBUTED = "(unattributed)"
CHANNEL_TOLERANCE = pd.Timedelta(days=45)  # won deal's close date to the first subscription start


@dataclass
class Book:
    """Subscriptions ready for retention analysis.

    ``rows``: account_id, start_date, end_date (NaT = running), arr (reporting currency).
    ``customers``: one row per account that ever had ARR: first_start (first paid day: rows with zero
    ARR, a free tier or a trial, do not count), churn_date (NaT = paying customer on ``as_of``),
    churned, first_arr (ARR on its first paid day), current_arr (on ``as_of``), the
    dimensions (``(unknown)`` when not known) and ``channel`` (lead source of the won deal that
    started it, ``(unattributed)`` when none).
    """

    rows: pd.DataFrame
    customers: pd.DataFrame
    as_of: pd.Timestamp
    currency: str
    has_end_dates: bool
    dimensions: tuple[str, ...]  # dimensions with at least one known value
    has_channels: bool
    notes: list[str] = field(default_factory=list)


def prepare_book(
    subscriptions: pd.DataFrame,
    accounts: pd.DataFrame | None,
    opportunities: pd.DataFrame | None,
    fx_rates: pd.DataFrame | None,
    settings: Settings,
) -> Book:
    """Build the :class:`Book`; a DataError names the column when the subscriptions carry no ARR."""
    notes: list[str] = []
    if "arr" not in subscriptions and "mrr" not in subscriptions:
        raise DataError(
            "subscriptions: column 'arr' (or 'mrr') is needed for the revenue retention report but is missing"
        )
    has_end = "end_date" in subscriptions and subscriptions["end_date"].notna().any()
    frame = with_end_date(subscriptions)
    arr = subscription_arr(frame)
    rates = conversion_rates(fx_rates, settings.currency)
    arr = to_reporting(arr, frame.get("currency"), rates, settings.currency, "subscriptions", notes)
    rows = pd.DataFrame(
        {
            "account_id": frame["account_id"].astype("str"),
            "start_date": frame["start_date"],
            "end_date": frame["end_date"],
            "arr": arr.to_numpy(float),
        },
        index=frame.index,
    )
    unusable = rows["account_id"].isna() | rows["start_date"].isna() | rows["arr"].isna()
    if unusable.any():
        notes.append(
            f"{int(unusable.sum()):,} subscription rows have no account, start date or ARR and are left out"
        )
    rows = rows[~unusable].reset_index(drop=True)
    if rows.empty:
        raise DataError("subscriptions: no row has an account_id, a start_date and an ARR to analyse")
    if not has_end:
        notes.append(
            "subscriptions have no end dates: every subscription counts as still running, so nothing churns"
        )
    as_of = settings.period_end or observed_until(rows)
    rows = rows[rows["start_date"] <= as_of].reset_index(drop=True)
    if rows.empty:
        raise DataError(f"subscriptions: no subscription starts on or before {as_of:%Y-%m-%d}")
    if "mrr" in subscriptions and ("arr" not in subscriptions or subscriptions["arr"].isna().any()):
        notes.append("ARR is taken as mrr × 12 where a subscription has no arr")
    customers = _customers(rows, as_of)
    customers, dims = _dimensions(customers, accounts, opportunities)
    customers, has_channels = _channels(customers, opportunities)
    return Book(
        rows=rows,
        customers=customers,
        as_of=as_of,
        currency=settings.currency,
        has_end_dates=bool(has_end),
        dimensions=dims,
        has_channels=has_channels,
        notes=notes,
    )


def arr_on_days(rows: pd.DataFrame, days: pd.DatetimeIndex | list, accounts: pd.Index) -> np.ndarray:
    """ARR of each of ``accounts`` (rows of the result) at the end of each of ``days`` (columns)."""
    days64 = np.asarray(pd.DatetimeIndex(days), dtype="datetime64[ns]")
    start = rows["start_date"].to_numpy("datetime64[ns]")[:, None]
    end = rows["end_date"].to_numpy("datetime64[ns]")[:, None]
    position = accounts.get_indexer(rows["account_id"])
    keep = position >= 0
    out = np.zeros((len(accounts), len(days64)))
    step = max(1, 4_000_000 // max(len(days64), 1))  # bound the rows x days temporary
    for lo in range(0, len(rows), step):
        part = slice(lo, lo + step)
        act = active_on(start[part], end[part], days64[None, :]) & keep[part, None]
        np.add.at(out, position[part][keep[part]], (act * rows["arr"].to_numpy()[part, None])[keep[part]])
    return out


def arr_on_account_days(rows: pd.DataFrame, day_of_account: pd.Series) -> pd.Series:
    """ARR of each account (index of ``day_of_account``) at the end of its own day (NaT: NaN)."""
    day = rows["account_id"].map(day_of_account)
    active = active_on(rows["start_date"], rows["end_date"], day) & day.notna()
    arr = rows["arr"].where(active, 0.0).groupby(rows["account_id"]).sum()
    out = arr.reindex(day_of_account.index, fill_value=0.0)
    return out.where(day_of_account.notna())


def _customers(rows: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per account that ever paid, from its paid rows (ARR > 0) only: a free tier or trial
    before them is not part of the customer's life (its cohort, channel and tenure start on the first
    paid day), and an account left on a free plan churned when its last paid row ended."""
    paid = rows[rows["arr"] > 0]
    g = paid.groupby("account_id", sort=True)
    first_start = g["start_date"].min()
    running = paid["end_date"].isna() | (paid["end_date"] > as_of)
    still = running.groupby(paid["account_id"]).any()
    last_end = g["end_date"].max()
    churn_date = last_end.where(~still)
    customers = pd.DataFrame({"first_start": first_start, "churn_date": churn_date})
    customers["churned"] = customers["churn_date"].notna()
    customers["first_arr"] = arr_on_account_days(rows, customers["first_start"])
    on_as_of = pd.Series(as_of, index=customers.index)
    customers["current_arr"] = arr_on_account_days(rows, on_as_of)
    customers.index.name = "account_id"
    return customers


def _dimensions(
    customers: pd.DataFrame, accounts: pd.DataFrame | None, opportunities: pd.DataFrame | None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Each customer's segment, region, industry and country: from accounts, else its won deals."""
    known = []
    for dim in DIMENSIONS:
        values = pd.Series(np.nan, index=customers.index, dtype="str")
        if accounts is not None and dim in accounts and "account_id" in accounts:
            lookup = accounts.drop_duplicates("account_id").set_index("account_id")[dim]
            values = customers.index.to_series().map(lookup)
        if opportunities is not None and dim in opportunities and "account_id" in opportunities:
            is_won = (
                opportunities["is_won"].astype(bool)
                if "is_won" in opportunities
                else opportunities["account_id"].notna()
            )
            won = opportunities[is_won]
            lookup = won.dropna(subset=[dim]).drop_duplicates("account_id").set_index("account_id")[dim]
            values = values.fillna(customers.index.to_series().map(lookup))
        if values.notna().any():
            known.append(dim)
        customers[dim] = values.astype("str").str.strip().where(values.notna(), UNKNOWN).to_numpy()
    return customers, tuple(known)


def _channels(customers: pd.DataFrame, opportunities: pd.DataFrame | None) -> tuple[pd.DataFrame, bool]:
    """The lead source of the won deal that closed nearest the first start (within 45 days)."""
    customers["channel"] = UNATTRIBUTED
    needed = {"account_id", "close_date", "lead_source", "is_won"}
    if opportunities is None or not needed <= set(opportunities):
        return customers, False
    won = opportunities.loc[
        opportunities["is_won"].astype(bool)
        & opportunities["close_date"].notna()
        & opportunities["account_id"].notna(),
        ["account_id", "close_date", "lead_source"],
    ]
    if won.empty:
        return customers, False
    won = won.assign(account_id=won["account_id"].astype("str")).sort_values("close_date")
    left = customers[["first_start"]].reset_index().sort_values("first_start")
    matched = pd.merge_asof(
        left,
        won,
        left_on="first_start",
        right_on="close_date",
        by="account_id",
        direction="nearest",
        tolerance=CHANNEL_TOLERANCE,
    ).set_index("account_id")
    channel = matched["lead_source"].reindex(customers.index)
    channel = (
        channel.astype("str").str.strip().where(channel.notna() & (channel.astype("str").str.strip() != ""))
    )
    customers["channel"] = channel.fillna(UNATTRIBUTED).to_numpy()
    return customers, bool(channel.notna().any())
