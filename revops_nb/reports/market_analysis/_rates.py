"""Rates of the market report: win rate (overall and by region), deal size and market penetration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats as sps

from revops_nb.reports.market_analysis._growth import TOTAL
from revops_nb.reports.market_analysis.settings import REGION, SEGMENT
from revops_nb.stats import TestResult, independence_test, rate_table, wilson_interval, z_value


class WinRate(NamedTuple):
    """Closed deals, won deals, the win rate and its Wilson interval over the whole window."""

    n: int
    won: int
    rate: float
    ci_low: float
    ci_high: float


def overall_win_rate(win_rates: pd.DataFrame, confidence: float) -> WinRate:
    """The win rate of every closed deal counted in ``win_rates`` (NaN without any)."""
    n, won = int(win_rates["n"].sum()), int(win_rates["won"].sum())
    low, high = wilson_interval(won, n, confidence)
    return WinRate(n, won, won / n if n else float("nan"), float(low), float(high))


def win_rates(closed: pd.DataFrame, min_n: int, confidence: float) -> tuple[pd.DataFrame, TestResult]:
    """Win rate of closed deals per region (Wilson interval, small regions flagged) and a chi-square test."""
    if closed.empty:
        columns = [REGION, "n", "won", "rate", "ci_low", "ci_high", "flagged"]
        return pd.DataFrame(columns=columns), TestResult(np.nan, np.nan, "none")
    table = rate_table(closed, REGION, "is_won", min_n=min_n, confidence=confidence).rename(
        columns={"value": REGION, "successes": "won"}
    )
    counts = pd.crosstab(closed[REGION], closed["is_won"])
    test = independence_test(counts.loc[counts.sum(axis=1) >= min_n])
    return table, test


def deal_sizes(bookings: pd.DataFrame, min_n: int, confidence: float) -> tuple[pd.DataFrame, TestResult]:
    """Average won deal per region with a t interval, the median, and a Kruskal–Wallis test.

    The test compares the regions with at least ``min_n`` deals; small regions are
    listed, flagged and not ranked.
    """
    grouped = bookings.groupby(REGION, observed=True)["amount"]
    out = grouped.agg(deals="size", average="mean", sd="std", median="median").reset_index()
    t = sps.t.ppf(0.5 + confidence / 2, np.maximum(out["deals"] - 1, 1))
    half = t * out["sd"] / np.sqrt(out["deals"])
    out["ci_low"], out["ci_high"] = out["average"] - half, out["average"] + half
    out["flagged"] = out["deals"] < min_n
    out = out.sort_values(["flagged", "average"], ascending=[True, False], kind="stable").reset_index(
        drop=True
    )
    groups = [g.to_numpy() for _, g in grouped if len(g) >= min_n]
    if len(groups) < 2:
        return out.drop(columns="sd"), TestResult(np.nan, np.nan, "none")
    res = sps.kruskal(*groups)
    return out.drop(columns="sd"), TestResult(float(res.statistic), float(res.pvalue), "Kruskal–Wallis test")


def penetration(
    market: pd.DataFrame,
    customers: pd.DataFrame,
    regions: Sequence[str],
    min_n: int,
    confidence: float,
    by_region: bool = True,
) -> pd.DataFrame:
    """Customers and ARR at the end of the window against the addressable market.

    ``customers`` is a :func:`customer_base` (one row per customer). Rows are matched
    on region and segment when the market table has segments, on region otherwise;
    only ``regions`` (empty = all) are kept. Account penetration has a Wilson
    interval; ARR penetration a log-normal one with var(log ARR) = sum(arr^2)/ARR^2
    over the customers (the compound-Poisson rule of the growth intervals), the
    addressable ARR taken as known. Rows with fewer than ``min_n`` addressable accounts
    are flagged. The last row is the total over the market rows. Without ``by_region`` (customers
    have no region) only the total row is given: every customer against the whole market.
    """
    keys = [REGION, SEGMENT] if SEGMENT in market and market[SEGMENT].notna().any() else [REGION]
    if not by_region:
        market, customers = market.assign(**{REGION: TOTAL}), customers.assign(**{REGION: TOTAL})
        keys = [REGION]
    mk = market.copy()
    if regions:
        mk = mk[mk[REGION].isin(regions)]
    for col in ("addressable_accounts", "addressable_arr"):
        mk[col] = pd.to_numeric(mk[col]) if col in mk else np.nan
    mk = mk.groupby(keys, observed=True, sort=True)[["addressable_accounts", "addressable_arr"]].sum(
        min_count=1
    )
    grouped = customers.assign(arr_sq=customers["arr"] ** 2).groupby(keys, observed=True)
    have = pd.DataFrame(
        {
            "customers": grouped.size(),
            "arr": grouped["arr"].sum(min_count=1),
            "arr_sq": grouped["arr_sq"].sum(min_count=1),
        }
    )
    out = mk.join(have, how="left").reset_index()
    out["customers"] = out["customers"].fillna(0).astype(int)
    sums = out[["addressable_accounts", "addressable_arr", "customers", "arr", "arr_sq"]].sum(min_count=1)
    if by_region:
        out = pd.concat([out, pd.DataFrame([{k: TOTAL for k in keys} | sums.to_dict()])], ignore_index=True)
    out["customers"] = out["customers"].astype(int)
    _penetration_columns(out, min_n, confidence)
    cols = [*keys, "customers", "addressable_accounts", "penetration_accounts", "ci_low", "ci_high"]
    cols += ["arr", "addressable_arr", "penetration_arr", "arr_ci_low", "arr_ci_high", "flagged"]
    return out[cols]


def _penetration_columns(out: pd.DataFrame, min_n: int, confidence: float) -> None:
    n = out["addressable_accounts"].to_numpy(float)
    k = out["customers"].to_numpy(float)
    valid = np.isfinite(n) & (n > 0) & (k <= n)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["penetration_accounts"] = np.where(np.isfinite(n) & (n > 0), k / n, np.nan)
        low, high = wilson_interval(np.where(valid, k, 0), np.where(valid, n, 0), confidence)
        out["ci_low"], out["ci_high"] = low, high
        arr, sq = out["arr"].to_numpy(float), out["arr_sq"].to_numpy(float)
        addressable = out["addressable_arr"].to_numpy(float)
        share = np.where(np.isfinite(addressable) & (addressable > 0), arr / addressable, np.nan)
        se = np.where(arr > 0, np.sqrt(sq) / arr, np.nan)
        z = z_value(confidence)
        out["penetration_arr"] = share
        out["arr_ci_low"] = share * np.exp(-z * se)
        out["arr_ci_high"] = share * np.exp(z * se)
    out["flagged"] = ~(np.nan_to_num(n) >= min_n)
