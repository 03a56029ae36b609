"""How the win/loss results read in the report: sentences, formatted tables and charts.

Each function takes the :class:`~revops_nb.reports.win_loss.WinLossResult` and
returns things a notebook displays (Markdown, HTML tables, matplotlib figures).
Sentences state a difference only where its test holds at the report's
confidence level; text from the data is escaped before it reaches Markdown.
Every number shown comes from the result: nothing here computes one.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.ticker import FuncFormatter, MaxNLocator

from revops_nb import charts, display
from revops_nb.formatting import ci_label, escape, fmt_int, fmt_interval, fmt_money, fmt_num, fmt_p, fmt_pct
from revops_nb.reports.win_loss._deals import NO_COMPETITOR
from revops_nb.reports.win_loss._drivers import NO_DRIVER
from revops_nb.reports.win_loss._losses import LOSS_COMPETITOR, LOSS_NO_DECISION
from revops_nb.reports.win_loss._result import WinLossResult
from revops_nb.reports.win_loss._velocity import BOOTSTRAP_RESAMPLES

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


def _rate(result: WinLossResult, rate: float, low: float, high: float, n: int) -> str:
    return f"{fmt_pct(rate)} ({ci_label(result.settings.confidence)} {fmt_interval(low, high)}, n = {fmt_int(n)})"


def label(dimension: str) -> str:
    """Readable name of a dimension."""
    return DIMENSION_LABELS.get(dimension, dimension.replace("_", " ").capitalize())


# ---------------------------------------------------------------- data and summary


def period_text(result: WinLossResult) -> str:
    """The period in words: closed deals by close date, open deals as of the report date."""
    return (
        f"{result.window_text}; "
        f"open pipeline as of {result.deals.as_of:%Y-%m-%d}; amounts in {result.deals.currency}"
    )


def deal_notes(result: WinLossResult) -> HTML:
    """What preparing the deals changed or left out, as escaped notes (empty when nothing)."""
    return HTML("".join(display.notice(note).data for note in result.deals.notes))


def summary(result: WinLossResult) -> Markdown:
    """The findings first: headline rates, then only the differences a test backs."""
    if result.deals.closed.empty:
        return display.bullets([_nothing_closed_line(result)])
    lines = [_overall_line(result)]
    lines += _dimension_lines(result)
    lines += _competitor_lines(result)
    lines += _loss_lines(result)
    if result.deals.dated:
        lines += _cycle_lines(result)
        lines += _trend_lines(result)
    else:
        lines.append(
            "**Timing:** the closed deals have no close dates, so the sales cycle, time to close, "
            "pipeline velocity and win rate by quarter are not shown."
        )
    lines += _driver_lines(result)
    if result.deals.dated:
        lines.append(_velocity_line(result))
    return display.bullets([line for line in lines if line])


def _nothing_closed_line(result: WinLossResult) -> str:
    """The one summary line when no deal has closed: the open pipeline, and why nothing else shows."""
    amount = result.open_amount
    worth = f" worth {fmt_money(amount, result.deals.currency)}" if amount is not None else ""
    return (
        f"**No deal has closed yet:** {fmt_int(result.n_open)} deals are open{worth}, so there is no win rate; "
        "the sections below that need closed deals say so."
    )


def _overall_line(result: WinLossResult) -> str:
    ci = ci_label(result.settings.confidence)
    o, cur = result.overall, result.deals.currency
    text = f"**Win rate:** {_rate(result, o.win_rate, o.ci_low, o.ci_high, o.n_closed)} of closed deals"
    if np.isfinite(o.win_rate_amount):
        text += (
            f"; by amount {fmt_pct(o.win_rate_amount)} ({ci} "
            f"{fmt_interval(o.amount_ci_low, o.amount_ci_high)}) — {fmt_money(o.won_amount, cur)} won of "
            f"{fmt_money(o.closed_amount, cur)} closed"
        )
    return text + "."


def _untested_text(result: WinLossResult) -> str:
    if one := _one_outcome(result):
        return f"not tested: {one}"
    return f"not tested: fewer than two groups with at least {result.settings.min_n} closed deals"


def _one_outcome(result: WinLossResult) -> str | None:
    """'every closed deal in the period was lost' (or won) when only one outcome occurs, else None."""
    o = result.overall
    if o.n_closed and o.n_won in (0, o.n_closed):
        return f"every closed deal in the period was {'won' if o.n_won else 'lost'}"
    return None


def _dimension_lines(result: WinLossResult) -> list[str]:
    ci = ci_label(result.settings.confidence)
    lines, quiet, untested = [], [], []
    for name, breakdown in result.dimensions.items():
        if breakdown.absent or name == "competitor":
            continue
        if not np.isfinite(breakdown.test.p_value):
            untested.append(label(name).lower())
            continue
        pairs = _claimed_pairs(result, name)
        if pairs.empty:
            quiet.append(label(name).lower())
            continue
        said = "; ".join(_pair_sentence(result, row) for row in pairs.itertuples(index=False))
        lines.append(f"**{escape(label(name))}:** {said}.")
    if quiet:
        lines.append(
            f"No difference in win rate by {', '.join(quiet)} is supported by a test at the "
            f"{ci[:-3]} level (test across all groups, then Holm-adjusted pairwise tests)."
        )
    if untested:
        lines.append(f"Win rate by {', '.join(untested)}: {_untested_text(result)}.")
    return lines


def _claimed_pairs(result: WinLossResult, name: str) -> pd.DataFrame:
    """Pairs stated in words: the test across groups holds and the pair holds after Holm."""
    breakdown = result.dimensions[name]
    if not breakdown.test.significant(result.settings.alpha) or breakdown.comparison.empty:
        return breakdown.comparison.iloc[0:0]
    return breakdown.comparison[breakdown.comparison["significant"]]


def _pair_sentence(result: WinLossResult, row) -> str:
    return (
        f"{escape(str(row.higher))} {_rate(result, row.higher_rate, row.higher_ci_low, row.higher_ci_high, row.higher_n)} "
        f"is higher than {escape(str(row.lower))} "
        f"{_rate(result, row.lower_rate, row.lower_ci_low, row.lower_ci_high, row.lower_n)} "
        f"({escape(row.test)}, Holm-adjusted {fmt_p(row.p_value)})"
    )


def _competitor_lines(result: WinLossResult) -> list[str]:
    comp = result.competitors
    if comp.empty:
        return []
    rivals = comp[(comp["competitor"] != NO_COMPETITOR) & ~comp["flagged"]]
    if len(rivals) and np.isnan(result.competitor_baseline_rate):
        return [
            f"**Competitors:** not tested: fewer than {result.settings.min_n} closed deals with no competitor "
            "to compare against."
        ]
    hits = comp[(comp["significant"] == True) & (comp["competitor"] != NO_COMPETITOR)]  # noqa: E712
    lines = []
    for row in hits.itertuples(index=False):
        lines.append(
            f"**Against {escape(row.competitor)}** we win {_rate(result, row.win_rate, row.ci_low, row.ci_high, row.n)}, "
            f"{row.direction} than the {fmt_pct(row.baseline_rate)} we win on deals with no competitor "
            f"(Holm-adjusted {fmt_p(row.p_value)})."
        )
    if len(rivals) and hits.empty:
        base = fmt_pct(result.competitor_baseline_rate)
        lines.append(
            f"**Competitors:** no competitor's win rate differs beyond chance from the {base} we win on "
            "deals with no competitor (Holm-adjusted)."
        )
    return lines


def _loss_lines(result: WinLossResult) -> list[str]:
    ci = ci_label(result.settings.confidence)
    losses = result.losses
    if not losses.n_lost or not losses.has_reasons:
        return []
    split = losses.split.set_index("kind")
    comp, nodec = split.loc[LOSS_COMPETITOR], split.loc[LOSS_NO_DECISION]
    text = (
        f"**Losses:** of {fmt_int(losses.n_lost)} lost deals, {fmt_pct(comp['share'])} "
        f"({ci} {fmt_interval(comp['ci_low'], comp['ci_high'])}) went to a competitor and "
        f"{fmt_pct(nodec['share'])} ({fmt_interval(nodec['ci_low'], nodec['ci_high'])}) ended in no decision"
    )
    test = losses.competitor_vs_no_decision
    if test.significant(result.settings.alpha):
        more = {LOSS_COMPETITOR: "competitors", LOSS_NO_DECISION: "no decision"}[losses.larger_kind]
        text += f"; more losses go to {more} ({test.test}, {fmt_p(test.p_value)})"
    return [text + "."]


def _cycle_lines(result: WinLossResult) -> list[str]:
    ci = ci_label(result.settings.confidence)
    table = result.cycle.table.set_index("outcome")
    won, lost = table.loc["Won"], table.loc["Lost"]
    test = result.cycle.test
    for mine, other, name in ((won, lost, "won"), (lost, won, "lost")):
        if mine["n"] and not other["n"]:
            return [
                f"**Cycle:** {name} deals took a median {fmt_num(mine['median_days'], 0)} days ({ci} "
                f"{fmt_interval(mine['ci_low'], mine['ci_high'], 'int')}, n = {fmt_int(mine['n'])}); "
                f"no {'lost' if name == 'won' else 'won'} deal in the period has a cycle length to compare with."
            ]
    base = (
        f"median {fmt_num(lost['median_days'], 0)} days ({ci} "
        f"{fmt_interval(lost['ci_low'], lost['ci_high'], 'int')}) for lost vs {fmt_num(won['median_days'], 0)} "
        f"({fmt_interval(won['ci_low'], won['ci_high'], 'int')}) for won deals"
    )
    if not np.isfinite(test.p_value):
        why = test.note or "the period has no won or no lost deal with a cycle length"
        return [f"**Cycle:** {base}; not tested: {why}."]
    longer = result.cycle.longer
    if not test.significant(result.settings.alpha) or longer is None:
        return [f"**Cycle:** {base}; the difference is not supported by a test ({fmt_p(test.p_value)})."]
    return [f"**Cycle:** {longer} deals take longer to close: {base} ({test.test}, {fmt_p(test.p_value)})."]


def _trend_lines(result: WinLossResult) -> list[str]:
    trend = result.trend
    table = trend.table.set_index("quarter")
    partial = ""
    if trend.partial is not None:
        row = table.loc[trend.partial]
        partial = (
            f" {trend.partial} is not complete (shown, not tested): "
            f"{_rate(result, row['win_rate'], row['ci_low'], row['ci_high'], row['n'])} so far."
        )
    if trend.previous is None:
        return (
            [f"**Trend:** fewer than two complete quarters, so no test of change.{partial}"]
            if partial
            else []
        )
    last, prev = table.loc[trend.latest], table.loc[trend.previous]
    latest = f"{trend.latest}: {_rate(result, last['win_rate'], last['ci_low'], last['ci_high'], last['n'])}"
    before = (
        f"{trend.previous}: {_rate(result, prev['win_rate'], prev['ci_low'], prev['ci_high'], prev['n'])}"
    )
    if trend.test.significant(result.settings.alpha):
        return [
            f"**Trend:** win rate in the last complete quarter, {latest}, is {trend.direction} than in {before} "
            f"({trend.test.test}, {fmt_p(trend.test.p_value)}).{partial}"
        ]
    return [
        f"**Trend:** win rate in the last complete quarter, {latest}, is not clearly different from {before} "
        f"({fmt_p(trend.test.p_value)}).{partial}"
    ]


def _driver_lines(result: WinLossResult) -> list[str]:
    ci = ci_label(result.settings.confidence)
    if aside := result.aside("drivers"):
        return [aside.replace("Win drivers", "**Win drivers**", 1)]
    d = result.drivers
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
            f"{d.n_terms} terms of the model.",
        ]
    return [
        *lines,
        f"**Win drivers** (odds ratios of winning, {ci}, holding the other drivers fixed; "
        f"Holm-adjusted across {d.n_terms} terms): " + "; ".join(parts) + ".",
    ]


def _velocity_line(result: WinLossResult) -> str:
    ci = ci_label(result.settings.confidence)
    v = result.velocity.iloc[0]
    cur = result.deals.currency
    if result.velocity_note:
        return result.velocity_note.replace("Pipeline velocity", "**Pipeline velocity**", 1)
    if not np.isfinite(v["velocity_per_day"]):
        return (
            f"**Pipeline velocity:** not estimated ({fmt_int(v['open_deals'])} open deals; it needs open deals "
            "and won deals with an amount and a cycle length)."
        )
    return (
        f"**Pipeline velocity:** {fmt_money(v['velocity_per_day'], cur)} per day ({ci} "
        f"{fmt_money(v['ci_low'], cur)}–{fmt_money(v['ci_high'], cur)}) from {fmt_int(v['open_deals'])} open deals."
    )


# ---------------------------------------------------------------- sections


def overall(result: WinLossResult) -> HTML:
    """Win rate by count and by amount, each with n and its interval."""
    ci = ci_label(result.settings.confidence)
    if aside := result.aside("win_rate"):
        return display.notice(aside)
    o = result.overall
    frame = pd.DataFrame(
        {
            "measure": ["By count (deals)", f"By amount ({result.deals.currency})"],
            "closed": [o.n_closed, o.n_with_amount],
            "won": [o.n_won, o.n_won_with_amount],
            "win_rate": [o.win_rate, o.win_rate_amount],
            "ci_low": [o.ci_low, o.amount_ci_low],
            "ci_high": [o.ci_high, o.amount_ci_high],
            "won_amount": [np.nan, o.won_amount],
        }
    )
    formats = {**RATE_FORMATS, "closed": "int", "won_amount": "money"}
    caption = f"{ci}: Wilson (count), {_amount_method(result)} (amount)"
    if not o.n_with_amount:
        frame = frame.head(1).drop(columns="won_amount")
        caption = f"{ci}: Wilson; no closed deal has an amount, so there is no win rate by amount"
    return display.table(frame, formats, currency=result.deals.currency, caption=caption)


def _amount_method(result: WinLossResult) -> str:
    if result.overall.amount_ci_method == "wilson":
        return "Wilson on the effective sample size (too few won or lost deals for the delta method)"
    return "delta method"


def dimensions(result: WinLossResult) -> list[Displayable]:
    """Every breakdown of :func:`dimension` in turn, or one notice when no deal has closed."""
    if aside := result.aside("win_rate"):
        return [display.notice(aside)]
    return [shown for name in result.settings.dimensions for shown in dimension(result, name)]


def dimension(result: WinLossResult, name: str) -> list[Displayable]:
    """Table, chart and tested sentence for one breakdown; a notice when the data lacks it."""
    ci = ci_label(result.settings.confidence)
    breakdown = result.dimensions[name]
    if breakdown.absent:
        return [
            display.notice(f"The data has no {label(name).lower()} values, so this breakdown is not shown.")
        ]
    out: list[Displayable] = [Markdown(f"### {escape(label(name))}")]
    out.append(_dimension_sentence(result, name))
    out.append(
        charts.rate_bars(
            breakdown.table,
            title=f"Win rate by {label(name).lower()}",
            xlabel=f"Win rate (% of closed deals, {ci})",
            ylabel=label(name),
            rate="win_rate",
            reference=result.overall.win_rate,
        )
    )
    out.append(display.table(breakdown.table, RATE_FORMATS))
    return out


def _dimension_sentence(result: WinLossResult, name: str) -> Markdown:
    breakdown = result.dimensions[name]
    flagged = breakdown.n_flagged
    note = (
        f" {flagged} group(s) with fewer than {result.settings.min_n} closed deals are greyed and not ranked."
        if flagged
        else ""
    )
    dim = escape(label(name).lower())
    if not np.isfinite(breakdown.test.p_value):
        return Markdown(f"Win rate by {dim}: {_untested_text(result)}.{note}")
    pairs = _claimed_pairs(result, name)
    if pairs.empty:
        return Markdown(
            f"Win rate does not differ by {dim} beyond chance "
            f"({escape(breakdown.test.test)} across groups {fmt_p(breakdown.test.p_value)}; "
            f"no pair differs after Holm adjustment).{note}"
            if breakdown.test.significant(result.settings.alpha)
            else f"Win rate does not differ by {dim} beyond chance "
            f"({escape(breakdown.test.test)}, {fmt_p(breakdown.test.p_value)}).{note}"
        )
    said = "; ".join(_pair_sentence(result, r) for r in pairs.itertuples(index=False))
    return Markdown(
        f"Win rate depends on {dim} ({escape(breakdown.test.test)}, {fmt_p(breakdown.test.p_value)}). "
        f"Pairs that differ after Holm adjustment across all pairs: {said}. "
        f"Pairs not listed are not clearly different.{note}"
    )


def losses(result: WinLossResult) -> list[Displayable]:
    """Competitor vs no-decision split and the loss-reason Pareto (table and chart)."""
    ci = ci_label(result.settings.confidence)
    la = result.losses
    if aside := result.aside("losses"):
        return [display.notice(aside)]
    if not la.n_lost:
        return [display.notice("No deal was lost in the period.")]
    out: list[Displayable] = []
    if not la.has_reasons:
        out.append(display.notice("The data has no loss reasons, so losses cannot be split by reason."))
        return out
    share = {"n": "int", "share": "pct", "ci_low": "pct", "ci_high": "pct", "cumulative_share": "pct"}
    out.append(
        display.table(
            la.split, share, caption=f"Lost deals by kind (share of {fmt_int(la.n_lost)} lost, {ci})"
        )
    )
    out.append(pareto_chart(result))
    out.append(display.table(la.pareto, share, caption="Loss reasons, most frequent first"))
    return out


def pareto_chart(result: WinLossResult) -> plt.Figure:
    """Lost deals per reason (bars) with the cumulative share of losses (line)."""
    pareto = result.losses.pareto.head(12)
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


def competitors(result: WinLossResult) -> list[Displayable]:
    """Head-to-head win rates against each competitor, tested against deals with no competitor."""
    ci = ci_label(result.settings.confidence)
    comp = result.competitors
    if aside := result.aside("competitors"):
        return [display.notice(aside)]
    if comp.empty:
        return [display.notice("The data has no competitor values, so there is no head-to-head view.")]
    chart = charts.rate_bars(
        comp.rename(columns={"competitor": "value"}),
        title="Win rate against each competitor",
        xlabel=f"Win rate (% of closed deals, {ci})",
        ylabel="Competitor on the deal",
        rate="win_rate",
        reference=result.overall.win_rate,
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
        display.table(
            shown,
            formats,
            caption="baseline_rate: win rate on deals with no competitor; p value: each competitor vs "
            "deals with no competitor, Holm-adjusted across competitors",
        ),
    ]


def cycle(result: WinLossResult) -> list[Displayable]:
    """Median cycle of won vs lost deals with intervals, a box plot and the test."""
    ci = ci_label(result.settings.confidence)
    c = result.cycle
    if aside := result.aside("cycle"):
        return [display.notice(aside)]
    fig, ax = plt.subplots()
    order = ["Won", "Lost"]
    data = [c.days.loc[c.days["outcome"] == o, "cycle_days"] for o in order]
    ax.boxplot(data, tick_labels=order, showfliers=False, orientation="horizontal")
    fig = charts.finish(
        ax, "Sales cycle of won vs lost deals", "Cycle length (days from created to closed)", "Outcome"
    )
    formats = {"n": "int", "median_days": "num", "ci_low": "num", "ci_high": "num", "mean_days": "num"}
    caption = f"Median cycle with {ci} (order statistics); {c.test.test}, {fmt_p(c.test.p_value)}"
    if not np.isfinite(c.test.p_value):
        why = c.test.note or "the period has no won or no lost deal with a cycle length"
        caption = f"Median cycle with {ci} (order statistics); won and lost are not compared: {why}"
    return [fig, display.table(c.table, formats, caption=caption)]


def time_to_close_section(result: WinLossResult) -> list[Displayable]:
    """Kaplan–Meier curves of time to close, the medians and the log-rank test (or why there are none)."""
    ci = ci_label(result.settings.confidence)
    t = result.time_to_close
    if aside := result.aside("time_to_close"):
        return [display.notice(aside)]
    if t.note:
        return [display.notice(f"Time to close is not charted or tested: {t.note}.")]
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
    caption = f"Kaplan–Meier medians and share closed within {h} days ({ci})"
    if t.by and np.isfinite(t.test.p_value):
        verdict = "differs" if t.test.significant(result.settings.alpha) else "does not clearly differ"
        caption += (
            f"; time to close {verdict} by {label(t.by).lower()} ({t.test.test}, {fmt_p(t.test.p_value)})"
        )
    elif t.by and t.test.note:
        caption += f"; time to close by {label(t.by).lower()} is not tested: {t.test.note}"
    return [fig, display.table(t.table, formats, caption=caption)]


def velocity(result: WinLossResult) -> list[Displayable]:
    """Pipeline velocity overall and per segment, with bootstrap intervals."""
    ci = ci_label(result.settings.confidence)
    v = result.velocity
    cur = result.deals.currency
    if aside := result.aside("velocity"):
        return [display.notice(aside)]
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
    caption = f"{ci}: bootstrap over closed deals ({fmt_int(BOOTSTRAP_RESAMPLES)} resamples)"
    return [fig, display.table(v, formats, currency=cur, caption=caption)]


def trend(result: WinLossResult) -> list[Displayable]:
    """Win rate per close quarter with intervals, and the latest-vs-previous test in words."""
    ci = ci_label(result.settings.confidence)
    t = result.trend
    if aside := result.aside("trend"):
        return [display.notice(aside)]
    fig, ax = plt.subplots()
    x = t.table["quarter"].astype(str)
    ax.plot(x, t.table["win_rate"], marker="o", color=charts.ACCENT)
    ax.fill_between(x, t.table["ci_low"], t.table["ci_high"], alpha=0.2, color=charts.ACCENT)
    ax.axhline(result.overall.win_rate, color="#c0392b", linestyle="--", linewidth=1, label="overall")
    ax.legend(loc="lower right")
    ax.tick_params(axis="x", rotation=45)
    charts.pct_axis(ax)
    fig = charts.finish(
        ax, "Win rate by close quarter", "Close quarter", f"Win rate (% of closed deals, {ci})"
    )
    lines = _trend_lines(result)
    out: list[Displayable] = [
        Markdown(lines[0].replace("**Trend:** ", ""))
        if lines
        else display.notice("Fewer than two quarters of closed deals: no trend test.")
    ]
    return [*out, fig, display.table(t.table, RATE_FORMATS)]


def drivers(result: WinLossResult) -> list[Displayable]:
    """Odds ratios of winning (forest plot and table), or why the model could not be fitted."""
    ci = ci_label(result.settings.confidence)
    d = result.drivers
    if aside := result.aside("drivers"):
        return [display.notice(aside)]
    if d.message == NO_DRIVER:
        names = ", ".join(result.settings.drivers)
        return [
            display.notice(
                f"Win drivers are not shown: none of the drivers ({names}) has two values with enough closed deals to compare."
            )
        ]
    notes = [*d.skipped, *d.separated]
    out: list[Displayable] = [display.notice(f"Left out of the model: {note}.") for note in notes]
    if d.message:
        return [*out, display.notice(f"Win drivers are not shown: {d.message}.")]
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
        ax, "Win drivers (logistic regression)", f"Odds ratio of winning (log scale, {ci})", "Driver"
    )
    formats = {"odds_ratio": "num", "ci_low": "num", "ci_high": "num", "p_value": "p", "p_holm": "p"}
    caption = (
        f"{fmt_int(d.n_used)} closed deals in the model; {fmt_int(d.n_dropped)} left out for a missing value"
        + (f", {fmt_int(d.n_separated)} for a level with a single outcome" if d.n_separated else "")
        + f"; significant: Holm-adjusted p below {fmt_num(result.settings.alpha, 2)} across {d.n_terms} terms"
    )
    return [*out, fig, display.table(table, formats, caption=caption)]
