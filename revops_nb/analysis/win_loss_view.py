"""How the win/loss results read in the report: sentences, formatted tables and charts.

Each function takes the :class:`~revops_nb.analysis.win_loss.WinLossReport` and
returns things a notebook displays (Markdown, HTML tables, matplotlib figures).
Sentences state a difference only where its test holds at the report's
confidence level; text from the data is escaped before it reaches Markdown.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.ticker import FuncFormatter, MaxNLocator

from revops_nb import charts
from revops_nb.analysis.win_loss import LOSS_COMPETITOR, LOSS_NO_DECISION, NO_COMPETITOR, WinLossReport
from revops_nb.analysis.win_loss_drivers import NO_DRIVER
from revops_nb.charts import escape, fmt_int, fmt_interval, fmt_money, fmt_num, fmt_p, fmt_pct

RATE_FORMATS = {"n": "int", "won": "int", "win_rate": "pct", "ci_low": "pct", "ci_high": "pct"}
DIMENSION_LABELS = {
    "region": "Region",
    "segment": "Segment",
    "product": "Product",
    "owner": "Owner",
    "lead_source": "Lead source",
    "competitor": "Competitor",
    "opportunity_type": "Opportunity type",
    "industry": "Industry",
    "country": "Country",
    "deal_size_band": "Deal-size band",
}

Displayable = Markdown | HTML | plt.Figure


def _ci(report: WinLossReport) -> str:
    return f"{round(100 * report.settings.confidence)}% CI"


def _rate(report: WinLossReport, rate: float, low: float, high: float, n: int) -> str:
    return f"{fmt_pct(rate)} ({_ci(report)} {fmt_interval(low, high)}, n = {fmt_int(n)})"


def label(dimension: str) -> str:
    """Readable name of a dimension."""
    return DIMENSION_LABELS.get(dimension, dimension.replace("_", " ").capitalize())


# ---------------------------------------------------------------- data and summary


def period_text(report: WinLossReport) -> str:
    """The period in words: closed deals by close date, open deals as of the report date."""
    return (
        f"{report.window_text}; "
        f"open pipeline as of {report.deals.as_of:%Y-%m-%d}; amounts in {report.deals.currency}"
    )


def deal_notes(report: WinLossReport) -> HTML:
    """What preparing the deals changed or left out, as escaped notes (empty when nothing)."""
    return HTML("".join(charts.notice(note).data for note in report.deals.notes))


def summary(report: WinLossReport) -> Markdown:
    """The findings first: headline rates, then only the differences a test backs."""
    if report.deals.closed.empty:
        return charts.bullets([_nothing_closed_line(report)])
    lines = [_overall_line(report)]
    lines += _dimension_lines(report)
    lines += _competitor_lines(report)
    lines += _loss_lines(report)
    if report.deals.dated:
        lines += _cycle_lines(report)
        lines += _trend_lines(report)
    else:
        lines.append(
            "**Timing:** the closed deals have no close dates, so the sales cycle, time to close, "
            "pipeline velocity and win rate by quarter are not shown."
        )
    lines += _driver_lines(report)
    if report.deals.dated:
        lines.append(_velocity_line(report))
    return charts.bullets([line for line in lines if line])


def _nothing_closed_line(report: WinLossReport) -> str:
    """The one summary line when no deal has closed: the open pipeline, and why nothing else shows."""
    open_ = report.deals.open
    amount = open_["amount_rep"]
    worth = f" worth {fmt_money(amount.sum(), report.deals.currency)}" if amount.notna().any() else ""
    return (
        f"**No deal has closed yet:** {fmt_int(len(open_))} deals are open{worth}, so there is no win rate; "
        "the sections below that need closed deals say so."
    )


def _overall_line(report: WinLossReport) -> str:
    o, cur = report.overall, report.deals.currency
    text = f"**Win rate:** {_rate(report, o.win_rate, o.ci_low, o.ci_high, o.n_closed)} of closed deals"
    if np.isfinite(o.win_rate_amount):
        text += (
            f"; by amount {fmt_pct(o.win_rate_amount)} ({_ci(report)} "
            f"{fmt_interval(o.amount_ci_low, o.amount_ci_high)}) — {fmt_money(o.won_amount, cur)} won of "
            f"{fmt_money(o.closed_amount, cur)} closed"
        )
    return text + "."


def _untested_text(report: WinLossReport) -> str:
    if one := _one_outcome(report):
        return f"not tested: {one}"
    return f"not tested: fewer than two groups with at least {report.settings.min_n} closed deals"


def _one_outcome(report: WinLossReport) -> str | None:
    """'every closed deal in the period was lost' (or won) when only one outcome occurs, else None."""
    o = report.overall
    if o.n_closed and o.n_won in (0, o.n_closed):
        return f"every closed deal in the period was {'won' if o.n_won else 'lost'}"
    return None


def _dimension_lines(report: WinLossReport) -> list[str]:
    lines, quiet, untested = [], [], []
    for name, result in report.dimensions.items():
        if result.absent or name == "competitor":
            continue
        if not np.isfinite(result.test.p_value):
            untested.append(label(name).lower())
            continue
        pairs = _claimed_pairs(report, name)
        if pairs.empty:
            quiet.append(label(name).lower())
            continue
        said = "; ".join(_pair_sentence(report, row) for row in pairs.itertuples(index=False))
        lines.append(f"**{escape(label(name))}:** {said}.")
    if quiet:
        lines.append(
            f"No difference in win rate by {', '.join(quiet)} is supported by a test at the "
            f"{_ci(report)[:-3]} level (test across all groups, then Holm-adjusted pairwise tests)."
        )
    if untested:
        lines.append(f"Win rate by {', '.join(untested)}: {_untested_text(report)}.")
    return lines


def _claimed_pairs(report: WinLossReport, name: str) -> pd.DataFrame:
    """Pairs stated in words: the test across groups holds and the pair holds after Holm."""
    result = report.dimensions[name]
    if not result.test.significant(report.settings.alpha) or result.comparison.empty:
        return result.comparison.iloc[0:0]
    return result.comparison[result.comparison["significant"]]


def _pair_sentence(report: WinLossReport, row) -> str:
    return (
        f"{escape(str(row.higher))} {_rate(report, row.higher_rate, row.higher_ci_low, row.higher_ci_high, row.higher_n)} "
        f"is higher than {escape(str(row.lower))} "
        f"{_rate(report, row.lower_rate, row.lower_ci_low, row.lower_ci_high, row.lower_n)} "
        f"({escape(row.test)}, Holm-adjusted {fmt_p(row.p_value)})"
    )


def _competitor_lines(report: WinLossReport) -> list[str]:
    comp = report.competitors
    if comp.empty:
        return []
    rivals = comp[(comp["competitor"] != NO_COMPETITOR) & ~comp["flagged"]]
    if len(rivals) and comp["baseline_rate"].isna().all():
        return [
            f"**Competitors:** not tested: fewer than {report.settings.min_n} closed deals with no competitor "
            "to compare against."
        ]
    hits = comp[(comp["significant"] == True) & (comp["competitor"] != NO_COMPETITOR)]  # noqa: E712
    lines = []
    for row in hits.itertuples(index=False):
        lines.append(
            f"**Against {escape(row.competitor)}** we win {_rate(report, row.win_rate, row.ci_low, row.ci_high, row.n)}, "
            f"{row.direction} than the {fmt_pct(row.baseline_rate)} we win on deals with no competitor "
            f"(Holm-adjusted {fmt_p(row.p_value)})."
        )
    if len(rivals) and hits.empty:
        base = fmt_pct(comp["baseline_rate"].dropna().iloc[0])
        lines.append(
            f"**Competitors:** no competitor's win rate differs beyond chance from the {base} we win on "
            "deals with no competitor (Holm-adjusted)."
        )
    return lines


def _loss_lines(report: WinLossReport) -> list[str]:
    losses = report.losses
    if not losses.n_lost or not losses.has_reasons:
        return []
    split = losses.split.set_index("kind")
    comp, nodec = split.loc[LOSS_COMPETITOR], split.loc[LOSS_NO_DECISION]
    text = (
        f"**Losses:** of {fmt_int(losses.n_lost)} lost deals, {fmt_pct(comp['share'])} "
        f"({_ci(report)} {fmt_interval(comp['ci_low'], comp['ci_high'])}) went to a competitor and "
        f"{fmt_pct(nodec['share'])} ({fmt_interval(nodec['ci_low'], nodec['ci_high'])}) ended in no decision"
    )
    test = losses.competitor_vs_no_decision
    if test.significant(report.settings.alpha):
        more = "competitors" if comp["n"] > nodec["n"] else "no decision"
        text += f"; more losses go to {more} ({test.test}, {fmt_p(test.p_value)})"
    return [text + "."]


def _cycle_lines(report: WinLossReport) -> list[str]:
    table = report.cycle.table.set_index("outcome")
    won, lost = table.loc["Won"], table.loc["Lost"]
    test = report.cycle.test
    for mine, other, name in ((won, lost, "won"), (lost, won, "lost")):
        if mine["n"] and not other["n"]:
            return [
                f"**Cycle:** {name} deals took a median {fmt_num(mine['median_days'], 0)} days ({_ci(report)} "
                f"{fmt_interval(mine['ci_low'], mine['ci_high'], 'int')}, n = {fmt_int(mine['n'])}); "
                f"no {'lost' if name == 'won' else 'won'} deal in the period has a cycle length to compare with."
            ]
    base = (
        f"median {fmt_num(lost['median_days'], 0)} days ({_ci(report)} "
        f"{fmt_interval(lost['ci_low'], lost['ci_high'], 'int')}) for lost vs {fmt_num(won['median_days'], 0)} "
        f"({fmt_interval(won['ci_low'], won['ci_high'], 'int')}) for won deals"
    )
    if not np.isfinite(test.p_value):
        why = test.note or "the period has no won or no lost deal with a cycle length"
        return [f"**Cycle:** {base}; not tested: {why}."]
    longer = report.cycle.longer
    if not test.significant(report.settings.alpha) or longer is None:
        return [f"**Cycle:** {base}; the difference is not supported by a test ({fmt_p(test.p_value)})."]
    return [f"**Cycle:** {longer} deals take longer to close: {base} ({test.test}, {fmt_p(test.p_value)})."]


def _trend_lines(report: WinLossReport) -> list[str]:
    trend = report.trend
    table = trend.table.set_index("quarter")
    partial = ""
    if trend.partial is not None:
        row = table.loc[trend.partial]
        partial = (
            f" {trend.partial} is not complete (shown, not tested): "
            f"{_rate(report, row['win_rate'], row['ci_low'], row['ci_high'], row['n'])} so far."
        )
    if trend.previous is None:
        return (
            [f"**Trend:** fewer than two complete quarters, so no test of change.{partial}"]
            if partial
            else []
        )
    last, prev = table.loc[trend.latest], table.loc[trend.previous]
    latest = f"{trend.latest}: {_rate(report, last['win_rate'], last['ci_low'], last['ci_high'], last['n'])}"
    before = (
        f"{trend.previous}: {_rate(report, prev['win_rate'], prev['ci_low'], prev['ci_high'], prev['n'])}"
    )
    if trend.test.significant(report.settings.alpha):
        way = "higher" if last["win_rate"] > prev["win_rate"] else "lower"
        return [
            f"**Trend:** win rate in the last complete quarter, {latest}, is {way} than in {before} "
            f"({trend.test.test}, {fmt_p(trend.test.p_value)}).{partial}"
        ]
    return [
        f"**Trend:** win rate in the last complete quarter, {latest}, is not clearly different from {before} "
        f"({fmt_p(trend.test.p_value)}).{partial}"
    ]


def _driver_lines(report: WinLossReport) -> list[str]:
    if aside := report.aside("drivers"):
        return [aside.replace("Win drivers", "**Win drivers**", 1)]
    d = report.drivers
    lines = [f"**Win drivers:** {escape(note)}." for note in d.separated]
    if d.message or d.table.empty:
        return lines
    hits = d.table[d.table["significant"]]
    parts = [
        f"{escape(r.term)} {fmt_num(r.odds_ratio)}× ({fmt_interval(r.ci_low, r.ci_high, 'num')}, "
        f"Holm-adjusted {fmt_p(r.p_holm)})"
        for r in hits.itertuples(index=False)
    ]
    if not parts:
        return [
            *lines,
            f"**Win drivers:** no odds ratio differs from 1 beyond chance after Holm adjustment across the "
            f"{len(d.table)} terms of the model.",
        ]
    return [
        *lines,
        f"**Win drivers** (odds ratios of winning, {_ci(report)}, holding the other drivers fixed; "
        f"Holm-adjusted across {len(d.table)} terms): " + "; ".join(parts) + ".",
    ]


def _velocity_line(report: WinLossReport) -> str:
    v = report.velocity.iloc[0]
    cur = report.deals.currency
    if report.velocity_note:
        return report.velocity_note.replace("Pipeline velocity", "**Pipeline velocity**", 1)
    if not np.isfinite(v["velocity_per_day"]):
        return (
            f"**Pipeline velocity:** not estimated ({fmt_int(v['open_deals'])} open deals; it needs open deals "
            "and won deals with an amount and a cycle length)."
        )
    return (
        f"**Pipeline velocity:** {fmt_money(v['velocity_per_day'], cur)} per day ({_ci(report)} "
        f"{fmt_money(v['ci_low'], cur)}–{fmt_money(v['ci_high'], cur)}) from {fmt_int(v['open_deals'])} open deals."
    )


# ---------------------------------------------------------------- sections


def overall(report: WinLossReport) -> HTML:
    """Win rate by count and by amount, each with n and its interval."""
    if aside := report.aside("win_rate"):
        return charts.notice(aside)
    o = report.overall
    frame = pd.DataFrame(
        {
            "measure": ["By count (deals)", f"By amount ({report.deals.currency})"],
            "closed": [o.n_closed, o.n_with_amount],
            "won": [
                o.n_won,
                int(report.deals.closed["is_won"][report.deals.closed["amount_rep"].notna()].sum()),
            ],
            "win_rate": [o.win_rate, o.win_rate_amount],
            "ci_low": [o.ci_low, o.amount_ci_low],
            "ci_high": [o.ci_high, o.amount_ci_high],
            "won_amount": [np.nan, o.won_amount],
        }
    )
    formats = {**RATE_FORMATS, "closed": "int", "won_amount": "money"}
    caption = f"{_ci(report)}: Wilson (count), {_amount_method(report)} (amount)"
    if not o.n_with_amount:
        frame = frame.head(1).drop(columns="won_amount")
        caption = f"{_ci(report)}: Wilson; no closed deal has an amount, so there is no win rate by amount"
    return charts.table(frame, formats, currency=report.deals.currency, caption=caption)


def _amount_method(report: WinLossReport) -> str:
    if report.overall.amount_ci_method == "wilson":
        return "Wilson on the effective sample size (too few won or lost deals for the delta method)"
    return "delta method"


def dimensions(report: WinLossReport) -> list[Displayable]:
    """Every breakdown of :func:`dimension` in turn, or one notice when no deal has closed."""
    if aside := report.aside("win_rate"):
        return [charts.notice(aside)]
    return [shown for name in report.settings.dimensions for shown in dimension(report, name)]


def dimension(report: WinLossReport, name: str) -> list[Displayable]:
    """Table, chart and tested sentence for one breakdown; a notice when the data lacks it."""
    result = report.dimensions[name]
    if result.absent:
        return [
            charts.notice(f"The data has no {label(name).lower()} values, so this breakdown is not shown.")
        ]
    out: list[Displayable] = [Markdown(f"### {escape(label(name))}")]
    out.append(_dimension_sentence(report, name))
    out.append(
        charts.rate_bars(
            result.table,
            title=f"Win rate by {label(name).lower()}",
            xlabel=f"Win rate (% of closed deals, {_ci(report)})",
            ylabel=label(name),
            rate="win_rate",
            reference=report.overall.win_rate,
        )
    )
    out.append(charts.table(result.table, RATE_FORMATS))
    return out


def _dimension_sentence(report: WinLossReport, name: str) -> Markdown:
    result = report.dimensions[name]
    flagged = int(result.table["flagged"].sum())
    note = (
        f" {flagged} group(s) with fewer than {report.settings.min_n} closed deals are greyed and not ranked."
        if flagged
        else ""
    )
    dim = escape(label(name).lower())
    if not np.isfinite(result.test.p_value):
        return Markdown(f"Win rate by {dim}: {_untested_text(report)}.{note}")
    pairs = _claimed_pairs(report, name)
    if pairs.empty:
        return Markdown(
            f"Win rate does not differ by {dim} beyond chance "
            f"({escape(result.test.test)} across groups {fmt_p(result.test.p_value)}; "
            f"no pair differs after Holm adjustment).{note}"
            if result.test.significant(report.settings.alpha)
            else f"Win rate does not differ by {dim} beyond chance "
            f"({escape(result.test.test)}, {fmt_p(result.test.p_value)}).{note}"
        )
    said = "; ".join(_pair_sentence(report, r) for r in pairs.itertuples(index=False))
    return Markdown(
        f"Win rate depends on {dim} ({escape(result.test.test)}, {fmt_p(result.test.p_value)}). "
        f"Pairs that differ after Holm adjustment across all pairs: {said}. "
        f"Pairs not listed are not clearly different.{note}"
    )


def losses(report: WinLossReport) -> list[Displayable]:
    """Competitor vs no-decision split and the loss-reason Pareto (table and chart)."""
    la = report.losses
    if aside := report.aside("losses"):
        return [charts.notice(aside)]
    if not la.n_lost:
        return [charts.notice("No deal was lost in the period.")]
    out: list[Displayable] = []
    if not la.has_reasons:
        out.append(charts.notice("The data has no loss reasons, so losses cannot be split by reason."))
        return out
    share = {"n": "int", "share": "pct", "ci_low": "pct", "ci_high": "pct", "cumulative_share": "pct"}
    out.append(
        charts.table(
            la.split, share, caption=f"Lost deals by kind (share of {fmt_int(la.n_lost)} lost, {_ci(report)})"
        )
    )
    out.append(pareto_chart(report))
    out.append(charts.table(la.pareto, share, caption="Loss reasons, most frequent first"))
    return out


def pareto_chart(report: WinLossReport) -> plt.Figure:
    """Lost deals per reason (bars) with the cumulative share of losses (line)."""
    pareto = report.losses.pareto.head(12)
    _fig, ax = plt.subplots()
    ax.bar(pareto["reason"].astype(str), pareto["n"], color=charts.ACCENT)
    twin = ax.twinx()
    twin.plot(pareto["reason"].astype(str), pareto["cumulative_share"], color="#c0392b", marker="o")
    twin.set_ylim(0, 1.05)
    twin.grid(False)
    charts.pct_axis(twin)
    twin.set_ylabel("Cumulative share of lost deals (%)")
    ax.tick_params(axis="x", rotation=30)
    return charts.finish(ax, "Loss reasons (Pareto)", "Loss reason", "Lost deals (count)")


def competitors(report: WinLossReport) -> list[Displayable]:
    """Head-to-head win rates against each competitor, tested against deals with no competitor."""
    comp = report.competitors
    if aside := report.aside("competitors"):
        return [charts.notice(aside)]
    if comp.empty:
        return [charts.notice("The data has no competitor values, so there is no head-to-head view.")]
    chart = charts.rate_bars(
        comp.rename(columns={"competitor": "value"}),
        title="Win rate against each competitor",
        xlabel=f"Win rate (% of closed deals, {_ci(report)})",
        ylabel="Competitor on the deal",
        rate="win_rate",
        reference=report.overall.win_rate,
    )
    shown = comp.drop(columns=["direction"]).assign(significant=comp["significant"] == True)  # noqa: E712
    formats = {
        **RATE_FORMATS,
        "lost": "int",
        "lost_to_competitor": "int",
        "baseline_rate": "pct",
        "p_value": "p",
    }
    return [
        chart,
        charts.table(
            shown,
            formats,
            caption="baseline_rate: win rate on deals with no competitor; p value: each competitor vs "
            "deals with no competitor, Holm-adjusted across competitors",
        ),
    ]


def cycle(report: WinLossReport) -> list[Displayable]:
    """Median cycle of won vs lost deals with intervals, a box plot and the test."""
    c = report.cycle
    if aside := report.aside("cycle"):
        return [charts.notice(aside)]
    fig, ax = plt.subplots()
    order = ["Won", "Lost"]
    data = [c.days.loc[c.days["outcome"] == o, "cycle_days"] for o in order]
    ax.boxplot(data, tick_labels=order, showfliers=False, orientation="horizontal")
    fig = charts.finish(
        ax, "Sales cycle of won vs lost deals", "Cycle length (days from created to closed)", "Outcome"
    )
    formats = {"n": "int", "median_days": "num", "ci_low": "num", "ci_high": "num", "mean_days": "num"}
    caption = f"Median cycle with {_ci(report)} (order statistics); {c.test.test}, {fmt_p(c.test.p_value)}"
    if not np.isfinite(c.test.p_value):
        why = c.test.note or "the period has no won or no lost deal with a cycle length"
        caption = f"Median cycle with {_ci(report)} (order statistics); won and lost are not compared: {why}"
    return [fig, charts.table(c.table, formats, caption=caption)]


def time_to_close_section(report: WinLossReport) -> list[Displayable]:
    """Kaplan–Meier curves of time to close, the medians and the log-rank test (or why there are none)."""
    t = report.time_to_close
    if aside := report.aside("time_to_close"):
        return [charts.notice(aside)]
    if t.note:
        return [charts.notice(f"Time to close is not charted or tested: {t.note}.")]
    fig = charts.km_plot(
        t.curves,
        "Time to close (open deals censored)",
        "Days since the deal was created",
        "Share of deals still open",
    )
    h = t.horizon_days
    formats = {
        "deals": "int",
        "closed": "int",
        "open_censored": "int",
        "median_days": "num",
        "median_ci_low": "num",
        "median_ci_high": "num",
        f"closed_by_{h}d": "pct",
        "ci_low": "pct",
        "ci_high": "pct",
    }
    caption = f"Kaplan–Meier medians and share closed within {h} days ({_ci(report)})"
    if t.by and np.isfinite(t.test.p_value):
        verdict = "differs" if t.test.significant(report.settings.alpha) else "does not clearly differ"
        caption += (
            f"; time to close {verdict} by {label(t.by).lower()} ({t.test.test}, {fmt_p(t.test.p_value)})"
        )
    elif t.by and t.test.note:
        caption += f"; time to close by {label(t.by).lower()} is not tested: {t.test.note}"
    return [fig, charts.table(t.table, formats, caption=caption)]


def velocity(report: WinLossReport) -> list[Displayable]:
    """Pipeline velocity overall and per segment, with bootstrap intervals."""
    v = report.velocity
    cur = report.deals.currency
    if aside := report.aside("velocity"):
        return [charts.notice(aside)]
    fig, ax = plt.subplots()
    colors = [charts.MUTED if f else charts.ACCENT for f in v["flagged"]]
    ax.barh(v["group"].astype(str), v["velocity_per_day"], color=colors)
    err = np.vstack([v["velocity_per_day"] - v["ci_low"], v["ci_high"] - v["velocity_per_day"]])
    ax.errorbar(
        v["velocity_per_day"],
        v["group"].astype(str),
        xerr=np.clip(np.nan_to_num(err), 0, None),
        fmt="none",
        ecolor="#333",
        capsize=3,
    )
    ax.invert_yaxis()
    charts.money_axis(ax, cur, axis="x")
    ax.xaxis.set_major_locator(MaxNLocator(4))
    fig = charts.finish(ax, "Pipeline velocity", f"Expected won amount per day ({cur})", "Segment")
    formats = {
        "open_deals": "int",
        "closed": "int",
        "win_rate": "pct",
        "avg_won_amount": "money",
        "avg_cycle_days": "num",
        "velocity_per_day": "money",
        "ci_low": "money",
        "ci_high": "money",
    }
    caption = f"{_ci(report)}: bootstrap over closed deals (1,000 resamples)"
    return [fig, charts.table(v, formats, currency=cur, caption=caption)]


def trend(report: WinLossReport) -> list[Displayable]:
    """Win rate per close quarter with intervals, and the latest-vs-previous test in words."""
    t = report.trend
    if aside := report.aside("trend"):
        return [charts.notice(aside)]
    fig, ax = plt.subplots()
    x = t.table["quarter"].astype(str)
    ax.plot(x, t.table["win_rate"], marker="o", color=charts.ACCENT)
    ax.fill_between(x, t.table["ci_low"], t.table["ci_high"], alpha=0.2, color=charts.ACCENT)
    ax.axhline(report.overall.win_rate, color="#c0392b", linestyle="--", linewidth=1, label="overall")
    ax.legend(loc="lower right")
    ax.tick_params(axis="x", rotation=45)
    charts.pct_axis(ax)
    fig = charts.finish(
        ax, "Win rate by close quarter", "Close quarter", f"Win rate (% of closed deals, {_ci(report)})"
    )
    lines = _trend_lines(report)
    out: list[Displayable] = [
        Markdown(lines[0].replace("**Trend:** ", ""))
        if lines
        else charts.notice("Fewer than two quarters of closed deals: no trend test.")
    ]
    return [*out, fig, charts.table(t.table, RATE_FORMATS)]


def drivers(report: WinLossReport) -> list[Displayable]:
    """Odds ratios of winning (forest plot and table), or why the model could not be fitted."""
    d = report.drivers
    if aside := report.aside("drivers"):
        return [charts.notice(aside)]
    if d.message == NO_DRIVER:
        names = ", ".join(report.settings.drivers)
        return [
            charts.notice(
                f"Win drivers are not shown: none of the drivers ({names}) has two values with enough closed deals to compare."
            )
        ]
    notes = [*d.skipped, *d.separated]
    out: list[Displayable] = [charts.notice(f"Left out of the model: {note}.") for note in notes]
    if d.message:
        return [*out, charts.notice(f"Win drivers are not shown: {d.message}.")]
    table = d.table
    fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], max(2.5, 0.35 * len(table) + 1.2)))
    y = np.arange(len(table))
    colors = [charts.ACCENT if s else charts.MUTED for s in table["significant"]]
    ax.errorbar(
        table["odds_ratio"],
        y,
        xerr=[table["odds_ratio"] - table["ci_low"], table["ci_high"] - table["odds_ratio"]],
        fmt="none",
        ecolor="#333",
        capsize=3,
    )
    ax.scatter(table["odds_ratio"], y, color=colors, zorder=3)
    ax.axvline(1.0, color="#c0392b", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}×"))
    ax.xaxis.set_minor_formatter(
        FuncFormatter(lambda v, _: f"{v:g}×" if str(round(v, 1))[-1] in "2468" else "")
    )
    ax.set_yticks(y, [str(t) for t in table["term"]])
    ax.invert_yaxis()
    fig = charts.finish(
        ax, "Win drivers (logistic regression)", f"Odds ratio of winning (log scale, {_ci(report)})", "Driver"
    )
    formats = {"odds_ratio": "num", "ci_low": "num", "ci_high": "num", "p_value": "p", "p_holm": "p"}
    caption = (
        f"{fmt_int(d.n_used)} closed deals in the model; {fmt_int(d.n_dropped)} left out for a missing value"
        + (f", {fmt_int(d.n_separated)} for a level with a single outcome" if d.n_separated else "")
        + f"; significant: Holm-adjusted p below {fmt_num(report.settings.alpha, 2)} across {len(table)} terms"
    )
    return [*out, fig, charts.table(table, formats, caption=caption)]
