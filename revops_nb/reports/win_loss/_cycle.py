"""Sales cycle of won vs lost deals: medians with order-statistic intervals and a Mann–Whitney test."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from revops_nb.reports.win_loss._common import days_text, no_test
from revops_nb.reports.win_loss._deals import Deals
from revops_nb.reports.win_loss.settings import Settings
from revops_nb.stats import TestResult


@dataclass(frozen=True)
class Cycle:
    """Cycle days (create to close) of won vs lost deals: medians with intervals and a rank test."""

    table: pd.DataFrame
    test: TestResult
    days: pd.DataFrame = field(repr=False)
    longer: str | None = None  # "Won" or "Lost": whose cycles tend to be longer (sign of U - n1*n2/2)


def median_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """Distribution-free interval for a median from order statistics (binomial), NaN below n = 6."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n < 6:
        return float("nan"), float("nan")
    k = max(int(sps.binom.ppf((1 - confidence) / 2, n, 0.5)), 1)
    return float(x[k - 1]), float(x[n - k])


def cycle_length(deals: Deals, settings: Settings) -> Cycle:
    """Median cycle days of won and lost deals closed in the period, and a Mann–Whitney test."""
    closed = deals.closed
    days = pd.DataFrame(
        {"outcome": np.where(closed["is_won"], "Won", "Lost"), "cycle_days": closed["cycle_days"]}
    ).dropna()
    rows = []
    for outcome in ("Won", "Lost"):
        x = days.loc[days["outcome"] == outcome, "cycle_days"].to_numpy()
        low, high = median_interval(x, settings.confidence)
        median = float(np.median(x)) if len(x) else float("nan")
        mean = float(x.mean()) if len(x) else float("nan")
        rows.append((outcome, len(x), median, low, high, mean))
    table = pd.DataFrame(rows, columns=["outcome", "n", "median_days", "ci_low", "ci_high", "mean_days"])
    won = days.loc[days["outcome"] == "Won", "cycle_days"]
    lost = days.loc[days["outcome"] == "Lost", "cycle_days"]
    test, longer = no_test("the period has no won or no lost deal with a cycle length"), None
    if len(won) and len(lost) and days["cycle_days"].nunique() == 1:
        test = no_test(
            f"every closed deal has the same cycle length ({days_text(days['cycle_days'].iloc[0])})"
        )
    elif len(won) and len(lost):
        res = sps.mannwhitneyu(won, lost, alternative="two-sided")
        test = TestResult(float(res.statistic), float(res.pvalue), "Mann–Whitney U test")
        longer = cycle_direction(float(res.statistic), len(won), len(lost))
    return Cycle(table, test, days, longer)


def cycle_direction(u_won: float, n_won: int, n_lost: int) -> str | None:
    """'Won' or 'Lost' from the Mann–Whitney U of the won sample: above n1*n2/2, won deals run longer."""
    centre = n_won * n_lost / 2
    if u_won == centre:
        return None
    return "Won" if u_won > centre else "Lost"
