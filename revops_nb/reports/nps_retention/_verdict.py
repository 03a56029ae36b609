"""The plain answer: does sentiment predict retention here ('predicts', 'opposite', 'no evidence')?"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from revops_nb import stats
from revops_nb.reports.nps_retention._association import MIN_EVENTS
from revops_nb.reports.nps_retention.settings import Settings


@dataclass(frozen=True)
class Verdict:
    """The plain answer: 'predicts', 'opposite' or 'no evidence', and why."""

    label: str
    reason: str


def verdict(
    correlation: stats.TestResult, accounts: pd.DataFrame, settings: Settings, unlinked: str = ""
) -> Verdict:
    """Verdict from the Spearman test of score vs retention (one account, one response).

    'predicts' when higher scores go with better retention at p < alpha, 'opposite'
    when significant the other way, else 'no evidence'. Below ``min_n`` linked
    accounts, or with fewer than 5 churned or 5 retained, no test is trusted:
    the verdict is 'no evidence' and the reason says the sample is too small.
    With no linked account the reason is ``unlinked`` (why nothing could be
    linked) when given; with a single score value, that no test is possible.
    """
    n = len(accounts)
    churned = int(accounts["churned"].sum())
    if n == 0:
        return Verdict(
            "no evidence",
            unlinked
            or "the retention outcome is not known yet for any response (none is linked to a known "
            "outcome, e.g. none has been followed for the whole horizon), so nothing can be tested",
        )
    if accounts["score"].nunique() < 2:
        return Verdict(
            "no evidence",
            f"every linked account has the same score ({accounts['score'].iloc[0]:g}), "
            "so whether score predicts retention cannot be tested",
        )
    if n < settings.min_n or min(churned, n - churned) < MIN_EVENTS:
        return Verdict(
            "no evidence",
            f"too little data to test: {n:,} linked accounts, {churned:,} churned "
            f"(needs at least {settings.min_n} accounts and {MIN_EVENTS} churned and {MIN_EVENTS} retained)",
        )
    if not correlation.significant(settings.alpha):
        return Verdict("no evidence", "retention is not significantly related to score")
    if correlation.statistic > 0:
        return Verdict("predicts", "higher scores go with better retention")
    return Verdict("opposite", "higher scores go with worse retention")
