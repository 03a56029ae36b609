"""The stage funnel: conversion from each open stage to the next and to won, and time in each stage.

Conversion is measured on closed deals, by the furthest open stage each reached: a deal
still open has not met its fate at its current stage, so counting it would bias the
rate; a deal that moved back still counts as having passed the stages before the furthest
it reached. Time in stage is a Kaplan–Meier estimate over deals (each deal's visits to a
stage added up; ``stays`` counts the deals timed), with deals still in the stage on the
report date censored. Breakdowns by segment and lead source flag groups under min_n;
differences between groups are claimed only where a test across the ranked groups holds
after a Holm adjustment.

The weakest step is named only when its conversion is lower than every other step's by a
two-proportion test at the report's significance level (an intersection–union test: each
comparison at that level, no adjustment needed since all must hold). The steps share deals,
but each closed deal's fate at a step is counted only among the deals that reached it, and
those step-by-step outcomes are independent binomial trials given the counts reaching each
step (the funnel's likelihood factors step by step), so the steps are compared as
independent samples. Otherwise the steps that cannot be told apart from the lowest are listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.data.membership import position_in
from revops_nb.reports.pipeline_forecast._deals import Deals, label
from revops_nb.reports.pipeline_forecast._history import StageHistory
from revops_nb.reports.pipeline_forecast.settings import BREAKDOWNS, Settings
from revops_nb.stats import (
    holm,
    independence_test,
    kaplan_meier,
    logrank_test,
    two_proportion_test,
    wilson_interval,
)

WON = "Won"
FUNNEL_COLUMNS = [
    "stage",
    "next_stage",
    "reached",
    "moved_on",
    "conversion",
    "ci_low",
    "ci_high",
    "won",
    "win_rate",
    "win_ci_low",
    "win_ci_high",
    "open_now",
    "open_amount",
    "median_days",
    "days_ci_low",
    "days_ci_high",
    "stays",
]


@dataclass(frozen=True)
class Weakest:
    """The step with the lowest conversion and whether a test sets it apart.

    ``lowest`` is the row (index into the funnel table) with the lowest conversion;
    ``named`` is True when it is lower than every other step by a test; ``tied`` lists the
    rows that cannot be told apart from it (the lowest first; just the lowest when named).
    ``test``/``p_value`` are those of the comparison with the next-lowest step.
    """

    lowest: int
    named: bool
    tied: tuple[int, ...]
    next_lowest: int
    test: str
    p_value: float


def weakest_step(table: pd.DataFrame, alpha: float) -> Weakest | None:
    """The weakest step of a funnel table (columns moved_on, reached, conversion); None with under two rated steps."""
    rated = table[table["reached"] > 0].dropna(subset=["conversion"]).sort_values("conversion", kind="stable")
    if len(rated) < 2:
        return None
    low = rated.iloc[0]
    tests = {
        i: two_proportion_test(
            int(low["moved_on"]), int(low["reached"]), int(r["moved_on"]), int(r["reached"])
        )
        for i, r in rated.iloc[1:].iterrows()
    }
    tied = tuple(i for i, t in tests.items() if not t.significant(alpha))
    nxt = rated.index[1]
    return Weakest(
        lowest=int(rated.index[0]),
        named=not tied,
        tied=(int(rated.index[0]), *map(int, tied)),
        next_lowest=int(nxt),
        test=tests[nxt].test,
        p_value=tests[nxt].p_value,
    )


@dataclass
class Funnel:
    """The funnel table (one row per open stage, columns :data:`FUNNEL_COLUMNS`) and its breakdowns.

    Without stage history (``history``) only ``open_now``/``open_amount`` per stage and the
    overall win rate are known. ``breakdowns`` maps a dimension to rows of dimension,
    group, stage, n, moved_on, conversion, ci_low, ci_high, median_days, stays, flagged;
    ``tests`` has one row per dimension × stage × measure with Holm-adjusted p-values.
    """

    table: pd.DataFrame
    history: bool
    n_closed: int
    n_won: int
    win_rate: float
    win_ci_low: float
    win_ci_high: float
    n_unplaced: int  # closed deals with no stage history (left out of conversion)
    curves: dict[str, pd.DataFrame] = field(default_factory=dict)
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)
    tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    absent: tuple[str, ...] = ()  # breakdown dimensions with no values
    weakest: Weakest | None = None  # None without history or with under two rated steps


def stage_funnel(deals: Deals, history: StageHistory, settings: Settings) -> Funnel:
    """The funnel of ``deals`` from ``history`` (see :class:`Funnel`)."""
    stages = settings.stages
    frame = deals.frame
    closed = frame["status"].isin(["won", "lost"])
    won = frame["status"].eq("won")
    n_closed, n_won = int(closed.sum()), int(won.sum())
    low, high = wilson_interval(n_won, n_closed, settings.confidence)
    reached = history.reached(deals)
    table = pd.DataFrame({"stage": list(stages), "next_stage": [*stages[1:], WON]})
    open_order = frame["stage"].map({s: i for i, s in enumerate(stages)})
    if history.available:
        open_order = history.current(deals)  # where each open deal is now, after any move back
    is_open = frame["status"].eq("open")
    table["open_now"] = [int((is_open & (open_order == i)).sum()) for i in range(len(stages))]
    table["open_amount"] = [
        float(frame.loc[is_open & (open_order == i), "amount_rep"].sum(min_count=1))
        for i in range(len(stages))
    ]
    funnel = Funnel(
        table=table,
        history=history.available,
        n_closed=n_closed,
        n_won=n_won,
        win_rate=n_won / n_closed if n_closed else float("nan"),
        win_ci_low=float(low),
        win_ci_high=float(high),
        n_unplaced=int((closed & reached.isna()).sum()) if history.available else 0,
    )
    if not history.available:
        funnel.table = table.reindex(columns=FUNNEL_COLUMNS)
        return funnel
    counts = conversion_counts(reached[closed], won[closed], len(stages))
    table = pd.concat([table, counts], axis=1)
    table["conversion"] = table["moved_on"] / table["reached"].replace(0, np.nan)
    table["ci_low"], table["ci_high"] = wilson_interval(
        table["moved_on"], table["reached"], settings.confidence
    )
    table["win_rate"] = table["won"] / table["reached"].replace(0, np.nan)
    table["win_ci_low"], table["win_ci_high"] = wilson_interval(
        table["won"], table["reached"], settings.confidence
    )
    stays = history.stays(deals)
    times = []
    for i, stage in enumerate(stages):
        here = stays[stays["order"] == i]
        curve = kaplan_meier(here["days"], here["left"].astype(float), settings.confidence)
        funnel.curves[stage] = curve
        times.append((*median_with_interval(curve), len(here)))
    table[["median_days", "days_ci_low", "days_ci_high", "stays"]] = pd.DataFrame(times, index=table.index)
    funnel.table = table[FUNNEL_COLUMNS]
    funnel.weakest = weakest_step(funnel.table, settings.alpha)
    funnel.breakdowns, funnel.tests, funnel.absent = _breakdowns(deals, reached, stays, settings)
    return funnel


def conversion_counts(reached: pd.Series, won: pd.Series, k: int) -> pd.DataFrame:
    """Per open stage: closed deals that reached it, moved on to the next (or won, last stage), won.

    ``reached`` is each closed deal's furthest open stage (NaN = unknown, left out).
    """
    known = reached.notna()
    r, w = reached[known].to_numpy(), won[known].to_numpy(bool)
    rows = []
    for i in range(k):
        at = r >= i
        moved = (r >= i + 1) if i < k - 1 else (at & w)
        rows.append({"reached": int(at.sum()), "moved_on": int(moved.sum()), "won": int((at & w).sum())})
    return pd.DataFrame(rows)


def median_with_interval(curve: pd.DataFrame) -> tuple[float, float, float]:
    """Median time of a Kaplan–Meier curve and its interval (where the pointwise band crosses 0.5)."""
    # not SurvfuncRight.quantile_ci, which inverts a test: NaN where a curve steps past 0.5 or to 0, and inf
    # where the band never falls to 0.5 (NaN here)

    def first_below(column: str) -> float:
        hit = curve[curve[column] <= 0.5]
        return float(hit["time"].iloc[0]) if len(hit) else float("nan")

    if curve.empty:
        return float("nan"), float("nan"), float("nan")
    return first_below("survival"), first_below("ci_low"), first_below("ci_high")


def _breakdowns(
    deals: Deals, reached: pd.Series, stays: pd.DataFrame, settings: Settings
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, tuple[str, ...]]:
    frame = deals.frame
    closed = frame["status"].isin(["won", "lost"])
    won = frame["status"].eq("won")
    out, tests, absent = {}, [], []
    k = len(settings.stages)
    stay_row = position_in(stays["opportunity_id"], frame["opportunity_id"])  # each stay's deal (-1: none)
    placed = stay_row >= 0
    at_stage = [(stays["order"] == i).to_numpy(bool) for i in range(k)]
    for dim in BREAKDOWNS:
        if not deals.has(dim):
            absent.append(dim)
            continue
        groups = label(frame[dim])
        # each stay's group as an integer code (-1 = none): comparing codes is much faster than labels
        codes, uniques = pd.factorize(groups.to_numpy(dtype=object))
        code_of = {g: c for c, g in enumerate(uniques)}
        stay_code = np.where(placed, codes[stay_row], -1)
        stay_group = pd.Series(np.where(placed, uniques[codes][stay_row], None), index=stays.index)
        rows = []
        for group in sorted(groups.unique()):
            in_group = groups == group
            counts = conversion_counts(reached[closed & in_group], won[closed & in_group], k)
            stays_in_group = stay_code == code_of[group]
            for i, stage in enumerate(settings.stages):
                here = stays[at_stage[i] & stays_in_group]
                curve = kaplan_meier(here["days"], here["left"].astype(float), settings.confidence)
                c = counts.iloc[i]
                rows.append(
                    {
                        "dimension": dim,
                        "group": group,
                        "stage": stage,
                        "n": int(c["reached"]),
                        "moved_on": int(c["moved_on"]),
                        "median_days": median_with_interval(curve)[0],
                        "stays": len(here),
                    }
                )
        table = pd.DataFrame(rows)
        table["conversion"] = table["moved_on"] / table["n"].replace(0, np.nan)
        table["ci_low"], table["ci_high"] = wilson_interval(
            table["moved_on"], table["n"], settings.confidence
        )
        table["flagged"] = table["n"] < settings.min_n
        out[dim] = table
        for i, stage in enumerate(settings.stages):
            ranked = table[(table["stage"] == stage) & ~table["flagged"]]
            counts = ranked[["moved_on"]].assign(stayed=ranked["n"] - ranked["moved_on"])
            test = independence_test(counts.to_numpy()) if len(ranked) >= 2 else None
            tests.append(_test_row(dim, stage, "conversion", test))
            ranked_groups = set(
                table.loc[(table["stage"] == stage) & (table["stays"] >= settings.min_n), "group"]
            )
            ranked_codes = [code_of[g] for g in ranked_groups]
            here = stays[at_stage[i] & np.isin(stay_code, ranked_codes)]
            time_test = None
            if len(ranked_groups) >= 2:
                time_test = logrank_test(here["days"], here["left"].astype(float), stay_group[here.index])
            tests.append(_test_row(dim, stage, "time", time_test))
    tests_frame = pd.DataFrame(tests, columns=["dimension", "stage", "measure", "test", "p_value"])
    tests_frame["p_adjusted"], tests_frame["significant"] = holm(tests_frame["p_value"], settings.alpha)
    return out, tests_frame, tuple(absent)


def _test_row(dim: str, stage: str, measure: str, test) -> dict:
    if test is None:
        return {"dimension": dim, "stage": stage, "measure": measure, "test": "none", "p_value": np.nan}
    return {"dimension": dim, "stage": stage, "measure": measure, "test": test.test, "p_value": test.p_value}
