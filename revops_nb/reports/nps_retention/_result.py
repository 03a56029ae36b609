"""Every number the NPS-retention report shows, computed once: the result the view tells in words."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from revops_nb import stats
from revops_nb.reports.nps_retention._association import OddsRatio
from revops_nb.reports.nps_retention._at_risk import ArrAtRisk
from revops_nb.reports.nps_retention._linking import Linked
from revops_nb.reports.nps_retention._respondents import Window
from revops_nb.reports.nps_retention._responses import Responses
from revops_nb.reports.nps_retention._retention import Contrast, Survival
from revops_nb.reports.nps_retention._verdict import Verdict
from revops_nb.reports.nps_retention.settings import CATEGORIES, Settings


@dataclass
class NpsResult:
    """Every result of the report, computed by :func:`revops_nb.reports.nps_retention.analyze`.

    ``one_category_*`` name the only category present (or None) among the responses in
    scope, the linked accounts and the accounts followed in the retention curves;
    ``first_response``/``last_response`` are the dates the responses span (None undated).
    """

    settings: Settings
    responses: Responses
    linked: Linked
    overall: stats.NpsResult
    by_segment: pd.DataFrame
    segment_test: stats.TestResult
    by_quarter: pd.DataFrame
    quarter_test: stats.TestResult
    distribution: pd.DataFrame
    retention: pd.DataFrame
    retention_test: stats.TestResult
    contrast: Contrast
    correlation: stats.TestResult
    regression: OddsRatio
    by_score: pd.DataFrame
    survival: Survival | None
    at_risk: ArrAtRisk
    respondents: pd.DataFrame
    respondents_test: stats.TestResult
    respondents_window: Window
    verdict: Verdict
    first_response: pd.Timestamp | None
    last_response: pd.Timestamp | None
    one_category_responses: str | None
    one_category_linked: str | None
    one_category_followed: str | None

    @property
    def outcomes_known(self) -> bool:
        """False when no response's outcome is known yet: the outcome sections say so instead."""
        return not self.linked.accounts.empty

    @property
    def currency(self) -> str:
        return self.settings.reporting_currency

    @property
    def n_accounts_linked(self) -> int:
        """Accounts in the outcome analyses (each through its first linked response)."""
        return len(self.linked.accounts)

    @property
    def n_accounts_followed(self) -> int:
        """Accounts followed in the retention curves (each from its first eligible response)."""
        return len(self.linked.followed)

    @property
    def n_segments_flagged(self) -> int:
        """Segments with fewer than ``min_n`` responses (flagged, not compared)."""
        return int(self.by_segment["flagged"].sum())

    def key_figures(self) -> dict[str, float | int | str | None]:
        """Headline figures for ``record()``; the retention ones equal ``retention_by_category``."""
        figures: dict[str, float | int | str | None] = {
            "nps": self.overall.nps,
            "nps_ci_low": self.overall.ci_low,
            "nps_ci_high": self.overall.ci_high,
            "n_responses": self.overall.n,
            "n_linked": self.linked.n_linked,
            "n_accounts_linked": self.n_accounts_linked,
            "n_accounts_followed": self.n_accounts_followed,
        }
        by_cat = self.retention.set_index("category")
        for cat in CATEGORIES:
            name = f"retention_{cat}s"
            figures[name] = float(by_cat.loc[cat, "logo_retention"])
            figures[f"{name}_ci_low"] = float(by_cat.loc[cat, "ci_low"])
            figures[f"{name}_ci_high"] = float(by_cat.loc[cat, "ci_high"])
        figures.update(
            {
                "spearman_score_retention": self.correlation.statistic,
                "spearman_p": self.correlation.p_value,
                "logrank_p": self.survival.test.p_value if self.survival else None,
                "odds_ratio_per_point": self.regression.odds_ratio,
                "arr_at_risk_detractors": self.at_risk.arr,
                "arr_at_risk_expected_loss": self.at_risk.expected_loss,
                "reporting_currency": self.currency,
                "verdict": self.verdict.label,
            }
        )
        return figures

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables saved with the run: name -> frame."""
        return {
            "retention_by_category": self.retention,
            "nps_by_segment": self.by_segment,
            "nps_by_quarter": self.by_quarter,
        }
