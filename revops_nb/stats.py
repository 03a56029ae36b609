"""Intervals and tests the reports rely on: pure functions of numbers.

Thin, named wrappers over statsmodels and SciPy so every report computes a
Wilson interval, an NPS interval or a log-rank test the same way, and so each
can be property-tested in one place.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint, proportions_ztest


def z_value(confidence: float) -> float:
    """Two-sided normal quantile of ``confidence`` (1.96 at 0.95): the one every interval uses."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return float(sps.norm.ppf(0.5 + confidence / 2))


def wilson_interval(successes, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportions; vectorized, NaN where n == 0."""
    k = np.asarray(successes, dtype=float)
    total = np.asarray(n, dtype=float)
    if np.any(k < 0) or np.any(k > total):
        raise ValueError("successes must lie between 0 and n")
    safe = np.where(total > 0, total, 1.0)
    low, high = proportion_confint(k, safe, alpha=1 - confidence, method="wilson")
    low = np.where(total > 0, np.clip(low, 0, 1), np.nan)
    high = np.where(total > 0, np.clip(high, 0, 1), np.nan)
    return low, high


def rate_table(
    frame: pd.DataFrame,
    by: str,
    outcome: str,
    min_n: int = 30,
    confidence: float = 0.95,
    weight: str | None = None,
) -> pd.DataFrame:
    """Rate of a boolean ``outcome`` per value of ``by`` with n, Wilson CI and a small-n flag.

    Columns: value, n, successes, rate, ci_low, ci_high, flagged. Rows with
    ``flagged`` (n < min_n) are listed but sorted after the ranked ones.
    With ``weight`` the rate is weighted (e.g. by amount) and the interval is
    omitted, since Wilson applies to counts only. Rows whose outcome is missing
    are not counted (neither in n nor as failures).
    """
    data = frame[[by, outcome] + ([weight] if weight else [])].copy()
    data = data[data[outcome].notna()]
    data[outcome] = data[outcome].astype(bool)
    data[by] = data[by].astype("object").where(data[by].notna(), "(blank)")
    grouped = data.groupby(by, sort=False, observed=True)
    out = pd.DataFrame(
        {"n": grouped[outcome].size(), "successes": grouped[outcome].sum().astype(int)}
    ).reset_index(names="value")
    if weight:
        w = data[weight].fillna(0.0)
        total = w.groupby(data[by]).sum()
        won = w.where(data[outcome].astype(bool), 0.0).groupby(data[by]).sum()
        rate = (won / total.replace(0, np.nan)).reindex(out["value"]).to_numpy()
        out["rate"] = rate
        out["ci_low"] = np.nan
        out["ci_high"] = np.nan
    else:
        out["rate"] = out["successes"] / out["n"]
        out["ci_low"], out["ci_high"] = wilson_interval(out["successes"], out["n"], confidence)
    out["flagged"] = out["n"] < min_n
    out = out.sort_values(["flagged", "rate"], ascending=[True, False], kind="stable")
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class NpsResult:
    """Net Promoter Score (-100..100) with a multinomial-variance interval."""

    nps: float
    ci_low: float
    ci_high: float
    n: int
    promoters: float
    passives: float
    detractors: float


def nps_score(
    scores: Sequence[float] | pd.Series,
    detractor_max: float = 6,
    promoter_min: float = 9,
    confidence: float = 0.95,
) -> NpsResult:
    """NPS = %promoters - %detractors; the interval uses the trinomial variance.

    Var(NPS) = (p_p + p_d - (p_p - p_d)^2) / n on the 0..1 scale (times 100), with the
    proportions in the variance taken as (count + 1) / (n + 3) so the interval never
    collapses to zero width at the extremes.
    Works for any scale given its category cut-offs (e.g. 1-5 CSAT with 2 and 5).
    """
    values = pd.Series(scores, dtype="float64").dropna().to_numpy()
    n = len(values)
    if n == 0:
        return NpsResult(np.nan, np.nan, np.nan, 0, np.nan, np.nan, np.nan)
    n_pro = int(np.sum(values >= promoter_min))
    n_det = int(np.sum(values <= detractor_max))
    p_pro, p_det = n_pro / n, n_det / n
    point = p_pro - p_det
    # variance from proportions with one pseudo-count per category, so that all-promoter
    # or tiny samples do not get a zero-width interval (plain Wald collapses there)
    a_pro, a_det = (n_pro + 1) / (n + 3), (n_det + 1) / (n + 3)
    var = max(a_pro + a_det - (a_pro - a_det) ** 2, 0.0) / n
    half = z_value(confidence) * np.sqrt(var)
    return NpsResult(
        100 * point,
        100 * float(max(point - half, -1.0)),
        100 * float(min(point + half, 1.0)),
        n,
        p_pro,
        max(1 - p_pro - p_det, 0.0),
        p_det,
    )


@dataclass(frozen=True)
class TestResult:
    """A test statistic, its p-value and the test's name, for statements in words.

    ``note`` says why no test was run (statistic and p-value NaN), when a function
    can tell, e.g. "every duration is the same (0), so there is no timing to compare".
    """

    statistic: float
    p_value: float
    test: str
    note: str = ""

    def significant(self, alpha: float = 0.05) -> bool:
        return bool(np.isfinite(self.p_value) and self.p_value < alpha)


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> TestResult:
    """Two-sided test that two proportions differ (Fisher's exact test when counts are small)."""
    if min(n1, n2) == 0:
        return TestResult(np.nan, np.nan, "none")
    table = np.array([[k1, n1 - k1], [k2, n2 - k2]])
    expected = table.sum(axis=0) * table.sum(axis=1)[:, None] / table.sum()
    if (expected < 5).any():
        res = sps.fisher_exact(table)
        return TestResult(float(res.statistic), float(res.pvalue), "Fisher's exact test")
    stat, p = proportions_ztest([k1, k2], [n1, n2])
    return TestResult(float(stat), float(p), "two-proportion z-test")


def independence_test(table: pd.DataFrame | np.ndarray) -> TestResult:
    """Chi-square test of independence of a contingency table (exact for sparse 2x2)."""
    counts = np.asarray(table, dtype=float)
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        return TestResult(np.nan, np.nan, "none")
    res = sps.chi2_contingency(counts)
    if counts.shape == (2, 2) and (res.expected_freq < 5).any():
        fisher = sps.fisher_exact(counts)
        return TestResult(float(fisher.statistic), float(fisher.pvalue), "Fisher's exact test")
    return TestResult(float(res.statistic), float(res.pvalue), "chi-square test")


def bootstrap_interval(
    data: Sequence | np.ndarray | tuple,
    statistic: Callable[..., float],
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
    strata: Sequence | np.ndarray | None = None,
    min_valid: float = 0.9,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic``, reproducible for a seed.

    ``data`` is one array or a tuple of equal-length arrays resampled together
    (e.g. ``(y_true, y_score)``). ``strata`` resamples within each group (e.g.
    the class label, so every resample of an AUC has both classes). Resamples
    where the statistic is undefined are dropped; if fewer than ``min_valid`` of
    them remain the interval is (nan, nan) rather than a misleading one.
    """
    arrays = tuple(np.asarray(a) for a in data) if isinstance(data, tuple) else (np.asarray(data),)
    n = len(arrays[0])
    if n == 0 or any(len(a) != n for a in arrays):
        raise ValueError("bootstrap data must be non-empty arrays of equal length")
    rng = np.random.default_rng(seed)
    groups = (
        [np.arange(n)]
        if strata is None
        else [np.flatnonzero(np.asarray(strata) == g) for g in pd.unique(np.asarray(strata))]
    )
    values = np.empty(n_resamples)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined resamples are counted, not warned about one by one
        for i in range(n_resamples):
            idx = np.concatenate([rng.choice(g, size=len(g), replace=True) for g in groups])
            try:
                values[i] = float(statistic(*(a[idx] for a in arrays)))
            except (ValueError, ZeroDivisionError, FloatingPointError):
                values[i] = np.nan
    valid = values[np.isfinite(values)]
    if len(valid) < min_valid * n_resamples:
        return float("nan"), float("nan")
    alpha = 1 - confidence
    low, high = np.quantile(valid, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def kaplan_meier(durations, events, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier survival curve (statsmodels) with pointwise log-log intervals (SciPy).

    ``events`` is 1 where the event (churn, close) happened, 0 where censored.
    Columns: time, survival, ci_low, ci_high, at_risk; starts at time 0, survival 1.
    The interval is Greenwood's on the log(-log S) scale ("exponential Greenwood"), from
    ``scipy.stats.ecdf``: statsmodels' ``SurvfuncRight`` has no pointwise interval, only a
    simultaneous Hall–Wellner band at 95%.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=float)
    keep = np.isfinite(t) & np.isfinite(e)
    t, e = t[keep], e[keep]
    if len(t) == 0:
        return pd.DataFrame(columns=["time", "survival", "ci_low", "ci_high", "at_risk"])
    sf = SurvfuncRight(t, e)
    if len(sf.surv_times) == 0:
        return pd.DataFrame(
            {"time": [0.0], "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0], "at_risk": [len(t)]}
        )
    low, high = _km_pointwise(t, e, sf, confidence)
    curve = pd.DataFrame(
        {
            "time": sf.surv_times,
            "survival": sf.surv_prob,
            "ci_low": low,
            "ci_high": high,
            "at_risk": sf.n_risk,
        }
    )
    start = pd.DataFrame(
        {"time": [0.0], "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0], "at_risk": [len(t)]}
    )
    return pd.concat([start, curve], ignore_index=True)


def _km_pointwise(t: np.ndarray, e: np.ndarray, sf, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """SciPy's log-log pointwise interval at ``sf``'s event times; [0, 1] where undefined, [0, 0] at S = 0."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # NaN at S = 0 or when all at risk have the event: handled below
        ecdf = sps.ecdf(sps.CensoredData.right_censored(t, e == 0)).sf
        band = ecdf.confidence_interval(confidence, method="log-log")
    at = np.searchsorted(ecdf.quantiles, sf.surv_times)  # scipy steps at every time, censored ones too
    low, high = band.low.probabilities[at], band.high.probabilities[at]
    s = sf.surv_prob
    low = np.where(s >= 1.0, 1.0, np.nan_to_num(low, nan=0.0))
    high = np.where(s >= 1.0, 1.0, np.nan_to_num(high, nan=1.0))
    empty = s <= 0
    low, high = np.where(empty, 0.0, low), np.where(empty, 0.0, high)
    return low, high


def survival_at(curve: pd.DataFrame, time: float) -> float:
    """Survival probability at ``time`` from a :func:`kaplan_meier` curve (step function)."""
    if curve.empty:
        return float("nan")
    before = curve[curve["time"] <= time]
    return float(before["survival"].iloc[-1]) if len(before) else 1.0


def median_survival(curve: pd.DataFrame) -> float:
    """First time the curve reaches 0.5 or below; NaN when it never does."""
    # not SurvfuncRight.quantile(0.5): it takes the first S < 0.5 (strict, as SAS), later where S hits 0.5
    hit = curve[curve["survival"] <= 0.5]
    return float(hit["time"].iloc[0]) if len(hit) else float("nan")


def logrank_test(durations, events, groups) -> TestResult:
    """Log-rank test that survival differs between groups (statsmodels ``survdiff``).

    Never raises on degenerate data: a single group, no events, every duration
    the same, or a singular variance give a result with NaN p-value and a
    ``note`` saying in words why the test cannot be run.
    """
    from statsmodels.duration.survfunc import survdiff

    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=float)
    # integer codes in the order of the labels as text: survdiff orders groups as np.unique would the
    # labels, without sorting hundreds of thousands of strings
    g = pd.factorize(np.asarray(pd.Series(groups).astype(str), dtype=object), sort=True)[0]
    if not len(t) == len(e) == len(g):
        raise ValueError("durations, events and groups must have the same length")
    keep = np.isfinite(t) & np.isfinite(e)
    t, e, g = t[keep], e[keep], g[keep]

    def untested(reason: str) -> TestResult:
        return TestResult(np.nan, np.nan, "none", reason)

    if len(t) == 0:
        return untested("there is no duration to compare")
    if len(np.unique(g)) < 2:
        return untested("only one group has data, so there is nothing to compare it with")
    if e.sum() == 0:
        return untested("no event happened in any group (every duration is censored)")
    if np.ptp(t) == 0:
        return untested(f"every duration is the same ({t[0]:g}), so there is no timing to compare")
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            stat, p = survdiff(t, e, g)
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        stat, p = np.nan, np.nan
    if not (np.isfinite(stat) and np.isfinite(p)):
        return untested(
            "the variance of the test statistic is singular (a group has nobody left at risk when the "
            "events happen, or the events fall at too few distinct times to compare the groups)"
        )
    return TestResult(float(stat), float(p), "log-rank test")


def spearman(x, y) -> TestResult:
    """Spearman rank correlation with its two-sided p-value."""
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    keep = np.isfinite(xs) & np.isfinite(ys)
    if keep.sum() < 3 or np.ptp(xs[keep]) == 0 or np.ptp(ys[keep]) == 0:
        return TestResult(np.nan, np.nan, "none")
    res = sps.spearmanr(xs[keep], ys[keep])
    return TestResult(float(res.statistic), float(res.pvalue), "Spearman rank correlation")


def growth_rate(current: float, previous: float) -> float:
    """Relative change current/previous - 1; NaN when the base is zero or missing."""
    if previous is None or not np.isfinite(previous) or previous == 0:
        return float("nan")
    return float(current / previous - 1.0)


def cagr(first: float, last: float, years: float) -> float:
    """Compound annual growth rate between two positive values ``years`` apart."""
    if years <= 0 or not first or first <= 0 or last is None or last < 0:
        return float("nan")
    return float((last / first) ** (1.0 / years) - 1.0)


def holm(p_values: pd.Series, alpha: float) -> tuple[pd.Series, pd.Series]:
    """Holm-adjusted p-values and rejections at ``alpha`` over the finite p-values (NaN stays NaN, not rejected)."""
    from statsmodels.stats.multitest import multipletests

    adjusted = pd.Series(np.nan, index=p_values.index, dtype=float)
    reject = pd.Series(False, index=p_values.index, dtype=bool)
    finite = p_values.notna() & np.isfinite(p_values.astype(float))
    if finite.any():
        rej, adj, _, _ = multipletests(p_values[finite].astype(float), alpha=alpha, method="holm")
        adjusted[finite] = adj
        reject[finite] = rej
    return adjusted, reject
