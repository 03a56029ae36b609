"""Figures of the market report, all finished through :func:`revops_nb.charts.finish`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import HTML
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from revops_nb import charts
from revops_nb.analysis.market import MarketResult
from revops_nb.analysis.market_data import REGION
from revops_nb.analysis.market_growth import TOTAL


def _period_axis(ax, periods: list[str]) -> None:
    step = max(1, len(periods) // 10)
    ax.set_xticks(range(0, len(periods), step))
    ax.set_xticklabels(periods[::step], rotation=45, ha="right")


def bookings_trend(result: MarketResult) -> Figure | HTML:
    """Bookings per period, one line per region; a notice saying why when there are no bookings."""
    if why := result.aside("bookings"):
        return charts.notice(why)
    data = result.bookings_by_period.groupby(["period", REGION], observed=True)["bookings"].sum().unstack()
    periods = [str(p) for p in result.window.periods]
    data = data.reindex(periods).fillna(0.0)
    _fig, ax = plt.subplots()
    for region in data.columns:
        ax.plot(range(len(periods)), data[region], marker="o", markersize=3, label=str(region))
    _period_axis(ax, periods)
    charts.money_axis(ax, result.params.currency)
    ax.legend(title="Region", fontsize=9)
    return charts.finish(
        ax,
        "Bookings by region",
        f"Close {result.params.grain}",
        f"Bookings ({result.params.currency}, won deals)",
    )


def growth_bars(result: MarketResult) -> Figure | HTML | None:
    """Year-on-year bookings growth by region with intervals; small regions greyed.

    None without bookings (the section's sentences say why); a notice without regions.
    """
    if not result.has_bookings:
        return None
    if why := result.aside("growth_by_region"):
        return charts.notice(why)
    if not result.window.has_year_on_year:
        return None  # the growth sentence above says why
    rows = result.growth_by_region
    total = rows[rows[REGION] == TOTAL]
    rows = rows[rows[REGION] != TOTAL]
    return charts.rate_bars(
        rows,
        "Bookings growth by region, last 12 months vs the 12 before",
        xlabel="Growth in bookings (%, 95% CI)"
        if result.params.confidence == 0.95
        else "Growth in bookings (%)",
        ylabel="Region",
        value=REGION,
        rate="growth",
        reference=float(total["growth"].iloc[0]) if len(total) else None,
    )


def levels_trend(result: MarketResult) -> Figure | HTML:
    """ARR (or customers, without ARR) on the last day of each period, one line per region.

    A notice instead when customers cannot be counted, or only on the last day.
    """
    if why := result.aside("levels_trend"):
        return charts.notice(why)
    column = "arr" if result.has_arr else "customers"
    data = result.levels_by_period.groupby(["period", REGION], observed=True)[column].sum().unstack()
    periods = [str(p) for p in result.window.periods]
    data = data.reindex(periods).fillna(0.0)
    _fig, ax = plt.subplots()
    for region in data.columns:
        ax.plot(range(len(periods)), data[region], marker="o", markersize=3, label=str(region))
    _period_axis(ax, periods)
    ax.legend(title="Region", fontsize=9)
    if result.has_arr:
        charts.money_axis(ax, result.params.currency)
        return charts.finish(
            ax, "ARR by region", f"End of {result.params.grain}", f"ARR ({result.params.currency})"
        )
    return charts.finish(ax, "Customers by region", f"End of {result.params.grain}", "Customers (accounts)")


def decomposition_bars(result: MarketResult) -> Figure | None:
    """Each region's change in bookings split into volume, mix and rate (deal size) effects.

    None when the section steps aside (no bookings or no regions; ``share_view`` says why).
    """
    if result.aside("share") or result.decomposition.empty:
        return None
    data = result.decomposition.set_index(REGION)[["volume", "mix", "rate"]]
    _fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], max(3.0, 0.6 * len(data) + 1.5)))
    height = 0.8 / 3
    y = np.arange(len(data))
    labels = {
        "volume": "Volume (deals overall)",
        "mix": "Mix (shift between regions)",
        "rate": "Rate (deal size)",
    }
    for i, (col, color) in enumerate(zip(data.columns, sns.color_palette(charts.PALETTE), strict=False)):
        ax.barh(y + (i - 1) * height, data[col], height=height, label=labels[col], color=color)
    ax.set_yticks(y)
    ax.set_yticklabels([str(v) for v in data.index])
    ax.invert_yaxis()
    ax.axvline(0, color="#333", linewidth=0.8)
    charts.money_axis(ax, result.params.currency, axis="x")
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.legend(fontsize=9, loc="best")
    return charts.finish(
        ax,
        "What drove the change in bookings",
        f"Change in bookings, last 12 months vs the 12 before ({result.params.currency})",
        "Region",
    )


def win_rate_bars(result: MarketResult) -> Figure | HTML | None:
    """Win rate of closed deals by region with Wilson intervals; small regions greyed.

    None without a win rate (the sentence says why); a notice without regions.
    """
    if not result.has_win_rate:
        return None
    if why := result.aside("win_rate_by_region"):
        return charts.notice(why)
    closed = result.win_rates
    overall = closed["won"].sum() / closed["n"].sum() if closed["n"].sum() else None
    return charts.rate_bars(
        closed,
        "Win rate by region",
        xlabel="Win rate of closed deals (%)",
        ylabel="Region",
        value=REGION,
        reference=overall,
    )


def deal_size_bars(result: MarketResult) -> Figure | None:
    """Average won deal by region with t intervals; small regions greyed (None without bookings)."""
    if not result.has_bookings:
        return None
    data = result.deal_sizes
    _fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], max(2.5, 0.38 * len(data) + 1.2)))
    colors = [charts.MUTED if f else charts.ACCENT for f in data["flagged"]]
    labels = data[REGION].astype(str)
    ax.barh(labels, data["average"], color=colors)
    err = np.vstack([data["average"] - data["ci_low"], data["ci_high"] - data["average"]])
    ax.errorbar(
        data["average"],
        labels,
        xerr=np.clip(np.nan_to_num(err), 0, None),
        fmt="none",
        ecolor="#333",
        capsize=3,
    )
    ax.invert_yaxis()
    charts.money_axis(ax, result.params.currency, axis="x")
    return charts.finish(
        ax, "Average won deal by region", f"Average deal ({result.params.currency})", "Region"
    )


def penetration_bars(result: MarketResult) -> Figure | None:
    """Share of addressable accounts that are customers, per market row, with Wilson intervals.

    None without penetration, or without regions (the total alone is in the sentence and table).
    """
    pen = result.penetration
    if pen is None or not result.has_regions:
        return None
    keys = [c for c in ("region", "segment") if c in pen.columns]
    data = pen.assign(value=pen[keys].astype(str).agg(" · ".join, axis=1), rate=pen["penetration_accounts"])
    data = data[data[REGION] != TOTAL]
    total = pen.iloc[-1]["penetration_accounts"]
    return charts.rate_bars(
        data,
        "Penetration of addressable accounts",
        xlabel="Customers / addressable accounts (%)",
        ylabel=" × ".join(k.capitalize() for k in keys),
        reference=float(total),
    )


def growth_heatmap(result: MarketResult) -> Figure | HTML:
    """Year-on-year bookings growth by region × breakdown; cells under min_n are grey and starred.

    A notice instead without bookings, regions or breakdown values.
    """
    if why := result.aside("heatmap"):
        return charts.notice(why)
    dim = result.params.breakdown
    cells = result.growth_by_cell.assign(
        n=np.minimum(result.growth_by_cell["deals_base"], result.growth_by_cell["deals_current"])
    )
    grid = cells.pivot(index=REGION, columns=dim, values="growth")
    flagged = cells.pivot(index=REGION, columns=dim, values="flagged").reindex_like(grid)
    flagged = flagged.astype("boolean").fillna(True).astype(bool)
    n = cells.pivot(index=REGION, columns=dim, values="n").reindex_like(grid)
    shown = grid.where(~flagged).astype(float)
    limit = float(np.nanmax(np.abs(shown.to_numpy()))) if shown.notna().any().any() else 1.0
    _fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], max(3.0, 0.7 * len(grid) + 1.5)))
    ax.set_facecolor("#e5e8eb")
    sns.heatmap(
        shown,
        cmap="RdBu",
        center=0,
        vmin=-limit,
        vmax=limit,
        ax=ax,
        linewidths=0.5,
        linecolor="white",
        cbar_kws={"label": "Growth (%)", "format": FuncFormatter(lambda v, _: f"{100 * v:.0f}%")},
    )
    ax.grid(False)
    for i, region in enumerate(grid.index):
        for j, col in enumerate(grid.columns):
            value, small = grid.loc[region, col], bool(flagged.loc[region, col])
            dark = not small and pd.notna(value) and abs(value) > 0.6 * limit
            text = _cell_text(value, n.loc[region, col], small)
            ax.text(
                j + 0.5,
                i + 0.5,
                text,
                ha="center",
                va="center",
                fontsize=9,
                color="white" if dark else "#222",
            )
    ax.set_yticklabels([str(v) for v in grid.index], rotation=0)
    return charts.finish(
        ax,
        f"Bookings growth, last 12 months vs prior 12, by region × {dim.replace('_', ' ')}",
        f"{dim.replace('_', ' ').capitalize()} (* = under {result.params.min_n} deals, not coloured)",
        "Region",
    )


def _cell_text(growth: float, n: float, flagged: bool) -> str:
    if pd.isna(growth):
        return "no base"
    deals = "" if pd.isna(n) else f"\nn={int(n)}"
    return f"{charts.fmt_pct(growth, 0)}{deals}" + ("*" if flagged else "")
