"""Snapshot mode: one row per customer of a ``customers`` table with a churn flag.

The table is taken as it is, coercing text-in-numeric feature values and counting
what could not be read; ARR is converted into the reporting currency when the table
has a currency column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from revops_nb.data.coercion import to_number
from revops_nb.errors import DataError, ParamsError
from revops_nb.reports._currency import conversion_rates, to_reporting
from revops_nb.reports.churn_model._table import KEY, LABEL, ModelTable


def snapshot_table(
    customers: pd.DataFrame,
    features: Sequence[str] | None = None,
    fx_rates: pd.DataFrame | None = None,
    currency: str = "USD",
) -> ModelTable:
    """One row per customer; ``features`` default to every column but account_id and churned.

    Text in a numeric-looking column is coerced to a number; values that cannot
    be read become missing and are counted per column in ``coerced``. When the
    table has a ``currency`` column, ``arr`` is converted into ``currency`` with ``fx_rates``.
    """
    for col in (KEY, LABEL):
        if col not in customers.columns:
            raise DataError(f"customers table: required column {col!r} is missing")
    chosen = _snapshot_features(customers, features)
    extra = ["arr"] if "arr" in customers.columns and "arr" not in chosen else []
    frame = customers[[KEY, LABEL, *extra, *chosen]].copy()
    unlabeled = frame[LABEL].isna()
    if unlabeled.any():
        frame = frame[~unlabeled].copy()
    frame[LABEL] = frame[LABEL].astype(bool)
    numeric, categorical, coerced = [], [], {}
    for col in chosen:
        kind, values, n_bad = _feature_kind(frame[col])
        frame[col] = values
        (numeric if kind == "number" else categorical).append(col)
        if n_bad:
            coerced[col] = n_bad
    if unlabeled.any():
        coerced[LABEL] = int(unlabeled.sum())
    if "arr" not in frame:
        frame["arr"] = np.nan
    arr = to_number(frame["arr"]).values
    if "currency" in customers.columns:
        codes = customers.loc[frame.index, "currency"]
        arr = to_reporting(arr, codes, conversion_rates(fx_rates, currency), currency, "customers")
    frame["arr"] = arr.to_numpy(dtype=float)
    frame = frame.reset_index(drop=True)
    current = frame[~frame[LABEL]].reset_index(drop=True)
    return ModelTable(frame, chosen, numeric, categorical, "snapshot", current, coerced)


def _snapshot_features(customers: pd.DataFrame, features: Sequence[str] | None) -> list[str]:
    if features is None:
        chosen = [c for c in customers.columns if c not in (KEY, LABEL)]
    else:
        unknown = [c for c in features if c not in customers.columns]
        if unknown:
            shown = ", ".join(map(str, customers.columns))
            raise ParamsError(
                f"parameter 'features' names {unknown[0]!r}, which is not a column of customers (it has: {shown})"
            )
        bad = [c for c in features if c in (KEY, LABEL)]
        if bad:
            raise ParamsError(f"parameter 'features' may not include {bad[0]!r} (the key or the label)")
        chosen = list(dict.fromkeys(features))
    chosen = [c for c in chosen if not pd.api.types.is_datetime64_any_dtype(customers[c])]
    if not chosen and features is None:
        raise DataError(
            "customers table has no column to model churn with besides account_id and churned "
            "(add feature columns such as tenure, ARR, usage or NPS)"
        )
    if not chosen:
        raise ParamsError("parameter 'features' leaves no feature column in customers to model churn with")
    return chosen


def _feature_kind(series: pd.Series) -> tuple[str, pd.Series, int]:
    """('number', coerced values, count unreadable) or ('category', text values, 0)."""
    if pd.api.types.is_bool_dtype(series):
        return "number", series.astype("float64"), 0
    if pd.api.types.is_numeric_dtype(series):
        return "number", series.astype("float64"), 0
    result = to_number(series)
    present = int(series.notna().sum())
    readable = int(result.values.notna().sum())
    if present and readable >= 0.5 * present:
        return "number", result.values, result.n_bad
    return "category", series.astype("str").where(series.notna(), np.nan), 0
