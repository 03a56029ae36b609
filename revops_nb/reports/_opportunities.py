"""What every report reading opportunities does the same way: account attributes, amounts, the date.

Win/loss and the pipeline forecast both fill a deal's region and segment from its account,
convert amounts by the one currency policy and take the report date from the deals when no
date parameter is set; they call these so the same export gives the same deals in both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from revops_nb.errors import DataError
from revops_nb.reports._currency import conversion_rates, to_reporting


def fill_from_accounts(frame: pd.DataFrame, accounts: pd.DataFrame | None, columns: Sequence[str]) -> None:
    """Fill ``columns`` of ``frame`` (in place) from its account where the deal lacks them."""
    if accounts is None or "account_id" not in frame or "account_id" not in accounts:
        return
    attrs = [c for c in columns if c in accounts]
    lookup = accounts.drop_duplicates("account_id").set_index("account_id")[attrs]
    for col in attrs:
        from_account = frame["account_id"].map(lookup[col])
        frame[col] = frame[col].fillna(from_account) if col in frame else from_account


def deal_amounts(
    frame: pd.DataFrame, fx_rates: pd.DataFrame | None, currency: str, notes: list[str], without: str
) -> pd.Series:
    """Deal amounts in the reporting currency by the shared currency policy (:mod:`._currency`).

    Without an amount column every amount is missing and ``notes`` gets "opportunities have no
    amount column: ``without``" (what the report cannot show).
    """
    if "amount" not in frame:
        notes.append(f"opportunities have no amount column: {without}")
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    amount = pd.to_numeric(frame["amount"], errors="coerce").astype("float64")
    return to_reporting(
        amount, frame.get("currency"), conversion_rates(fx_rates, currency), currency, "opportunities", notes
    )


def latest_deal_date(frame: pd.DataFrame) -> pd.Timestamp:
    """The latest created date, or close date of a closed deal: the report date when none is set."""
    closed = frame["is_closed"].astype(bool)
    close = frame["close_date"] if "close_date" in frame else pd.Series(pd.NaT, index=frame.index)
    latest = pd.concat([frame["created_date"], close[closed]]).max()
    if pd.isna(latest):
        raise DataError("opportunities: no created_date or close_date is set, so there is no report date")
    return pd.Timestamp(latest).normalize()
