"""Logo and revenue retention by start cohort and age, each account measured from its own first day.

An account of the 2024Q1 cohort is 'age 2' (in cohort periods) on its first day plus two periods. Logo
retention is the share of the cohort's accounts observed at that age that still have ARR; revenue
retention is their ARR then divided by their ARR on their first day (expansion counts). Only ages the
data has observed count: an account that started last month is not 'lost' at age 4.
"""

from __future__ import annotations

import pandas as pd

from revops_nb.reports.revenue_retention._book import Book, arr_on_account_days
from revops_nb.reports.revenue_retention.settings import GRAINS, Settings
from revops_nb.stats import wilson_interval

COHORT_COLUMNS = [
    "cohort",
    "age",
    "customers",
    "observed",
    "retained",
    "logo_retention",
    "logo_ci_low",
    "logo_ci_high",
    "arr_at_start",
    "arr_at_age",
    "revenue_retention",
    "flagged",
]


def cohort_retention(book: Book, settings: Settings) -> pd.DataFrame:
    """One row per cohort and age with at least one observed account (:data:`COHORT_COLUMNS`)."""
    customers = book.customers
    freq = GRAINS[settings.cohort_grain][0]
    cohort = customers["first_start"].dt.to_period(freq).astype("str")
    size = cohort.value_counts()
    tenure_months = (book.as_of - customers["first_start"]).dt.days / 30.4375
    max_age = int(tenure_months.max() // settings.cohort_months) if len(customers) else 0
    frames = []
    for age in range(max_age + 1):
        day = customers["first_start"] + pd.DateOffset(months=age * settings.cohort_months)
        day = day.where(day <= book.as_of)
        if day.isna().all():
            break
        arr = arr_on_account_days(book.rows, day)
        seen = day.notna()
        frame = pd.DataFrame(
            {
                "cohort": cohort[seen],
                "retained": (arr[seen] > 0).astype(int),
                "arr": arr[seen],
                "first_arr": customers.loc[seen, "first_arr"],
            }
        )
        g = frame.groupby("cohort", sort=True)
        table = pd.DataFrame(
            {
                "observed": g.size(),
                "retained": g["retained"].sum(),
                "arr": g["arr"].sum(),
                "first_arr": g["first_arr"].sum(),
            }
        ).reset_index()
        table["age"] = age
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=COHORT_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["customers"] = out["cohort"].map(size).astype(int)
    out["logo_retention"] = out["retained"] / out["observed"]
    out["logo_ci_low"], out["logo_ci_high"] = wilson_interval(
        out["retained"], out["observed"], settings.confidence
    )
    out["arr_at_start"], out["arr_at_age"] = out["first_arr"], out["arr"]
    out["revenue_retention"] = (out["arr"] / out["first_arr"].where(out["first_arr"] > 0)).astype(float)
    out["flagged"] = out["observed"] < settings.min_n
    return out.sort_values(["cohort", "age"]).reset_index(drop=True)[COHORT_COLUMNS]


def cohort_matrix(table: pd.DataFrame, value: str) -> pd.DataFrame:
    """Cohorts as rows, ages as columns, ``value`` in the cells (for the heatmap)."""
    if table.empty:
        return pd.DataFrame()
    return table.pivot(index="cohort", columns="age", values=value).sort_index()


def retention_by_age(table: pd.DataFrame) -> pd.DataFrame:
    """Logo and revenue retention by age over all cohorts together (every observed account counts once)."""
    if table.empty:
        return pd.DataFrame(columns=["age", "observed", "retained", "logo_retention", "revenue_retention"])
    g = table.groupby("age")
    out = pd.DataFrame(
        {
            "observed": g["observed"].sum(),
            "retained": g["retained"].sum(),
            "start": g["arr_at_start"].sum(),
            "now": g["arr_at_age"].sum(),
        }
    ).reset_index()
    out["logo_retention"] = out["retained"] / out["observed"]
    out["revenue_retention"] = out["now"] / out["start"].where(out["start"] > 0)
    return out[["age", "observed", "retained", "logo_retention", "revenue_retention"]]
