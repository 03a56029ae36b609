"""How the pipeline and forecast results read in the report: sentences, formatted tables and charts.

Each section function takes the :class:`PipelineForecastResult` and returns a list of things
a notebook displays. A section that cannot be computed returns the one sentence saying
what it needs. Differences are stated only where their test holds; text from the data
(segments, sources, stage names) is escaped. Nothing here computes a statistic.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown

from revops_nb import charts, display
from revops_nb.formatting import ci_label, escape, fmt_int, fmt_interval, fmt_money, fmt_num, fmt_p, fmt_pct
from revops_nb.reports.pipeline_forecast._result import NO_LEADS, PipelineForecastResult

Displayable = Markdown | HTML | plt.Figure
METHOD_LABELS = {"stage_weighted": "stage-weighted", "model": "model (logistic)"}
DIMENSION_LABELS = {"segment": "Segment", "lead_source": "Lead source"}


def _ci(result: PipelineForecastResult) -> str:
    return ci_label(result.settings.confidence)


def _money(result: PipelineForecastResult, value: float) -> str:
    return fmt_money(value, result.deals.currency)


def _rate(result: PipelineForecastResult, rate: float, low: float, high: float, n: int) -> str:
    return f"{fmt_pct(rate)} ({_ci(result)} {fmt_interval(low, high)}, n = {fmt_int(n)})"


def _aside(result: PipelineForecastResult, section: str) -> list[Displayable] | None:
    why = result.aside(section)
    return [display.notice(why)] if why else None


# ---------------------------------------------------------------- data and summary


def period_text(result: PipelineForecastResult) -> str:
    """The report date, the forecast period and the currency in words."""
    current = result.backtest.current.get("period") or result.coverage.table["period"].iloc[0]
    return (
        f"pipeline as of {result.as_of:%Y-%m-%d}; forecast for {current} (by {result.settings.grain}); "
        f"amounts in {result.deals.currency}"
    )


def notes(result: PipelineForecastResult) -> HTML:
    """What preparing the deals and the stage history changed or left out, as escaped notes."""
    return HTML("".join(display.notice(note).data for note in result.notes))


def summary(result: PipelineForecastResult) -> Markdown:
    """The findings first: the forecast range, coverage, the funnel and the plan."""
    lines = [_forecast_line(result), _coverage_line(result), _funnel_line(result), _plan_line(result)]
    return display.bullets([line for line in lines if line])


def _forecast_line(result: PipelineForecastResult) -> str:
    b = result.backtest
    if b.aside:
        return f"**Forecast:** {escape(b.aside)}"
    cur = b.current
    if not b.has_range:
        return (
            f"**Forecast for {cur['period']}:** no range yet: it needs at least 3 backtested periods "
            f"and there are {len(b.table)}."
        )
    acc = b.accuracy.set_index("method").loc[b.chosen]
    return (
        f"**Forecast for {cur['period']}:** between {_money(result, cur['low'])} and "
        f"{_money(result, cur['high'])} of bookings (the range spans {_inside_words(result)}), by the "
        f"{METHOD_LABELS[b.chosen]} method, whose error over the last "
        f"{int(acc['periods'])} {result.settings.grain}s was {fmt_pct(acc['mape'])} on average (MAPE), "
        f"{_bias_words(acc['bias'])}."
    )


def _inside_words(result: PipelineForecastResult) -> str:
    """'all 8 of the past quarters' errors' or '6 of the 8 past quarters' errors'."""
    cur, grain = result.backtest.current, result.settings.grain
    inside, n = int(cur["inside"]), int(cur["errors"])
    if inside == n:
        return f"all {fmt_int(n)} of the past {grain}s' forecast errors"
    return f"{fmt_int(inside)} of the {fmt_int(n)} past {grain}s' forecast errors"


def _range_caveat(result: PipelineForecastResult) -> str:
    """What the range is worth for the coming period, with few errors and a method picked on them."""
    cur, grain = result.backtest.current, result.settings.grain
    return (
        f"If errors behave like the past ones, a range built this way holds a new {grain}'s outcome about "
        f"{fmt_pct(cur['expected_coverage'], 0)} of the time; with only {fmt_int(cur['errors'])} past errors "
        f"the range is itself uncertain, and the method was chosen for its lower error on those same "
        f"{grain}s, so the range is more likely too narrow than too wide."
    )


def _bias_words(bias: float) -> str:
    if not np.isfinite(bias):
        return "bias unknown"
    direction = "over" if bias > 0 else "under"
    return f"{direction}-forecasting by {fmt_pct(abs(bias))} on average (bias)"


def _coverage_line(result: PipelineForecastResult) -> str:
    if not result.has_target:
        return f"**Coverage:** {escape(result.aside('coverage'))}"
    row = result.coverage.first
    if row["remaining"] == 0:
        return (
            f"**Coverage of {row['period']}:** the target of {_money(result, row['target'])} is already met "
            f"({_money(result, row['won_to_date'])} won)."
        )
    return (
        f"**Coverage of {row['period']}:** open pipeline expected to close in it is {fmt_num(row['coverage'])}× "
        f"what is left of the target ({_money(result, row['pipeline'])} against "
        f"{_money(result, row['remaining'])}); weighted by win probability {fmt_num(row['weighted_coverage'])}×."
    )


def _funnel_line(result: PipelineForecastResult) -> str:
    f = result.funnel
    if not f.n_closed:
        return ""
    line = (
        f"**Win rate:** {_rate(result, f.win_rate, f.win_ci_low, f.win_ci_high, f.n_closed)} of closed deals."
    )
    if not f.history:
        return line + " " + escape(result.aside("funnel"))
    w = f.weakest
    if w is None:
        return line
    t = f.table

    def step(i: int) -> str:
        r = t.loc[i]
        return (
            f"{escape(r['stage'])} → {escape(r['next_stage'])} "
            f"{_rate(result, r['conversion'], r['ci_low'], r['ci_high'], r['reached'])}"
        )

    test = f"{escape(w.test)}, {fmt_p(w.p_value)}"
    if w.named:
        return line + (
            f" The weakest step is {step(w.lowest)}, lower than every other step by a test; "
            f"the next-lowest is {step(w.next_lowest)} ({test})."
        )
    return line + (
        " No single step is the weakest: the lowest conversions, "
        + " and ".join(step(i) for i in w.tied)
        + f", cannot be told apart by a test (lowest against next-lowest: {test})."
    )


def _plan_line(result: PipelineForecastResult) -> str:
    plan = result.plan
    if plan.aside:
        return f"**SLA plan:** {escape(plan.aside)}"
    level = "MQLs" if "MQLs" in plan.levels else "Opportunities"
    row = plan.first(level)
    return (
        f"**SLA plan for {row['period']}:** between {fmt_int(row['low'])} and {fmt_int(row['high'])} "
        f"{'MQLs' if level == 'MQLs' else 'opportunities'} (most likely {fmt_int(row['required'])}) for "
        f"{fmt_pct(result.settings.plan_confidence, 0)} confidence of reaching "
        f"{_money(result, row['planned_bookings'])} from {plan.scope}."
    )


# ---------------------------------------------------------------- stage funnel


def funnel_section(result: PipelineForecastResult) -> list[Displayable]:
    """Conversion from each stage to the next and to won, with intervals, and open deals per stage."""
    f, ci = result.funnel, _ci(result)
    if not f.history:
        shown = f.table[["stage", "open_now", "open_amount"]].rename(
            columns={"open_now": "open deals", "open_amount": "open amount"}
        )
        return [
            display.notice(result.aside("funnel")),
            display.table(shown, {"open deals": "int", "open amount": "money"}, result.deals.currency),
        ]
    if aside := _aside(result, "funnel"):
        return aside
    t = f.table
    shown = pd.DataFrame(
        {
            "stage": t["stage"],
            "next": t["next_stage"],
            "closed deals that reached it": t["reached"],
            "moved on": t["moved_on"],
            "conversion": t["conversion"],
            f"conversion {ci}": [fmt_interval(a, b) for a, b in zip(t["ci_low"], t["ci_high"], strict=True)],
            "win rate from here": t["win_rate"],
            f"win rate {ci}": [
                fmt_interval(a, b) for a, b in zip(t["win_ci_low"], t["win_ci_high"], strict=True)
            ],
            "open now": t["open_now"],
            "open amount": t["open_amount"],
        }
    )
    formats = {"conversion": "pct", "win rate from here": "pct", "open amount": "money"}
    out: list[Displayable] = [display.table(shown, formats, result.deals.currency)]
    if f.n_unplaced:
        out.append(
            display.notice(
                f"{f.n_unplaced:,} closed deals have no stage history and are left out of conversion."
            )
        )
    bars = pd.DataFrame(
        {
            "value": [f"{a} → {b}" for a, b in zip(t["stage"], t["next_stage"], strict=True)],
            "rate": t["conversion"],
            "ci_low": t["ci_low"],
            "ci_high": t["ci_high"],
        }
    )
    out.append(
        display.figure(charts.rate_bars(bars, "Stage-to-next conversion of closed deals", "Conversion"))
    )
    return out


def time_section(result: PipelineForecastResult) -> list[Displayable]:
    """Median days in each stage (Kaplan–Meier, deals still in the stage censored) with intervals."""
    if aside := _aside(result, "time"):
        return aside
    t, ci = result.funnel.table, _ci(result)
    shown = pd.DataFrame(
        {
            "stage": t["stage"],
            "deals timed": t["stays"],
            "median days": t["median_days"],
            f"median {ci}": [
                fmt_interval(a, b, "int") for a, b in zip(t["days_ci_low"], t["days_ci_high"], strict=True)
            ],
        }
    )
    curves = {s: c for s, c in result.funnel.curves.items() if not c.empty}
    out: list[Displayable] = [display.table(shown, {"deals timed": "int", "median days": "int"})]
    if curves:
        fig = charts.km_plot(curves, "Share of deals still in the stage", "Days since entering the stage")
        out.append(display.figure(fig))
    return out


def breakdown_section(result: PipelineForecastResult) -> list[Displayable]:
    """Conversion and median days per stage by segment and lead source; small groups flagged."""
    if aside := _aside(result, "breakdowns"):
        return aside
    f, out = result.funnel, []
    for dim, table in f.breakdowns.items():
        name = DIMENSION_LABELS.get(dim, dim)
        cells = table.assign(
            cell=[
                f"{fmt_pct(r)} (n = {fmt_int(n)}{', small' if small else ''}; {fmt_int(d)} d)"
                for r, n, small, d in zip(
                    table["conversion"], table["n"], table["flagged"], table["median_days"], strict=True
                )
            ]
        )
        pivot = cells.pivot(index="group", columns="stage", values="cell")[list(result.settings.stages)]
        pivot = pivot.reset_index().rename(columns={"group": name.lower()})
        out.append(display.say("**By {name}**", name=name.lower()))
        out.append(
            display.table(
                pivot,
                caption=f"Conversion to the next stage (closed deals), n, and median days in the stage, by {name.lower()}",
            )
        )
        out.append(display.bullets(_test_lines(result, dim)))
    for dim in f.absent:
        out.append(display.notice(f"No {DIMENSION_LABELS.get(dim, dim).lower()} is recorded on the deals."))
    return out


def _test_lines(result: PipelineForecastResult, dim: str) -> list[str]:
    f = result.funnel
    tests = f.tests[f.tests["dimension"] == dim]
    table = f.breakdowns[dim]
    lines = []
    for row in tests.itertuples(index=False):
        if not row.significant:
            continue
        ranked = table[(table["stage"] == row.stage) & ~table["flagged"]]
        if row.measure == "conversion":
            hi, lo = ranked.loc[ranked["conversion"].idxmax()], ranked.loc[ranked["conversion"].idxmin()]
            lines.append(
                f"Conversion from {escape(row.stage)} differs by {escape(dim.replace('_', ' '))} "
                f"({escape(row.test)}, Holm-adjusted {fmt_p(row.p_adjusted)}): highest {escape(hi['group'])} "
                f"{_rate(result, hi['conversion'], hi['ci_low'], hi['ci_high'], hi['n'])}, lowest "
                f"{escape(lo['group'])} {_rate(result, lo['conversion'], lo['ci_low'], lo['ci_high'], lo['n'])}."
            )
        else:
            timed = ranked.dropna(subset=["median_days"])
            if timed.empty:
                continue
            hi, lo = timed.loc[timed["median_days"].idxmax()], timed.loc[timed["median_days"].idxmin()]
            lines.append(
                f"Time in {escape(row.stage)} differs by {escape(dim.replace('_', ' '))} ({escape(row.test)}, "
                f"Holm-adjusted {fmt_p(row.p_adjusted)}): longest {escape(hi['group'])} "
                f"(median {fmt_int(hi['median_days'])} days), shortest {escape(lo['group'])} "
                f"(median {fmt_int(lo['median_days'])} days)."
            )
    if not lines:
        lines.append(
            f"No difference by {escape(dim.replace('_', ' '))} is supported by a test at the "
            f"{ci_label(result.settings.confidence)[:-3]} level (Holm-adjusted across stages)."
        )
    small = table[table["flagged"]]["group"].unique()
    if len(small):
        lines.append(
            f"Flagged (fewer than {result.settings.min_n} closed deals at a stage), not ranked or tested: "
            + ", ".join(escape(g) for g in small)
            + "."
        )
    return lines


# ---------------------------------------------------------------- coverage


def coverage_section(result: PipelineForecastResult) -> list[Displayable]:
    """Open pipeline per coming period against what is left of the target, raw and weighted."""
    c = result.coverage
    out: list[Displayable] = []
    if aside := _aside(result, "coverage"):
        out.append(aside[0])
    else:
        out.append(display.say("Targets come from {source}.", source=c.target_source))
    shown = c.table.rename(columns=lambda col: col.replace("_", " "))
    formats = {
        "target": "money",
        "won to date": "money",
        "remaining": "money",
        "open deals": "int",
        "pipeline": "money",
        "weighted pipeline": "money",
        "coverage": "num",
        "weighted coverage": "num",
    }
    out.append(display.table(shown, formats, result.deals.currency))
    left_out = []
    if c.n_past_due:
        left_out.append(
            f"{c.n_past_due:,} open deals past their expected close date count in the first period"
        )
    if c.n_undated:
        left_out.append(
            f"{c.n_undated:,} open deals ({_money(result, c.undated_amount)}) have no expected close date "
            "and are in no period"
        )
    if c.n_later:
        left_out.append(
            f"{c.n_later:,} open deals ({_money(result, c.later_amount)}) are expected to close after the periods shown"
        )
    if c.n_no_amount:
        left_out.append(f"{c.n_no_amount:,} open deals have no amount and add nothing")
    if left_out:
        out.append(display.bullets([s + "." for s in left_out]))
    if result.has_target:
        out.append(_coverage_chart(result))
    return out


def _coverage_chart(result: PipelineForecastResult) -> plt.Figure:
    t = result.coverage.table
    _fig, ax = plt.subplots()
    x = np.arange(len(t))
    ax.bar(x - 0.2, t["pipeline"], width=0.4, label="open pipeline", color=charts.ACCENT)
    ax.bar(
        x + 0.2, t["weighted_pipeline"], width=0.4, label="weighted by win probability", color=charts.MUTED
    )
    ax.plot(x, t["remaining"], "o--", color="#c0392b", label="target still to win")
    ax.set_xticks(x, t["period"])
    ax.legend()
    charts.money_axis(ax, result.deals.currency)
    fig = charts.finish(
        ax, "Open pipeline against the target, by expected close", "Period", result.deals.currency
    )
    return display.figure(fig)


# ---------------------------------------------------------------- forecast


def forecast_section(result: PipelineForecastResult) -> list[Displayable]:
    """The current period's range, the backtest table, accuracy per method and the chart."""
    if aside := _aside(result, "forecast"):
        return aside
    b, cur = result.backtest, result.backtest.current
    out: list[Displayable] = []
    if b.has_range:
        part = ""
        if cur["share_of_period_left"] < 1:
            part = (
                f" It adds the {_money(result, cur['won_to_date'])} already won in {cur['period']} to the forecast "
                "of the part still to come; the range uses whole-period errors, so it is on the wide side."
            )
        out.append(
            Markdown(
                f"**{cur['period']}: between {_money(result, cur['low'])} and {_money(result, cur['high'])}** "
                f"(the range spans {_inside_words(result)} of the {METHOD_LABELS[b.chosen]} forecast, the "
                f"one with the lower MAPE), from {fmt_int(cur['open_deals'])} open deals worth "
                f"{_money(result, cur['open_pipeline'])}.{part} {_range_caveat(result)}"
            )
        )
    else:
        out.append(
            display.notice(
                f"A range for {cur.get('period')} needs at least 3 backtested periods with bookings, "
                f"and there are {int(b.table['actual'].gt(0).sum())}."
            )
        )
    acc = b.accuracy.assign(method=b.accuracy["method"].map(METHOD_LABELS))
    out.append(
        display.table(acc, {"periods": "int", "mape": "pct", "bias": "pct"}, caption="Backtest accuracy")
    )
    shown = b.table.drop(columns=["period_start"]).rename(columns=lambda col: col.replace("_", " "))
    formats = {
        "open deals": "int",
        "open pipeline": "money",
        "allowance": "money",
        "stage weighted": "money",
        "model": "money",
        "actual": "money",
        "stage weighted error": "pct",
        "model error": "pct",
        "trained on periods": "int",
        "last outcome used": "date",
    }
    out.append(
        display.table(shown, formats, result.deals.currency, caption="Forecast at each period's start")
    )
    if b.notes:
        out.extend(display.notice(n) for n in b.notes)
    out.append(_forecast_chart(result))
    return out


def _forecast_chart(result: PipelineForecastResult) -> plt.Figure:
    b = result.backtest
    t = b.table
    _fig, ax = plt.subplots()
    x = list(t["period"])
    ax.plot(x, t["actual"], "o-", color="#222", label="actual bookings")
    ax.plot(x, t["stage_weighted"], "s--", color=charts.ACCENT, label="stage-weighted forecast")
    ax.plot(x, t["model"], "^--", color=charts.MUTED, label="model forecast")
    if b.has_range:
        cur = b.current
        ax.errorbar(
            [cur["period"]],
            [(cur["low"] + cur["high"]) / 2],
            yerr=[[(cur["high"] - cur["low"]) / 2]],
            fmt="none",
            ecolor="#c0392b",
            capsize=6,
            linewidth=2,
            label="current range",
        )
    ax.legend()
    ax.tick_params(axis="x", rotation=45)
    charts.money_axis(ax, result.deals.currency)
    fig = charts.finish(
        ax, "Forecast at each period's start vs actual bookings", "Period", result.deals.currency
    )
    return display.figure(fig)


# ---------------------------------------------------------------- leads and the SLA plan


def leads_section(result: PipelineForecastResult) -> list[Displayable]:
    """Lead → MQL → SQL → opportunity conversion with intervals, by source."""
    if aside := _aside(result, "leads"):
        return aside
    leads, ci = result.leads, _ci(result)
    t = leads.table
    shown = t.assign(
        interval=[fmt_interval(a, b) for a, b in zip(t["ci_low"], t["ci_high"], strict=True)]
    ).rename(columns={"interval": ci, "maturity_days": "cohort at least (days old)"})
    shown = shown.drop(columns=["ci_low", "ci_high"])
    out: list[Displayable] = [
        display.table(
            shown, {"n": "int", "converted": "int", "rate": "pct", "cohort at least (days old)": "int"}
        ),
    ]
    src = leads.by_source
    cells = src.assign(
        cell=[
            f"{fmt_pct(r)} ({fmt_interval(a, b)}, n = {fmt_int(n)}{', small' if s else ''})"
            for r, a, b, n, s in zip(
                src["rate"], src["ci_low"], src["ci_high"], src["n"], src["flagged"], strict=True
            )
        ]
    )
    pivot = cells.pivot(index="source", columns="step", values="cell").reindex(columns=list(t["step"]))
    pivot = pivot.astype(object).fillna("–").reset_index()
    out.extend(display.notice(sentence) for sentence in leads.missing)
    out.append(display.table(pivot, caption=f"Conversion by lead source ({ci})"))
    lines = []
    for row in leads.tests.itertuples(index=False):
        ranked = src[(src["step"] == row.step) & ~src["flagged"]]
        if row.significant and len(ranked):
            hi, lo = ranked.loc[ranked["rate"].idxmax()], ranked.loc[ranked["rate"].idxmin()]
            lines.append(
                f"{escape(row.step)} differs by source ({escape(row.test)}, Holm-adjusted {fmt_p(row.p_adjusted)}): "
                f"highest {escape(hi['source'])} {_rate(result, hi['rate'], hi['ci_low'], hi['ci_high'], hi['n'])}, "
                f"lowest {escape(lo['source'])} {_rate(result, lo['rate'], lo['ci_low'], lo['ci_high'], lo['n'])}."
            )
        elif np.isfinite(row.p_value):
            lines.append(f"{escape(row.step)}: no difference between sources is supported by a test.")
    out.append(display.bullets(lines))
    return out


def _plan_start(result: PipelineForecastResult) -> str:
    """Why the plan does not reach MQLs, and the level it starts at."""
    level = result.plan.levels[-1]
    start = level if level in ("SQLs", "MQLs") else level.lower()
    if result.leads.missing:
        return " ".join(result.leads.missing) + f" Without those rates the plan starts at {start}."
    return f"Leads do not convert at every step (no lead passed one of them): the plan starts at {start}."


def plan_section(result: PipelineForecastResult) -> list[Displayable]:
    """Required opportunities, SQLs, MQLs and leads per period, with the sensitivity table."""
    if aside := _aside(result, "plan"):
        return aside
    plan, ci = result.plan, _ci(result)
    inputs = plan.inputs
    out: list[Displayable] = []
    scope = (
        f"Lead-sourced deals brought in {fmt_pct(plan.share)} of the last year's bookings, so the plan asks "
        "leads for that share of each target"
        if plan.scope == "lead-sourced deals"
        else "The plan covers the whole target with all deals"
    )
    out.append(
        Markdown(
            f"{scope}. Measured inputs: win rate {fmt_pct(inputs['win_rate'])} of {fmt_int(inputs['n_closed'])} "
            f"closed {escape(plan.scope)}, average won deal {_money(result, inputs['deal_size'])} "
            f"({fmt_int(inputs['n_won'])} won)"
            + "".join(
                f", {label} {fmt_pct(inputs[key])}"
                for key, label in (
                    ("sql_opp", "SQL → opportunity"),
                    ("mql_sql", "MQL → SQL"),
                    ("lead_mql", "lead → MQL"),
                )
                if key in inputs
            )
            + f". Each count gives {fmt_pct(result.settings.plan_confidence, 0)} confidence of reaching "
            f"the planned bookings; the range ({ci}) is the uncertainty of the rates and deal size "
            f"({fmt_int(result.settings.simulations)} simulations)."
        )
    )
    if "MQLs" not in plan.levels:
        out.append(display.notice(NO_LEADS if result.leads is None else _plan_start(result)))
    t = plan.table.assign(
        range=[
            f"{fmt_int(a)}–{fmt_int(b)}" for a, b in zip(plan.table["low"], plan.table["high"], strict=True)
        ]
    )
    shown = t[["period", "target", "planned_bookings", "level", "required", "range"]].rename(
        columns={"planned_bookings": "planned bookings", "required": "most likely", "range": ci}
    )
    out.append(
        display.table(
            shown,
            {"target": "money", "planned bookings": "money", "most likely": "int"},
            result.deals.currency,
        )
    )
    if result.leads is not None and np.isfinite(result.leads.lead_to_deal_days):
        out.append(
            Markdown(
                f"Leads have to arrive ahead of the period: the median lead became a deal "
                f"{fmt_int(result.leads.lead_to_deal_days)} days after it was created, and deals take time to close."
            )
        )
    sens = plan.sensitivity
    if not sens.empty:
        first = plan.table["period"].iloc[0]
        cols = ["scenario", *[c for c in sens.columns if c != "scenario"]]
        shown = sens[cols].rename(columns=lambda c: c.replace("_change", " change").replace("_", " "))
        formats = {c: "int" for c in shown.columns if c != "scenario"}
        out.append(display.table(shown, formats, caption=f"Sensitivity for {first}: median counts needed"))
    return out
