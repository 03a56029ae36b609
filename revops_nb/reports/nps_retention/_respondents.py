"""Respondents vs non-respondents: do customers who answer surveys stay longer?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb import stats
from revops_nb.reports.nps_retention._linking import Linked
from revops_nb.reports.nps_retention.settings import Settings


@dataclass(frozen=True)
class Window:
    """Who the respondents comparison covers.

    Customers active on the landmark date ``start`` (= ``end`` - horizon) are
    compared; a respondent answered a survey in scope on or before ``start``;
    'still active' is measured on ``end`` (= ``as_of``). Survey status is fixed
    before the outcome window opens, so neither group includes customers who had
    already left, and early churners are not pushed into the non-respondents.
    """

    start: pd.Timestamp | None
    end: pd.Timestamp | None
    dropped: int  # customers left out because they were not active on ``start``


def respondents_window(linked: Linked, settings: Settings) -> Window:
    """The landmark ``as_of - horizon_days`` to ``as_of``; no dates in snapshot mode or without response dates."""
    dated = linked.responses["response_date"].notna().any()
    if linked.mode != "subscriptions" or linked.as_of is None or not dated:
        return Window(None, None, 0)
    start = linked.as_of - pd.Timedelta(days=settings.horizon_days)
    active = _active_on(linked.customers, start)
    return Window(start, linked.as_of, int((~active).sum()))


def _active_on(customers: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    churn = customers["churn_date"]
    return (customers["start_date"] <= day) & (churn.isna() | (churn > day))


def respondents_vs_non(linked: Linked, settings: Settings) -> tuple[pd.DataFrame, stats.TestResult]:
    """Share of customers still active, respondents vs. non-respondents, with Wilson CIs and a test.

    With subscription history both groups are the customers active on the landmark
    date ``as_of - horizon_days``, split by whether they answered on or before it,
    and 'still active' is measured at ``as_of`` (see :class:`Window`), so customers
    who churned before any survey could be answered are not non-respondents. A
    snapshot, or responses without dates, give no landmark: every customer is compared.
    """
    customers = linked.customers
    answered = linked.responses
    window = respondents_window(linked, settings)
    if window.start is not None:
        customers = customers[_active_on(customers, window.start)]
        answered = answered[answered["response_date"] <= window.start]
    responded = customers["account_id"].isin(answered["account_id"])
    frame = pd.DataFrame(
        {
            "group": np.where(responded, "respondents", "non-respondents"),
            "retained": ~customers["churned"].astype(bool).to_numpy(),
        }
    )
    table = stats.rate_table(frame, "group", "retained", settings.min_n, settings.confidence)
    table = table.rename(
        columns={"value": "group", "n": "customers", "successes": "still_active", "rate": "share_active"}
    )
    by = table.set_index("group")
    if {"respondents", "non-respondents"} <= set(by.index):
        a, b = by.loc["respondents"], by.loc["non-respondents"]
        test = stats.two_proportion_test(
            int(a["still_active"]), int(a["customers"]), int(b["still_active"]), int(b["customers"])
        )
    else:
        test = stats.TestResult(np.nan, np.nan, "none")
    return table, test
