"""Discrimination and calibration metrics for churn scores, with (cluster) bootstrap intervals.

ROC AUC, PR AUC (average precision) and the Brier score are computed for many
bootstrap resamples at once: a resample is a vector of row weights (how often
each row, or each account's rows, was drawn), so the scores are sorted once and
every resample costs a few vectorized sums. With unit weights the values equal
scikit-learn's ``roc_auc_score``, ``average_precision_score`` and
``brier_score_loss``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def bootstrap_weights(groups: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` resamples of whole groups (accounts) as per-row weights, shape (n, rows)."""
    codes, uniques = pd.factorize(pd.Series(groups))
    k = len(uniques)
    draws = rng.integers(0, k, size=(n, k))
    flat = (np.arange(n)[:, None] * k + draws).ravel()
    counts = np.bincount(flat, minlength=n * k).reshape(n, k).astype(float)  # whole counts: exact
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
    boot: dict[str, dict[str, list[np.ndarray]]] = {m: {k: [] for k in METRICS} for m in scores}
    for start in range(0, n_boot, _CHUNK):
        w = bootstrap_weights(groups, min(_CHUNK, n_boot - start), rng)
        for model, s in scores.items():
            for key, values in weighted_metrics(y, s, w).items():
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
