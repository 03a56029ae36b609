"""The whole NPS-retention analysis on the loaded tables, each step once, into one :class:`NpsResult`."""

from __future__ import annotations

import numpy as np

from revops_nb import stats
from revops_nb.data import Dataset
from revops_nb.reports.nps_retention._association import churn_regression, score_correlation
from revops_nb.reports.nps_retention._at_risk import arr_at_risk
from revops_nb.reports.nps_retention._linking import link_outcomes
from revops_nb.reports.nps_retention._nps import (
    category_test,
    nps_by_quarter,
    nps_by_segment,
    nps_overall,
    quarter_test,
    score_distribution,
)
from revops_nb.reports.nps_retention._respondents import respondents_vs_non, respondents_window
from revops_nb.reports.nps_retention._responses import one_category, prepare_responses
from revops_nb.reports.nps_retention._result import NpsResult
from revops_nb.reports.nps_retention._retention import (
    promoter_detractor_contrast,
    retention_by_category,
    retention_by_score,
    retention_test,
    survival_by_category,
)
from revops_nb.reports.nps_retention._verdict import verdict
from revops_nb.reports.nps_retention.settings import Settings


def analyze(data: Dataset, settings: Settings) -> NpsResult:
    """Run the whole analysis on the loaded tables (``nps_responses`` required, the others optional).

    Segments come from ``accounts``, else from ``customers``. When no response's outcome is
    known yet (every response within the horizon of ``as_of``, or none linkable), the NPS
    sections are still computed; the outcome results are empty (NaN, no test) and the
    verdict is 'no evidence'.
    """
    accounts, customers = data.get("accounts"), data.get("customers")
    segments_from, table = (accounts, "accounts") if accounts is not None else (customers, "customers")
    responses = prepare_responses(data["nps_responses"], settings, segments_from, table)
    linked = link_outcomes(responses, settings, data.get("subscriptions"), customers, data.get("fx_rates"))
    frame, acc = responses.frame, linked.accounts
    retention = retention_by_category(acc, settings)
    respondents, respondents_test = respondents_vs_non(linked, settings)
    correlation = score_correlation(acc)
    dates = frame["response_date"].dropna()
    return NpsResult(
        settings=settings,
        responses=responses,
        linked=linked,
        overall=nps_overall(frame, settings),
        by_segment=nps_by_segment(frame, settings),
        segment_test=category_test(frame, "segment", settings),
        by_quarter=nps_by_quarter(frame, settings),
        quarter_test=quarter_test(frame, settings),
        distribution=score_distribution(frame, settings),
        retention=retention,
        retention_test=retention_test(acc) if len(acc) else stats.TestResult(np.nan, np.nan, "none"),
        contrast=promoter_detractor_contrast(retention, settings),
        correlation=correlation,
        regression=churn_regression(acc, settings),
        by_score=retention_by_score(acc, settings),
        survival=survival_by_category(linked.followed, settings) if len(linked.followed) else None,
        at_risk=arr_at_risk(linked, retention),
        respondents=respondents,
        respondents_test=respondents_test,
        respondents_window=respondents_window(linked, settings),
        verdict=verdict(correlation, acc, settings, linked.note),
        first_response=dates.min() if len(dates) else None,
        last_response=dates.max() if len(dates) else None,
        one_category_responses=one_category(frame["category"]),
        one_category_linked=one_category(acc["category"]),
        one_category_followed=one_category(linked.followed["category"]),
    )
