"""Net and gross revenue retention of a base of accounts, with a bootstrap interval over accounts.

NRR = Σ ARR now / Σ ARR then over the accounts that were customers then (expansion counts);
GRR = Σ min(ARR now, ARR then) / Σ ARR then (no account counts above what it had).
"""

from __future__ import annotations

import numpy as np

from revops_nb.stats import bootstrap_interval


def retention(then: np.ndarray, now: np.ndarray, kind: str) -> float:
    """NRR (``kind='nrr'``) or GRR (``'grr'``) of accounts with ARR ``then`` and ``now``."""
    base = float(np.sum(then))
    if base <= 0:
        return float("nan")
    kept = np.minimum(now, then) if kind == "grr" else now
    return float(np.sum(kept) / base)


def retention_interval(
    then: np.ndarray, now: np.ndarray, kind: str, confidence: float, replicates: int, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of :func:`retention`, resampling accounts (NaN with fewer than 2)."""
    if len(then) < 2:
        return float("nan"), float("nan")
    return bootstrap_interval(
        (np.asarray(then, float), np.asarray(now, float)),
        lambda a, b: retention(a, b, kind),
        confidence=confidence,
        n_resamples=replicates,
        seed=seed,
    )
