"""Pipeline velocity: open deals × win rate × average won amount ÷ average won cycle, with a bootstrap interval."""

from __future__ import annotations

import numpy as np
import pandas as pd

from revops_nb.reports.win_loss._deals import BLANK, Deals
from revops_nb.reports.win_loss.settings import Settings

BOOTSTRAP_RESAMPLES = 1000


def pipeline_velocity(deals: Deals, settings: Settings, by: str = "segment", seed: int = 0) -> pd.DataFrame:
    """Open deals × win rate × average won amount ÷ average won cycle days, per day, with a bootstrap CI.

    The interval resamples the closed deals behind the win rate, average and cycle
    (the open count is taken as known). First row is all deals, then one per ``by`` value.
    """
    closed, open_ = deals.closed, deals.open
    parts = [("All deals", closed, open_)]
    if by not in deals.absent and by in closed:
        labels = closed[by].astype("object").fillna(BLANK)
        open_labels = open_[by].astype("object").fillna(BLANK)
        for value in labels.value_counts().index:
            parts.append((str(value), closed[labels == value], open_[open_labels == value]))
    rows = [_velocity_row(label, c, o, settings, seed) for label, c, o in parts]
    return pd.DataFrame(rows)


def velocity_note(deals: Deals) -> str:
    """Why pipeline velocity cannot be estimated (one sentence), or '' when it can."""
    won = deals.closed[deals.closed["is_won"]]
    if won.empty:
        return "Pipeline velocity needs won deals, and no deal in the period was won."
    if won["amount_rep"].isna().all():
        return "Pipeline velocity needs the amounts of won deals, and no won deal in the period has one."
    if won["cycle_days"].isna().all():
        return "Pipeline velocity needs the cycle length of won deals, and none has a close date."
    return ""


def _velocity_parts(won: np.ndarray, amount: np.ndarray, cycle: np.ndarray) -> tuple[float, float, float]:
    """(win rate, mean won amount, mean won cycle) along the last axis; NaN-aware."""
    n = won.shape[-1]
    has_amount = won & ~np.isnan(amount)
    has_cycle = won & ~np.isnan(cycle)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = won.sum(-1) / n
        avg = np.where(has_amount, np.nan_to_num(amount), 0).sum(-1) / has_amount.sum(-1)
        days = np.where(has_cycle, np.nan_to_num(cycle), 0).sum(-1) / has_cycle.sum(-1)
    return rate, avg, days


def _velocity_row(
    label: str, closed: pd.DataFrame, open_: pd.DataFrame, settings: Settings, seed: int
) -> dict:
    won = closed["is_won"].to_numpy(bool)
    amount = closed["amount_rep"].to_numpy(float)
    cycle = closed["cycle_days"].to_numpy(float)
    rate, avg, days = _velocity_parts(won, amount, cycle)
    n_open = len(open_)
    velocity = n_open * rate * avg / days if days and days > 0 else float("nan")
    low, high = _velocity_interval(won, amount, cycle, n_open, settings.confidence, seed)
    return {
        "group": label,
        "open_deals": n_open,
        "closed": len(closed),
        "win_rate": float(rate) if len(closed) else float("nan"),
        "avg_won_amount": float(avg),
        "avg_cycle_days": float(days),
        "velocity_per_day": float(velocity),
        "ci_low": low,
        "ci_high": high,
        "flagged": len(closed) < settings.min_n,
    }


def _velocity_interval(won, amount, cycle, n_open: int, confidence: float, seed: int) -> tuple[float, float]:
    """Percentile bootstrap of velocity over closed deals, drawn in two exact steps to save work.

    Resampling n closed deals with replacement is the same as drawing the number
    of won deals K ~ Binomial(n, won/n) and then K won deals with replacement:
    lost deals only enter through K. The won draws become counts per won deal
    (``bincount``) and one matrix product gives the sums behind the average
    amount and cycle, so the cost scales with the won deals, not all deals.
    """
    n, m = len(won), int(won.sum())
    if n < 2 or m == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    a, c = amount[won], cycle[won]
    cols = np.column_stack([np.nan_to_num(a), ~np.isnan(a), np.nan_to_num(c), ~np.isnan(c)]).astype(float)
    k = rng.binomial(n, m / n, size=BOOTSTRAP_RESAMPLES)
    chunk = max(1, min(BOOTSTRAP_RESAMPLES, 4_000_000 // max(m, 1)))
    sums = np.empty((BOOTSTRAP_RESAMPLES, 4))
    for start in range(0, BOOTSTRAP_RESAMPLES, chunk):
        kk = k[start : start + chunk]
        width = max(int(kk.max()), 1)
        idx = rng.integers(0, m, size=(len(kk), width))
        take = np.arange(width) < kk[:, None]
        # row r's first kk[r] draws, offset into row r's block of m counts (as indexing the full grid would)
        flat = idx[take] + np.repeat(np.arange(len(kk)) * m, kk)
        counts = np.bincount(flat, minlength=len(kk) * m).reshape(len(kk), m)
        # as float: the same product, but numpy's int64 @ float64 path is several times slower
        sums[start : start + len(kk)] = counts.astype(float) @ cols
    with np.errstate(invalid="ignore", divide="ignore"):
        v = n_open * (k / n) * (sums[:, 0] / sums[:, 1]) / (sums[:, 2] / sums[:, 3])
    v = v[np.isfinite(v)]
    if len(v) < BOOTSTRAP_RESAMPLES // 2:
        return float("nan"), float("nan")
    tail = 100 * (1 - confidence) / 2
    return float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail))
