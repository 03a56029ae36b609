"""The overall win rate: by count with a Wilson interval, and by amount with a ratio-estimator interval."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb import stats
from revops_nb.reports.win_loss._deals import Deals
from revops_nb.reports.win_loss.settings import Settings

DELTA_MIN_OUTCOMES = 5  # fewer won or lost deals than this: amount-weighted CI by Wilson on n_eff


@dataclass(frozen=True)
class OverallWinRate:
    """Closed-deal win rate by count (Wilson interval) and by amount (ratio-estimator interval)."""

    n_closed: int
    n_won: int
    win_rate: float
    ci_low: float
    ci_high: float
    n_with_amount: int
    n_won_with_amount: int
    closed_amount: float
    won_amount: float
    win_rate_amount: float
    amount_ci_low: float
    amount_ci_high: float
    amount_ci_method: str = "delta"


def overall_win_rate(deals: Deals, settings: Settings) -> OverallWinRate:
    """Win rate of deals closed in the period, by count and weighted by amount."""
    closed = deals.closed
    n, k = len(closed), int(closed["is_won"].sum())
    low, high = stats.wilson_interval(k, n, settings.confidence)
    rate = k / n if n else float("nan")
    amount = closed["amount_rep"]
    has = amount.notna()
    w_rate, w_low, w_high = amount_weighted_rate(amount[has], closed.loc[has, "is_won"], settings.confidence)
    return OverallWinRate(
        n_closed=n,
        n_won=k,
        win_rate=float(rate),
        ci_low=float(low),
        ci_high=float(high),
        n_with_amount=int(has.sum()),
        n_won_with_amount=int(closed.loc[has, "is_won"].sum()),
        closed_amount=float(amount[has].sum()),
        won_amount=float(amount[has & closed["is_won"]].sum()),
        win_rate_amount=w_rate,
        amount_ci_low=w_low,
        amount_ci_high=w_high,
        amount_ci_method=amount_interval_method(closed.loc[has, "is_won"]),
    )


def amount_weighted_rate(amount: pd.Series, won: pd.Series, confidence: float) -> tuple[float, float, float]:
    """Won amount / closed amount with an interval, clipped to 0–1 (see :func:`amount_interval_method`).

    Delta-method (ratio estimator) interval normally; when fewer than
    ``DELTA_MIN_OUTCOMES`` deals were won or lost that interval collapses (zero
    width when every deal has one outcome), so a Wilson interval on the
    effective sample size (sum w)^2 / sum w^2 is used instead.
    """
    w = np.asarray(amount, dtype=float)
    y = np.asarray(won, dtype=float)
    n, total = len(w), float(w.sum())
    if n < 2 or total <= 0:
        return float("nan"), float("nan"), float("nan")
    rate = float((w * y).sum() / total)
    if amount_interval_method(y) == "wilson":
        n_eff = total**2 / float(np.sum(w**2))
        low, high = stats.wilson_interval(rate * n_eff, n_eff, confidence)
        return rate, float(low), float(high)
    se = np.sqrt(n / (n - 1) * np.sum((w * (y - rate)) ** 2)) / total
    z = stats.z_value(confidence)
    return rate, float(max(rate - z * se, 0.0)), float(min(rate + z * se, 1.0))


def amount_interval_method(won) -> str:
    """'delta' or 'wilson' (effective sample size): which interval :func:`amount_weighted_rate` uses."""
    y = np.asarray(won, dtype=float)
    k = float(y.sum())
    return "wilson" if min(k, len(y) - k) < DELTA_MIN_OUTCOMES else "delta"
