"""Retention by category (logo: Wilson, ARR: bootstrap), by score, the promoter-detractor contrast, curves.

Every analysis here counts each account once, through its first linked response
(the curves: its first eligible one, censored rather than dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb import stats
from revops_nb.reports.nps_retention.settings import CATEGORIES, Settings


def retention_by_category(
    accounts: pd.DataFrame, settings: Settings, n_resamples: int = 1000
) -> pd.DataFrame:
    """Logo retention (Wilson CI) and ARR retention (bootstrap CI) per category, one row per account."""
    rows = []
    for cat in CATEGORIES:
        group = accounts[accounts["category"] == cat]
        n, kept = len(group), int(group["retained"].sum())
        low, high = stats.wilson_interval(kept, n, settings.confidence)
        arr_rate, arr_low, arr_high = _arr_retention(group, settings.confidence, n_resamples)
        rows.append(
            {
                "category": cat,
                "accounts": n,
                "retained": kept,
                "churned": n - kept,
                "logo_retention": kept / n if n else np.nan,
                "ci_low": float(low),
                "ci_high": float(high),
                "arr": float(group["arr"].sum()),
                "arr_retention": arr_rate,
                "arr_ci_low": arr_low,
                "arr_ci_high": arr_high,
                "flagged": n < settings.min_n,
            }
        )
    return pd.DataFrame(rows)


def _arr_retention(group: pd.DataFrame, confidence: float, n_resamples: int) -> tuple[float, float, float]:
    valued = group[group["arr"].notna() & (group["arr"] > 0)]
    arr = valued["arr"].to_numpy(dtype=float)
    kept = valued["retained"].to_numpy(dtype=float)
    if len(arr) < 2 or arr.sum() <= 0:
        return (float(kept @ arr / arr.sum()) if len(arr) else np.nan), np.nan, np.nan
    point = float(kept @ arr / arr.sum())
    if kept.min() == kept.max():
        return point, point, point
    low, high = _ratio_bootstrap(arr, kept, confidence, n_resamples)
    return point, low, high


def _ratio_bootstrap(arr: np.ndarray, kept: np.ndarray, confidence: float, n_resamples: int, seed: int = 0):
    """Percentile bootstrap of sum(arr * kept) / sum(arr), vectorized over resamples."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(arr), size=(n_resamples, len(arr)))
    a = arr[idx]
    ratios = (a * kept[idx]).sum(axis=1) / a.sum(axis=1)
    tail = (1 - confidence) / 2
    return float(np.quantile(ratios, tail)), float(np.quantile(ratios, 1 - tail))


def retention_test(accounts: pd.DataFrame) -> stats.TestResult:
    """Chi-square (exact for sparse 2x2) test that retention differs across categories."""
    counts = pd.crosstab(accounts["category"], accounts["retained"])
    return stats.independence_test(counts)


def retention_by_score(accounts: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Logo retention at each score value (Wilson CI, small groups flagged), in score order.

    Columns of :func:`revops_nb.stats.rate_table` (``value`` is the score as text, '7' or
    '3.5') plus the numeric ``score``; empty when no account is linked.
    """
    columns = ["value", "n", "successes", "rate", "ci_low", "ci_high", "flagged", "score"]
    if accounts.empty:
        return pd.DataFrame(columns=columns)
    labelled = accounts.assign(score_label=accounts["score"].map(lambda v: f"{v:g}"))
    table = stats.rate_table(labelled, "score_label", "retained", settings.min_n, settings.confidence)
    order = {f"{v:g}": v for v in labelled["score"].unique()}
    table = table.assign(score=table["value"].map(order)).sort_values("score")
    return table.reset_index(drop=True)[columns]


@dataclass(frozen=True)
class Contrast:
    """Promoter vs detractor retention: difference and its test."""

    promoter_rate: float
    detractor_rate: float
    difference: float
    diff_ci_low: float
    diff_ci_high: float
    test: stats.TestResult
    n_promoters: int
    n_detractors: int


def promoter_detractor_contrast(table: pd.DataFrame, settings: Settings) -> Contrast:
    """Promoter minus detractor logo retention, its Newcombe interval and a two-proportion test."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    pro = table.set_index("category").loc["promoter"]
    det = table.set_index("category").loc["detractor"]
    k1, n1, k2, n2 = int(pro["retained"]), int(pro["accounts"]), int(det["retained"]), int(det["accounts"])
    test = stats.two_proportion_test(k1, n1, k2, n2)
    low = high = np.nan
    if min(n1, n2) > 0:
        low, high = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", alpha=settings.alpha)
    return Contrast(
        float(pro["logo_retention"]),
        float(det["logo_retention"]),
        float(pro["logo_retention"] - det["logo_retention"]),
        float(low),
        float(high),
        test,
        int(pro["accounts"]),
        int(det["accounts"]),
    )


@dataclass
class Survival:
    """Kaplan–Meier retention curves by category and the log-rank test across them."""

    curves: dict[str, pd.DataFrame]
    test: stats.TestResult
    at_horizon: pd.DataFrame


def survival_by_category(accounts: pd.DataFrame, settings: Settings) -> Survival | None:
    """Kaplan–Meier curves from each account's first linked response; None without event dates."""
    if accounts["duration_days"].isna().all():
        return None
    curves = {}
    rows = []
    for cat in CATEGORIES:
        group = accounts[accounts["category"] == cat]
        curve = stats.kaplan_meier(group["duration_days"], group["event"], settings.confidence)
        curves[cat] = curve
        at = curve[curve["time"] <= settings.horizon_days].tail(1)
        rows.append(
            {
                "category": cat,
                "accounts": len(group),
                "retention_at_horizon": float(at["survival"].iloc[0]) if len(at) else np.nan,
                "ci_low": float(at["ci_low"].iloc[0]) if len(at) else np.nan,
                "ci_high": float(at["ci_high"].iloc[0]) if len(at) else np.nan,
            }
        )
    test = stats.logrank_test(accounts["duration_days"], accounts["event"], accounts["category"].astype(str))
    return Survival(curves, test, pd.DataFrame(rows))
