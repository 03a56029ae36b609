"""What the NPS-to-retention notebook shows: charts, formatted tables and sentences.

Every figure goes through :func:`revops_nb.charts.finish` (title, axes with
units); every table through :func:`revops_nb.charts.table` (escaped); every
sentence with data-derived text through :func:`revops_nb.charts.say`.

A section the data cannot support steps aside: its figure function returns a
:func:`revops_nb.charts.notice` saying why in one sentence, and its
``*_details`` function (table and text, shown with ``display(*...)``) returns
nothing, so the report says it once.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure

from revops_nb import charts, stats
from revops_nb.analysis import nps
from revops_nb.analysis.nps_summary import (
    NpsReport,
    horizon_note,
    one_category,
    outcome_gap,
    outcome_words,
    sentence,
    summary_lines,
    tested_sentence,
)
from revops_nb.data.subscriptions import DEFINITION as SUBSCRIPTION_DEFINITION

MIN_AT_RISK = 10  # curves are drawn while at least this many accounts remain at risk
NO_DATES_CURVES = (
    "Retention curves need response dates (where each curve starts) and churn dates from a "
    "subscriptions table, and these survey responses have no dates."
)
SNAPSHOT_CURVES = (
    "Retention curves need churn dates from a subscriptions table; only a customers snapshot is loaded."
)
CATEGORY_COLORS = {"promoter": "#2a9d8f", "passive": "#9aa5b1", "detractor": "#c0392b"}
NPS_FORMATS = {
    "n": "int",
    "nps": "num",
    "ci_low": "num",
    "ci_high": "num",
    "promoters": "pct",
    "passives": "pct",
    "detractors": "pct",
}


def summary(report: NpsReport) -> Markdown:
    """The summary bullets (numbers and fixed words only)."""
    return charts.bullets(summary_lines(report))


def _ci(report: NpsReport) -> str:
    return f"{100 * report.params.confidence:g}% CI"


def not_known(report: NpsReport) -> HTML:
    """The notice shown in an outcome section when no response's outcome is known (yet)."""
    if report.linked.note:
        return charts.notice(outcome_gap(report))
    reasons = "; ".join(f"{n:,} {reason}" for reason, n in report.linked.excluded.items()) or "none linked"
    return charts.notice(
        f"Not yet known: no survey response has a known retention outcome ({reasons}). "
        "Try a shorter horizon_days or a later as_of once more time has passed."
    )


# ---------------------------------------------------------------- linking


def period_words(report: NpsReport) -> str:
    """The survey period and outcome date, in words."""
    dates = report.responses.frame["response_date"].dropna()
    text = "survey responses of any date" if report.responses.has_dates else "survey responses without dates"
    if len(dates):
        text = f"survey responses from {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"
    if report.linked.as_of is not None:
        text += f"; outcomes known up to {report.linked.as_of:%Y-%m-%d}"
    return text


def subscription_rule(report: NpsReport) -> Markdown | None:
    """The shared definition of an active subscription and churn, when outcomes come from subscriptions."""
    return Markdown(SUBSCRIPTION_DEFINITION) if report.linked.mode == "subscriptions" else None


def linking_table(report: NpsReport) -> HTML:
    """Responses in scope, linked and not linked by reason, after a note when the link is partial."""
    rows = [{"responses": "in scope (period and score scale)", "count": report.overall.n}]
    rows.append({"responses": "linked to an outcome", "count": report.linked.n_linked})
    rows += [
        {"responses": f"not linked: {reason}", "count": n} for reason, n in report.linked.excluded.items()
    ]
    rows += [
        {"responses": f"excluded: {reason}", "count": n} for reason, n in report.responses.excluded.items()
    ]
    rows.append({"responses": "accounts in the outcome analyses", "count": len(report.linked.accounts)})
    if report.survival is not None:
        rows.append(
            {"responses": "accounts followed in the retention curves", "count": len(report.linked.followed)}
        )
    caption = f"Outcome: retained = {outcome_words(report)} (from {report.linked.mode})"
    shown = charts.table(pd.DataFrame(rows), {"count": "int"}, caption=caption)
    notes = [outcome_gap(report)] if report.linked.note else []
    notes += [horizon_note(report)] if horizon_note(report) else []
    return HTML("".join(charts.notice(n).data for n in notes) + shown.data)


# ---------------------------------------------------------------- NPS


def nps_table(frame: pd.DataFrame) -> HTML:
    """An NPS-by-group table, with small groups flagged."""
    return charts.table(frame, NPS_FORMATS | {"flagged": "bool"})


def nps_segment_figure(report: NpsReport) -> Figure | HTML:
    """NPS per segment with interval whiskers (small segments grey), or why NPS is not segmented."""
    if report.responses.segment_note:
        return charts.notice(sentence(report.responses.segment_note))
    frame = report.by_segment
    label = report.params.segment_dimension
    _fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], max(2.5, 0.45 * len(frame) + 1.2)))
    _nps_points(ax, frame[label].astype(str), frame, horizontal=True)
    ax.axvline(report.overall.nps, color="#c0392b", linestyle="--", linewidth=1, label="overall NPS")
    ax.legend(loc="best")
    ax.invert_yaxis()
    title = f"NPS by {label} ({_ci(report)})"
    return charts.finish(ax, title, "NPS (points, −100 to +100)", label.replace("_", " ").capitalize())


def quarter_gap(report: NpsReport) -> str:
    """Why NPS over time is not shown (no response dates, or a single quarter), else ''."""
    quarters = report.by_quarter["quarter"].astype(str).tolist()
    if not quarters:
        return "NPS over time needs response dates, and these survey responses have none."
    if len(quarters) == 1:
        return (
            f"NPS over time needs responses from at least two quarters, and all are from {quarters[0]}, "
            "so it is the overall NPS above."
        )
    return ""


def nps_quarter_figure(report: NpsReport) -> Figure | HTML:
    """NPS per quarter with interval band (quarters under min_n grey), or why it cannot be shown."""
    if quarter_gap(report):
        return charts.notice(quarter_gap(report))
    frame = report.by_quarter
    _fig, ax = plt.subplots()
    x = np.arange(len(frame))
    ax.fill_between(x, frame["ci_low"], frame["ci_high"], color=charts.ACCENT, alpha=0.15, label=_ci(report))
    ax.plot(x, frame["nps"], color=charts.ACCENT, marker="o", label="NPS")
    small = frame["flagged"].to_numpy()
    ax.scatter(
        x[small], frame["nps"][small], color=charts.MUTED, zorder=3, label=f"n < {report.params.min_n}"
    )
    ax.set_xticks(x, frame["quarter"], rotation=45, ha="right")
    ax.axhline(0, color="#333", linewidth=0.8)
    ax.legend(loc="best")
    return charts.finish(
        ax, "NPS by quarter of response", "Quarter of response", "NPS (points, −100 to +100)"
    )


def _nps_points(ax, labels: pd.Series, frame: pd.DataFrame, horizontal: bool) -> None:
    colors = [charts.MUTED if f else charts.ACCENT for f in frame["flagged"]]
    err = np.vstack([frame["nps"] - frame["ci_low"], frame["ci_high"] - frame["nps"]])
    ax.errorbar(frame["nps"], labels, xerr=np.clip(err, 0, None), fmt="none", ecolor="#333", capsize=3)
    ax.scatter(frame["nps"], labels, color=colors, s=60, zorder=3)


def segment_details(report: NpsReport) -> list[HTML | Markdown]:
    """The NPS-by-segment table and its test in words; nothing when NPS is not segmented."""
    if report.responses.segment_note:
        return []
    return [nps_table(report.by_segment), segment_text(report)]


def segment_text(report: NpsReport) -> Markdown | HTML:
    """Whether the promoter/detractor mix differs across segments, tested (or why it is not)."""
    dim = report.params.segment_dimension
    if report.responses.segment_note:
        return charts.notice(sentence(report.responses.segment_note))
    only = one_category(report.responses.frame["category"])
    if only is not None:
        return charts.say(
            "Every response is a {only}, so the score mix cannot differ across {dim} values.",
            only=only,
            dim=dim,
        )
    flagged = int(report.by_segment["flagged"].sum())
    text = tested_sentence(
        report.segment_test,
        report.params.alpha,
        f"The promoter/passive/detractor mix differs across {dim} values",
        f"There is no significant difference in the score mix across {dim} values",
    )
    if flagged:
        text += f" {flagged} group(s) with fewer than {report.params.min_n} responses are flagged and not compared."
    return charts.say("{text}", text=text)


def quarter_details(report: NpsReport) -> list[HTML | Markdown]:
    """The NPS-by-quarter table and its test in words; nothing when NPS over time steps aside."""
    if quarter_gap(report):
        return []
    return [nps_table(report.by_quarter), quarter_text(report)]


def quarter_text(report: NpsReport) -> Markdown:
    """Whether the score mix changed over quarters, tested."""
    if quarter_gap(report):
        return Markdown(quarter_gap(report))
    only = one_category(report.responses.frame["category"])
    if only is not None:
        return Markdown(f"Every response is a {only}, so the score mix cannot change across quarters.")
    return Markdown(
        tested_sentence(
            report.quarter_test,
            report.params.alpha,
            f"The score mix changed across quarters with at least {report.params.min_n} responses",
            f"There is no significant change in the score mix across quarters with at least {report.params.min_n} responses",
        )
    )


def distribution_figure(report: NpsReport) -> Figure:
    """Share of responses at each score, coloured by category, with Wilson whiskers."""
    frame = report.distribution
    p = report.params
    _fig, ax = plt.subplots()
    labels = [fmt_score(v) for v in frame["score"]]
    colors = [CATEGORY_COLORS[c] for c in frame["category"]]
    ax.bar(labels, frame["share"], color=colors)
    err = np.vstack([frame["share"] - frame["ci_low"], frame["ci_high"] - frame["share"]])
    ax.errorbar(labels, frame["share"], yerr=np.clip(err, 0, None), fmt="none", ecolor="#333", capsize=2)
    handles = [plt.Rectangle((0, 0), 1, 1, color=CATEGORY_COLORS[c]) for c in nps.CATEGORIES]
    ax.legend(handles, [f"{c}s" for c in nps.CATEGORIES], loc="upper left")
    charts.pct_axis(ax)
    title = f"Score distribution (n = {report.overall.n:,})"
    return charts.finish(
        ax, title, f"Score ({p.score_min:g}–{p.score_max:g} scale)", "Share of responses (%)"
    )


def fmt_score(value: float) -> str:
    """7.0 -> '7', 3.5 -> '3.5'."""
    return f"{value:g}"


# ---------------------------------------------------------------- retention


def retention_table(report: NpsReport) -> HTML:
    """Logo and ARR retention by category with intervals."""
    formats = {
        "accounts": "int",
        "retained": "int",
        "churned": "int",
        "logo_retention": "pct",
        "ci_low": "pct",
        "ci_high": "pct",
        "arr": "money",
        "arr_retention": "pct",
        "arr_ci_low": "pct",
        "arr_ci_high": "pct",
        "flagged": "bool",
    }
    if not report.outcomes_known:
        return not_known(report)
    caption = (
        f"Retained = {outcome_words(report)}; logo CI Wilson, ARR CI bootstrap ({_ci(report)}); "
        f"ARR in {report.currency}"
    )
    return charts.table(report.retention, formats, currency=report.currency, caption=caption)


def retention_figure(report: NpsReport) -> Figure | HTML:
    """Logo retention by category with Wilson whiskers."""
    if not report.outcomes_known:
        return not_known(report)
    frame = report.retention.rename(columns={"category": "value", "logo_retention": "rate"})
    frame = frame.assign(
        value=[f"{c}s (n={n:,})" for c, n in zip(frame["value"], frame["accounts"], strict=True)]
    )
    return charts.rate_bars(
        frame,
        f"Logo retention by category ({_ci(report)})",
        xlabel=f"Accounts retained (%; {outcome_words(report)})",
        ylabel="Category of first linked response",
    )


def retention_details(report: NpsReport) -> list[HTML | Markdown]:
    """The retention table and its tests in words; nothing when no outcome is known (the figure says why)."""
    if not report.outcomes_known:
        return []
    return [retention_table(report), retention_text(report)]


def retention_text(report: NpsReport) -> Markdown:
    """The chi-square test across categories and the promoter–detractor contrast, in words."""
    if not report.outcomes_known:
        return Markdown("")
    only = one_category(report.linked.accounts["category"])
    if only is not None:
        return Markdown(
            f"Every linked account is a {only}, so retention cannot be compared across categories."
        )
    first = tested_sentence(
        report.retention_test,
        report.params.alpha,
        "Retention differs across promoters, passives and detractors",
        "There is no significant difference in retention across promoters, passives and detractors",
    )
    c = report.contrast
    if min(c.n_promoters, c.n_detractors) == 0:
        missing = "promoter" if c.n_promoters == 0 else "detractor"
        second = (
            f"No linked account is a {missing}, so promoters' and detractors' retention cannot be compared."
        )
    elif c.test.significant(report.params.alpha):
        word = "higher" if c.difference > 0 else "lower"
        second = (
            f"Promoters' retention is {abs(100 * c.difference):.1f} points {word} than detractors' "
            f"({_ci(report)} of the difference {100 * c.diff_ci_low:+.1f} to {100 * c.diff_ci_high:+.1f} points; "
            f"{c.test.test}, {charts.fmt_p(c.test.p_value)})."
        )
    else:
        second = (
            f"Promoters' and detractors' retention do not differ significantly "
            f"({c.test.test}, {charts.fmt_p(c.test.p_value)})."
        )
    return Markdown(f"{first} {second}")


def score_retention_figure(report: NpsReport) -> Figure | HTML:
    """Retention at each score value with Wilson whiskers; small groups grey."""
    if not report.outcomes_known:
        return not_known(report)
    acc = report.linked.accounts.assign(score_label=report.linked.accounts["score"].map(fmt_score))
    table = stats.rate_table(acc, "score_label", "retained", report.params.min_n, report.params.confidence)
    order = {fmt_score(v): v for v in acc["score"].unique()}
    table = table.assign(key=table["value"].map(order)).sort_values("key").reset_index(drop=True)
    _fig, ax = plt.subplots()
    colors = [charts.MUTED if f else charts.ACCENT for f in table["flagged"]]
    ax.bar(table["value"], table["rate"], color=colors)
    err = np.vstack([table["rate"] - table["ci_low"], table["ci_high"] - table["rate"]])
    ax.errorbar(
        table["value"], table["rate"], yerr=np.clip(err, 0, None), fmt="none", ecolor="#333", capsize=2
    )
    charts.pct_axis(ax)
    ax.set_ylim(0, 1.05)
    title = f"Retention by score (grey: fewer than {report.params.min_n} accounts)"
    return charts.finish(ax, title, "Score of first linked response", "Accounts retained (%)")


def association_text(report: NpsReport) -> Markdown:
    """Spearman correlation and the adjusted odds ratio, in words."""
    c, r, alpha = report.correlation, report.regression, report.params.alpha
    if not report.outcomes_known:
        return Markdown("")
    if np.isfinite(c.p_value):
        strength = "a significant" if c.significant(alpha) else "no significant"
        first = (
            f"Across {len(report.linked.accounts):,} accounts there is {strength} rank correlation between score and "
            f"retention (Spearman ρ = {c.statistic:+.3f}, {charts.fmt_p(c.p_value)})."
        )
    else:
        first = "The rank correlation cannot be computed (scores or outcomes do not vary)."
    if not np.isfinite(r.odds_ratio):
        return Markdown(f"{first} The logistic regression could not be estimated: {charts.escape(r.note)}.")
    controls = " and ".join(r.controls) or "no controls"
    direction = "lower" if r.odds_ratio < 1 else "higher"
    verdict = (
        f"each extra point goes with {direction} odds of churn"
        if r.p_value < alpha
        else "the score's effect is not significantly different from none"
    )
    second = (
        f"In a logistic regression of churn on score, controlling for {controls}, the odds ratio per score point is "
        f"{charts.fmt_num(r.odds_ratio)} ({_ci(report)} {charts.fmt_num(r.ci_low)}–{charts.fmt_num(r.ci_high)}, "
        f"{charts.fmt_p(r.p_value)}, n = {r.n:,}): {verdict}."
    )
    return Markdown(f"{first} {second}" + (f" Note: {charts.escape(r.note)}." if r.note else ""))


# ---------------------------------------------------------------- survival


def survival_figure(report: NpsReport) -> Figure | HTML:
    """Kaplan–Meier retention curves by category, or a notice without event dates."""
    if report.survival is None:
        if not report.responses.has_dates:
            return charts.notice(NO_DATES_CURVES)
        if report.linked.mode == "subscriptions":
            return not_known(report)
        return charts.notice(SNAPSHOT_CURVES)
    counts = report.linked.followed["category"].value_counts()
    _fig, ax = plt.subplots()
    for cat, curve in report.survival.curves.items():
        shown = curve[curve["at_risk"] >= MIN_AT_RISK]
        if shown.empty:
            continue
        color = CATEGORY_COLORS[cat]
        label = f"{cat}s (n={counts.get(cat, 0):,})"
        ax.step(shown["time"], shown["survival"], where="post", color=color, label=label)
        ax.fill_between(
            shown["time"], shown["ci_low"], shown["ci_high"], step="post", alpha=0.15, color=color
        )
    ax.set_ylim(0, 1.02)
    charts.pct_axis(ax)
    ax.legend(loc="lower left")
    title = f"Share of accounts still customers after the response ({_ci(report)})"
    return charts.finish(ax, title, "Days since survey response", "Accounts still customers (%)")


def survival_text(report: NpsReport) -> Markdown:
    """The log-rank test in words (or why there is nothing to compare)."""
    if report.survival is None:
        return Markdown("")
    only = one_category(report.linked.followed["category"])
    if only is not None:
        return Markdown(f"Every account followed is a {only}, so there are no curves to compare.")
    return Markdown(
        tested_sentence(
            report.survival.test,
            report.params.alpha,
            "The retention curves of promoters, passives and detractors differ",
            "The retention curves of promoters, passives and detractors do not differ significantly",
        )
    )


# ---------------------------------------------------------------- ARR at risk, respondents


def loss_gap(report: NpsReport) -> str:
    """Why no ARR at risk or no expected loss is shown, else ''."""
    a = report.at_risk
    if a.accounts == 0:
        return "No active account's latest response is a detractor score, so no ARR is flagged at risk."
    if np.isfinite(a.expected_loss):
        return ""
    if report.linked.note:
        why = "no response is tied to an outcome"
    elif not report.outcomes_known:
        why = "no response's outcome is known yet"
    else:
        why = "no linked detractor account has ARR"
    return f"The expected loss needs the detractors' past ARR retention, and {why}, so it is not estimated."


def at_risk_table(report: NpsReport) -> HTML:
    """ARR at risk among detractors and the expected loss (1 − detractors' ARR retention) with its interval."""
    a, cur = report.at_risk, report.currency
    if a.accounts == 0:
        return charts.notice(loss_gap(report))
    frame = pd.DataFrame(
        [
            {
                "measure": "active accounts whose latest response is a detractor score",
                "value": charts.fmt_int(a.accounts),
            },
            {"measure": "their current ARR", "value": charts.fmt_money(a.arr, cur)},
            {"measure": "share of all active ARR", "value": charts.fmt_pct(a.share_of_arr)},
            {
                "measure": f"expected to churn at the detractors' past ARR churn, 1 − ARR retention ({_ci(report)})",
                "value": f"{charts.fmt_money(a.expected_loss, cur)} "
                f"({charts.fmt_money(a.expected_loss_low, cur)}–{charts.fmt_money(a.expected_loss_high, cur)})",
            },
        ]
    )
    shown = charts.table(frame, {"value": "text"}, caption=f"ARR in reporting currency ({cur})")
    return HTML(charts.notice(loss_gap(report)).data + shown.data) if loss_gap(report) else shown


def respondents_table(report: NpsReport) -> HTML:
    """Share of customers still active, respondents vs non-respondents."""
    formats = {
        "customers": "int",
        "still_active": "int",
        "share_active": "pct",
        "ci_low": "pct",
        "ci_high": "pct",
    }
    return charts.table(report.respondents, formats | {"flagged": "bool"})


def respondents_text(report: NpsReport) -> Markdown:
    """The respondents vs non-respondents test, the population compared and the remaining caveat."""
    text = tested_sentence(
        report.respondents_test,
        report.params.alpha,
        "The share still active differs between customers who answered a survey and those who did not",
        "The share still active does not differ significantly between respondents and non-respondents",
    )
    w = report.respondents_window
    if w.start is not None:
        scope = (
            f" Both groups are the customers active on {w.start:%Y-%m-%d} ({report.params.horizon_days:,} days "
            f"before {w.end:%Y-%m-%d}); a respondent answered a survey in scope on or before that day, and "
            f"'still active' is measured on {w.end:%Y-%m-%d}. {w.dropped:,} customers not active on that day "
            "are left out. Answering is not random, so a gap is an association, not an effect of being surveyed."
        )
    else:
        why = "The customers snapshot has no dates"
        if report.linked.mode != "customers":
            why = "The survey responses have no dates"
        scope = (
            f" {why}, so every customer is compared, including those who left "
            "before any survey: read the gap as partly survivorship, not an effect of being surveyed."
        )
    return Markdown(text + scope)


def verdict_text(report: NpsReport) -> Markdown:
    """The verdict paragraph."""
    from revops_nb.analysis.nps_summary import verdict_line

    return Markdown(verdict_line(report))
