"""Win rate per value of a dimension (n, Wilson interval, small groups flagged) and the tests behind claims."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb import stats
from revops_nb.reports.win_loss._common import no_test
from revops_nb.reports.win_loss._deals import BLANK, NO_AMOUNT, Deals
from revops_nb.reports.win_loss.settings import DEAL_SIZE_BAND, Settings
from revops_nb.stats import TestResult, holm

RATE_COLUMNS = ["value", "n", "won", "win_rate", "ci_low", "ci_high", "flagged"]
UNTESTED_LABELS = (BLANK, NO_AMOUNT)


@dataclass(frozen=True)
class DimensionResult:
    """Win rate per value of one dimension, and the tests behind any claimed difference.

    ``table`` has the columns of ``win_rate_by_<dimension>.csv``; ``test`` asks
    whether win rate depends on the dimension at all; ``comparison`` tests every
    pair of ranked values (Holm-adjusted across pairs, see
    :func:`pairwise_comparisons`). A pair is claimed only when both hold.
    ``n_flagged`` counts the groups under the minimum n (greyed, not ranked).
    """

    dimension: str
    table: pd.DataFrame
    comparison: pd.DataFrame
    test: TestResult
    absent: bool = False
    n_flagged: int = 0


def rate_frame(
    frame: pd.DataFrame, column: str, min_n: int, confidence: float, ordered: bool = False
) -> pd.DataFrame:
    """value, n, won, win_rate, ci_low, ci_high, flagged; ranked by rate, small groups last by n."""
    values = frame[column].astype("object").where(frame[column].notna(), BLANK)
    grouped = frame["is_won"].groupby(values, sort=False)
    out = pd.DataFrame({"n": grouped.size(), "won": grouped.sum().astype(int)}).reset_index(names="value")
    out["win_rate"] = out["won"] / out["n"]
    out["ci_low"], out["ci_high"] = stats.wilson_interval(out["won"], out["n"], confidence)
    out["flagged"] = out["n"] < min_n
    if ordered and isinstance(frame[column].dtype, pd.CategoricalDtype):
        order = {v: i for i, v in enumerate(frame[column].cat.categories)}
        return out.sort_values("value", key=lambda s: s.map(order)).reset_index(drop=True)[RATE_COLUMNS]
    ranked = out[~out["flagged"]].sort_values(["win_rate", "n"], ascending=[False, False])
    small = out[out["flagged"]].sort_values(["n", "value"], ascending=[False, True])
    return pd.concat([ranked, small], ignore_index=True)[RATE_COLUMNS]


PAIR_COLUMNS = [
    "higher",
    "higher_n",
    "higher_rate",
    "higher_ci_low",
    "higher_ci_high",
    "lower",
    "lower_n",
    "lower_rate",
    "lower_ci_low",
    "lower_ci_high",
    "p_raw",
    "p_value",
    "test",
    "significant",
]


def pairwise_comparisons(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Every pair of ranked (not flagged, not blank) values tested head to head; Holm across all pairs.

    Each row names the value with the higher rate first. Unlike a test of each
    value against "all the others", one extreme group cannot make the others
    look different: a pair is claimed only when those two groups differ.
    """
    tested = table[~table["flagged"] & ~table["value"].isin(UNTESTED_LABELS)].reset_index(drop=True)
    rows = []
    for i in range(len(tested)):
        for j in range(i + 1, len(tested)):
            a, b = tested.iloc[i], tested.iloc[j]
            if b["win_rate"] > a["win_rate"]:
                a, b = b, a
            result = stats.two_proportion_test(int(a["won"]), int(a["n"]), int(b["won"]), int(b["n"]))
            rows.append(
                (
                    a["value"],
                    int(a["n"]),
                    a["win_rate"],
                    a["ci_low"],
                    a["ci_high"],
                    b["value"],
                    int(b["n"]),
                    b["win_rate"],
                    b["ci_low"],
                    b["ci_high"],
                    result.p_value,
                    np.nan,
                    result.test,
                    False,
                )
            )
    out = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    if out.empty:
        return out
    out["p_value"], out["significant"] = holm(out["p_raw"], alpha)
    return out.sort_values(["significant", "p_value"], ascending=[False, True], ignore_index=True)


def compare_to_baseline(table: pd.DataFrame, baseline: str, alpha: float) -> pd.DataFrame:
    """Each ranked value other than ``baseline`` tested against the baseline group; Holm across values.

    Columns: value, baseline_rate, p_value (Holm), test, significant, direction.
    All p-values are NaN when the baseline is missing or under the minimum n.
    """
    cols = ["value", "baseline_rate", "p_value", "test", "significant", "direction"]
    tested = table[~table["flagged"] & ~table["value"].isin(UNTESTED_LABELS)]
    base = tested[tested["value"] == baseline]
    others = tested[tested["value"] != baseline]
    if others.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for row in others.itertuples(index=False):
        if base.empty:
            rows.append((row.value, np.nan, np.nan, "none", False, ""))
            continue
        b = base.iloc[0]
        result = stats.two_proportion_test(int(row.won), int(row.n), int(b["won"]), int(b["n"]))
        direction = "lower" if row.win_rate < b["win_rate"] else "higher"
        rows.append((row.value, float(b["win_rate"]), result.p_value, result.test, False, direction))
    out = pd.DataFrame(rows, columns=cols)
    out["p_value"], out["significant"] = holm(out["p_value"], alpha)
    return out


def win_rate_by(deals: Deals, dimension: str, settings: Settings) -> DimensionResult:
    """Win rate by ``dimension`` with n, interval, small groups flagged, and tests of difference."""
    if dimension in deals.absent or dimension not in deals.frame:
        empty = pd.DataFrame(columns=RATE_COLUMNS)
        return DimensionResult(dimension, empty, pairwise_comparisons(empty, settings.alpha), no_test(), True)
    closed = deals.closed
    table = rate_frame(closed, dimension, settings.min_n, settings.confidence, dimension == DEAL_SIZE_BAND)
    ranked = table[~table["flagged"] & ~table["value"].isin(UNTESTED_LABELS)]
    counts = np.column_stack([ranked["won"], ranked["n"] - ranked["won"]])
    test = stats.independence_test(counts) if len(ranked) >= 2 else no_test()
    comparison = pairwise_comparisons(table, settings.alpha)
    return DimensionResult(dimension, table, comparison, test, n_flagged=int(table["flagged"].sum()))
