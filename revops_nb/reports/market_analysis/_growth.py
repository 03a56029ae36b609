"""Growth of bookings with intervals: period on period, year on year, CAGR, share and mix.

Bookings in a window are treated as a compound Poisson sum: deals arrive at
random and each brings its amount. The variance of a sum S of amounts x is
then estimated by sum(x^2), so var(log S) ~ sum(x^2) / S^2 (the delta method).
A growth ratio S1/S0 of two disjoint windows gets a log-normal interval with
var = q1/S1^2 + q0/S0^2, where q = sum(x^2); with every amount equal to 1 this
is the classic Poisson rate-ratio interval (1/n1 + 1/n0). Two regions' growth
is compared with a z-test on the difference of their log ratios, and a share
of bookings gets its interval on the log-odds scale the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats as sps

from revops_nb.reports.market_analysis._periods import Window, label
from revops_nb.reports.market_analysis.settings import REGION
from revops_nb.stats import TestResult, z_value

TOTAL = "All regions"


def growth_interval(s1, q1, s0, q0, confidence: float = 0.95):
    """Growth s1/s0 - 1, its interval and the standard error of log(s1/s0); vectorized.

    ``s`` are sums of amounts and ``q`` sums of squared amounts of two disjoint
    windows. Growth is NaN without a positive base; the interval is NaN when either
    window is empty.
    """
    s1, q1, s0, q0 = (np.asarray(v, dtype=float) for v in (s1, q1, s0, q0))
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(s0 > 0, s1 / s0 - 1.0, np.nan)
        se = np.where((s0 > 0) & (s1 > 0), np.sqrt(q1 / s1**2 + q0 / s0**2), np.nan)
        log_ratio = np.log(np.where((s0 > 0) & (s1 > 0), s1 / s0, np.nan))
    z = z_value(confidence)
    return growth, np.exp(log_ratio - z * se) - 1.0, np.exp(log_ratio + z * se) - 1.0, se


def share_interval(s_part, q_part, s_total, q_total, confidence: float = 0.95):
    """Share s_part/s_total of bookings with a log-odds interval; vectorized."""
    sp, qp, st, qt = (np.asarray(v, dtype=float) for v in (s_part, q_part, s_total, q_total))
    rest, q_rest = st - sp, np.maximum(qt - qp, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(st > 0, sp / st, np.nan)
        ok = (sp > 0) & (rest > 0)
        logit = np.log(np.where(ok, sp / rest, np.nan))
        se = np.sqrt(qp / sp**2 + q_rest / rest**2)
    z = z_value(confidence)
    return share, _expit(logit - z * se), _expit(logit + z * se)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def compare_growth(log_ratio_a: float, se_a: float, log_ratio_b: float, se_b: float) -> TestResult:
    """Two-sided z-test that two growth ratios (given as logs with standard errors) are equal."""
    se = float(np.hypot(se_a, se_b))
    if not np.isfinite(se) or se == 0 or not np.isfinite(log_ratio_a - log_ratio_b):
        return TestResult(np.nan, np.nan, "none")
    z = (log_ratio_a - log_ratio_b) / se
    return TestResult(float(z), float(2 * sps.norm.sf(abs(z))), "z-test on log growth ratios")


def window_sums(bookings: pd.DataFrame, by: Sequence[str], periods: pd.PeriodIndex) -> pd.DataFrame:
    """Per group of ``by``: bookings (sum), sum of squared amounts, and deals within ``periods``."""
    rows = bookings[bookings["period"].isin(periods)]
    amount = rows["amount"]
    grouped = rows.assign(_sq=amount**2).groupby(list(by), observed=True, sort=True)
    out = pd.DataFrame(
        {"bookings": grouped["amount"].sum(), "sq": grouped["_sq"].sum(), "deals": grouped.size()}
    )
    return out


def _total_sums(bookings: pd.DataFrame, periods: pd.PeriodIndex) -> tuple[float, float, int]:
    rows = bookings[bookings["period"].isin(periods)]
    return float(rows["amount"].sum()), float((rows["amount"] ** 2).sum()), len(rows)


def growth_table(
    bookings: pd.DataFrame,
    window: Window,
    by: Sequence[str] = (REGION,),
    min_n: int = 30,
    confidence: float = 0.95,
    total: bool = True,
) -> pd.DataFrame:
    """Year-on-year, period-on-period and compound annual growth of bookings per group of ``by``.

    Year on year compares the last twelve months with the twelve before (NaN with
    under two years of periods); period on period compares the last period with the
    one before; CAGR runs from the first twelve months to the last. Every growth has
    its base, its interval and the deals behind it; ``share`` is the group's share of
    the last twelve months' bookings (of the last period without two years). A group
    with fewer than ``min_n`` deals in either compared window is ``flagged``; ranked
    groups get ``rank`` (1 = fastest growth). ``total`` adds an 'All regions' row.
    """
    by = list(by)
    yoy = window.has_year_on_year
    p = window.growth_periods
    windows = {
        "base": window.base if yoy else p[:0],
        "current": window.current if yoy else p[-1:],
        "prev": p[-2:-1],
        "last": p[-1:],
        "first": window.first_year if yoy else p[:0],
    }
    keys = _all_keys(bookings, by, p)
    index = pd.MultiIndex.from_tuples(keys, names=by) if len(by) > 1 else pd.Index(keys, name=by[0])
    totals = {k: _total_sums(bookings, w) for k, w in windows.items()}
    aligned = {k: window_sums(bookings, by, w).reindex(index).fillna(0.0) for k, w in windows.items()}
    if total:
        total_index = _single((TOTAL,) * len(by) if len(by) > 1 else TOTAL, by)
        index = index.append(total_index)
        aligned = {
            k: pd.concat([a, pd.DataFrame([totals[k]], columns=a.columns, index=total_index)])
            for k, a in aligned.items()
        }
    out = pd.DataFrame(index=index)
    _fill_growth(out, aligned, window, confidence)
    share = share_interval(
        aligned["current"]["bookings"],
        aligned["current"]["sq"],
        totals["current"][0],
        totals["current"][1],
        confidence,
    )
    out["share"], out["share_ci_low"], out["share_ci_high"] = share
    compared = ("base", "current") if yoy else ("prev", "last")
    smallest = np.minimum(aligned[compared[0]]["deals"], aligned[compared[1]]["deals"])
    out["flagged"] = (smallest < min_n).to_numpy()
    return _rank(out.reset_index(), by, "growth" if yoy else "pop_growth")


def _all_keys(bookings: pd.DataFrame, by: list[str], periods: pd.PeriodIndex) -> list:
    rows = bookings[bookings["period"].isin(periods)]
    keys = rows[by].drop_duplicates().sort_values(by)
    return list(keys.itertuples(index=False, name=None)) if len(by) > 1 else list(keys[by[0]])


def _single(key, by: list[str]) -> pd.Index:
    return pd.MultiIndex.from_tuples([key], names=by) if len(by) > 1 else pd.Index([key], name=by[0])


def _fill_growth(out: pd.DataFrame, a: dict[str, pd.DataFrame], window: Window, confidence: float) -> None:
    base, cur, prev, last, first = (a[k] for k in ("base", "current", "prev", "last", "first"))
    yoy = window.has_year_on_year
    out["base_window"] = label(window.base) if yoy else "–"
    out["current_window"] = label(window.current) if yoy else label(window.growth_periods[-1:])
    out["bookings_base"] = base["bookings"].to_numpy()
    out["deals_base"] = base["deals"].astype(int).to_numpy()
    out["bookings_current"] = cur["bookings"].to_numpy()
    out["deals_current"] = cur["deals"].astype(int).to_numpy()
    g, lo, hi, se = growth_interval(cur["bookings"], cur["sq"], base["bookings"], base["sq"], confidence)
    out["growth"], out["ci_low"], out["ci_high"], out["log_se"] = g, lo, hi, se
    d1, d0 = cur["deals"], base["deals"]
    g, lo, hi, se = growth_interval(d1, d1, d0, d0, confidence)
    out["deals_growth"], out["deals_ci_low"], out["deals_ci_high"], out["deals_log_se"] = g, lo, hi, se
    grown = window.growth_periods
    out["prev_period"] = label(grown[-2]) if len(grown) > 1 else "–"
    out["last_period"] = label(grown[-1]) if len(grown) else "–"
    out["bookings_prev"] = prev["bookings"].to_numpy()
    out["bookings_last"] = last["bookings"].to_numpy()
    g, lo, hi, _ = growth_interval(last["bookings"], last["sq"], prev["bookings"], prev["sq"], confidence)
    out["pop_growth"], out["pop_ci_low"], out["pop_ci_high"] = g, lo, hi
    out["bookings_first_year"] = first["bookings"].to_numpy()
    years = window.cagr_years if yoy else np.nan
    g, lo, hi, _ = growth_interval(cur["bookings"], cur["sq"], first["bookings"], first["sq"], confidence)
    out["cagr_years"] = years
    out["cagr"], out["cagr_ci_low"], out["cagr_ci_high"] = (_annualize(v, years) for v in (g, lo, hi))


def _annualize(growth: np.ndarray, years: float) -> np.ndarray:
    growth = np.asarray(growth, dtype=float)
    if not np.isfinite(years) or years <= 0:
        return np.full_like(growth, np.nan)
    with np.errstate(invalid="ignore"):
        return np.where(growth > -1, (1.0 + growth) ** (1.0 / years) - 1.0, np.nan)


def _rank(out: pd.DataFrame, by: list[str], column: str) -> pd.DataFrame:
    is_total = out[by[0]] == TOTAL
    ranked = ~out["flagged"] & ~is_total & out[column].notna()
    out["rank"] = out[column].where(ranked).rank(ascending=False, method="min").astype("Int64")
    order = np.select([ranked, ~is_total], [0, 1], 2)
    out = out.assign(_o=order, _g=out[column].fillna(-np.inf))
    out = out.sort_values(["_o", "_g"], ascending=[True, False], kind="stable")
    return out.drop(columns=["_o", "_g"]).reset_index(drop=True)


@dataclass(frozen=True)
class TopGrowth:
    """The fastest-growing ranked region, the runner-up, and tests between them.

    ``test`` compares bookings growth; ``deals_test`` compares growth in the number
    of won deals, which deal-size noise does not blur.
    """

    region: str
    growth: float
    ci_low: float
    ci_high: float
    deals_growth: float
    runner_up: str | None
    runner_up_growth: float
    runner_up_deals_growth: float
    test: TestResult
    deals_test: TestResult


def top_growth(growth: pd.DataFrame, column: str = REGION) -> TopGrowth | None:
    """The rank-1 group of a :func:`growth_table` and tests against the rank-2 group (None without YoY)."""
    ranked = growth[growth["rank"].notna()].sort_values("rank", kind="stable")
    if ranked.empty or ranked["growth"].isna().all():
        return None
    top = ranked.iloc[0]
    none = TestResult(np.nan, np.nan, "none")
    if len(ranked) < 2:
        return TopGrowth(
            str(top[column]),
            top["growth"],
            top["ci_low"],
            top["ci_high"],
            top["deals_growth"],
            None,
            np.nan,
            np.nan,
            none,
            none,
        )
    second = ranked.iloc[1]
    return TopGrowth(
        str(top[column]),
        top["growth"],
        top["ci_low"],
        top["ci_high"],
        top["deals_growth"],
        str(second[column]),
        second["growth"],
        second["deals_growth"],
        _compare_rows(top, second, "growth", "log_se"),
        _compare_rows(top, second, "deals_growth", "deals_log_se"),
    )


def _compare_rows(a: pd.Series, b: pd.Series, column: str, se: str) -> TestResult:
    return compare_growth(np.log1p(a[column]), a[se], np.log1p(b[column]), b[se])


def period_series(bookings: pd.DataFrame, window: Window, confidence: float = 0.95) -> pd.DataFrame:
    """Total bookings per period with growth on the previous period and on the same period a year before."""
    grouped = bookings.assign(_sq=bookings["amount"] ** 2).groupby("period", observed=True)
    sums = pd.DataFrame(
        {"bookings": grouped["amount"].sum(), "sq": grouped["_sq"].sum(), "deals": grouped.size()}
    )
    sums = sums.reindex(window.periods).fillna(0.0)
    out = pd.DataFrame({"period": [label(p) for p in window.periods]})
    out["bookings"] = sums["bookings"].to_numpy()
    out["deals"] = sums["deals"].astype(int).to_numpy()
    in_growth = pd.Series(window.periods.isin(window.growth_periods), index=sums.index)
    for name, lag in (("pop", 1), ("yoy", window.periods_per_year)):
        prev = sums.shift(lag).where(in_growth.shift(lag, fill_value=False))  # no ramp-up base
        g, lo, hi, _ = growth_interval(sums["bookings"], sums["sq"], prev["bookings"], prev["sq"], confidence)
        out[f"{name}_base"] = prev["bookings"].to_numpy()
        out[f"{name}_growth"], out[f"{name}_ci_low"], out[f"{name}_ci_high"] = g, lo, hi
    return out


def mix_rate_decomposition(bookings: pd.DataFrame, window: Window, by: str = REGION) -> pd.DataFrame:
    """Split each group's change in bookings (last twelve months vs the twelve before) into three effects.

    With N deals in total, m_r the group's share of deals and a_r its average deal:
    volume = (N1 - N0) m0 a0 (more or fewer deals overall), mix = N1 (m1 - m0) a0
    (deals moving between groups), rate = n1 (a1 - a0) (bigger or smaller deals).
    The three add up exactly to the group's change; a group new in the current
    window has its whole change as mix, one that vanished as volume plus mix.
    """
    if not window.has_year_on_year:
        return pd.DataFrame(
            columns=[by, "bookings_base", "bookings_current", "change", "volume", "mix", "rate"]
        )
    s0 = window_sums(bookings, [by], window.base)
    s1 = window_sums(bookings, [by], window.current)
    idx = s0.index.union(s1.index)
    s0, s1 = s0.reindex(idx).fillna(0.0), s1.reindex(idx).fillna(0.0)
    n0, n1 = s0["deals"].sum(), s1["deals"].sum()
    m0 = s0["deals"] / n0 if n0 else s0["deals"] * 0.0
    m1 = s1["deals"] / n1 if n1 else s1["deals"] * 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        a1 = (s1["bookings"] / s1["deals"]).where(s1["deals"] > 0, 0.0)
        a0 = (s0["bookings"] / s0["deals"]).where(s0["deals"] > 0, a1)
    out = pd.DataFrame(
        {
            by: idx,
            "bookings_base": s0["bookings"].to_numpy(),
            "bookings_current": s1["bookings"].to_numpy(),
            "change": (s1["bookings"] - s0["bookings"]).to_numpy(),
            "volume": ((n1 - n0) * m0 * a0).to_numpy(),
            "mix": (n1 * (m1 - m0) * a0).to_numpy(),
            "rate": (s1["deals"] * (a1 - a0)).to_numpy(),
        }
    )
    out = out.sort_values("change", ascending=False, kind="stable").reset_index(drop=True)
    total = out.drop(columns=[by]).sum().to_frame().T.assign(**{by: TOTAL})
    return pd.concat([out, total[out.columns]], ignore_index=True)


class HeatmapCells(NamedTuple):
    """Growth by region (rows) × breakdown (columns), whether each cell is flagged, and its deals."""

    growth: pd.DataFrame
    flagged: pd.DataFrame
    deals: pd.DataFrame


def heatmap_cells(cells: pd.DataFrame, column: str) -> HeatmapCells:
    """A :func:`growth_table` by region and ``column`` as grids; a missing cell counts as flagged.

    ``deals`` is the smaller number of deals of the two compared twelve-month windows.
    """
    cells = cells.assign(n=np.minimum(cells["deals_base"], cells["deals_current"]))
    grid = cells.pivot(index=REGION, columns=column, values="growth")
    flagged = cells.pivot(index=REGION, columns=column, values="flagged").reindex_like(grid)
    flagged = flagged.astype("boolean").fillna(True).astype(bool)
    deals = cells.pivot(index=REGION, columns=column, values="n").reindex_like(grid)
    return HeatmapCells(grid, flagged, deals)
