"""The deals and subscriptions of the market report: dimensions, regions and amounts in one currency.

Everything here turns the loaded tables into tidy frames in the reporting currency,
restricted to the chosen regions, so the growth and level modules only aggregate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from revops_nb.data.subscriptions import subscription_arr, with_end_date
from revops_nb.errors import ParamsError
from revops_nb.reports._currency import to_reporting
from revops_nb.reports.market_analysis._periods import Window
from revops_nb.reports.market_analysis.settings import REGION, SEGMENT, Settings

BLANK = "(blank)"
ONE_GROUP = "All deals"  # the one region when the data has no region column
NO_REGION = (
    "The data has no region column in opportunities or accounts, so all deals are treated as one group: "
    "totals, win rate and customers are for all deals together, and the sections that compare regions "
    "are left out."
)


def account_dimensions(
    accounts: pd.DataFrame | None, opportunities: pd.DataFrame, columns: Sequence[str]
) -> pd.DataFrame:
    """One row per account_id with ``columns``: from accounts, else the account's latest opportunity."""
    parts = []
    if accounts is not None and "account_id" in accounts:
        have = [c for c in columns if c in accounts]
        parts.append(accounts[["account_id", *have]].dropna(subset=["account_id"]))
    if "account_id" in opportunities:
        have = [c for c in columns if c in opportunities]
        latest = opportunities.sort_values("created_date", kind="stable")
        parts.append(latest[["account_id", *have]].dropna(subset=["account_id"]))
    if not parts:
        return pd.DataFrame(columns=["account_id", *columns]).set_index("account_id")
    out = None
    for part in parts:
        frame = part.drop_duplicates("account_id", keep="last").set_index("account_id")
        frame = frame.reindex(columns=list(columns))
        out = frame if out is None else out.combine_first(frame.reindex(columns=list(columns)))
    return out


def with_dimensions(frame: pd.DataFrame, by_account: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with each of ``columns`` filled from the account where blank; still-blank -> '(blank)'."""
    frame = frame.copy()
    ids = frame["account_id"] if "account_id" in frame else pd.Series(np.nan, index=frame.index)
    for col in columns:
        own = frame[col].astype("str") if col in frame else pd.Series(np.nan, index=frame.index, dtype="str")
        from_account = ids.map(by_account[col]) if col in by_account else np.nan
        own = own.where(own.notna() & (own.str.strip() != ""), from_account)
        frame[col] = own.fillna(BLANK).astype("str")
    return frame


def has_region(opportunities: pd.DataFrame, accounts: pd.DataFrame | None) -> bool:
    """Whether opportunities or accounts have a region column with at least one value."""
    return any(
        frame is not None and REGION in frame and frame[REGION].notna().any()
        for frame in (opportunities, accounts)
    )


def check_dimensions(settings: Settings, opportunities: pd.DataFrame, accounts: pd.DataFrame | None) -> None:
    """Every dimension must be a column of opportunities or accounts (region and segment may be absent).

    Without a region, ``regions`` cannot choose any: that is a :class:`ParamsError`.
    """
    available = set(opportunities.columns) | (set(accounts.columns) if accounts is not None else set())
    if settings.regions and not has_region(opportunities, accounts):
        raise ParamsError(
            f"regions lists {settings.regions[0]!r}, but the data has no region column in opportunities or "
            "accounts; leave regions empty"
        )
    for dim in settings.dimensions:
        if dim not in available and dim not in (REGION, SEGMENT):
            shown = ", ".join(sorted(c for c in available if not c.endswith(("_id", "_date"))))
            raise ParamsError(
                f"dimensions names {dim!r}, which is not a column of opportunities or accounts ({shown})"
            )


def select_regions(regions: pd.Series, wanted: Sequence[str]) -> tuple[pd.Series, tuple[str, ...]]:
    """Boolean mask of rows in ``wanted`` regions (case-insensitive; empty = all) and their spellings."""
    if not wanted:
        return pd.Series(True, index=regions.index), ()
    known = {r.casefold(): r for r in regions.dropna().unique()}
    chosen = []
    for name in wanted:
        if name.casefold() not in known:
            raise ParamsError(
                f"regions lists {name!r}, which is not a region in the data ({', '.join(sorted(known.values()))})"
            )
        chosen.append(known[name.casefold()])
    return regions.isin(chosen), tuple(chosen)


def prepare_deals(
    opportunities: pd.DataFrame,
    accounts: pd.DataFrame | None,
    rates: pd.Series | None,
    settings: Settings,
) -> tuple[pd.DataFrame, list[str]]:
    """Opportunities with dimensions, amount in the reporting currency and the closing period.

    Returns the frame (all rows, any period) and notes on what was left out.
    """
    check_dimensions(settings, opportunities, accounts)
    columns = list(dict.fromkeys([REGION, SEGMENT, *settings.dimensions]))
    by_account = account_dimensions(accounts, opportunities, columns)
    frame = with_dimensions(opportunities, by_account, columns)
    if not has_region(opportunities, accounts):
        frame[REGION] = ONE_GROUP
    currencies = frame.get("currency")
    amount = frame["amount"] if "amount" in frame else pd.Series(np.nan, index=frame.index)
    frame["amount"] = to_reporting(amount, currencies, rates, settings.currency, "opportunities").to_numpy()
    frame["is_won"] = frame["is_won"].astype(bool)
    frame["is_closed"] = frame["is_closed"].astype(bool)
    if "close_date" not in frame:
        frame["close_date"] = pd.NaT
    notes = []
    won = frame["is_won"]
    no_date = won & frame["close_date"].isna()
    if no_date.any() and not no_date.eq(won).all():  # none dated: bookings_gap says why, once
        notes.append(f"{int(no_date.sum()):,} won deal(s) have no close_date and are left out of bookings")
    no_amount = won & frame["close_date"].notna() & frame["amount"].isna()
    if no_amount.any() and not no_amount.eq(won & frame["close_date"].notna()).all():
        notes.append(
            f"{int(no_amount.sum()):,} won deal(s) have no amount and are left out of bookings and deal size"
        )
    frame["period"] = frame["close_date"].dt.to_period(settings.freq)
    return frame, notes


def bookings_frame(deals: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Won deals with an amount that closed in the window."""
    keep = deals["is_won"] & deals["amount"].notna() & deals["period"].isin(window.periods)
    return deals[keep]


def closed_frame(deals: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Closed deals (won or lost) that closed in the window."""
    return deals[deals["is_closed"] & deals["period"].isin(window.periods)]


BOOKED = "bookings, growth, shares and deal sizes"


def bookings_gap(deals: pd.DataFrame, window: Window, has_amounts: bool) -> str:
    """Why no won deal counts as a booking in the window, in one sentence (for when there is none)."""
    won = deals[deals["is_won"]]
    if not deals["is_closed"].any():
        return f"No deal has closed yet ({len(deals):,} open), so there are no {BOOKED} to show."
    if won.empty:
        return f"No deal has been won, so there are no {BOOKED} to show."
    if not has_amounts:
        return f"{BOOKED.capitalize()} need deal amounts, and the opportunities have no amount column."
    if won["amount"].isna().all():
        return f"{BOOKED.capitalize()} need deal amounts, and no won deal has one."
    if won["close_date"].isna().all():
        return f"{BOOKED.capitalize()} need the close dates of won deals, and the opportunities have none."
    return f"No won deal with an amount closed in {window.describe()}, so there are no {BOOKED} to show."


def prepare_subscriptions(
    subscriptions: pd.DataFrame,
    by_account: pd.DataFrame,
    rates: pd.Series | None,
    settings: Settings,
) -> pd.DataFrame:
    """Subscriptions with dimensions from their account and ARR in the reporting currency (NaN if unknown)."""
    columns = list(dict.fromkeys([REGION, SEGMENT, *settings.dimensions]))
    frame = with_dimensions(subscriptions, by_account, columns)
    arr = subscription_arr(frame)
    currencies = frame.get("currency")
    frame["arr"] = to_reporting(arr, currencies, rates, settings.currency, "subscriptions").to_numpy()
    return with_end_date(frame)
