"""How the churn results read in the report: sentences, formatted tables and charts.

Each function takes the :class:`~revops_nb.reports.churn_model.ChurnResult` and returns
things a notebook displays; it computes nothing the result does not hold. Sentences
claim a difference only where its interval excludes no-difference; feature names and
reasons (which come from the data) are escaped before they reach Markdown. Every chart
is shown as an image with its title as alt text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown

from revops_nb import charts
from revops_nb.display import ChartImage, bullets, figure, notice, table
from revops_nb.formatting import (
    ci_label,
    escape,
    escape_markdown,
    fmt_int,
    fmt_interval,
    fmt_money,
    fmt_num,
    fmt_p,
    fmt_pct,
)
from revops_nb.reports.churn_model._table import DATE

if TYPE_CHECKING:
    from revops_nb.reports.churn_model._result import ChurnResult

Displayable = Markdown | HTML | ChartImage

RATE_FORMATS = {"n": "int", "churners": "int", "churn_rate": "pct", "ci_low": "pct", "ci_high": "pct"}


def _ci(result: ChurnResult) -> str:
    """'95% CI': the interval label of every interval in the report."""
    return ci_label(result.confidence)


def _level(result: ChurnResult) -> str:
    """'95%': the confidence level alone."""
    return _ci(result).removesuffix(" CI")


def _rate(result: ChurnResult, rate: float, low: float, high: float, n: int) -> str:
    return f"{fmt_pct(rate)} ({_ci(result)} {fmt_interval(low, high)}, n = {fmt_int(n)})"


def _auc(result: ChurnResult, row: pd.Series, key: str = "roc_auc") -> str:
    return f"{row[key]:.3f} ({_ci(result)} {row[f'{key}_ci_low']:.3f}–{row[f'{key}_ci_high']:.3f})"


def _horizon(result: ChurnResult) -> str:
    return f"{result.settings.horizon_days} days"


# ---------------------------------------------------------------- data and summary


def period_text(result: ChurnResult) -> str:
    """What the model rests on, in words."""
    if result.mode == "history":
        return (
            f"customers observed every {result.settings.step_days} days from {result.observed_from:%Y-%m-%d} "
            f"to {result.observed_to:%Y-%m-%d}; current customers scored as of {result.table.as_of:%Y-%m-%d}"
        )
    return f"a snapshot of {fmt_int(result.n_rows)} customers with a churn flag"


def data_notes(result: ChurnResult) -> list[Displayable]:
    """Mode, split and any coerced values, in words."""
    t, s = result.table, result.model.split
    if t.mode == "history":
        text = (
            f"**History mode.** {fmt_int(result.n_rows)} customer observations: each customer with an "
            f"active subscription on an observation date is one row, described only by data dated before "
            f"that date (usage months count once they have ended). The label is whether the customer had "
            f"no active subscription {_horizon(result)} later. Models were {s.description}."
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
        out.append(notice(f"{col}: {n} {what} and are treated as missing."))
    for note in [*t.notes, *result.model.notes]:
        out.append(notice(note))
    return out


def summary(result: ChurnResult) -> Markdown:
    """The findings, each backed by an interval or test computed in the result."""
    lines = [_rate_line(result), _model_line(result), _baseline_line(result), _lift_line(result)]
    lines += [_calibration_line(result), _driver_line(result), _risk_line(result), _reasons_line(result)]
    return bullets([line for line in lines if line])


def _rate_line(result: ChurnResult) -> str:
    r = result.latest_rate
    rate = _rate(result, r["churn_rate"], r["ci_low"], r["ci_high"], r["n"])
    if result.mode == "history":
        return (
            f"**Churn rate:** of the customers active on {r[DATE]:%Y-%m-%d}, {rate} had no active "
            f"subscription {_horizon(result)} later."
        )
    return f"**Churn rate:** {rate} of customers in the snapshot have churned."


def _model_line(result: ChurnResult) -> str:
    model = result.model
    m = model.chosen_metrics
    val = ", ".join(
        f"{name} {auc:.3f}" for name, auc in model.validation_auc.items() if name != model.baseline
    )
    return (
        f"**Model:** {model.chosen} ranks a churner above a customer who stayed with ROC AUC "
        f"{_auc(result, m)} on {fmt_int(m['n'])} test rows ({fmt_int(m['churners'])} churned); PR AUC "
        f"{_auc(result, m, 'pr_auc')}, Brier score {_auc(result, m, 'brier')}. It was picked by the higher "
        f"ROC AUC on the validation rows ({val}); that choice is not a claim that it is better than the "
        "other model."
    )


def _baseline_line(result: ChurnResult) -> str:
    """Model vs the naive baseline, and whether the baseline itself is better than chance.

    Beating a baseline that ranks no better than a coin flip only says the model beats
    chance, so the sentence says so instead of presenting it as a gain over a real rule.
    """
    model = result.model
    if model.baseline is None:
        return ""
    metrics = model.metrics.set_index("model")
    m, naive = metrics.loc[model.chosen], metrics.loc[model.baseline]
    ci = _ci(result)
    feature = escape(model.baseline_feature)
    what = f"the churn rate of the customer's {feature} band in the training rows"
    gain = f"{m['auc_gain']:+.3f} ({ci} {m['auc_gain_ci_low']:+.3f} to {m['auc_gain_ci_high']:+.3f})"
    base = f"the naive baseline ({what}, ROC AUC {_auc(result, naive)})"
    tail = ""
    if naive["roc_auc_ci_low"] <= 0.5:
        tail = (
            f" The baseline itself is not clearly better than chance (0.5), so {feature} alone carries no "
            "clear signal here and this comparison shows only that the model beats chance"
            + (
                f" (its own {ci} lies above 0.5)."
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


def _lift_line(result: ChurnResult) -> str:
    top = result.lift.iloc[0]
    return (
        f"**Top decile:** the 10% of test rows scored riskiest churned at {fmt_num(top['lift'], 1)}× the "
        f"average rate ({_ci(result)} {fmt_num(top['lift_ci_low'], 1)}–{fmt_num(top['lift_ci_high'], 1)}×, "
        f"n = {fmt_int(top['n'])}) and hold {fmt_pct(top['cum_share_churners'])} of the churners."
    )


def _calibration_line(result: ChurnResult) -> str:
    c = result.model.calibrator
    verb = "were recalibrated (Platt scaling)" if c.applied else "were left as the model gives them"
    why = "lowered" if c.applied else "did not lower"
    return (
        f"**Calibration:** probabilities {verb}, because recalibration {why} the cross-validated Brier "
        f"score on the validation rows ({c.brier_calibrated:.4f} vs {c.brier_raw:.4f}). On the test rows the "
        f"mean predicted probability lies inside the observed rate's {_ci(result)} in "
        f"{result.calibration_within_ci} of {result.calibration_bins} bins."
    )


def _driver_line(result: ChurnResult) -> str:
    clear = result.drivers[result.drivers["clear"]]
    if clear.empty:
        line = "**Drivers:** no feature is a clear driver by both permutation importance and logistic "
        line += "regression"
        note = _logistic_note(result) if result.drivers["p_value"].isna().all() else ""
        return f"{line}: {escape(note)}." if note else f"{line}."
    parts = [_driver_phrase(result, row) for _, row in clear.head(4).iterrows()]
    return (
        "**Clear drivers** (shuffling each lowers test ROC AUC in every repeat and its logistic coefficient's "
        f"{_ci(result)} excludes zero): " + "; ".join(parts) + "."
    )


def _driver_phrase(result: ChurnResult, row: pd.Series) -> str:
    term = escape(row["term"])
    change = (
        f"{100 * row['prob_change']:+.1f} pts ({_ci(result)} {100 * row['prob_change_ci_low']:+.1f} to "
        f"{100 * row['prob_change_ci_high']:+.1f})"
    )
    unit = "per standard deviation higher" if "=" not in str(row["term"]) else "for this category"
    return f"{term}: churn probability {change} {unit}"


def _money(result: ChurnResult, value: float) -> str:
    return fmt_money(value, result.settings.reporting_currency)


def chance_caveat(result: ChurnResult) -> str:
    """The sentence that goes next to ARR at risk and the scored list when the model ranks no better than chance.

    Empty when the test ROC AUC interval lies above 0.5.
    """
    if result.better_than_chance:
        return ""
    return (
        f"The model does no better than chance here: its test ROC AUC is {_auc(result, result.model.chosen_metrics)}, "
        "an interval that includes 0.5 (a coin flip), so its probabilities do not tell the customers who will "
        "churn from those who will stay."
    )


def _risk_line(result: ChurnResult) -> str:
    r = result.risk
    rng = f"{_money(result, r.low)}–{_money(result, r.high)}"
    caveat = chance_caveat(result)
    if caveat:
        return (
            f"**ARR at risk (model no better than chance):** {caveat} Taken at face value they put "
            f"{_money(result, r.expected)} of ARR at risk across {fmt_int(r.customers)} current customers "
            f"(90% range {rng}); read that as a rough total, not as a list of customers to act on."
        )
    if result.mode == "history":
        return (
            f"**ARR at risk:** {_money(result, r.expected)} of ARR is expected to churn within "
            f"{_horizon(result)} across {fmt_int(r.customers)} current customers (the sum of churn probability "
            f"× ARR; 90% range of the simulated loss {rng}, taking the probabilities as exact)."
        )
    return (
        f"**ARR at risk:** the snapshot has no dates, so the model's probability is how much a retained customer "
        f"resembles those flagged as churned, not a churn rate over a stated period. Weighted by ARR, that is "
        f"{_money(result, r.expected)} across {fmt_int(r.customers)} retained customers (90% range of the "
        f"simulated loss {rng}, taking the probabilities as exact)."
    )


# ---------------------------------------------------------------- sections


def churn_rate(result: ChurnResult) -> list[Displayable]:
    """Churn rate table (and, in history mode, its course over observation dates)."""
    rates = result.rates
    formats = {**RATE_FORMATS, DATE: "date"}
    if result.mode != "history":
        return [table(rates, formats)]
    _fig, ax = plt.subplots()
    ax.plot(rates[DATE], rates["churn_rate"], color=charts.ACCENT, marker="o", markersize=3)
    ax.fill_between(rates[DATE], rates["ci_low"], rates["ci_high"], color=charts.ACCENT, alpha=0.2)
    charts.pct_axis(ax)
    fig = charts.finish(
        ax,
        f"Share of customers churning within {_horizon(result)}, with {_ci(result)}",
        "Observation date",
        f"Churned within {_horizon(result)} (%)",
    )
    return [
        figure(fig),
        table(rates.iloc[::-1], formats, max_rows=12, caption="Latest observation dates first"),
    ]


def model_quality(result: ChurnResult) -> list[Displayable]:
    """Test ROC AUC, PR AUC and Brier of each model with intervals: chart and table."""
    metrics = result.model.metrics
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
        ax, f"Test ROC AUC by model, with {_ci(result)}", "ROC AUC (0.5 = random, 1 = perfect)", "Model"
    )
    cols = ["model", "n", "churners", "roc_auc", "roc_auc_ci_low", "roc_auc_ci_high", "pr_auc", "pr_auc_ci_low",
            "pr_auc_ci_high", "brier", "brier_ci_low", "brier_ci_high", "validation_auc", "chosen"]  # fmt: skip
    formats = {c: "num" for c in cols if c.startswith(("roc", "pr_", "brier", "validation"))}
    return [figure(fig), table(metrics[cols], {**formats, "n": "int", "churners": "int"})]


def calibration(result: ChurnResult) -> list[Displayable]:
    """Reliability chart: mean predicted probability vs observed churn rate per bin, with Wilson CIs."""
    cal = result.calibration
    _fig, ax = plt.subplots()
    top = float(max(cal["ci_high"].max(), cal["mean_probability"].max())) * 1.05
    ax.plot([0, top], [0, top], color=charts.MUTED, linestyle="--", label="perfect calibration")
    err = np.vstack([cal["churn_rate"] - cal["ci_low"], cal["ci_high"] - cal["churn_rate"]])
    ax.errorbar(cal["mean_probability"], cal["churn_rate"], yerr=np.clip(err, 0, None), fmt="o",
                color=charts.ACCENT, ecolor="#333", capsize=3, label=f"test rows, {_ci(result)}")  # fmt: skip
    charts.pct_axis(ax, "x")
    charts.pct_axis(ax, "y")
    ax.legend(loc="upper left")
    fig = charts.finish(
        ax, f"Calibration of {result.model.chosen} (test rows)", "Mean predicted churn probability (%)",
        "Observed churn rate (%)",
    )  # fmt: skip
    formats = {**RATE_FORMATS, "mean_probability": "pct", "bin": "int"}
    return [figure(fig), table(cal, formats)]


def lift(result: ChurnResult) -> list[Displayable]:
    """Cumulative gains chart and the decile lift table."""
    lt = result.lift
    _fig, ax = plt.subplots()
    x = np.r_[0, lt["cum_share_customers"]]
    ax.plot(x, np.r_[0, lt["cum_share_churners"]], marker="o", color=charts.ACCENT, label=result.model.chosen)
    ax.plot([0, 1], [0, 1], color=charts.MUTED, linestyle="--", label="random order")
    charts.pct_axis(ax, "x")
    charts.pct_axis(ax, "y")
    ax.legend(loc="lower right")
    fig = charts.finish(ax, "Cumulative gains on the test rows", "Customers contacted, riskiest first (%)",
                        "Churners reached (%)")  # fmt: skip
    formats = {**RATE_FORMATS, "decile": "int", "mean_probability": "pct", "lift": "num", "lift_ci_low": "num",
               "lift_ci_high": "num", "cum_share_customers": "pct", "cum_share_churners": "pct",
               "cum_lift": "num"}  # fmt: skip
    return [figure(fig), table(lt, formats)]


def _logistic_note(result: ChurnResult) -> str:
    """Why logistic terms are missing: terms left out as collinear, or why no effect was estimated."""
    return str(result.drivers.attrs.get("logistic_note", ""))


def drivers(result: ChurnResult, top: int = 12) -> list[Displayable]:
    """Permutation importance chart, the drivers table with logistic effects, and any fit note."""
    d = result.drivers.head(top)
    _fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], max(2.5, 0.38 * len(d) + 1.2)))
    colors = [charts.ACCENT if c else charts.MUTED for c in d["clear"]]
    ax.barh(d["feature"].astype(str), d["auc_drop"], color=colors)
    err = np.vstack([d["auc_drop"] - d["auc_drop_min"], d["auc_drop_max"] - d["auc_drop"]])
    ax.errorbar(d["auc_drop"], d["feature"].astype(str), xerr=np.clip(err, 0, None), fmt="none", ecolor="#333",
                capsize=3)  # fmt: skip
    ax.invert_yaxis()
    fig = charts.finish(
        ax, f"What the {result.model.chosen} model relies on", "Drop in test ROC AUC when the feature is "
        "shuffled (range over repeats)", "Feature",
    )  # fmt: skip
    cols = ["feature", "auc_drop", "auc_drop_min", "auc_drop_max", "term", "prob_change", "prob_change_ci_low",
            "prob_change_ci_high", "p_value", "clear"]  # fmt: skip
    shown = result.drivers[[c for c in cols if c in result.drivers]]
    formats = {"auc_drop": "num", "auc_drop_min": "num", "auc_drop_max": "num", "prob_change": "pct",
               "prob_change_ci_low": "pct", "prob_change_ci_high": "pct", "p_value": "p", "term": "text"}  # fmt: skip
    note = _logistic_note(result)
    notes = [notice(note[0].upper() + note[1:] + ".")] if note else []
    return [figure(fig), *notes, table(shown, formats)]


def survival(result: ChurnResult) -> list[Displayable]:
    """Kaplan–Meier curve of tenure with retained shares at 6, 12, 24 and 36 months."""
    curve = result.survival
    if curve is None or curve.empty:
        return [notice("No tenure information (subscription dates or a tenure column): no survival curve.")]
    fig = charts.km_plot(
        {"All customers": curve}, f"Customers remaining by tenure (Kaplan–Meier, {_ci(result)})",
        "Tenure (months)", "Customers remaining (%)",
    )  # fmt: skip
    formats = {"tenure_months": "int", "retained": "pct", "ci_low": "pct", "ci_high": "pct", "at_risk": "int"}
    return [
        figure(fig),
        table(result.survival_points, formats, caption="Share still a customer at each tenure"),
    ]


def scored(result: ChurnResult) -> list[Displayable]:
    """The current customers with the most ARR at risk (after the no-better-than-chance caveat, if it applies)."""
    currency = result.settings.reporting_currency
    caveat = chance_caveat(result)
    warning = [notice(f"{caveat} The order of this list and each probability carry no evidence about "
                      "who will churn; the list is shown for completeness, not for action.")] if caveat else []  # fmt: skip
    sentence = Markdown(
        f"{fmt_int(result.n_scored)} current customers scored; the {result.n_listed} with the "
        f"most ARR at risk (churn probability × ARR, in {currency}) are shown. "
        "The full list is saved as `churn_scores.csv`."
    )
    formats = {"churn_probability": "pct", "arr": "money", "arr_at_risk": "money", "top_drivers": "text"}
    return [
        *warning,
        sentence,
        table(result.scores, formats, max_rows=result.settings.top_n, currency=currency),
    ]


# ---------------------------------------------------------------- churn reasons


def _share(result: ChurnResult, share: float, low: float, high: float) -> str:
    return f"{fmt_pct(share)} ({_ci(result)} {fmt_interval(low, high)})"


def _reasons_line(result: ChurnResult) -> str:
    """The most frequent churn reason, and whether it leads the next one by a binomial test."""
    r = result.reasons
    if r is None or not r.accounts or r.leader is None:
        return ""
    shares = r.table.set_index("reason")
    lead, nxt = r.leader, shares.loc[r.leader.second]
    top = shares.loc[lead.first]
    arr = (
        f" and {_share(result, top['arr_share'], top['arr_ci_low'], top['arr_ci_high'])} of churned ARR"
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
        f'frequent reason is "{first}": {_share(result, top["share"], top["ci_low"], top["ci_high"])} of the '
        f"accounts{arr}, {verdict}."
    )  # fmt: skip


def reasons(result: ChurnResult) -> list[Displayable]:
    """Churn reasons by share of churned accounts and ARR (chart and table), and by support tickets before churn."""
    r = result.reasons
    if r is None:
        return [Markdown("This section needs a `churn_events` table (account_id, churn_date, reason), which is not "
                         "configured, so the report cannot say why customers left.")]  # fmt: skip
    if not r.accounts:
        return [Markdown(f"The `churn_events` table has no churn dated up to {_as_of_text(result)}, so there "
                         "is no reason to break down.")]  # fmt: skip
    level, min_n = _level(result), result.settings.min_n
    span = f"from {r.first_date:%Y-%m-%d} to {r.last_date:%Y-%m-%d}"
    text = (
        f"{fmt_int(r.accounts)} accounts churned {span} according to `churn_events`; each counts once, "
        f"under the reason of its latest event. Account shares carry Wilson {level} intervals; "
    )
    if r.arr_accounts:
        text += (
            f"churned ARR is that of {r.arr_source} (known for {fmt_int(r.arr_accounts)} of the accounts), and its "
            f"shares carry bootstrap {level} intervals that resample accounts."
        )
    else:
        text += "no churned ARR is known (no subscriptions or customers ARR to match), so ARR shares are not shown."
    out: list[Displayable] = [Markdown(text)]
    too_few = r.accounts < min_n
    if too_few:
        out.append(notice(f"Only {r.accounts} churned accounts (fewer than {min_n}): "
                          "the shares are shown but not compared."))  # fmt: skip
    shares = r.table.rename(columns={"reason": "value", "share": "rate"}).assign(flagged=too_few)
    title = f"Churned accounts by reason given, with {_ci(result)}"
    out.append(figure(charts.rate_bars(shares, title, "Share of churned accounts (%)", "Reason")))
    formats = {"accounts": "int", "share": "pct", "ci_low": "pct", "ci_high": "pct", "arr": "money",
               "arr_share": "pct", "arr_ci_low": "pct", "arr_ci_high": "pct", "reason": "text"}  # fmt: skip
    shown = r.table if r.arr_accounts else r.table[["reason", "accounts", "share", "ci_low", "ci_high"]]
    out.append(table(shown, formats, currency=result.settings.reporting_currency))
    return out + _support_split(result)


def _as_of_text(result: ChurnResult) -> str:
    return f"{result.table.as_of:%Y-%m-%d}" if result.table.as_of is not None else "the data's end"


def _support_split(result: ChurnResult) -> list[Displayable]:
    """Reasons among churners with and without a high-priority ticket in their last 90 days."""
    r = result.reasons
    split = r.by_support if r is not None else None
    if split is None:
        return [Markdown("With a `support_tickets` table that has a priority, the reasons would also be compared "
                         "between churners who filed a high-priority ticket before leaving and the others.")]  # fmt: skip
    with_n, without_n = int(split["with_n"].iloc[0]), int(split["without_n"].iloc[0])
    min_n = result.settings.min_n
    intro = (
        f"**Reasons and support before churning.** {fmt_int(with_n)} churned accounts filed a high-priority "
        f"ticket (High, Urgent, Critical, P1 …) in the 90 days before churning; {fmt_int(without_n)} did not."
    )
    if min(with_n, without_n) < min_n:
        intro += f" One group has fewer than {min_n} accounts, so the shares are not compared."
        clear = split.iloc[0:0]
    else:
        clear = r.support_differences
        if clear.empty:
            intro += (
                "No reason's share differs clearly between the two groups (tests Holm-adjusted over reasons)."
            )
    lines = [
        f'"{escape_markdown(row["reason"])}" was given by '
        f"{_share(result, row['with_ticket'], row['with_ci_low'], row['with_ci_high'])} of those with such a "
        f"ticket, against {_share(result, row['without_ticket'], row['without_ci_low'], row['without_ci_high'])} "
        f"of the others ({row['test']}, {fmt_p(row['p_holm'])} after Holm adjustment over {len(split)} reasons)."
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
        table(split, formats, caption=caption),
    ]
