"""Why we win and lose: win rates, losses, cycle, velocity, trend and drivers.

Every function takes a :class:`~revops_nb.analysis.win_loss_data.Deals` (built
by :func:`prepare_deals`) and checked :class:`Settings`, and returns DataFrames
or small dataclasses. Rates carry n and a Wilson interval; other figures carry
an interval from a closed form or a seeded bootstrap; each comparison carries
the test behind it, so the report states only differences a test backs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from revops_nb import stats
from revops_nb.analysis.win_loss_data import (
    BLANK,
    DEAL_SIZE_BAND,
    KNOWN_DIMENSIONS,
    NO_AMOUNT,
    NO_COMPETITOR,
    Deals,
    Settings,
    make_settings,
    prepare_deals,
)
from revops_nb.analysis.win_loss_drivers import Drivers, win_drivers
from revops_nb.analysis.window import closed_deals_window, window_dates
from revops_nb.errors import DataError
from revops_nb.stats import TestResult

__all__ = [
    "KNOWN_DIMENSIONS",
    "Cycle",
    "Deals",
    "DimensionResult",
    "Drivers",
    "LossAnalysis",
    "OverallWinRate",
    "Settings",
    "TimeToClose",
    "Trend",
    "WinLossReport",
    "analyze",
    "compare_to_baseline",
    "cycle_length",
    "head_to_head",
    "loss_analysis",
    "make_settings",
    "overall_win_rate",
    "pairwise_comparisons",
    "pipeline_velocity",
    "prepare_deals",
    "quarterly_trend",
    "time_to_close",
    "velocity_note",
    "win_drivers",
    "win_rate_by",
]

RATE_COLUMNS = ["value", "n", "won", "win_rate", "ci_low", "ci_high", "flagged"]
UNTESTED_LABELS = (BLANK, NO_AMOUNT)
LOSS_COMPETITOR = "Lost to competitor"
LOSS_NO_DECISION = "No decision"
LOSS_OTHER = "Other reason"
LOSS_UNKNOWN = "No reason given"
NO_DECISION_WORDS = ("no decision", "nodecision", "status quo", "do nothing", "no budget decision")
BOOTSTRAP_RESAMPLES = 1000
DELTA_MIN_OUTCOMES = 5  # fewer won or lost deals than this: amount-weighted CI by Wilson on n_eff


# ---------------------------------------------------------------- overall


@dataclass(frozen=True)
class OverallWinRate:
    """Closed-deal win rate by count (Wilson interval) and by amount (ratio-estimator interval)."""

    n_closed: int
    n_won: int
    win_rate: float
    ci_low: float
    ci_high: float
    n_with_amount: int
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
    z = float(sps.norm.ppf(0.5 + confidence / 2))
    return rate, float(max(rate - z * se, 0.0)), float(min(rate + z * se, 1.0))


def amount_interval_method(won) -> str:
    """'delta' or 'wilson' (effective sample size): which interval :func:`amount_weighted_rate` uses."""
    y = np.asarray(won, dtype=float)
    k = float(y.sum())
    return "wilson" if min(k, len(y) - k) < DELTA_MIN_OUTCOMES else "delta"


# ---------------------------------------------------------------- by dimension


@dataclass(frozen=True)
class DimensionResult:
    """Win rate per value of one dimension, and the tests behind any claimed difference.

    ``table`` has the columns of ``win_rate_by_<dimension>.csv``; ``test`` asks
    whether win rate depends on the dimension at all; ``comparison`` tests every
    pair of ranked values (Holm-adjusted across pairs, see
    :func:`pairwise_comparisons`). A pair is claimed only when both hold.
    """

    dimension: str
    table: pd.DataFrame
    comparison: pd.DataFrame
    test: TestResult
    absent: bool = False


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


def _holm(p_values: pd.Series, alpha: float) -> tuple[pd.Series, pd.Series]:
    """Holm-adjusted p-values and rejections over the finite p-values (NaN stays NaN, not significant)."""
    adjusted = pd.Series(np.nan, index=p_values.index, dtype=float)
    reject = pd.Series(False, index=p_values.index, dtype=bool)
    finite = p_values.notna()
    if finite.any():
        rej, adj, _, _ = multipletests(p_values[finite].astype(float), alpha=alpha, method="holm")
        adjusted[finite] = adj
        reject[finite] = rej
    return adjusted, reject


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
    out["p_value"], out["significant"] = _holm(out["p_raw"], alpha)
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
    out["p_value"], out["significant"] = _holm(out["p_value"], alpha)
    return out


def win_rate_by(deals: Deals, dimension: str, settings: Settings) -> DimensionResult:
    """Win rate by ``dimension`` with n, interval, small groups flagged, and tests of difference."""
    if dimension in deals.absent or dimension not in deals.frame:
        empty = pd.DataFrame(columns=RATE_COLUMNS)
        return DimensionResult(
            dimension, empty, pairwise_comparisons(empty, settings.alpha), _no_test(), True
        )
    closed = deals.closed
    table = rate_frame(closed, dimension, settings.min_n, settings.confidence, dimension == DEAL_SIZE_BAND)
    ranked = table[~table["flagged"] & ~table["value"].isin(UNTESTED_LABELS)]
    counts = np.column_stack([ranked["won"], ranked["n"] - ranked["won"]])
    test = stats.independence_test(counts) if len(ranked) >= 2 else _no_test()
    return DimensionResult(dimension, table, pairwise_comparisons(table, settings.alpha), test)


def _no_test(note: str = "") -> TestResult:
    return TestResult(float("nan"), float("nan"), "none", note)


def _days(value: float) -> str:
    """'0 days, as every deal closed on the day it was created' or '12 days'."""
    if value == 0:
        return "0 days: every deal closed on the day it was created"
    return f"{value:g} days"


# ---------------------------------------------------------------- losses


@dataclass(frozen=True)
class LossAnalysis:
    """Lost deals split by kind (with Wilson shares), the reason Pareto and the test between the two."""

    n_lost: int
    split: pd.DataFrame
    pareto: pd.DataFrame
    competitor_vs_no_decision: TestResult
    has_reasons: bool


def loss_category(reasons: pd.Series, competitors: pd.Series | None = None) -> pd.Series:
    """'Lost to competitor', 'No decision', 'Other reason' or 'No reason given' per loss reason."""
    key = reasons.astype("str").str.casefold().str.replace(r"[\s_\-]+", " ", regex=True)
    names = set()
    if competitors is not None:
        names = {str(c).casefold() for c in competitors.dropna().unique() if c != NO_COMPETITOR}
    to_comp = key.str.contains("competitor", regex=False) | key.isin(names)
    no_dec = key.str.contains("|".join(NO_DECISION_WORDS), regex=True)
    out = np.select(
        [reasons.isna(), to_comp, no_dec], [LOSS_UNKNOWN, LOSS_COMPETITOR, LOSS_NO_DECISION], LOSS_OTHER
    )
    return pd.Series(out, index=reasons.index, dtype="str")


def loss_analysis(deals: Deals, settings: Settings) -> LossAnalysis:
    """Lost-to-competitor vs no-decision split and a loss-reason Pareto, shares with Wilson CIs."""
    lost = deals.closed[~deals.closed["is_won"]]
    has_reasons = "loss_reason" in lost and lost["loss_reason"].notna().any()
    reasons = lost["loss_reason"] if has_reasons else pd.Series(np.nan, index=lost.index, dtype="str")
    category = loss_category(reasons, lost.get("competitor"))
    order = [LOSS_COMPETITOR, LOSS_NO_DECISION, LOSS_OTHER, LOSS_UNKNOWN]
    split = _shares(category.value_counts().reindex(order, fill_value=0), len(lost), settings.confidence)
    split = split.rename(columns={"value": "kind"})
    labelled = reasons.fillna(LOSS_UNKNOWN)
    pareto = _shares(labelled.value_counts(), len(lost), settings.confidence)
    pareto = pareto.rename(columns={"value": "reason"})
    first = pd.Series(category.to_numpy(), index=labelled.to_numpy()).groupby(level=0).first()
    pareto.insert(1, "kind", pareto["reason"].map(first))
    pareto["cumulative_share"] = pareto["share"].cumsum()
    k_comp, k_nd = int(split["n"].iloc[0]), int(split["n"].iloc[1])
    test = _no_test()
    if k_comp + k_nd > 0:
        res = sps.binomtest(k_comp, k_comp + k_nd, 0.5)
        test = TestResult(float(k_comp / (k_comp + k_nd)), float(res.pvalue), "exact binomial test")
    return LossAnalysis(len(lost), split, pareto, test, bool(has_reasons))


def _shares(counts: pd.Series, total: int, confidence: float) -> pd.DataFrame:
    out = counts.rename("n").rename_axis("value").reset_index()
    out["n"] = out["n"].astype(int)
    out["share"] = out["n"] / total if total else np.nan
    out["ci_low"], out["ci_high"] = stats.wilson_interval(out["n"], np.full(len(out), total), confidence)
    return out


# ---------------------------------------------------------------- competitors


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


# ---------------------------------------------------------------- cycle


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
    test, longer = _no_test("the period has no won or no lost deal with a cycle length"), None
    if len(won) and len(lost) and days["cycle_days"].nunique() == 1:
        test = _no_test(f"every closed deal has the same cycle length ({_days(days['cycle_days'].iloc[0])})")
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


# ---------------------------------------------------------------- time to close


@dataclass(frozen=True)
class TimeToClose:
    """Kaplan–Meier time to close (open deals censored), overall and by group, with a log-rank test."""

    by: str | None
    curves: dict[str, pd.DataFrame]
    table: pd.DataFrame
    test: TestResult
    horizon_days: int = 90
    note: str = ""  # why the curves say nothing (e.g. every deal closed the day it was created); "" otherwise


def time_to_close(
    deals: Deals, settings: Settings, by: str = "segment", horizon_days: int = 90
) -> TimeToClose:
    """Share of deals still open over time since creation; open deals count until the report date.

    When no deal has a time to close, or every deal has the same one (e.g. each
    closed on the day it was created), ``note`` says so and there is no test.
    """
    cohort = deals.frame[deals.frame["ttc_days"].notna()]
    note = ""
    if cohort.empty:
        note = "no deal in the period has a creation date to measure the time to close from"
    elif not cohort["ttc_closed"].astype(bool).any():
        note = "no deal in the period has closed on a known date, so every deal is still open"
    elif cohort["ttc_days"].nunique() == 1:
        note = f"every deal has the same time to close ({_days(cohort['ttc_days'].iloc[0])})"
    groups: dict[str, pd.DataFrame] = {"All deals": cohort}
    use_by = by if by not in deals.absent and by in cohort else None
    if use_by:
        labels = cohort[use_by].astype("object").fillna(BLANK)
        for value in labels.value_counts().index:
            groups[str(value)] = cohort[labels == value]
    curves, rows = {}, []
    for label, part in groups.items():
        curve = stats.kaplan_meier(part["ttc_days"], part["ttc_closed"].astype(float), settings.confidence)
        curves[label] = curve
        rows.append(_ttc_row(label, part, curve, horizon_days, settings.min_n))
    table = pd.DataFrame(rows)
    test = _no_test(note or (f"every deal has the same {use_by}" if use_by else ""))
    if use_by and len(groups) > 2 and not note:
        test = stats.logrank_test(
            cohort["ttc_days"],
            cohort["ttc_closed"].astype(float),
            cohort[use_by].astype("object").fillna(BLANK),
        )
    return TimeToClose(use_by, curves, table, test, horizon_days, note)


def _ttc_row(label: str, part: pd.DataFrame, curve: pd.DataFrame, horizon: int, min_n: int) -> dict:
    at = curve[curve["time"] <= horizon].iloc[-1] if not curve.empty else None
    closed_share = 1 - at["survival"] if at is not None else np.nan
    return {
        "group": label,
        "deals": len(part),
        "closed": int(part["ttc_closed"].sum()),
        "open_censored": int((~part["ttc_closed"].astype(bool)).sum()),
        "median_days": stats.median_survival(curve),
        "median_ci_low": _first_below_half(curve, "ci_low"),
        "median_ci_high": _first_below_half(curve, "ci_high"),
        f"closed_by_{horizon}d": closed_share,
        "ci_low": 1 - at["ci_high"] if at is not None else np.nan,
        "ci_high": 1 - at["ci_low"] if at is not None else np.nan,
        "flagged": len(part) < min_n,
    }


def _first_below_half(curve: pd.DataFrame, column: str) -> float:
    hit = curve[curve[column] <= 0.5]
    return float(hit["time"].iloc[0]) if len(hit) else float("nan")


# ---------------------------------------------------------------- velocity


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
        flat = (np.arange(len(kk))[:, None] * m + idx)[take]
        counts = np.bincount(flat, minlength=len(kk) * m).reshape(len(kk), m)
        sums[start : start + len(kk)] = counts @ cols
    with np.errstate(invalid="ignore", divide="ignore"):
        v = n_open * (k / n) * (sums[:, 0] / sums[:, 1]) / (sums[:, 2] / sums[:, 3])
    v = v[np.isfinite(v)]
    if len(v) < BOOTSTRAP_RESAMPLES // 2:
        return float("nan"), float("nan")
    tail = 100 * (1 - confidence) / 2
    return float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail))


# ---------------------------------------------------------------- trend


@dataclass(frozen=True)
class Trend:
    """Win rate by close quarter and the test of the last complete quarter against the one before.

    ``latest`` and ``previous`` are the two most recent complete quarters (the
    tested pair); ``partial`` is a quarter still under way at the report date
    (or cut by the period), shown descriptively and never tested.
    """

    table: pd.DataFrame
    latest: str | None
    previous: str | None
    test: TestResult
    partial: str | None = None

    @property
    def latest_partial(self) -> bool:
        """True when the most recent quarter in the table is incomplete (and so not tested)."""
        return self.partial is not None


def quarterly_trend(deals: Deals, settings: Settings) -> Trend:
    """Win rate per close quarter (n, Wilson CI, small quarters flagged) and last-complete-vs-previous test."""
    closed = deals.closed[deals.closed["quarter"].notna()]
    table = rate_frame(closed, "quarter", settings.min_n, settings.confidence)
    table = table.rename(columns={"value": "quarter"}).sort_values("quarter").reset_index(drop=True)
    table["complete"] = [_quarter_complete(q, deals.as_of, settings.period_start) for q in table["quarter"]]
    partial = None
    if len(table) and not table["complete"].iloc[-1]:
        partial = str(table["quarter"].iloc[-1])
    complete = table[table["complete"]]
    if len(complete) < 2:
        latest = str(complete["quarter"].iloc[-1]) if len(complete) else None
        return Trend(table, latest, None, _no_test(), partial)
    last, prev = complete.iloc[-1], complete.iloc[-2]
    test = stats.two_proportion_test(int(last["won"]), int(last["n"]), int(prev["won"]), int(prev["n"]))
    return Trend(table, str(last["quarter"]), str(prev["quarter"]), test, partial)


def _quarter_complete(quarter: str, as_of: pd.Timestamp, period_start: pd.Timestamp | None) -> bool:
    """Whether the whole quarter lies within the data: ended by ``as_of`` and began on or after the start."""
    q = pd.Period(quarter, freq="Q")
    ended = as_of.normalize() >= q.end_time.normalize()
    begun = period_start is None or period_start <= q.start_time
    return bool(ended and begun)


# ---------------------------------------------------------------- everything


# what a section would show, for the sentence saying it steps aside when nothing closed
NOTHING_CLOSED = {
    "win_rate": "no win rate to show",
    "losses": "no lost deal to analyse",
    "competitors": "no win rate against competitors",
    "cycle": "no sales cycle to measure",
    "time_to_close": "no time to close to estimate",
    "velocity": "no win rate or won deal to project the open pipeline with",
    "trend": "no win rate by quarter",
    "drivers": "no won or lost deal to model",
}
# a section that needs close dates, and the sentence it shows when the closed deals have none
UNDATED = {
    "cycle": "The sales cycle needs close dates, and the closed deals have none.",
    "time_to_close": "Time to close needs close dates, and the closed deals have none.",
    "velocity": "Pipeline velocity needs the cycle length of won deals, and the closed deals have no close dates.",
    "trend": "Win rate by quarter needs close dates, and the closed deals have none.",
}
UNDATED_WINDOW = "all closed deals (no close dates)"


@dataclass
class WinLossReport:
    """Every win/loss result for one period, plus the key figures and tables the run records."""

    deals: Deals
    settings: Settings
    overall: OverallWinRate
    dimensions: dict[str, DimensionResult]
    losses: LossAnalysis
    competitors: pd.DataFrame
    cycle: Cycle
    time_to_close: TimeToClose
    velocity: pd.DataFrame
    trend: Trend
    drivers: Drivers
    velocity_note: str = ""  # why velocity is not estimated ('' = it is)

    @property
    def window(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """First and last close date of the window: the parameters, else the data's first close and as-of.

        None when no closed deal in the window has a close date (closed by stage only, or none closed).
        """
        first = self.settings.period_start
        if first is None:
            dates = self.deals.closed["close_date"].dropna()
            if dates.empty:
                return None
            first = dates.min()
        last = self.settings.period_end or self.deals.as_of
        return pd.Timestamp(first), pd.Timestamp(last)

    @property
    def window_text(self) -> str:
        """The window in the words every report uses, or what stands in for it without close dates."""
        if self.window is not None:
            return closed_deals_window(*self.window)
        return UNDATED_WINDOW if len(self.deals.closed) else "no deal has closed yet"

    def aside(self, section: str) -> str | None:
        """Why ``section`` (a key of ``NOTHING_CLOSED``) steps aside, in one sentence; None when it shows."""
        if self.deals.closed.empty:
            return f"No deal has closed yet ({len(self.deals.open):,} open), so there is {NOTHING_CLOSED[section]}."
        if not self.deals.dated and section in UNDATED:
            return UNDATED[section]
        if section == "velocity":
            return self.velocity_note or None
        won = int(self.deals.closed["is_won"].sum())
        if section == "drivers" and won in (0, len(self.deals.closed)):
            outcome = "won" if won else "lost"
            return f"Win drivers need won and lost deals to compare, and every closed deal in the period was {outcome}."
        return None

    def key_figures(self) -> dict[str, float | int | str | None]:
        """The headline figures recorded in run.json; None where the data cannot give one."""
        o, cycle = self.overall, self.cycle.table.set_index("outcome")["median_days"]
        window = self.window
        figures = {
            "window": window_dates(*window) if window else (UNDATED_WINDOW if o.n_closed else None),
            "win_rate": o.win_rate,
            "win_rate_ci_low": o.ci_low,
            "win_rate_ci_high": o.ci_high,
            "n_closed": o.n_closed,
            "n_won": o.n_won,
            "n_open": len(self.deals.open),
            "won_amount": o.won_amount if o.n_with_amount else None,
            "win_rate_amount_weighted": o.win_rate_amount,
            "median_cycle_days_won": float(cycle["Won"]),
            "median_cycle_days_lost": float(cycle["Lost"]),
            "pipeline_velocity_per_day": float(self.velocity["velocity_per_day"].iloc[0]),
        }
        return {k: _finite(v) for k, v in figures.items()}

    def tables(self) -> dict[str, pd.DataFrame]:
        """The main tables saved as CSV: win rate per dimension, loss reasons, win drivers."""
        out = {
            f"win_rate_by_{name}": result.table[RATE_COLUMNS]
            for name, result in self.dimensions.items()
            if not result.absent
        }
        out["loss_reasons"] = self.losses.pareto
        out["win_drivers"] = self.drivers.table
        return out


def _finite(value):
    """A float figure that is NaN or infinite becomes None; anything else is kept."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def analyze(deals: Deals, settings: Settings) -> WinLossReport:
    """Run every win/loss analysis; what the data cannot support steps aside (see ``WinLossReport.aside``).

    Raises :class:`~revops_nb.errors.DataError` only when deals closed but none within the period.
    """
    closed = deals.frame["is_closed"].astype(bool)
    if deals.closed.empty and closed.any():
        why = ""
        if deals.frame.loc[closed, "close_date"].isna().all():
            why = " (the closed deals have no close dates; leave period_start and period_end unset)"
        raise DataError(
            f"opportunities: no deal closed within the period, so there is no win rate to report{why}"
        )
    return WinLossReport(
        deals=deals,
        settings=settings,
        overall=overall_win_rate(deals, settings),
        dimensions={d: win_rate_by(deals, d, settings) for d in settings.dimensions},
        losses=loss_analysis(deals, settings),
        competitors=head_to_head(deals, settings),
        cycle=cycle_length(deals, settings),
        time_to_close=time_to_close(deals, settings),
        velocity=pipeline_velocity(deals, settings),
        trend=quarterly_trend(deals, settings),
        drivers=win_drivers(deals, settings),
        velocity_note=velocity_note(deals),
    )
