"""Words, tables and charts of the market report, built only from a :class:`MarketResult`.

Every sentence states a number with its interval and base, and claims a difference only
where the test behind it holds (at 1 - confidence). Text from the data (region names) is
escaped here; tables go through :func:`revops_nb.display.table`, charts through
:func:`revops_nb.charts.finish`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from revops_nb import charts
from revops_nb.data.subscriptions import DEFINITION
from revops_nb.display import bullets, notice, say, table
from revops_nb.display import data_note as display_data_note
from revops_nb.formatting import ci_label, escape, fmt_int, fmt_interval, fmt_money, fmt_p, fmt_pct
from revops_nb.reports.market_analysis import TOTAL, MarketResult, label
from revops_nb.reports.market_analysis.settings import REGION


def _money(result: MarketResult, value: float) -> str:
    return fmt_money(value, result.settings.currency)


def _ci(result: MarketResult) -> str:
    return ci_label(result.settings.confidence)


def _alpha(result: MarketResult) -> float:
    """Significance level of every test: 1 - confidence, so tests and intervals agree."""
    return result.settings.alpha


def _interval(result: MarketResult, low: float, high: float) -> str:
    return f"{_ci(result)} {fmt_interval(low, high)}"


def _signed(value: float) -> str:
    return "–" if pd.isna(value) else ("+" if value >= 0 else "") + fmt_pct(value)


# ---------------------------------------------------------------- the notebook's opening


def data_note(dataset, result: MarketResult) -> HTML:
    """The data the report is based on, and the window in words."""
    return display_data_note(dataset, result.window_text)


def notes(result: MarketResult) -> Markdown | None:
    """What was left out of the analysis and why, as bullets (None when nothing was)."""
    return bullets(notes_text(result)) if result.notes else None


def summary(result: MarketResult) -> Markdown:
    """The summary bullets."""
    return bullets(summary_lines(result))


def subscription_definition() -> Markdown:
    """The one definition of an active subscription, a customer and its ARR, in words."""
    return say(DEFINITION)


# ---------------------------------------------------------------- sentences


def summary_lines(result: MarketResult) -> list[str]:
    """The summary bullets, each backed by a table of the report and, for differences, a test.

    A part the data cannot give (bookings, customers, win rate) is one sentence saying why.
    """
    lines = [bookings_sentence(result)]
    if result.has_bookings:
        lines.append(growth_sentence(result))
    lines += [s for s in (cagr_sentence(result), top_region_sentence(result)) if s]
    lines += [s for s in (share_sentence(result), driver_sentence(result)) if s]
    lines += [levels_sentence(result), win_rate_sentence(result), penetration_sentence(result)]
    flagged = small_regions_sentence(result)
    return [*lines, flagged] if flagged else lines


def bookings_sentence(result: MarketResult) -> str:
    """Total bookings and deals over the window (or why there are none)."""
    if why := result.aside("bookings"):
        return why
    return (
        f"Bookings over {escape(result.window.describe())}: **{_money(result, result.bookings_total)}** "
        f"from {fmt_int(result.deals_total)} won deals."
    )


def growth_sentence(result: MarketResult) -> str:
    """Last twelve months against the twelve before, with the base and the interval."""
    row = result.total_row
    if row is None:
        return result.aside("growth") or ""
    if not result.window.has_year_on_year:
        after = " after the ramp-up" if result.window.ramp_up_skipped else ""
        return (
            f"Year-on-year growth needs two full years of {result.settings.grain}s; this window has "
            f"{len(result.window.growth_periods)}{after}."
        )
    change = _direction(row["growth"], row["ci_low"], row["ci_high"])
    return (
        f"In the last 12 months ({escape(row['current_window'])}) bookings were "
        f"{_money(result, row['bookings_current'])}, {change} on the 12 months before "
        f"({escape(row['base_window'])}: {_money(result, row['bookings_base'])}; "
        f"{_interval(result, row['ci_low'], row['ci_high'])})."
    )


def _direction(growth: float, low: float, high: float) -> str:
    if low > 0:
        return f"up {fmt_pct(growth)}"
    if high < 0:
        return f"down {fmt_pct(-growth)}"
    return f"a change of {_signed(growth)} that is within what chance alone could give"


def cagr_sentence(result: MarketResult) -> str | None:
    """Compound annual growth from the first twelve months to the last."""
    row = result.total_row
    if row is None or not np.isfinite(row["cagr"]):
        return None
    window = result.window
    return (
        f"Compound annual growth (CAGR) from the first whole 12 months"
        f"{' after the ramp-up' if window.ramp_up_skipped else ' of the window'} "
        f"({label(window.first_year)}: {_money(result, row['bookings_first_year'])}) to the last "
        f"({label(window.current)}: {_money(result, row['bookings_current'])}), {row['cagr_years']:.2f} years "
        f"apart: {_signed(row['cagr'])} a year ({_interval(result, row['cagr_ci_low'], row['cagr_ci_high'])})."
    )


def top_region_sentence(result: MarketResult) -> str | None:
    """The fastest-growing ranked region and whether it beats the runner-up by a test."""
    top = result.top
    if top is None:
        return None
    alpha = _alpha(result)
    text = (
        f"**{escape(top.region)}** has the fastest bookings growth among regions with at least "
        f"{result.settings.min_n} deals: {_signed(top.growth)} ({_interval(result, top.ci_low, top.ci_high)}), "
        f"with {_signed(top.deals_growth)} won deals."
    )
    if top.runner_up is None:
        return text + " No other region is large enough to compare with."
    other = escape(top.runner_up)
    if top.test.significant(alpha):
        text += f" That is more than the next region, {other} ({_signed(top.runner_up_growth)}; {_test(top.test)})."
    else:
        text += (
            f" Its lead in bookings growth over the next region, {other} ({_signed(top.runner_up_growth)}), "
            f"is not statistically significant ({_test(top.test)})"
        )
        text += "," if top.deals_test.significant(alpha) else "."
    if top.deals_test.significant(alpha) and top.deals_growth > top.runner_up_deals_growth:
        text += (
            f"{'' if top.test.significant(alpha) else ' but'} its number of won deals grew significantly faster "
            f"than {other}'s ({_signed(top.runner_up_deals_growth)}; {_test(top.deals_test)})."
        )
    return text


def _test(test) -> str:
    return f"{test.test}, {fmt_p(test.p_value)}"


def share_sentence(result: MarketResult) -> str | None:
    """The region with the largest share of the latest bookings."""
    if result.aside("share"):
        return None
    rows = result.growth_by_region[result.growth_by_region[REGION] != TOTAL]
    rows = rows[rows["share"].notna()]
    if rows.empty:
        return None
    top = rows.loc[rows["share"].idxmax()]
    return (
        f"{escape(top[REGION])} holds the largest share of bookings in {escape(top['current_window'])}: "
        f"{fmt_pct(top['share'])} ({_interval(result, top['share_ci_low'], top['share_ci_high'])})."
    )


def driver_sentence(result: MarketResult) -> str | None:
    """Which region added the most to the change in bookings, and through which effect."""
    if result.aside("share"):
        return None
    dec = result.decomposition
    rows = dec[dec[REGION] != TOTAL]
    if rows.empty:
        return None
    total = dec[dec[REGION] == TOTAL].iloc[0]
    top = rows.loc[rows["change"].abs().idxmax()]
    effect = max(("volume", "mix", "rate"), key=lambda c: abs(top[c]))
    words = {"volume": "more deals overall", "mix": "a larger share of deals", "rate": "larger deals"}
    if top[effect] < 0:
        words = {"volume": "fewer deals overall", "mix": "a smaller share of deals", "rate": "smaller deals"}
    return (
        f"{escape(top[REGION])} moved bookings most: {_money(result, top['change'])} of the total change of "
        f"{_money(result, total['change'])}, mostly through {words[effect]} ({effect} effect "
        f"{_money(result, top[effect])})."
    )


def levels_sentence(result: MarketResult) -> str:
    """ARR and customers on the last day of the window (or why customers cannot be counted)."""
    if why := result.aside("levels"):
        return why
    end = f"{result.window.end:%Y-%m-%d}"
    if not result.has_arr:
        return (
            f"{fmt_int(result.customers_total)} customers on {end}, counted as {escape(result.customers_basis)}; "
            "ARR needs a subscriptions table with arr or mrr."
        )
    return (
        f"ARR on {end}: **{_money(result, result.arr_total)}** across {fmt_int(result.customers_total)} customers "
        f"({escape(result.customers_basis)})."
    )


def win_rate_sentence(result: MarketResult) -> str:
    """Whether win rates differ between regions (chi-square test), with the overall rate."""
    if why := result.aside("win_rate"):
        return why
    n, _, rate, low, high = result.win_rate
    basis = f", counting {escape(result.win_rate_basis)}" if result.win_rate_basis else ""
    overall = f"overall {fmt_pct(rate)} of {fmt_int(n)} closed deals ({_interval(result, low, high)}){basis}"
    if not result.has_regions:
        return f"Win rate: {overall}."
    if n and result.win_rate.won in (0, n):
        outcome = "won" if result.win_rate.won else "lost"
        return f"Win rate: {overall}; every closed deal was {outcome}, so regions cannot differ."
    test = result.win_test
    if not np.isfinite(test.p_value):
        return f"Win rate: {overall}; too few regions with {result.settings.min_n}+ closed deals to compare."
    if test.significant(_alpha(result)):
        return f"Win rates differ between regions ({_test(test)}); {overall}."
    return f"Win rates do not differ detectably between regions ({_test(test)}); {overall}."


def penetration_sentence(result: MarketResult) -> str:
    """Penetration of the addressable market, or why it is missing."""
    if why := result.aside("penetration"):
        return why
    if result.penetration is None:
        return "Penetration is not shown: it needs a market table (addressable accounts and ARR by region)."
    row = result.penetration.iloc[-1]
    text = (
        f"Customers are {fmt_pct(row['penetration_accounts'])} of {fmt_int(row['addressable_accounts'])} "
        f"addressable accounts ({_interval(result, row['ci_low'], row['ci_high'])})"
    )
    if np.isfinite(row["penetration_arr"]):
        text += (
            f" and hold {fmt_pct(row['penetration_arr'])} of the addressable ARR "
            f"({_interval(result, row['arr_ci_low'], row['arr_ci_high'])}). "
            + addressable_currency_note(result)
        )
        return text
    return text + "."


def addressable_currency_note(result: MarketResult) -> str:
    """The market table has no currency column: its addressable ARR is taken as in the reporting currency."""
    code = escape(result.settings.currency)
    return (
        f"Addressable ARR is taken as given in the market table, assumed to be in the reporting currency "
        f"({code}): the table has no currency column, so it is not converted."
    )


def small_regions_sentence(result: MarketResult) -> str | None:
    """Regions too small to rank."""
    if result.aside("growth_by_region"):
        return None
    rows = result.growth_by_region
    small = rows[rows["flagged"] & (rows[REGION] != TOTAL)][REGION]
    if small.empty:
        return None
    names = ", ".join(escape(v) for v in small)
    return f"Too few deals to rank (under {result.settings.min_n} in a compared window), shown but flagged: {names}."


def notes_text(result: MarketResult) -> list[str]:
    """What was left out of the analysis and why (already escaped)."""
    return [escape(n) for n in result.notes]


def decomposition_sentence(result: MarketResult) -> str:
    """How the total change splits into volume, mix and rate."""
    dec = result.decomposition
    if dec.empty:
        return "The decomposition needs two full years of periods."
    total = dec[dec[REGION] == TOTAL].iloc[0]
    return (
        f"Total change {_money(result, total['change'])}: volume {_money(result, total['volume'])}, "
        f"mix {_money(result, total['mix'])}, rate (deal size) {_money(result, total['rate'])}. "
        "Mix effects move bookings between regions and add up to little in total; a region's mix and "
        "rate effects say whether it grew by winning a larger share of deals or larger deals."
    )


def deal_size_sentence(result: MarketResult) -> str:
    """Whether deal sizes differ between regions (Kruskal–Wallis test); without regions, the overall deal."""
    if why := result.aside("deal_size"):
        return why
    if not result.has_regions:
        row = result.deal_sizes.iloc[0]
        return (
            f"Average won deal over all deals: {_money(result, row['average'])} ({_ci(result)} "
            f"{_money(result, row['ci_low'])}–{_money(result, row['ci_high'])}), median "
            f"{_money(result, row['median'])}, from {fmt_int(row['deals'])} won deals."
        )
    test = result.size_test
    if not np.isfinite(test.p_value):
        return f"Too few regions with {result.settings.min_n}+ won deals to compare deal sizes."
    verdict = "differ" if test.significant(_alpha(result)) else "do not differ detectably"
    return f"Won deal sizes {verdict} between regions ({_test(test)}, on the regions with {result.settings.min_n}+ deals)."


def growth_lines(result: MarketResult) -> Markdown | HTML:
    """The growth section's sentences, or a notice saying why there is no growth to show."""
    if why := result.aside("growth"):
        return notice(why)
    return bullets([s for s in (growth_sentence(result), top_region_sentence(result)) if s])


def change_lines(result: MarketResult) -> Markdown | None:
    """What drove the change in bookings, in words (None when the share section steps aside)."""
    if result.aside("share"):
        return None
    return bullets([s for s in (driver_sentence(result), decomposition_sentence(result)) if s])


def win_rate_lines(result: MarketResult) -> Markdown | HTML:
    """The win-rate sentence, or a notice saying why there is no win rate."""
    if why := result.aside("win_rate"):
        return notice(why)
    return bullets([win_rate_sentence(result)])


def deal_size_lines(result: MarketResult) -> Markdown | HTML:
    """The deal-size sentence, or a notice saying why there are no won deals with amounts."""
    if why := result.aside("deal_size"):
        return notice(why)
    return bullets([deal_size_sentence(result)])


def penetration_section(result: MarketResult) -> list:
    """Sentence, chart and table of penetration; one notice when there is none."""
    if result.penetration is None:
        why = result.aside("penetration") or (
            "No market table is configured, so penetration of addressable accounts and ARR is not shown."
        )
        return [notice(why)]
    chart = penetration_bars(result)
    shown = [bullets([penetration_sentence(result)]), chart, penetration_view(result)]
    return [item for item in shown if item is not None]


# ---------------------------------------------------------------- tables


def period_table(result: MarketResult) -> HTML | None:
    """Total bookings per period with growth on the previous period and a year before (None without)."""
    if not result.has_bookings:
        return None
    s = result.period_series
    ci = _ci(result)
    frame = pd.DataFrame(
        {
            "period": s["period"],
            "bookings": s["bookings"],
            "won deals": s["deals"],
            "vs previous": s["pop_growth"],
            f"{ci} (previous)": _intervals(s["pop_ci_low"], s["pop_ci_high"]),
            "year before": s["yoy_base"],
            "vs year before": s["yoy_growth"],
            f"{ci} (year before)": _intervals(s["yoy_ci_low"], s["yoy_ci_high"]),
        }
    )
    formats = {"bookings": "money", "won deals": "int", "vs previous": "pct", "year before": "money"}
    formats["vs year before"] = "pct"
    return table(
        frame, formats, currency=result.settings.currency, caption="Bookings by period (all regions)"
    )


def _intervals(low: pd.Series, high: pd.Series) -> list[str]:
    return [
        fmt_interval(a, b) if pd.notna(a) and pd.notna(b) else "–" for a, b in zip(low, high, strict=True)
    ]


def latest_table(result: MarketResult) -> HTML | None:
    """Bookings, ARR and customers of the last twelve months by region and the dimensions.

    Columns the data cannot give are left out; None when it gives neither bookings nor customers.
    """
    if not (result.has_bookings or result.has_customers):
        return None
    current = result.latest_periods
    frame = result.latest.rename(columns={"deals": "won deals", "arr": f"ARR {result.window.end:%Y-%m-%d}"})
    frame = frame.rename(columns={"customers": f"customers {result.window.end:%Y-%m-%d}"})
    formats = {"bookings": "money", "won deals": "int", f"ARR {result.window.end:%Y-%m-%d}": "money"}
    formats[f"customers {result.window.end:%Y-%m-%d}"] = "int"
    caption = f"Bookings in {current[0]}–{current[-1]}; ARR and customers on the last day"
    if not result.has_bookings:
        frame, caption = frame.drop(columns=["bookings", "won deals"]), "ARR and customers on the last day"
    if not result.has_customers:
        frame = frame.drop(columns=[c for c in frame.columns if c.startswith(("ARR ", "customers "))])
        caption = f"Bookings in {current[0]}–{current[-1]}"
    return table(frame, formats, currency=result.settings.currency, caption=caption, max_rows=60)


def growth_view(result: MarketResult) -> HTML | None:
    """Growth by region: year on year, period on period and CAGR, each with its base and interval."""
    if result.aside("growth_by_region"):
        return None
    g = result.growth_by_region
    ci = _ci(result)
    frame = pd.DataFrame(
        {
            "region": g[REGION],
            "rank": g["rank"],
            "base (12 months before)": g["bookings_base"],
            "last 12 months": g["bookings_current"],
            "deals before → now": [
                f"{fmt_int(a)} → {fmt_int(b)}"
                for a, b in zip(g["deals_base"], g["deals_current"], strict=True)
            ],
            "YoY growth": g["growth"],
            f"{ci} (YoY)": _intervals(g["ci_low"], g["ci_high"]),
            f"{result.settings.grain} on {result.settings.grain}": g["pop_growth"],
            f"{ci} (last {result.settings.grain})": _intervals(g["pop_ci_low"], g["pop_ci_high"]),
            "first 12 months": g["bookings_first_year"],
            "CAGR": g["cagr"],
            f"{ci} (CAGR)": _intervals(g["cagr_ci_low"], g["cagr_ci_high"]),
            "small": g["flagged"],
        }
    )
    formats = {"base (12 months before)": "money", "last 12 months": "money", "first 12 months": "money"}
    formats |= {
        "YoY growth": "pct",
        f"{result.settings.grain} on {result.settings.grain}": "pct",
        "CAGR": "pct",
    }
    formats["rank"] = "int"
    row = g.iloc[0]
    cagr = (
        f"CAGR over {row['cagr_years']:.2f} years"
        if np.isfinite(row["cagr_years"])
        else "no CAGR (under two years)"
    )
    caption = (
        f"YoY: {row['current_window']} vs {row['base_window']}; {result.settings.grain} on {result.settings.grain}: "
        f"{row['last_period']} vs {row['prev_period']}; {cagr}"
    )
    return table(frame, formats, currency=result.settings.currency, caption=caption)


def share_view(result: MarketResult) -> HTML:
    """Each region's share of the last twelve months' bookings, with interval and deals (or why not)."""
    if why := result.aside("share"):
        return notice(why)
    g = result.growth_by_region
    g = g[g[REGION] != TOTAL].sort_values("share", ascending=False, kind="stable")
    frame = pd.DataFrame(
        {
            "region": g[REGION],
            "bookings": g["bookings_current"],
            "won deals": g["deals_current"],
            "share": g["share"],
            _ci(result): _intervals(g["share_ci_low"], g["share_ci_high"]),
            "small": g["flagged"],
        }
    )
    formats = {"bookings": "money", "won deals": "int", "share": "pct"}
    return table(
        frame, formats, currency=result.settings.currency, caption="Share of bookings, last 12 months"
    )


def decomposition_view(result: MarketResult) -> HTML | None:
    """Change in bookings by region split into volume, mix and rate effects."""
    if result.aside("share") or result.decomposition.empty:
        return None
    d = result.decomposition
    formats = dict.fromkeys(["bookings_base", "bookings_current", "change", "volume", "mix", "rate"], "money")
    return table(
        d,
        formats,
        currency=result.settings.currency,
        caption="Last 12 months vs the 12 before: effects add up to the change",
    )


def win_rate_view(result: MarketResult) -> HTML | None:
    """Win rate by region with n and interval."""
    if result.aside("win_rate_by_region"):
        return None
    w = result.win_rates
    frame = pd.DataFrame(
        {
            "region": w[REGION],
            "closed deals": w["n"],
            "won": w["won"],
            "win rate": w["rate"],
            _ci(result): _intervals(w["ci_low"], w["ci_high"]),
            "small": w["flagged"],
        }
    )
    return table(frame, {"closed deals": "int", "won": "int", "win rate": "pct"})


def deal_size_view(result: MarketResult) -> HTML | None:
    """Average and median won deal by region with n and interval."""
    if not result.has_bookings:
        return None
    d = result.deal_sizes
    frame = pd.DataFrame(
        {
            "region": d[REGION],
            "won deals": d["deals"],
            "average deal": d["average"],
            _ci(result): [
                f"{_money(result, a)}–{_money(result, b)}"
                for a, b in zip(d["ci_low"], d["ci_high"], strict=True)
            ],
            "median deal": d["median"],
            "small": d["flagged"],
        }
    )
    formats = {"won deals": "int", "average deal": "money", "median deal": "money"}
    return table(frame, formats, currency=result.settings.currency)


def penetration_view(result: MarketResult) -> HTML:
    """Customers and ARR against the addressable market, with intervals."""
    p = result.penetration
    keys = [c for c in ("region", "segment") if c in p.columns]
    ci = _ci(result)
    frame = p[keys].copy()
    frame["customers"] = p["customers"]
    frame["addressable accounts"] = p["addressable_accounts"]
    frame["account penetration"] = p["penetration_accounts"]
    frame[f"{ci} (accounts)"] = _intervals(p["ci_low"], p["ci_high"])
    frame["ARR"] = p["arr"]
    frame["addressable ARR"] = p["addressable_arr"]
    frame["ARR penetration"] = p["penetration_arr"]
    frame[f"{ci} (ARR)"] = _intervals(p["arr_ci_low"], p["arr_ci_high"])
    frame["small"] = p["flagged"]
    formats = {
        "customers": "int",
        "addressable accounts": "int",
        "account penetration": "pct",
        "ARR": "money",
    }
    formats |= {"addressable ARR": "money", "ARR penetration": "pct"}
    caption = f"Customers and ARR on {result.window.end:%Y-%m-%d}; addressable ARR as given (taken as {result.settings.currency})"
    return table(frame, formats, currency=result.settings.currency, caption=caption, max_rows=60)


def heatmap_view(result: MarketResult) -> HTML | None:
    """The numbers behind the heatmap: growth by region × breakdown with interval and deals."""
    if result.aside("heatmap"):
        return None
    c = result.growth_by_cell
    dim = result.settings.breakdown
    frame = pd.DataFrame(
        {
            "region": c[REGION],
            dim: c[dim],
            "deals before → now": [
                f"{fmt_int(a)} → {fmt_int(b)}"
                for a, b in zip(c["deals_base"], c["deals_current"], strict=True)
            ],
            "YoY growth": c["growth"],
            _ci(result): _intervals(c["ci_low"], c["ci_high"]),
            "small": c["flagged"],
        }
    )
    return table(frame, {"YoY growth": "pct"}, max_rows=60)


# ---------------------------------------------------------------- charts


def _period_axis(ax, periods: list[str]) -> None:
    step = max(1, len(periods) // 10)
    ax.set_xticks(range(0, len(periods), step))
    ax.set_xticklabels(periods[::step], rotation=45, ha="right")


def bookings_trend(result: MarketResult) -> Figure | HTML:
    """Bookings per period, one line per region; a notice saying why when there are no bookings."""
    if why := result.aside("bookings"):
        return notice(why)
    data = result.bookings_by_region
    periods = list(data.index)
    _fig, ax = plt.subplots()
    for region in data.columns:
        ax.plot(range(len(periods)), data[region], marker="o", markersize=3, label=str(region))
    _period_axis(ax, periods)
    charts.money_axis(ax, result.settings.currency)
    ax.legend(title="Region", fontsize=9)
    return charts.finish(
        ax,
        "Bookings by region",
        f"Close {result.settings.grain}",
        f"Bookings ({result.settings.currency}, won deals)",
    )


def growth_bars(result: MarketResult) -> Figure | HTML | None:
    """Year-on-year bookings growth by region with intervals; small regions greyed.

    None without bookings (the section's sentences say why); a notice without regions.
    """
    if not result.has_bookings:
        return None
    if why := result.aside("growth_by_region"):
        return notice(why)
    if not result.window.has_year_on_year:
        return None  # the growth sentence above says why
    rows = result.growth_by_region
    total = rows[rows[REGION] == TOTAL]
    rows = rows[rows[REGION] != TOTAL]
    return charts.rate_bars(
        rows,
        "Bookings growth by region, last 12 months vs the 12 before",
        xlabel="Growth in bookings (%, 95% CI)"
        if result.settings.confidence == 0.95
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
        return notice(why)
    data = result.levels_by_region
    periods = list(data.index)
    _fig, ax = plt.subplots()
    for region in data.columns:
        ax.plot(range(len(periods)), data[region], marker="o", markersize=3, label=str(region))
    _period_axis(ax, periods)
    ax.legend(title="Region", fontsize=9)
    if result.has_arr:
        charts.money_axis(ax, result.settings.currency)
        return charts.finish(
            ax, "ARR by region", f"End of {result.settings.grain}", f"ARR ({result.settings.currency})"
        )
    return charts.finish(ax, "Customers by region", f"End of {result.settings.grain}", "Customers (accounts)")


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
    charts.money_axis(ax, result.settings.currency, axis="x")
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.legend(fontsize=9, loc="best")
    return charts.finish(
        ax,
        "What drove the change in bookings",
        f"Change in bookings, last 12 months vs the 12 before ({result.settings.currency})",
        "Region",
    )


def win_rate_bars(result: MarketResult) -> Figure | HTML | None:
    """Win rate of closed deals by region with Wilson intervals; small regions greyed.

    None without a win rate (the sentence says why); a notice without regions.
    """
    if not result.has_win_rate:
        return None
    if why := result.aside("win_rate_by_region"):
        return notice(why)
    return charts.rate_bars(
        result.win_rates,
        "Win rate by region",
        xlabel="Win rate of closed deals (%)",
        ylabel="Region",
        value=REGION,
        reference=result.win_rate.rate,
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
    charts.money_axis(ax, result.settings.currency, axis="x")
    return charts.finish(
        ax, "Average won deal by region", f"Average deal ({result.settings.currency})", "Region"
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
        return notice(why)
    dim = result.settings.breakdown
    grid, flagged, n = result.heatmap
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
        f"{dim.replace('_', ' ').capitalize()} (* = under {result.settings.min_n} deals, not coloured)",
        "Region",
    )


def _cell_text(growth: float, n: float, flagged: bool) -> str:
    if pd.isna(growth):
        return "no base"
    deals = "" if pd.isna(n) else f"\nn={int(n)}"
    return f"{fmt_pct(growth, 0)}{deals}" + ("*" if flagged else "")
