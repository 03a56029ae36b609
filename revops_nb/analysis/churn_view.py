"""How the churn results read in the report: sentences, formatted tables and charts.

Each function takes the :class:`~revops_nb.analysis.churn_run.ChurnReport` and
returns things a notebook displays. Sentences claim a difference only where its
interval excludes no-difference; feature names (which come from the data in
snapshot mode) are escaped before they reach Markdown. Every chart leaves a section
as a :func:`revops_nb.charts.figure`, so the report shows it with its title as alt text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown

from revops_nb import charts
from revops_nb.analysis.churn import NAIVE
from revops_nb.analysis.churn_features import DATE
from revops_nb.analysis.churn_reasons import NO_REASON
from revops_nb.analysis.churn_run import ChurnReport
from revops_nb.charts import (
    escape,
    escape_markdown,
    fmt_int,
    fmt_interval,
    fmt_money,
    fmt_num,
    fmt_p,
    fmt_pct,
)

Displayable = Markdown | HTML | plt.Figure | charts.ChartImage


def with_alt_text(section: Callable[..., list[Displayable]]) -> Callable[..., list[Displayable]]:
    """Show each matplotlib figure a section returns with alt text (its title), via :func:`charts.figure`."""

    @functools.wraps(section)
    def wrapper(*args, **kwargs) -> list[Displayable]:
        return [
            charts.figure(item) if isinstance(item, plt.Figure) else item for item in section(*args, **kwargs)
        ]

    return wrapper


RATE_FORMATS = {"n": "int", "churners": "int", "churn_rate": "pct", "ci_low": "pct", "ci_high": "pct"}


def _rate(rate: float, low: float, high: float, n: int) -> str:
    return f"{fmt_pct(rate)} (95% CI {fmt_interval(low, high)}, n = {fmt_int(n)})"


def _auc(row: pd.Series, key: str = "roc_auc") -> str:
    return f"{row[key]:.3f} (95% CI {row[f'{key}_ci_low']:.3f}–{row[f'{key}_ci_high']:.3f})"


def _horizon(report: ChurnReport) -> str:
    return f"{report.settings.horizon_days} days"


# ---------------------------------------------------------------- data and summary


def period_text(report: ChurnReport) -> str:
    """What the model rests on, in words."""
    t = report.table
    if t.mode == "history":
        dates = t.frame[DATE]
        return (
            f"customers observed every {report.settings.step_days} days from {dates.min():%Y-%m-%d} to "
            f"{dates.max():%Y-%m-%d}; current customers scored as of {t.as_of:%Y-%m-%d}"
        )
    return f"a snapshot of {fmt_int(len(t.frame))} customers with a churn flag"


def data_notes(report: ChurnReport) -> list[Displayable]:
    """Mode, split and any coerced values, in words."""
    t, s = report.table, report.model.split
    if t.mode == "history":
        text = (
            f"**History mode.** {fmt_int(len(t.frame))} customer observations: each customer with an "
            f"active subscription on an observation date is one row, described only by data dated before "
            f"that date (usage months count once they have ended). The label is whether the customer had "
            f"no active subscription {_horizon(report)} later. Models were {s.description}."
        )
    else:
        text = (
            f"**Snapshot mode.** One row per customer; churn is the `churned` flag. Models used {s.description}. "
            "Features describe customers as recorded in the table: if any was measured after a customer "
            "churned (for example usage in its final months), the accuracy below is overstated."
        )
    out: list[Displayable] = [Markdown(text)]
    for col, n in t.coerced.items():
        what = "rows without a churn flag were left out" if col == "churned" else "values were not numbers"
        out.append(charts.notice(f"{col}: {n} {what} and are treated as missing."))
    for note in [*t.notes, *report.model.notes]:
        out.append(charts.notice(note))
    return out


def summary(report: ChurnReport) -> Markdown:
    """The findings, each backed by an interval or test computed in the report."""
    lines = [_rate_line(report), _model_line(report), _baseline_line(report), _lift_line(report)]
    lines += [_calibration_line(report), _driver_line(report), _risk_line(report), _reasons_line(report)]
    return charts.bullets([line for line in lines if line])


def _rate_line(report: ChurnReport) -> str:
    r = report.rates.iloc[-1]
    rate = _rate(r["churn_rate"], r["ci_low"], r["ci_high"], r["n"])
    if report.mode == "history":
        return (
            f"**Churn rate:** of the customers active on {r[DATE]:%Y-%m-%d}, {rate} had no active "
            f"subscription {_horizon(report)} later."
        )
    return f"**Churn rate:** {rate} of customers in the snapshot have churned."


def _model_line(report: ChurnReport) -> str:
    m = report.model.chosen_metrics
    val = ", ".join(f"{name} {auc:.3f}" for name, auc in report.model.validation_auc.items() if name != NAIVE)
    return (
        f"**Model:** {report.model.chosen} ranks a churner above a customer who stayed with ROC AUC {_auc(m)} "
        f"on {fmt_int(m['n'])} test rows ({fmt_int(m['churners'])} churned); PR AUC {_auc(m, 'pr_auc')}, "
        f"Brier score {_auc(m, 'brier')}. It was picked by the higher ROC AUC on the validation rows ({val}); "
        "that choice is not a claim that it is better than the other model."
    )


def _baseline_line(report: ChurnReport) -> str:
    """Model vs the naive baseline, and whether the baseline itself is better than chance.

    Beating a baseline that ranks no better than a coin flip only says the model beats
    chance, so the sentence says so instead of presenting it as a gain over a real rule.
    """
    metrics = report.model.metrics.set_index("model")
    if NAIVE not in metrics.index:
        return ""
    m, naive = metrics.loc[report.model.chosen], metrics.loc[NAIVE]
    feature = escape(report.model.baseline_feature)
    what = f"the churn rate of the customer's {feature} band in the training rows"
    gain = f"{m['auc_gain']:+.3f} (95% CI {m['auc_gain_ci_low']:+.3f} to {m['auc_gain_ci_high']:+.3f})"
    base = f"the naive baseline ({what}, ROC AUC {_auc(naive)})"
    tail = ""
    if naive["roc_auc_ci_low"] <= 0.5:
        tail = (
            f" The baseline itself is not clearly better than chance (0.5), so {feature} alone carries no "
            "clear signal here and this comparison shows only that the model beats chance"
            + (
                " (its own 95% CI lies above 0.5)."
                if m["roc_auc_ci_low"] > 0.5
                else ", which it does not clearly do."
            )
        )
    if m["auc_gain_ci_low"] > 0:
        verdict = f"ranks churners better than {base}, by {gain}."
    elif m["auc_gain_ci_high"] < 0:
        verdict = f"ranks churners worse than {base}, by {gain}."
    else:
        verdict = f"is not clearly better than {base}: the difference is {gain}."
    return f"**Against a naive baseline:** the model {verdict}{tail}"


def _lift_line(report: ChurnReport) -> str:
    top = report.lift.iloc[0]
    return (
        f"**Top decile:** the 10% of test rows scored riskiest churned at {fmt_num(top['lift'], 1)}× the "
        f"average rate (95% CI {fmt_num(top['lift_ci_low'], 1)}–{fmt_num(top['lift_ci_high'], 1)}×, "
        f"n = {fmt_int(top['n'])}) and hold {fmt_pct(top['cum_share_churners'])} of the churners."
    )


def _calibration_line(report: ChurnReport) -> str:
    c = report.model.calibrator
    cal = report.calibration
    verb = "were recalibrated (Platt scaling)" if c.applied else "were left as the model gives them"
    why = "lowered" if c.applied else "did not lower"
    return (
        f"**Calibration:** probabilities {verb}, because recalibration {why} the cross-validated Brier "
        f"score on the validation rows ({c.brier_calibrated:.4f} vs {c.brier_raw:.4f}). On the test rows the "
        f"mean predicted probability lies inside the observed rate's 95% CI in {int(cal['within_ci'].sum())} "
        f"of {len(cal)} bins."
    )


def _driver_line(report: ChurnReport) -> str:
    clear = report.drivers[report.drivers["clear"]]
    if clear.empty:
        line = "**Drivers:** no feature is a clear driver by both permutation importance and logistic "
        line += "regression"
        note = _logistic_note(report) if report.drivers["p_value"].isna().all() else ""
        return f"{line}: {escape(note)}." if note else f"{line}."
    parts = [_driver_phrase(row) for _, row in clear.head(4).iterrows()]
    return (
        "**Clear drivers** (shuffling each lowers test ROC AUC in every repeat and its logistic coefficient's "
        "95% CI excludes zero): " + "; ".join(parts) + "."
    )


def _driver_phrase(row: pd.Series) -> str:
    term = escape(row["term"])
    change = (
        f"{100 * row['prob_change']:+.1f} pts (95% CI {100 * row['prob_change_ci_low']:+.1f} to "
        f"{100 * row['prob_change_ci_high']:+.1f})"
    )
    unit = "per standard deviation higher" if "=" not in str(row["term"]) else "for this category"
    return f"{term}: churn probability {change} {unit}"


def _money(report: ChurnReport, value: float) -> str:
    return fmt_money(value, report.settings.reporting_currency)


def chance_caveat(report: ChurnReport) -> str:
    """The sentence that goes next to ARR at risk and the scored list when the model ranks no better than chance.

    Empty when the test ROC AUC interval lies above 0.5.
    """
    if report.better_than_chance:
        return ""
    m = report.model.chosen_metrics
    return (
        f"The model does no better than chance here: its test ROC AUC is {_auc(m)}, an interval that "
        "includes 0.5 (a coin flip), so its probabilities do not tell the customers who will churn from "
        "those who will stay."
    )


def _risk_line(report: ChurnReport) -> str:
    r = report.risk
    rng = f"{_money(report, r.low)}–{_money(report, r.high)}"
    caveat = chance_caveat(report)
    if caveat:
        return (
            f"**ARR at risk (model no better than chance):** {caveat} Taken at face value they put "
            f"{_money(report, r.expected)} of ARR at risk across {fmt_int(r.customers)} current customers "
            f"(90% range {rng}); read that as a rough total, not as a list of customers to act on."
        )
    if report.mode == "history":
        return (
            f"**ARR at risk:** {_money(report, r.expected)} of ARR is expected to churn within "
            f"{_horizon(report)} across {fmt_int(r.customers)} current customers (the sum of churn probability "
            f"× ARR; 90% range of the simulated loss {rng}, taking the probabilities as exact)."
        )
    return (
        f"**ARR at risk:** the snapshot has no dates, so the model's probability is how much a retained customer "
        f"resembles those flagged as churned, not a churn rate over a stated period. Weighted by ARR, that is "
        f"{_money(report, r.expected)} across {fmt_int(r.customers)} retained customers (90% range of the "
        f"simulated loss {rng}, taking the probabilities as exact)."
    )


# ---------------------------------------------------------------- sections


@with_alt_text
def churn_rate(report: ChurnReport) -> list[Displayable]:
    """Churn rate table (and, in history mode, its course over observation dates)."""
    rates = report.rates
    formats = {**RATE_FORMATS, DATE: "date"}
    if report.mode != "history":
        return [charts.table(rates, formats)]
    _fig, ax = plt.subplots()
    ax.plot(rates[DATE], rates["churn_rate"], color=charts.ACCENT, marker="o", markersize=3)
    ax.fill_between(rates[DATE], rates["ci_low"], rates["ci_high"], color=charts.ACCENT, alpha=0.2)
    charts.pct_axis(ax)
    fig = charts.finish(
        ax,
        f"Share of customers churning within {_horizon(report)}, with 95% CI",
        "Observation date",
        f"Churned within {_horizon(report)} (%)",
    )
    return [
        fig,
        charts.table(rates.iloc[::-1], formats, max_rows=12, caption="Latest observation dates first"),
    ]


@with_alt_text
def model_quality(report: ChurnReport) -> list[Displayable]:
    """Test ROC AUC, PR AUC and Brier of each model with intervals: chart and table."""
    metrics = report.model.metrics
    _fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], 2.8))
    y = np.arange(len(metrics))
    err = np.vstack(
        [metrics["roc_auc"] - metrics["roc_auc_ci_low"], metrics["roc_auc_ci_high"] - metrics["roc_auc"]]
    )
    colors = [charts.ACCENT if c else charts.MUTED for c in metrics["chosen"]]
    ax.errorbar(metrics["roc_auc"], y, xerr=err, fmt="none", ecolor="#333", capsize=4)
    ax.scatter(metrics["roc_auc"], y, color=colors, zorder=3, s=60)
    ax.axvline(0.5, color="#c0392b", linestyle="--", linewidth=1)
    ax.set_yticks(y, metrics["model"])
    ax.set_xlim(min(0.3, float(metrics["roc_auc_ci_low"].min()) - 0.05), 1.0)
    ax.invert_yaxis()
    fig = charts.finish(
        ax, "Test ROC AUC by model, with 95% CI", "ROC AUC (0.5 = random, 1 = perfect)", "Model"
    )
    cols = ["model", "n", "churners", "roc_auc", "roc_auc_ci_low", "roc_auc_ci_high", "pr_auc", "pr_auc_ci_low",
            "pr_auc_ci_high", "brier", "brier_ci_low", "brier_ci_high", "validation_auc", "chosen"]  # fmt: skip
    formats = {c: "num" for c in cols if c.startswith(("roc", "pr_", "brier", "validation"))}
    return [fig, charts.table(metrics[cols], {**formats, "n": "int", "churners": "int"})]


@with_alt_text
def calibration(report: ChurnReport) -> list[Displayable]:
    """Reliability chart: mean predicted probability vs observed churn rate per bin, with Wilson CIs."""
    cal = report.calibration
    _fig, ax = plt.subplots()
    top = float(max(cal["ci_high"].max(), cal["mean_probability"].max())) * 1.05
    ax.plot([0, top], [0, top], color=charts.MUTED, linestyle="--", label="perfect calibration")
    err = np.vstack([cal["churn_rate"] - cal["ci_low"], cal["ci_high"] - cal["churn_rate"]])
    ax.errorbar(cal["mean_probability"], cal["churn_rate"], yerr=np.clip(err, 0, None), fmt="o",
                color=charts.ACCENT, ecolor="#333", capsize=3, label="test rows, 95% CI")  # fmt: skip
    charts.pct_axis(ax, "x")
    charts.pct_axis(ax, "y")
    ax.legend(loc="upper left")
    fig = charts.finish(
        ax, f"Calibration of {report.model.chosen} (test rows)", "Mean predicted churn probability (%)",
        "Observed churn rate (%)",
    )  # fmt: skip
    formats = {**RATE_FORMATS, "mean_probability": "pct", "bin": "int"}
    return [fig, charts.table(cal, formats)]


@with_alt_text
def lift(report: ChurnReport) -> list[Displayable]:
    """Cumulative gains chart and the decile lift table."""
    lt = report.lift
    _fig, ax = plt.subplots()
    x = np.r_[0, lt["cum_share_customers"]]
    ax.plot(x, np.r_[0, lt["cum_share_churners"]], marker="o", color=charts.ACCENT, label=report.model.chosen)
    ax.plot([0, 1], [0, 1], color=charts.MUTED, linestyle="--", label="random order")
    charts.pct_axis(ax, "x")
    charts.pct_axis(ax, "y")
    ax.legend(loc="lower right")
    fig = charts.finish(ax, "Cumulative gains on the test rows", "Customers contacted, riskiest first (%)",
                        "Churners reached (%)")  # fmt: skip
    formats = {**RATE_FORMATS, "decile": "int", "mean_probability": "pct", "lift": "num", "lift_ci_low": "num",
               "lift_ci_high": "num", "cum_share_customers": "pct", "cum_share_churners": "pct",
               "cum_lift": "num"}  # fmt: skip
    return [fig, charts.table(lt, formats)]


def _logistic_note(report: ChurnReport) -> str:
    """Why logistic terms are missing: terms left out as collinear, or why no effect was estimated."""
    return str(report.drivers.attrs.get("logistic_note", ""))


@with_alt_text
def drivers(report: ChurnReport, top: int = 12) -> list[Displayable]:
    """Permutation importance chart, the drivers table with logistic effects, and any fit note."""
    d = report.drivers.head(top)
    _fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], max(2.5, 0.38 * len(d) + 1.2)))
    colors = [charts.ACCENT if c else charts.MUTED for c in d["clear"]]
    ax.barh(d["feature"].astype(str), d["auc_drop"], color=colors)
    err = np.vstack([d["auc_drop"] - d["auc_drop_min"], d["auc_drop_max"] - d["auc_drop"]])
    ax.errorbar(d["auc_drop"], d["feature"].astype(str), xerr=np.clip(err, 0, None), fmt="none", ecolor="#333",
                capsize=3)  # fmt: skip
    ax.invert_yaxis()
    fig = charts.finish(
        ax, f"What the {report.model.chosen} model relies on", "Drop in test ROC AUC when the feature is "
        "shuffled (range over repeats)", "Feature",
    )  # fmt: skip
    cols = ["feature", "auc_drop", "auc_drop_min", "auc_drop_max", "term", "prob_change", "prob_change_ci_low",
            "prob_change_ci_high", "p_value", "clear"]  # fmt: skip
    shown = report.drivers[[c for c in cols if c in report.drivers]]
    formats = {"auc_drop": "num", "auc_drop_min": "num", "auc_drop_max": "num", "prob_change": "pct",
               "prob_change_ci_low": "pct", "prob_change_ci_high": "pct", "p_value": "p", "term": "text"}  # fmt: skip
    note = _logistic_note(report)
    notes = [charts.notice(note[0].upper() + note[1:] + ".")] if note else []
    return [fig, *notes, charts.table(shown, formats)]


@with_alt_text
def survival(report: ChurnReport) -> list[Displayable]:
    """Kaplan–Meier curve of tenure with retained shares at 6, 12, 24 and 36 months."""
    from revops_nb.analysis.churn_results import survival_points

    curve = report.survival
    if curve is None or curve.empty:
        return [
            charts.notice("No tenure information (subscription dates or a tenure column): no survival curve.")
        ]
    fig = charts.km_plot(
        {"All customers": curve}, "Customers remaining by tenure (Kaplan–Meier, 95% CI)", "Tenure (months)",
        "Customers remaining (%)",
    )  # fmt: skip
    points = survival_points(curve)
    formats = {"tenure_months": "int", "retained": "pct", "ci_low": "pct", "ci_high": "pct", "at_risk": "int"}
    return [fig, charts.table(points, formats, caption="Share still a customer at each tenure")]


def scored(report: ChurnReport) -> list[Displayable]:
    """The current customers with the most ARR at risk (after the no-better-than-chance caveat, if it applies)."""
    n = report.settings.top_n
    caveat = chance_caveat(report)
    warning = [charts.notice(f"{caveat} The order of this list and each probability carry no evidence about "
                             "who will churn; the list is shown for completeness, not for action.")] if caveat else []  # fmt: skip
    sentence = Markdown(
        f"{fmt_int(len(report.scores))} current customers scored; the {min(n, len(report.scores))} with the "
        f"most ARR at risk (churn probability × ARR, in {report.settings.reporting_currency}) are shown. "
        "The full list is saved as `churn_scores.csv`."
    )
    formats = {"churn_probability": "pct", "arr": "money", "arr_at_risk": "money", "top_drivers": "text"}
    currency = report.settings.reporting_currency
    return [*warning, sentence, charts.table(report.scores, formats, max_rows=n, currency=currency)]


# ---------------------------------------------------------------- churn reasons


def _share(share: float, low: float, high: float) -> str:
    return f"{fmt_pct(share)} (95% CI {fmt_interval(low, high)})"


def _reasons_line(report: ChurnReport) -> str:
    """The most frequent churn reason, and whether it leads the next one by a binomial test."""
    r = report.reasons
    if r is None or not r.accounts or r.leader is None:
        return ""
    table = r.table.set_index("reason")
    lead, nxt = r.leader, table.loc[r.leader.second]
    top = table.loc[lead.first]
    arr = (
        f" and {_share(top['arr_share'], top['arr_ci_low'], top['arr_ci_high'])} of churned ARR"
        if r.arr_accounts
        else ""
    )
    first, second = escape_markdown(lead.first), escape_markdown(lead.second)
    test = f"binomial test among the accounts giving either, {fmt_p(lead.p_value)}"
    if lead.p_value < 0.05:
        verdict = f'more often than the next reason, "{second}" ({fmt_pct(nxt["share"])}; {test})'
    else:
        verdict = f'not clearly more often than "{second}" ({fmt_pct(nxt["share"])}; {test})'
    return (
        f"**Why customers left:** of {fmt_int(r.accounts)} churned accounts with a churn event, the most "
        f'frequent reason is "{first}": {_share(top["share"], top["ci_low"], top["ci_high"])} of the accounts'
        f"{arr}, {verdict}."
    )  # fmt: skip


@with_alt_text
def reasons(report: ChurnReport) -> list[Displayable]:
    """Churn reasons by share of churned accounts and ARR (chart and table), and by support tickets before churn."""
    r = report.reasons
    if r is None:
        return [Markdown("This section needs a `churn_events` table (account_id, churn_date, reason), which is not "
                         "configured, so the report cannot say why customers left.")]  # fmt: skip
    if not r.accounts:
        return [Markdown(f"The `churn_events` table has no churn dated up to {_as_of_text(report)}, so there "
                         "is no reason to break down.")]  # fmt: skip
    span = f"from {r.first_date:%Y-%m-%d} to {r.last_date:%Y-%m-%d}"
    text = (
        f"{fmt_int(r.accounts)} accounts churned {span} according to `churn_events`; each counts once, "
        "under the reason of its latest event. Account shares carry Wilson 95% intervals; "
    )
    if r.arr_accounts:
        text += (
            f"churned ARR is that of {r.arr_source} (known for {fmt_int(r.arr_accounts)} of the accounts), and its "
            "shares carry bootstrap 95% intervals that resample accounts."
        )
    else:
        text += "no churned ARR is known (no subscriptions or customers ARR to match), so ARR shares are not shown."
    out: list[Displayable] = [Markdown(text)]
    if r.accounts < report.settings.min_n:
        out.append(charts.notice(f"Only {r.accounts} churned accounts (fewer than {report.settings.min_n}): "
                                 "the shares are shown but not compared."))  # fmt: skip
    shares = r.table.rename(columns={"reason": "value", "share": "rate"})
    shares["flagged"] = r.accounts < report.settings.min_n
    out.append(
        charts.rate_bars(
            shares, "Churned accounts by reason given, with 95% CI", "Share of churned accounts (%)", "Reason"
        )
    )
    formats = {"accounts": "int", "share": "pct", "ci_low": "pct", "ci_high": "pct", "arr": "money",
               "arr_share": "pct", "arr_ci_low": "pct", "arr_ci_high": "pct", "reason": "text"}  # fmt: skip
    shown = r.table if r.arr_accounts else r.table[["reason", "accounts", "share", "ci_low", "ci_high"]]
    out.append(charts.table(shown, formats, currency=report.settings.reporting_currency))
    return out + _support_split(report)


def _as_of_text(report: ChurnReport) -> str:
    return f"{report.table.as_of:%Y-%m-%d}" if report.table.as_of is not None else "the data's end"


def _support_split(report: ChurnReport) -> list[Displayable]:
    """Reasons among churners with and without a high-priority ticket in their last 90 days."""
    r = report.reasons
    split = r.by_support if r is not None else None
    if split is None:
        return [Markdown("With a `support_tickets` table that has a priority, the reasons would also be compared "
                         "between churners who filed a high-priority ticket before leaving and the others.")]  # fmt: skip
    with_n, without_n = int(split["with_n"].iloc[0]), int(split["without_n"].iloc[0])
    min_n = report.settings.min_n
    intro = (
        f"**Reasons and support before churning.** {fmt_int(with_n)} churned accounts filed a high-priority "
        f"ticket (High, Urgent, Critical, P1 …) in the 90 days before churning; {fmt_int(without_n)} did not."
    )
    if min(with_n, without_n) < min_n:
        intro += f" One group has fewer than {min_n} accounts, so the shares are not compared."
        clear = split.iloc[0:0]
    else:
        clear = split[(split["p_holm"] < 0.05) & (split["reason"] != NO_REASON)]
        if clear.empty:
            intro += (
                "No reason's share differs clearly between the two groups (tests Holm-adjusted over reasons)."
            )
    lines = [
        f'"{escape_markdown(row["reason"])}" was given by '
        f"{_share(row['with_ticket'], row['with_ci_low'], row['with_ci_high'])} of those with such a ticket, "
        f"against {_share(row['without_ticket'], row['without_ci_low'], row['without_ci_high'])} of the others "
        f"({row['test']}, {fmt_p(row['p_holm'])} after Holm adjustment over {len(split)} reasons)."
        for _, row in clear.iterrows()
    ]
    formats = {"with_ticket": "pct", "with_ci_low": "pct", "with_ci_high": "pct", "with_n": "int",
               "without_ticket": "pct", "without_ci_low": "pct", "without_ci_high": "pct", "without_n": "int",
               "p_value": "p", "p_holm": "p", "reason": "text", "test": "text"}  # fmt: skip
    caption = (
        "Share giving each reason: churners with a high-priority ticket in their last 90 days vs the others"
    )
    return [
        Markdown(intro + (" " + " ".join(lines) if lines else "")),
        charts.table(split, formats, caption=caption),
    ]
