"""Amounts in several currencies converted into the one reporting currency, via ``fx_rates``.

Shared by the reports that add up money, so a currency without a rate is the same
clear error everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revops_nb.errors import DataError


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
        rates = rates / rates[currency]
    rates[currency] = 1.0
    return rates


def to_reporting(
    amount: pd.Series,
    currencies: pd.Series | None,
    rates: pd.Series | None,
    reporting: str,
    table: str,
) -> pd.Series:
    """``amount`` converted into the reporting currency; blank currency means already in it.

    Raises :class:`DataError` naming the first currency that has no rate.
    """
    values = pd.to_numeric(amount).astype(float)
    if currencies is None:
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
