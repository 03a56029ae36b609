"""Head to head: the win rate against each competitor, tested against deals with no competitor."""

from __future__ import annotations

import numpy as np
import pandas as pd

from revops_nb.reports.win_loss._deals import NO_COMPETITOR, Deals
from revops_nb.reports.win_loss._losses import LOSS_COMPETITOR, loss_category
from revops_nb.reports.win_loss._rates import compare_to_baseline, rate_frame
from revops_nb.reports.win_loss.settings import Settings


def head_to_head(deals: Deals, settings: Settings) -> pd.DataFrame:
    """Win rate against each competitor vs deals with no competitor, with losses to competitors.

    Columns: competitor, n, won, win_rate, ci_low, ci_high, flagged, lost,
    lost_to_competitor, baseline_rate (win rate with no competitor), p_value
    (Holm across competitors), significant, direction. The baseline row and
    flagged rows carry no test.
    """
    if "competitor" in deals.absent:
        return pd.DataFrame()
    closed = deals.closed
    table = rate_frame(closed, "competitor", settings.min_n, settings.confidence)
    comparison = compare_to_baseline(table, NO_COMPETITOR, settings.alpha)
    lost = closed[~closed["is_won"]]
    reason = lost["loss_reason"] if "loss_reason" in lost else pd.Series(np.nan, index=lost.index)
    kind = loss_category(reason, lost["competitor"])
    lost_to = kind.eq(LOSS_COMPETITOR).groupby(lost["competitor"]).sum()
    table["lost"] = table["n"] - table["won"]
    table["lost_to_competitor"] = table["value"].map(lost_to).fillna(0).astype(int)
    keep = ["value", "baseline_rate", "p_value", "significant", "direction"]
    out = table.merge(comparison[keep], on="value", how="left")
    out["significant"] = out["significant"].fillna(False).astype(bool)
    return out.rename(columns={"value": "competitor"})


def baseline_rate(head_to_head: pd.DataFrame) -> float:
    """The win rate on deals with no competitor that :func:`head_to_head` tests against (NaN without one)."""
    if head_to_head.empty:
        return float("nan")
    rates = head_to_head["baseline_rate"].dropna()
    return float(rates.iloc[0]) if len(rates) else float("nan")
