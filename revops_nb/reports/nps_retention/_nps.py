"""NPS overall, by segment and by quarter (multinomial intervals), the score mix tests and distribution."""

from __future__ import annotations

import numpy as np
import pandas as pd

from revops_nb import stats
from revops_nb.reports.nps_retention._responses import categorize
from revops_nb.reports.nps_retention.settings import Settings


def nps_overall(responses: pd.DataFrame, settings: Settings) -> stats.NpsResult:
    """NPS of every in-scope response with its multinomial interval."""
    return stats.nps_score(
        responses["score"], settings.detractor_max, settings.promoter_min, settings.confidence
    )


def nps_by(responses: pd.DataFrame, column: str, settings: Settings, sort_by_n: bool = True) -> pd.DataFrame:
    """NPS per value of ``column`` with n, interval, category shares and a small-n flag."""
    rows = []
    for value, group in responses.groupby(column, sort=not sort_by_n, observed=True):
        res = nps_overall(group, settings)
        rows.append(
            {
                column: value,
                "n": res.n,
                "nps": res.nps,
                "ci_low": res.ci_low,
                "ci_high": res.ci_high,
                "promoters": res.promoters,
                "passives": res.passives,
                "detractors": res.detractors,
            }
        )
    out = pd.DataFrame(
        rows, columns=[column, "n", "nps", "ci_low", "ci_high", "promoters", "passives", "detractors"]
    )
    out["flagged"] = out["n"] < settings.min_n
    if sort_by_n:
        out = out.sort_values(["flagged", "n"], ascending=[True, False], kind="stable")
    return out.reset_index(drop=True)


def nps_by_segment(responses: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """NPS by the segment dimension; small segments flagged and listed last, not ranked."""
    return nps_by(responses, "segment", settings).rename(columns={"segment": settings.segment_dimension})


def nps_by_quarter(responses: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """NPS per calendar quarter of the response date, in time order."""
    dated = responses[responses["response_date"].notna()]
    quarter = dated["response_date"].dt.to_period("Q").astype(str)
    return nps_by(dated.assign(quarter=quarter), "quarter", settings, sort_by_n=False)


def category_test(responses: pd.DataFrame, column: str, settings: Settings) -> stats.TestResult:
    """Chi-square test that the promoter/passive/detractor mix differs across unflagged groups."""
    counts = pd.crosstab(responses[column], responses["category"])
    counts = counts[counts.sum(axis=1) >= settings.min_n]
    return stats.independence_test(counts)


def quarter_test(responses: pd.DataFrame, settings: Settings) -> stats.TestResult:
    """:func:`category_test` across calendar quarters of the dated responses; no test without dates."""
    dated = responses[responses["response_date"].notna()]
    if dated.empty:
        return stats.TestResult(np.nan, np.nan, "none")
    quarter = dated["response_date"].dt.to_period("Q").astype(str)
    return category_test(dated.assign(quarter=quarter), "quarter", settings)


def score_distribution(responses: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Share of responses at each score on the scale, with Wilson intervals."""
    scores = responses["score"]
    observed = np.sort(scores.unique())
    if np.allclose(observed, np.round(observed)):
        values = np.arange(np.ceil(settings.score_min), np.floor(settings.score_max) + 1)
        values = np.union1d(values, observed)
    else:
        values = observed
    counts = scores.value_counts().reindex(values, fill_value=0).to_numpy()
    n = int(counts.sum())
    low, high = stats.wilson_interval(counts, np.full(len(counts), n), settings.confidence)
    out = pd.DataFrame(
        {"score": values, "responses": counts, "share": counts / n, "ci_low": low, "ci_high": high}
    )
    out["category"] = categorize(out["score"], settings).astype(str).to_numpy()
    return out
