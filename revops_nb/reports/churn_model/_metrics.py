"""Discrimination and calibration metrics for churn scores, with (cluster) bootstrap intervals.

ROC AUC, PR AUC (average precision) and the Brier score of a model are computed for
many bootstrap resamples at once. A resample draws whole accounts, so it is a vector
of per-account draw counts; the test rows are tallied once per account into the few
sums the metrics need (see :class:`GroupedScores`), and each resample then costs one
sparse product and cumulative sums over the scores that hold a churner, never a pass
over every row. With unit weights the values equal scikit-learn's ``roc_auc_score``,
``average_precision_score`` and ``brier_score_loss``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

METRICS = ("roc_auc", "pr_auc", "brier")
_CHUNK = 100


def weighted_metrics(y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """ROC AUC, average precision and Brier score for each row of ``weights`` (shape resamples x rows)."""
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    order = np.argsort(score, kind="stable")
    s_sorted, y_sorted, w_sorted = score[order], y[order], w[:, order]
    starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    pos = np.add.reduceat(w_sorted * y_sorted, starts, axis=1)
    neg = np.add.reduceat(w_sorted * (1 - y_sorted), starts, axis=1)
    total_pos, total_neg = pos.sum(axis=1), neg.sum(axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (pos * (below + 0.5 * neg)).sum(axis=1) / (total_pos * total_neg)
        pos_d, all_d = pos[:, ::-1], (pos + neg)[:, ::-1]
        precision = np.cumsum(pos_d, axis=1) / np.cumsum(all_d, axis=1)
        ap = (np.nan_to_num(precision) * pos_d).sum(axis=1) / total_pos
        brier = (w * (score - y) ** 2).sum(axis=1) / w.sum(axis=1)
    return {"roc_auc": auc, "pr_auc": ap, "brier": brier}


class GroupedScores:
    """One model's test rows, tallied per account into the sums the metrics need, for many resamples.

    Only score levels that hold a churner add to ROC AUC and average precision, so the
    rows are tallied into three sums per such level (churners at it, non-churners at it,
    non-churners between it and the churner level below) plus the non-churners above the
    top one. A resample's weighted sums are one sparse product with its draw counts:
    whole numbers, so exact in any order, and the cumulative sums over these levels equal
    those over every row. The metrics equal :func:`weighted_metrics` on the same
    resamples to rounding (about 1e-16: the final sums skip the zero terms).
    """

    def __init__(self, y: np.ndarray, score: np.ndarray, codes: np.ndarray, n_groups: int) -> None:
        y = np.asarray(y, dtype=float)
        score = np.asarray(score, dtype=float)
        churner = y == 1
        levels = np.unique(score[churner])
        k = len(levels)
        slot = np.searchsorted(levels, score)  # the first churner level at or above each row's score
        at_level = (slot < k) & (levels[np.minimum(slot, max(k - 1, 0))] == score) if k else slot < 0
        # columns: [0, k) churners at level j; [k, 2k) non-churners at j; 2k + j non-churners below j
        # and above level j - 1 (3k: above the top level)
        column = np.where(churner, slot, np.where(at_level, k + slot, 2 * k + slot))
        self._k = k
        self._tally = sparse.csr_matrix((np.ones(len(y)), (column, codes)), shape=(3 * k + 1, n_groups))
        self._squared = np.bincount(codes, (score - y) ** 2, minlength=n_groups)
        self._rows = np.bincount(codes, minlength=n_groups).astype(float)

    def metrics(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        """The three metrics for each resample, given per-account draw counts (resamples x accounts)."""
        k = self._k
        sums = self._tally @ np.ascontiguousarray(counts.T)  # (3k + 1) x resamples, whole numbers
        pos, neg_at, neg_gap = sums[:k], sums[k : 2 * k], sums[2 * k :]
        total_pos = pos.sum(axis=0)
        total_neg = neg_at.sum(axis=0) + neg_gap.sum(axis=0)
        below = np.cumsum(neg_gap[:k], axis=0) + np.cumsum(neg_at, axis=0) - neg_at
        above = total_neg - below - neg_at  # non-churners above each level
        pos_at_or_above = np.cumsum(pos[::-1], axis=0)[::-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            auc = _sum_over_levels(pos * (below + 0.5 * neg_at)) / (total_pos * total_neg)
            precision = pos_at_or_above / (pos_at_or_above + neg_at + above)
            ap = _sum_over_levels(np.nan_to_num(precision) * pos) / total_pos
            brier = (counts @ self._squared) / (counts @ self._rows)
        return {"roc_auc": auc, "pr_auc": ap, "brier": brier}


def _sum_over_levels(values: np.ndarray) -> np.ndarray:
    """Sum a levels x resamples array over levels, pairwise (as numpy sums a contiguous row)."""
    return np.ascontiguousarray(values.T).sum(axis=1)


def group_draws(groups: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` resamples of whole groups: each row's group code, and the draw counts per group (n x groups)."""
    codes, uniques = pd.factorize(pd.Series(groups))
    k = len(uniques)
    draws = rng.integers(0, k, size=(n, k))
    flat = (np.arange(n)[:, None] * k + draws).ravel()
    counts = np.bincount(flat, minlength=n * k).reshape(n, k).astype(float)  # whole counts: exact
    return codes, counts


def bootstrap_weights(groups: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` resamples of whole groups (accounts) as per-row weights, shape (n, rows)."""
    codes, counts = group_draws(groups, n, rng)
    return counts[:, codes]


def metric_table(
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    groups: np.ndarray,
    baseline: str | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Per model: each metric with a percentile bootstrap interval, plus the ROC AUC gain over ``baseline``.

    Resamples draw whole ``groups`` (an account observed on several dates counts
    once per draw), and every model is scored on the same resamples, so the
    AUC differences are paired.
    """
    rng = np.random.default_rng(seed)
    ones = np.ones((1, len(y)))
    codes, uniques = pd.factorize(pd.Series(groups))
    tallies = {model: GroupedScores(y, s, codes, len(uniques)) for model, s in scores.items()}
    boot: dict[str, dict[str, list[np.ndarray]]] = {m: {k: [] for k in METRICS} for m in scores}
    for start in range(0, n_boot, _CHUNK):
        _, counts = group_draws(groups, min(_CHUNK, n_boot - start), rng)
        for model, tally in tallies.items():
            for key, values in tally.metrics(counts).items():
                boot[model][key].append(values)
    alpha = (1 - confidence) / 2
    rows = []
    for model, s in scores.items():
        point = weighted_metrics(y, s, ones)
        row = {"model": model, "n": len(y), "churners": int(np.sum(y))}
        for key in METRICS:
            draws = np.concatenate(boot[model][key])
            row[key] = float(point[key][0])
            row[f"{key}_ci_low"], row[f"{key}_ci_high"] = _percentiles(draws, alpha)
        if baseline is not None and model != baseline:
            diff = np.concatenate(boot[model]["roc_auc"]) - np.concatenate(boot[baseline]["roc_auc"])
            row["auc_gain"] = row["roc_auc"] - float(
                weighted_metrics(y, scores[baseline], ones)["roc_auc"][0]
            )
            row["auc_gain_ci_low"], row["auc_gain_ci_high"] = _percentiles(diff, alpha)
        else:
            row["auc_gain"] = row["auc_gain_ci_low"] = row["auc_gain_ci_high"] = np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _percentiles(draws: np.ndarray, alpha: float) -> tuple[float, float]:
    finite = draws[np.isfinite(draws)]
    if len(finite) == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(finite, [alpha, 1 - alpha])
    return float(low), float(high)
