"""What the NPS-to-retention notebook shows: charts, formatted tables and sentences.

Every figure goes through :func:`revops_nb.charts.finish` (title, axes with
units); every table through :func:`revops_nb.charts.table` (escaped); every
sentence with data-derived text through :func:`revops_nb.charts.say`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure

from revops_nb import charts, stats
from revops_nb.analysis import nps
from revops_nb.analysis.nps_summary import NpsReport, outcome_words, summary_lines, tested_sentence

MIN_AT_RISK = 10  # curves are drawn while at least this many accounts remain at risk
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
    """The notice shown in an outcome section when no response's outcome is known yet."""
    reasons = "; ".join(f"{n:,} {reason}" for reason, n in report.linked.excluded.items()) or "none linked"
    return charts.notice(
        f"Not yet known: no survey response has a known retention outcome ({reasons}). "
        "Try a shorter horizon_days or a later as_of once more time has passed."
    )


# ---------------------------------------------------------------- linking


def period_words(report: NpsReport) -> str:
    """The survey period and outcome date, in words."""
    dates = report.responses.frame["response_date"].dropna()
    text = "survey responses of any date"
    if len(dates):
        text = f"survey responses from {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"
    if report.linked.as_of is not None:
        text += f"; outcomes known up to {report.linked.as_of:%Y-%m-%d}"
    return text


def linking_table(report: NpsReport) -> HTML:
    """Responses in scope, linked and not linked by reason."""
    rows = [{"responses": "in scope (period and score scale)", "count": report.overall.n}]
    rows.append({"responses": "linked to an outcome", "count": report.linked.n_linked})
    rows += [
        {"responses": f"not linked: {reason}", "count": n} for reason, n in report.linked.excluded.items()
    ]
    rows += [
        {"responses": f"excluded: {reason}", "count": n} for reason, n in report.responses.excluded.items()
    ]
    rows.append({"responses": "accounts in the outcome analyses", "count": len(report.linked.accounts)})
    rows.append(
        {"responses": "accounts followed in the retention curves", "count": len(report.linked.followed)}
    )
    caption = f"Outcome: retained = {outcome_words(report)} (from {report.linked.mode})"
    return charts.table(pd.DataFrame(rows), {"count": "int"}, caption=caption)


# ---------------------------------------------------------------- NPS


def nps_table(frame: pd.DataFrame) -> HTML:
    """An NPS-by-group table, with small groups flagged."""
    return charts.table(frame, NPS_FORMATS | {"flagged": "bool"})


def nps_segment_figure(report: NpsReport) -> Figure:
    """NPS per segment with interval whiskers; small segments in grey."""
    frame = report.by_segment
    label = report.params.segment_dimension
    _fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], max(2.5, 0.45 * len(frame) + 1.2)))
    _nps_points(ax, frame[label].astype(str), frame, horizontal=True)
    ax.axvline(report.overall.nps, color="#c0392b", linestyle="--", linewidth=1, label="overall NPS")
    ax.legend(loc="best")
    ax.invert_yaxis()
    title = f"NPS by {label} ({_ci(report)})"
    return charts.finish(ax, title, "NPS (points, −100 to +100)", label.replace("_", " ").capitalize())


def nps_quarter_figure(report: NpsReport) -> Figure:
    """NPS per quarter with interval band; quarters under min_n in grey."""
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


def segment_text(report: NpsReport) -> Markdown:
    """Whether the promoter/detractor mix differs across segments, tested."""
    dim = report.params.segment_dimension
    if report.responses.segment_note:
        return charts.say("Note: {note}.", note=report.responses.segment_note)
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


def quarter_text(report: NpsReport) -> Markdown:
    """Whether the score mix changed over quarters, tested."""
    if report.by_quarter.empty:
        return charts.say("Responses have no dates, so NPS over time cannot be shown.")
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


def retention_text(report: NpsReport) -> Markdown:
    """The chi-square test across categories and the promoter–detractor contrast, in words."""
    if not report.outcomes_known:
        return Markdown("")
    first = tested_sentence(
        report.retention_test,
        report.params.alpha,
        "Retention differs across promoters, passives and detractors",
        "There is no significant difference in retention across promoters, passives and detractors",
    )
    c = report.contrast
    if c.test.significant(report.params.alpha):
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
        if report.linked.mode == "subscriptions":
            return not_known(report)
        return charts.notice(
            "Retention curves need churn dates from a subscriptions table; only a snapshot is loaded."
        )
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
    """The log-rank test in words."""
    if report.survival is None:
        return Markdown("")
    return Markdown(
        tested_sentence(
            report.survival.test,
            report.params.alpha,
            "The retention curves of promoters, passives and detractors differ",
            "The retention curves of promoters, passives and detractors do not differ significantly",
        )
    )


# ---------------------------------------------------------------- ARR at risk, respondents


def at_risk_table(report: NpsReport) -> HTML:
    """ARR at risk among detractors and the expected loss (1 − detractors' ARR retention) with its interval."""
    a, cur = report.at_risk, report.currency
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
    return charts.table(frame, {"value": "text"}, caption=f"ARR in reporting currency ({cur})")


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
        scope = (
            " The customers snapshot has no dates, so every customer is compared, including those who left "
            "before any survey: read the gap as partly survivorship, not an effect of being surveyed."
        )
    return Markdown(text + scope)


def verdict_text(report: NpsReport) -> Markdown:
    """The verdict paragraph."""
    from revops_nb.analysis.nps_summary import verdict_line

    return Markdown(verdict_line(report))
