"""Amounts in several currencies converted into the one reporting currency, via ``fx_rates``.

The one currency policy of every report that adds up money (market, win/loss,
NPS-retention, churn). A finance reader expects a money total to be complete, so
an amount whose currency has no rate is never dropped or guessed: the report stops
with one sentence naming the currency, how many rows use it, and the fix (add a
row to ``fx_rates``). Blank currencies are taken to be the reporting currency, and
the report says so when it matters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revops_nb.data.subscriptions import subscription_arr
from revops_nb.errors import DataError, ParamsError


def conversion_rates(fx_rates: pd.DataFrame | None, currency: str) -> pd.Series | None:
    """Multiplier into ``currency`` per currency code, or None without an fx table.

    When the reporting currency itself has a rate, every rate is divided by it, so a
    table quoted in USD also converts into EUR; otherwise the rates are taken as given.
    """
    if fx_rates is None:
        return None
    codes = fx_rates["currency"].astype("str").str.strip().str.upper()
    rates = pd.Series(pd.to_numeric(fx_rates["rate_to_reporting"]).to_numpy(float), index=codes.to_numpy())
    bad = rates[~(np.isfinite(rates) & (rates > 0))]
    if len(bad):
        raise DataError(f"fx_rates: the rate of currency {bad.index[0]!r} must be a positive number")
    rates = rates[~rates.index.duplicated()]
    if currency in rates.index:
        return rates / rates[currency]
    base = [code for code, rate in rates.items() if rate == 1.0]
    if base:  # quoted in another currency: converting "as given" would be wrong
        raise ParamsError(
            f"reporting currency {currency!r} is not in fx_rates, whose rates are into {base[0]} "
            f"(it has: {', '.join(rates.index[:12])}); add a row for {currency} or report in {base[0]}"
        )
    rates[currency] = 1.0  # no base listed: the rates are taken to be into the reporting currency
    return rates


def to_reporting(
    amount: pd.Series,
    currencies: pd.Series | None,
    rates: pd.Series | None,
    reporting: str,
    table: str,
    notes: list[str] | None = None,
) -> pd.Series:
    """``amount`` converted into the reporting currency; blank currency means already in it.

    Raises :class:`DataError` naming the first currency that has no rate. ``notes``, when
    given, receives a sentence when amounts without a currency are taken as ``reporting``.
    """
    values = pd.to_numeric(amount).astype(float)
    if currencies is None or currencies.isna().all():
        if notes is not None and values.notna().any():
            notes.append(f"{table} have no currency: amounts are taken to be in {reporting}")
        return values
    codes = currencies.astype("str").str.strip().str.upper()
    codes = codes.where(codes.notna() & (codes != ""), reporting)
    used = codes[values.notna()]
    if rates is None:
        foreign = used[used != reporting]
        if len(foreign):
            raise DataError(
                f"{table} has amounts in {foreign.iloc[0]} ({len(foreign):,} rows) but no fx_rates table "
                f"is configured to convert them into the reporting currency {reporting}"
            )
        return values
    missing = used[~used.isin(rates.index)]
    if len(missing):
        code = missing.iloc[0]
        count = int((missing == code).sum())
        raise DataError(
            f"fx_rates has no rate for currency {code!r}, used by {count:,} row(s) of {table}; "
            f"add a row for {code} to fx_rates"
        )
    return values * codes.map(rates).astype(float)


MONEY_COLUMNS = {
    "opportunities": "amount",
    "subscriptions": "arr",
    "customers": "arr",
    "marketing_spend": "spend",
}


def check_convertible(
    frames: dict[str, pd.DataFrame], fx_rates: pd.DataFrame | None, reporting: str, tables: tuple[str, ...]
) -> None:
    """Raise the policy's error now (before any report runs) when ``tables`` hold amounts that cannot
    be converted into ``reporting``; the same check the reports make while converting."""
    rates = conversion_rates(fx_rates, reporting)
    for table in tables:
        frame = frames.get(table)
        if frame is None or "currency" not in frame:
            continue
        if table == "subscriptions":
            amounts = subscription_arr(frame)  # arr, else mrr x 12: what the reports convert
        elif MONEY_COLUMNS.get(table) in frame:
            amounts = frame[MONEY_COLUMNS[table]]
        else:
            continue
        to_reporting(amounts, frame["currency"], rates, reporting, table)
