"""Kaplan–Meier logo survival by start year, a log-rank test, and whether newer cohorts retain better.

An account's lifetime runs from its first subscription's start to the day its last subscription
ended (when none is active on the report date; a gap between subscriptions is not a churn), else it
is censored on the report date. The log-rank test asks whether the start years' curves differ; a Cox
model with the start year as a number gives the hazard ratio per newer year (below 1: newer cohorts
churn less) with its interval.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.reports.revenue_retention._book import Book
from revops_nb.reports.revenue_retention.settings import Settings
from revops_nb.stats import TestResult, kaplan_meier, logrank_test

MONTH_DAYS = 30.4375


@dataclass
class CohortSurvival:
    """KM curves per start year (time in months), the log-rank test and the trend across years."""

    curves: dict[str, pd.DataFrame] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    test: TestResult | None = None
    hazard_ratio: float = float("nan")  # per newer start year
    hr_ci_low: float = float("nan")
    hr_ci_high: float = float("nan")
    hr_p_value: float = float("nan")
    aside: str | None = None


def lifetimes(book: Book) -> pd.DataFrame:
    """Per account: months from first start to churn (or to the report date), and whether it churned."""
    c = book.customers
    end = c["churn_date"].where(c["churned"], book.as_of)
    months = (end - c["first_start"]).dt.days / MONTH_DAYS
    return pd.DataFrame(
        {
            "months": months.clip(lower=0),
            "churned": c["churned"].astype(int),
            "start_year": c["first_start"].dt.year.astype(int),
        }
    )


def cohort_survival(book: Book, settings: Settings) -> CohortSurvival:
    """KM per start year with a log-rank test; steps aside when nobody churned."""
    life = lifetimes(book)
    if not life["churned"].any():
        why = (
            "the subscriptions have no end dates" if not book.has_end_dates else "no customer has churned yet"
        )
        return CohortSurvival(aside=f"Logo survival by cohort needs churned customers, and {why}.")
    out = CohortSurvival()
    for year, part in life.groupby("start_year"):
        out.curves[str(year)] = kaplan_meier(part["months"], part["churned"], settings.confidence)
        out.sizes[str(year)] = len(part)
    out.test = logrank_test(life["months"], life["churned"], life["start_year"])
    if life["start_year"].nunique() >= 2:
        _trend(out, life, settings)
    return out


def _trend(out: CohortSurvival, life: pd.DataFrame, settings: Settings) -> None:
    from statsmodels.duration.hazard_regression import PHReg

    years = life["start_year"] - life["start_year"].min()
    time = life["months"].clip(lower=1e-3)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fit = PHReg(
                time.to_numpy(), years.to_numpy(float)[:, None], status=life["churned"].to_numpy()
            ).fit()
            coef, se, p = float(fit.params[0]), float(fit.bse[0]), float(fit.pvalues[0])
            low, high = (float(b) for b in fit.conf_int(alpha=1 - settings.confidence)[0])  # Wald, on log HR
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        return
    if not (np.isfinite(coef) and np.isfinite(se)):
        return
    out.hazard_ratio, out.hr_p_value = float(np.exp(coef)), p
    with np.errstate(over="ignore"):  # a tiny book's interval can run to infinity
        out.hr_ci_low, out.hr_ci_high = float(np.exp(low)), float(np.exp(high))
