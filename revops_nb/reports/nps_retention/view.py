"""What the NPS-retention notebook shows: sentences, formatted tables and charts, from :class:`NpsResult` only.

Every figure goes through :func:`revops_nb.charts.finish` (title, axes with units);
every table through :func:`revops_nb.display.table` (escaped); every sentence with
data-derived text through :func:`revops_nb.display.say` or :func:`~revops_nb.formatting.escape`.
Sentences claim a difference only where its test holds at the report's confidence level.

A section the data cannot support steps aside: its figure function returns a
:func:`revops_nb.display.notice` saying why in one sentence, and its ``*_details``
function (table and text, shown with ``display(*...)``) returns nothing, so the
report says it once.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure

from revops_nb import charts
from revops_nb.data.subscriptions import DEFINITION as SUBSCRIPTION_DEFINITION
from revops_nb.display import bullets, notice, say, table
from revops_nb.formatting import ci_label, escape, fmt_int, fmt_interval, fmt_money, fmt_num, fmt_p, fmt_pct
from revops_nb.reports.nps_retention._result import NpsResult
from revops_nb.reports.nps_retention.settings import CATEGORIES

MIN_AT_RISK = 10  # curves are drawn while at least this many accounts remain at risk
NO_DATES_CURVES = (
    "Retention curves need response dates (where each curve starts) and churn dates from a "
    "subscriptions table, and these survey responses have no dates."
)
SNAPSHOT_CURVES = (
    "Retention curves need churn dates from a subscriptions table; only a customers snapshot is loaded."
)
NOT_KNOWN = (
    "Retention outcomes are **not yet known**: no response has been followed for the whole horizon, "
    "so retention by category, the tests and the regression are not shown."
)
VERDICT_WORDS = {
    "predicts": "sentiment predicts retention here",
    "opposite": "sentiment predicts retention the opposite way here",
    "no evidence": "there is no evidence that sentiment predicts retention here",
}
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


def _ci(result: NpsResult) -> str:
    return ci_label(result.settings.confidence)


# ---------------------------------------------------------------- words shared by several sections


def sentence(text: str) -> str:
    """'the x' -> 'The x.': a lower-case reason used as a sentence of its own."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def tested_sentence(test, alpha: float, differs: str, same: str) -> str:
    """'<differs> (test, p)' when ``test`` (a TestResult) holds at ``alpha``, else '<same> (test, p)'.

    Untested (no p-value): '<same> (why)'.
    """
    if not np.isfinite(test.p_value):
        return f"{same} ({test.note or 'too few groups or events to test'})."
    words = differs if test.significant(alpha) else same
    return f"{words} ({test.test}, {fmt_p(test.p_value)})."


def horizon_note(result: NpsResult) -> str:
    """Why ``horizon_days`` is not used (a customers snapshot gives the outcome), else ''."""
    if result.linked.mode != "customers":
        return ""
    head = f"A retention horizon (horizon_days = {result.settings.horizon_days:,}) needs "
    if not result.responses.has_dates:
        return (
            head + "response dates and subscriptions, and these survey responses have no dates, "
            "so the outcome is the churn flag of the customers snapshot and horizon_days is not used."
        )
    return (
        head + "subscriptions, and only a customers snapshot is loaded, "
        "so the outcome is its churn flag and horizon_days is not used."
    )


def outcome_gap(result: NpsResult) -> str:
    """Why no retention outcome is known: no response dates to link, or none followed long enough."""
    if result.linked.note:
        return sentence(result.linked.note)
    return NOT_KNOWN


def outcome_words(result: NpsResult) -> str:
    """What 'retained' means in this run, e.g. 'still a customer 365 days after the response'."""
    if result.linked.mode == "subscriptions":
        return f"still a customer {result.settings.horizon_days:,} days after the response"
    return "not flagged as churned in the customers snapshot"


def not_known(result: NpsResult) -> HTML:
    """The notice shown in an outcome section when no response's outcome is known (yet)."""
    if result.linked.note:
        return notice(outcome_gap(result))
    reasons = "; ".join(f"{n:,} {reason}" for reason, n in result.linked.excluded.items()) or "none linked"
    return notice(
        f"Not yet known: no survey response has a known retention outcome ({reasons}). "
        "Try a shorter horizon_days or a later as_of once more time has passed."
    )


# ---------------------------------------------------------------- summary and verdict


def verdict_line(result: NpsResult) -> str:
    """The one-line verdict for the CRO, with the evidence behind it."""
    v, c = result.verdict, result.correlation
    text = f"**Verdict: {VERDICT_WORDS[v.label]}.** "
    if np.isfinite(c.p_value) and "too little data" not in v.reason:
        return text + (
            f"Across {result.n_accounts_linked:,} accounts, {v.reason} "
            f"(Spearman ρ = {c.statistic:+.3f}, {fmt_p(c.p_value)}; retained means {outcome_words(result)})."
        )
    return text + f"Reason: {v.reason}."


def summary_lines(result: NpsResult) -> list[str]:
    """The summary's sentences, each with n and an interval, claims only where a test holds."""
    lines = [verdict_line(result), _nps_line(result)]
    if result.outcomes_known:
        lines += [_contrast_line(result), _regression_line(result)]
    elif result.linked.note:
        lines.append(
            sentence(result.linked.note)[:-1]
            + ", so retention by category, the tests and the regression are not shown."
        )
    else:
        lines.append(NOT_KNOWN)
    lines.append(_at_risk_line(result))
    lines.append(_linking_line(result))
    return [line for line in lines if line]


def summary(result: NpsResult) -> Markdown:
    """The summary bullets (numbers and fixed words only)."""
    return bullets(summary_lines(result))


def verdict_text(result: NpsResult) -> Markdown:
    """The verdict paragraph."""
    return Markdown(verdict_line(result))


def _nps_line(result: NpsResult) -> str:
    o = result.overall
    return (
        f"NPS is **{o.nps:+.1f}** ({_ci(result)} {o.ci_low:+.1f} to {o.ci_high:+.1f}) from {o.n:,} responses: "
        f"{fmt_pct(o.promoters)} promoters, {fmt_pct(o.detractors)} detractors."
    )


def _rate(result: NpsResult, cat: str) -> str:
    row = result.retention.set_index("category").loc[cat]
    return (
        f"{fmt_pct(row['logo_retention'])} ({_ci(result)} {fmt_interval(row['ci_low'], row['ci_high'])}, "
        f"n={int(row['accounts']):,})"
    )


def _contrast_line(result: NpsResult) -> str:
    c, settings = result.contrast, result.settings
    only = result.one_category_linked
    if only is not None:
        return (
            f"Every linked account is a {only}, so retention cannot be compared across categories: "
            f"{only}s were retained at {_rate(result, only)}."
        )
    if min(c.n_promoters, c.n_detractors) == 0:
        missing = "promoter" if c.n_promoters == 0 else "detractor"
        return (
            f"No linked account is a {missing}, so promoters' and detractors' retention cannot be compared."
        )
    head = (
        f"Promoters were retained at {_rate(result, 'promoter')}, detractors at {_rate(result, 'detractor')}"
    )
    if min(c.n_promoters, c.n_detractors) < settings.min_n:
        head += f" (a group has fewer than {settings.min_n} accounts: read with care)"
    if c.test.significant(settings.alpha):
        word = "higher" if c.difference > 0 else "lower"
        return (
            f"{head}: promoters' retention is {abs(100 * c.difference):.1f} points {word} "
            f"({_ci(result)} of the difference {100 * c.diff_ci_low:+.1f} to {100 * c.diff_ci_high:+.1f} points; "
            f"{c.test.test}, {fmt_p(c.test.p_value)})."
        )
    return f"{head}; the difference is not significant ({c.test.test}, {fmt_p(c.test.p_value)})."


def _regression_line(result: NpsResult) -> str:
    r = result.regression
    if not np.isfinite(r.odds_ratio):
        return f"The logistic regression of churn on score could not be estimated: {r.note}."
    controls = " and ".join(r.controls) if r.controls else "no controls"
    text = (
        f"Each extra score point multiplies the odds of churn by {fmt_num(r.odds_ratio)} "
        f"({_ci(result)} {fmt_num(r.ci_low)}–{fmt_num(r.ci_high)}, {fmt_p(r.p_value)}; controlling for {controls})"
    )
    if r.p_value < result.settings.alpha:
        return text + "."
    return text + ", which is not significantly different from 1 (no detectable effect)."


def _at_risk_line(result: NpsResult) -> str:
    a, cur = result.at_risk, result.currency
    if a.accounts == 0:
        return "No active account's latest response is a detractor score, so no ARR is flagged at risk."
    head = (
        f"**{fmt_money(a.arr, cur)}** of current ARR ({fmt_pct(a.share_of_arr)} of active ARR, {a.accounts:,} "
        f"accounts) sits with customers whose latest response is a detractor score"
    )
    if not np.isfinite(a.expected_loss):
        known = "not known (no response is tied to an outcome)" if result.linked.note else "not known yet"
        return head + f"; the detractors' past ARR churn is {known}, so no expected loss is estimated."
    interval = ""
    if np.isfinite(a.expected_loss_low) and np.isfinite(a.expected_loss_high):
        low, high = fmt_money(a.expected_loss_low, cur), fmt_money(a.expected_loss_high, cur)
        interval = f" ({_ci(result)} {low}–{high})"
    return (
        f"{head}; at the share of ARR detractors lost in the past (1 − their ARR retention) about "
        f"{fmt_money(a.expected_loss, cur)} of it would be lost{_within(result)}{interval}."
    )


def _within(result: NpsResult) -> str:
    if result.linked.mode == "subscriptions":
        return f" within {result.settings.horizon_days:,} days"
    return ""


def _linking_line(result: NpsResult) -> str:
    excluded = result.linked.excluded
    order = "" if result.responses.has_dates else " in file order, as responses have no dates"
    text = f"{result.linked.n_linked:,} of {result.overall.n:,} responses were linked to a known outcome"
    if result.n_accounts_linked:
        text += (
            f" ({result.n_accounts_linked:,} accounts, each counted once through its first linked response"
            f"{order})"
        )
    if excluded:
        text += "; not linked: " + "; ".join(f"{n:,} {reason}" for reason, n in excluded.items())
    return text + "."


# ---------------------------------------------------------------- linking


def period_words(result: NpsResult) -> str:
    """The survey period and outcome date, in words."""
    text = "survey responses of any date" if result.responses.has_dates else "survey responses without dates"
    if result.first_response is not None and result.last_response is not None:
        text = f"survey responses from {result.first_response:%Y-%m-%d} to {result.last_response:%Y-%m-%d}"
    if result.linked.as_of is not None:
        text += f"; outcomes known up to {result.linked.as_of:%Y-%m-%d}"
    return text


def subscription_rule(result: NpsResult) -> Markdown | None:
    """The shared definition of an active subscription and churn, when outcomes come from subscriptions."""
    return Markdown(SUBSCRIPTION_DEFINITION) if result.linked.mode == "subscriptions" else None


def linking_table(result: NpsResult) -> HTML:
    """Responses in scope, linked and not linked by reason, after a note when the link is partial."""
    rows = [{"responses": "in scope (period and score scale)", "count": result.overall.n}]
    rows.append({"responses": "linked to an outcome", "count": result.linked.n_linked})
    rows += [
        {"responses": f"not linked: {reason}", "count": n} for reason, n in result.linked.excluded.items()
    ]
    rows += [
        {"responses": f"excluded: {reason}", "count": n} for reason, n in result.responses.excluded.items()
    ]
    rows.append({"responses": "accounts in the outcome analyses", "count": result.n_accounts_linked})
    if result.survival is not None:
        rows.append(
            {"responses": "accounts followed in the retention curves", "count": result.n_accounts_followed}
        )
    caption = f"Outcome: retained = {outcome_words(result)} (from {result.linked.mode})"
    shown = table(pd.DataFrame(rows), {"count": "int"}, caption=caption)
    notes = [outcome_gap(result)] if result.linked.note else []
    notes += [horizon_note(result)] if horizon_note(result) else []
    return HTML("".join(notice(n).data for n in notes) + shown.data)


# ---------------------------------------------------------------- NPS


def nps_table(frame: pd.DataFrame) -> HTML:
    """An NPS-by-group table (a table of NpsResult), with small groups flagged."""
    return table(frame, NPS_FORMATS | {"flagged": "bool"})


def nps_segment_figure(result: NpsResult) -> Figure | HTML:
    """NPS per segment with interval whiskers (small segments grey), or why NPS is not segmented."""
    if result.responses.segment_note:
        return notice(sentence(result.responses.segment_note))
    frame = result.by_segment
    label = result.settings.segment_dimension
    _fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], max(2.5, 0.45 * len(frame) + 1.2)))
    _nps_points(ax, frame[label].astype(str), frame, horizontal=True)
    ax.axvline(result.overall.nps, color="#c0392b", linestyle="--", linewidth=1, label="overall NPS")
    ax.legend(loc="best")
    ax.invert_yaxis()
    title = f"NPS by {label} ({_ci(result)})"
    return charts.finish(ax, title, "NPS (points, −100 to +100)", label.replace("_", " ").capitalize())


def quarter_gap(result: NpsResult) -> str:
    """Why NPS over time is not shown (no response dates, or a single quarter), else ''."""
    quarters = result.by_quarter["quarter"].astype(str).tolist()
    if not quarters:
        return "NPS over time needs response dates, and these survey responses have none."
    if len(quarters) == 1:
        return (
            f"NPS over time needs responses from at least two quarters, and all are from {quarters[0]}, "
            "so it is the overall NPS above."
        )
    return ""


def nps_quarter_figure(result: NpsResult) -> Figure | HTML:
    """NPS per quarter with interval band (quarters under min_n grey), or why it cannot be shown."""
    if quarter_gap(result):
        return notice(quarter_gap(result))
    frame = result.by_quarter
    _fig, ax = plt.subplots()
    x = np.arange(len(frame))
    ax.fill_between(x, frame["ci_low"], frame["ci_high"], color=charts.ACCENT, alpha=0.15, label=_ci(result))
    ax.plot(x, frame["nps"], color=charts.ACCENT, marker="o", label="NPS")
    small = frame["flagged"].to_numpy()
    ax.scatter(
        x[small], frame["nps"][small], color=charts.MUTED, zorder=3, label=f"n < {result.settings.min_n}"
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


def segment_details(result: NpsResult) -> list[HTML | Markdown]:
    """The NPS-by-segment table and its test in words; nothing when NPS is not segmented."""
    if result.responses.segment_note:
        return []
    return [nps_table(result.by_segment), segment_text(result)]


def segment_text(result: NpsResult) -> Markdown | HTML:
    """Whether the promoter/detractor mix differs across segments, tested (or why it is not)."""
    dim = result.settings.segment_dimension
    if result.responses.segment_note:
        return notice(sentence(result.responses.segment_note))
    only = result.one_category_responses
    if only is not None:
        return say(
            "Every response is a {only}, so the score mix cannot differ across {dim} values.",
            only=only,
            dim=dim,
        )
    flagged = result.n_segments_flagged
    text = tested_sentence(
        result.segment_test,
        result.settings.alpha,
        f"The promoter/passive/detractor mix differs across {dim} values",
        f"There is no significant difference in the score mix across {dim} values",
    )
    if flagged:
        text += f" {flagged} group(s) with fewer than {result.settings.min_n} responses are flagged and not compared."
    return say("{text}", text=text)


def quarter_details(result: NpsResult) -> list[HTML | Markdown]:
    """The NPS-by-quarter table and its test in words; nothing when NPS over time steps aside."""
    if quarter_gap(result):
        return []
    return [nps_table(result.by_quarter), quarter_text(result)]


def quarter_text(result: NpsResult) -> Markdown:
    """Whether the score mix changed over quarters, tested."""
    if quarter_gap(result):
        return Markdown(quarter_gap(result))
    only = result.one_category_responses
    if only is not None:
        return Markdown(f"Every response is a {only}, so the score mix cannot change across quarters.")
    min_n = result.settings.min_n
    return Markdown(
        tested_sentence(
            result.quarter_test,
            result.settings.alpha,
            f"The score mix changed across quarters with at least {min_n} responses",
            f"There is no significant change in the score mix across quarters with at least {min_n} responses",
        )
    )


def distribution_figure(result: NpsResult) -> Figure:
    """Share of responses at each score, coloured by category, with Wilson whiskers."""
    frame = result.distribution
    s = result.settings
    _fig, ax = plt.subplots()
    labels = [fmt_score(v) for v in frame["score"]]
    colors = [CATEGORY_COLORS[c] for c in frame["category"]]
    ax.bar(labels, frame["share"], color=colors)
    err = np.vstack([frame["share"] - frame["ci_low"], frame["ci_high"] - frame["share"]])
    ax.errorbar(labels, frame["share"], yerr=np.clip(err, 0, None), fmt="none", ecolor="#333", capsize=2)
    handles = [plt.Rectangle((0, 0), 1, 1, color=CATEGORY_COLORS[c]) for c in CATEGORIES]
    ax.legend(handles, [f"{c}s" for c in CATEGORIES], loc="upper left")
    charts.pct_axis(ax)
    title = f"Score distribution (n = {result.overall.n:,})"
    return charts.finish(
        ax, title, f"Score ({s.score_min:g}–{s.score_max:g} scale)", "Share of responses (%)"
    )


def fmt_score(value: float) -> str:
    """7.0 -> '7', 3.5 -> '3.5'."""
    return f"{value:g}"


# ---------------------------------------------------------------- retention


def retention_table(result: NpsResult) -> HTML:
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
    if not result.outcomes_known:
        return not_known(result)
    caption = (
        f"Retained = {outcome_words(result)}; logo CI Wilson, ARR CI bootstrap ({_ci(result)}); "
        f"ARR in {result.currency}"
    )
    return table(result.retention, formats, currency=result.currency, caption=caption)


def retention_figure(result: NpsResult) -> Figure | HTML:
    """Logo retention by category with Wilson whiskers."""
    if not result.outcomes_known:
        return not_known(result)
    frame = result.retention.rename(columns={"category": "value", "logo_retention": "rate"})
    frame = frame.assign(
        value=[f"{c}s (n={n:,})" for c, n in zip(frame["value"], frame["accounts"], strict=True)]
    )
    return charts.rate_bars(
        frame,
        f"Logo retention by category ({_ci(result)})",
        xlabel=f"Accounts retained (%; {outcome_words(result)})",
        ylabel="Category of first linked response",
    )


def retention_details(result: NpsResult) -> list[HTML | Markdown]:
    """The retention table and its tests in words; nothing when no outcome is known (the figure says why)."""
    if not result.outcomes_known:
        return []
    return [retention_table(result), retention_text(result)]


def retention_text(result: NpsResult) -> Markdown:
    """The chi-square test across categories and the promoter–detractor contrast, in words."""
    if not result.outcomes_known:
        return Markdown("")
    only = result.one_category_linked
    if only is not None:
        return Markdown(
            f"Every linked account is a {only}, so retention cannot be compared across categories."
        )
    first = tested_sentence(
        result.retention_test,
        result.settings.alpha,
        "Retention differs across promoters, passives and detractors",
        "There is no significant difference in retention across promoters, passives and detractors",
    )
    c = result.contrast
    if min(c.n_promoters, c.n_detractors) == 0:
        missing = "promoter" if c.n_promoters == 0 else "detractor"
        second = (
            f"No linked account is a {missing}, so promoters' and detractors' retention cannot be compared."
        )
    elif c.test.significant(result.settings.alpha):
        word = "higher" if c.difference > 0 else "lower"
        second = (
            f"Promoters' retention is {abs(100 * c.difference):.1f} points {word} than detractors' "
            f"({_ci(result)} of the difference {100 * c.diff_ci_low:+.1f} to {100 * c.diff_ci_high:+.1f} points; "
            f"{c.test.test}, {fmt_p(c.test.p_value)})."
        )
    else:
        second = (
            f"Promoters' and detractors' retention do not differ significantly "
            f"({c.test.test}, {fmt_p(c.test.p_value)})."
        )
    return Markdown(f"{first} {second}")


def score_retention_figure(result: NpsResult) -> Figure | HTML:
    """Retention at each score value with Wilson whiskers; small groups grey."""
    if not result.outcomes_known:
        return not_known(result)
    by_score = result.by_score
    _fig, ax = plt.subplots()
    colors = [charts.MUTED if f else charts.ACCENT for f in by_score["flagged"]]
    ax.bar(by_score["value"], by_score["rate"], color=colors)
    err = np.vstack([by_score["rate"] - by_score["ci_low"], by_score["ci_high"] - by_score["rate"]])
    ax.errorbar(
        by_score["value"], by_score["rate"], yerr=np.clip(err, 0, None), fmt="none", ecolor="#333", capsize=2
    )
    charts.pct_axis(ax)
    ax.set_ylim(0, 1.05)
    title = f"Retention by score (grey: fewer than {result.settings.min_n} accounts)"
    return charts.finish(ax, title, "Score of first linked response", "Accounts retained (%)")


def association_text(result: NpsResult) -> Markdown:
    """Spearman correlation and the adjusted odds ratio, in words."""
    c, r, alpha = result.correlation, result.regression, result.settings.alpha
    if not result.outcomes_known:
        return Markdown("")
    if np.isfinite(c.p_value):
        strength = "a significant" if c.significant(alpha) else "no significant"
        first = (
            f"Across {result.n_accounts_linked:,} accounts there is {strength} rank correlation between score and "
            f"retention (Spearman ρ = {c.statistic:+.3f}, {fmt_p(c.p_value)})."
        )
    else:
        first = "The rank correlation cannot be computed (scores or outcomes do not vary)."
    if not np.isfinite(r.odds_ratio):
        return Markdown(f"{first} The logistic regression could not be estimated: {escape(r.note)}.")
    controls = " and ".join(r.controls) or "no controls"
    direction = "lower" if r.odds_ratio < 1 else "higher"
    verdict = (
        f"each extra point goes with {direction} odds of churn"
        if r.p_value < alpha
        else "the score's effect is not significantly different from none"
    )
    second = (
        f"In a logistic regression of churn on score, controlling for {controls}, the odds ratio per score point is "
        f"{fmt_num(r.odds_ratio)} ({_ci(result)} {fmt_num(r.ci_low)}–{fmt_num(r.ci_high)}, "
        f"{fmt_p(r.p_value)}, n = {r.n:,}): {verdict}."
    )
    return Markdown(f"{first} {second}" + (f" Note: {escape(r.note)}." if r.note else ""))


# ---------------------------------------------------------------- survival


def survival_figure(result: NpsResult) -> Figure | HTML:
    """Kaplan–Meier retention curves by category, or a notice without event dates."""
    if result.survival is None:
        if not result.responses.has_dates:
            return notice(NO_DATES_CURVES)
        if result.linked.mode == "subscriptions":
            return not_known(result)
        return notice(SNAPSHOT_CURVES)
    counts = result.survival.at_horizon.set_index("category")["accounts"]
    _fig, ax = plt.subplots()
    for cat, curve in result.survival.curves.items():
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
    title = f"Share of accounts still customers after the response ({_ci(result)})"
    return charts.finish(ax, title, "Days since survey response", "Accounts still customers (%)")


def survival_text(result: NpsResult) -> Markdown:
    """The log-rank test in words (or why there is nothing to compare)."""
    if result.survival is None:
        return Markdown("")
    only = result.one_category_followed
    if only is not None:
        return Markdown(f"Every account followed is a {only}, so there are no curves to compare.")
    return Markdown(
        tested_sentence(
            result.survival.test,
            result.settings.alpha,
            "The retention curves of promoters, passives and detractors differ",
            "The retention curves of promoters, passives and detractors do not differ significantly",
        )
    )


# ---------------------------------------------------------------- ARR at risk, respondents


def loss_gap(result: NpsResult) -> str:
    """Why no ARR at risk or no expected loss is shown, else ''."""
    a = result.at_risk
    if a.accounts == 0:
        return "No active account's latest response is a detractor score, so no ARR is flagged at risk."
    if np.isfinite(a.expected_loss):
        return ""
    if result.linked.note:
        why = "no response is tied to an outcome"
    elif not result.outcomes_known:
        why = "no response's outcome is known yet"
    else:
        why = "no linked detractor account has ARR"
    return f"The expected loss needs the detractors' past ARR retention, and {why}, so it is not estimated."


def at_risk_table(result: NpsResult) -> HTML:
    """ARR at risk among detractors and the expected loss (1 − detractors' ARR retention) with its interval."""
    a, cur = result.at_risk, result.currency
    if a.accounts == 0:
        return notice(loss_gap(result))
    frame = pd.DataFrame(
        [
            {
                "measure": "active accounts whose latest response is a detractor score",
                "value": fmt_int(a.accounts),
            },
            {"measure": "their current ARR", "value": fmt_money(a.arr, cur)},
            {"measure": "share of all active ARR", "value": fmt_pct(a.share_of_arr)},
            {
                "measure": f"expected to churn at the detractors' past ARR churn, 1 − ARR retention ({_ci(result)})",
                "value": f"{fmt_money(a.expected_loss, cur)} "
                f"({fmt_money(a.expected_loss_low, cur)}–{fmt_money(a.expected_loss_high, cur)})",
            },
        ]
    )
    shown = table(frame, {"value": "text"}, caption=f"ARR in reporting currency ({cur})")
    return HTML(notice(loss_gap(result)).data + shown.data) if loss_gap(result) else shown


def respondents_table(result: NpsResult) -> HTML:
    """Share of customers still active, respondents vs non-respondents."""
    formats = {
        "customers": "int",
        "still_active": "int",
        "share_active": "pct",
        "ci_low": "pct",
        "ci_high": "pct",
    }
    return table(result.respondents, formats | {"flagged": "bool"})


def respondents_text(result: NpsResult) -> Markdown:
    """The respondents vs non-respondents test, the population compared and the remaining caveat."""
    text = tested_sentence(
        result.respondents_test,
        result.settings.alpha,
        "The share still active differs between customers who answered a survey and those who did not",
        "The share still active does not differ significantly between respondents and non-respondents",
    )
    w = result.respondents_window
    if w.start is not None:
        scope = (
            f" Both groups are the customers active on {w.start:%Y-%m-%d} ({result.settings.horizon_days:,} days "
            f"before {w.end:%Y-%m-%d}); a respondent answered a survey in scope on or before that day, and "
            f"'still active' is measured on {w.end:%Y-%m-%d}. {w.dropped:,} customers not active on that day "
            "are left out. Answering is not random, so a gap is an association, not an effect of being surveyed."
        )
    else:
        why = "The customers snapshot has no dates"
        if result.linked.mode != "customers":
            why = "The survey responses have no dates"
        scope = (
            f" {why}, so every customer is compared, including those who left "
            "before any survey: read the gap as partly survivorship, not an effect of being surveyed."
        )
    return Markdown(text + scope)
