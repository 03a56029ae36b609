"""The NPS-to-retention report in one object: every result computed once, then told in words.

:func:`analyse` runs each step of :mod:`revops_nb.analysis.nps` on the loaded
tables; :func:`key_figures` and :func:`main_tables` give what the notebook
records, and :func:`summary_lines` the findings, each claim backed by a test.
Where the data's shape rules a part out (no response dates, a snapshot instead
of subscriptions, a single score value), the sentences here say why in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb import stats
from revops_nb.analysis import nps
from revops_nb.charts import fmt_interval, fmt_money, fmt_num, fmt_p, fmt_pct


@dataclass
class NpsReport:
    """Every result of the report, computed by :func:`analyse`."""

    params: nps.NpsParams
    responses: nps.Responses
    linked: nps.Linked
    overall: stats.NpsResult
    by_segment: pd.DataFrame
    segment_test: stats.TestResult
    by_quarter: pd.DataFrame
    quarter_test: stats.TestResult
    distribution: pd.DataFrame
    retention: pd.DataFrame
    retention_test: stats.TestResult
    contrast: nps.Contrast
    correlation: stats.TestResult
    regression: nps.OddsRatio
    survival: nps.Survival | None
    at_risk: nps.ArrAtRisk
    respondents: pd.DataFrame
    respondents_test: stats.TestResult
    respondents_window: nps.Window
    verdict: nps.Verdict

    @property
    def outcomes_known(self) -> bool:
        """False when no response's outcome is known yet: the outcome sections say so instead."""
        return not self.linked.accounts.empty

    @property
    def currency(self) -> str:
        return self.params.reporting_currency


def analyse(
    params: nps.NpsParams,
    nps_responses: pd.DataFrame,
    subscriptions: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> NpsReport:
    """Run the whole analysis on the loaded tables (absent tables as None).

    When no response's outcome is known yet (every response within the horizon of
    ``as_of``, or none linkable), the NPS sections are still computed; the
    outcome results are empty (NaN, no test) and the verdict is 'no evidence'.
    """
    segments_from, table = (accounts, "accounts") if accounts is not None else (customers, "customers")
    responses = nps.prepare_responses(nps_responses, params, segments_from, table)
    linked = nps.link_outcomes(responses, params, subscriptions, customers, fx_rates)
    frame, acc = responses.frame, linked.accounts
    retention = nps.retention_by_category(acc, params)
    respondents, respondents_test = nps.respondents_vs_non(linked, params)
    correlation = nps.score_correlation(acc)
    return NpsReport(
        params=params,
        responses=responses,
        linked=linked,
        overall=nps.nps_overall(frame, params),
        by_segment=nps.nps_by_segment(frame, params),
        segment_test=nps.category_test(frame, "segment", params),
        by_quarter=nps.nps_by_quarter(frame, params),
        quarter_test=_quarter_test(frame, params),
        distribution=nps.score_distribution(frame, params),
        retention=retention,
        retention_test=nps.retention_test(acc) if len(acc) else stats.TestResult(np.nan, np.nan, "none"),
        contrast=nps.promoter_detractor_contrast(retention, params),
        correlation=correlation,
        regression=nps.churn_regression(acc, params),
        survival=nps.survival_by_category(linked.followed, params) if len(linked.followed) else None,
        at_risk=nps.arr_at_risk(linked, retention),
        respondents=respondents,
        respondents_test=respondents_test,
        respondents_window=nps.respondents_window(linked, params),
        verdict=nps.verdict(correlation, acc, params, linked.note),
    )


def _quarter_test(frame: pd.DataFrame, params: nps.NpsParams) -> stats.TestResult:
    dated = frame[frame["response_date"].notna()]
    if dated.empty:
        return stats.TestResult(np.nan, np.nan, "none")
    quarter = dated["response_date"].dt.to_period("Q").astype(str)
    return nps.category_test(dated.assign(quarter=quarter), "quarter", params)


# ---------------------------------------------------------------- machine-readable results


def key_figures(report: NpsReport) -> dict[str, float | int | str | None]:
    """Headline figures for ``record()``; the retention ones equal ``retention_by_category``."""
    figures: dict[str, float | int | str | None] = {
        "nps": report.overall.nps,
        "nps_ci_low": report.overall.ci_low,
        "nps_ci_high": report.overall.ci_high,
        "n_responses": report.overall.n,
        "n_linked": report.linked.n_linked,
        "n_accounts_linked": len(report.linked.accounts),
        "n_accounts_followed": len(report.linked.followed),
    }
    by_cat = report.retention.set_index("category")
    for cat in nps.CATEGORIES:
        name = f"retention_{cat}s"
        figures[name] = float(by_cat.loc[cat, "logo_retention"])
        figures[f"{name}_ci_low"] = float(by_cat.loc[cat, "ci_low"])
        figures[f"{name}_ci_high"] = float(by_cat.loc[cat, "ci_high"])
    figures.update(
        {
            "spearman_score_retention": report.correlation.statistic,
            "spearman_p": report.correlation.p_value,
            "logrank_p": report.survival.test.p_value if report.survival else None,
            "odds_ratio_per_point": report.regression.odds_ratio,
            "arr_at_risk_detractors": report.at_risk.arr,
            "arr_at_risk_expected_loss": report.at_risk.expected_loss,
            "reporting_currency": report.currency,
            "verdict": report.verdict.label,
        }
    )
    return figures


def main_tables(report: NpsReport) -> dict[str, pd.DataFrame]:
    """The tables saved with the run: name -> frame."""
    return {
        "retention_by_category": report.retention,
        "nps_by_segment": report.by_segment,
        "nps_by_quarter": report.by_quarter,
    }


# ---------------------------------------------------------------- words


VERDICT_WORDS = {
    "predicts": "sentiment predicts retention here",
    "opposite": "sentiment predicts retention the opposite way here",
    "no evidence": "there is no evidence that sentiment predicts retention here",
}


def sentence(text: str) -> str:
    """'the x' -> 'The x.': a lower-case reason used as a sentence of its own."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def one_category(categories: pd.Series) -> str | None:
    """The only category present (e.g. 'promoter'), or None when there are several or none."""
    present = pd.Series(categories).dropna().astype(str).unique()
    return str(present[0]) if len(present) == 1 else None


def horizon_note(report: NpsReport) -> str:
    """Why ``horizon_days`` is not used (a customers snapshot gives the outcome), else ''."""
    if report.linked.mode != "customers":
        return ""
    head = f"A retention horizon (horizon_days = {report.params.horizon_days:,}) needs "
    if not report.responses.has_dates:
        return (
            head + "response dates and subscriptions, and these survey responses have no dates, "
            "so the outcome is the churn flag of the customers snapshot and horizon_days is not used."
        )
    return (
        head + "subscriptions, and only a customers snapshot is loaded, "
        "so the outcome is its churn flag and horizon_days is not used."
    )


def outcome_gap(report: NpsReport) -> str:
    """Why no retention outcome is known: no response dates to link, or none followed long enough."""
    if report.linked.note:
        return sentence(report.linked.note)
    return NOT_KNOWN


def outcome_words(report: NpsReport) -> str:
    """What 'retained' means in this run, e.g. 'still a customer 365 days after the response'."""
    if report.linked.mode == "subscriptions":
        return f"still a customer {report.params.horizon_days:,} days after the response"
    return "not flagged as churned in the customers snapshot"


def verdict_line(report: NpsReport) -> str:
    """The one-line verdict for the CRO, with the evidence behind it."""
    v, c = report.verdict, report.correlation
    text = f"**Verdict: {VERDICT_WORDS[v.label]}.** "
    if np.isfinite(c.p_value) and "too little data" not in v.reason:
        return text + (
            f"Across {len(report.linked.accounts):,} accounts, {v.reason} "
            f"(Spearman ρ = {c.statistic:+.3f}, {fmt_p(c.p_value)}; retained means {outcome_words(report)})."
        )
    return text + f"Reason: {v.reason}."


def summary_lines(report: NpsReport) -> list[str]:
    """The summary's sentences, each with n and an interval, claims only where a test holds."""
    lines = [verdict_line(report), _nps_line(report)]
    if report.outcomes_known:
        lines += [_contrast_line(report), _regression_line(report)]
    elif report.linked.note:
        lines.append(
            sentence(report.linked.note)[:-1]
            + ", so retention by category, the tests and the regression are not shown."
        )
    else:
        lines.append(NOT_KNOWN)
    lines.append(_at_risk_line(report))
    lines.append(_linking_line(report))
    return [line for line in lines if line]


NOT_KNOWN = (
    "Retention outcomes are **not yet known**: no response has been followed for the whole horizon, "
    "so retention by category, the tests and the regression are not shown."
)


def _ci(report: NpsReport) -> str:
    return f"{100 * report.params.confidence:g}% CI"


def _nps_line(report: NpsReport) -> str:
    o = report.overall
    return (
        f"NPS is **{o.nps:+.1f}** ({_ci(report)} {o.ci_low:+.1f} to {o.ci_high:+.1f}) from {o.n:,} responses: "
        f"{fmt_pct(o.promoters)} promoters, {fmt_pct(o.detractors)} detractors."
    )


def _rate(report: NpsReport, cat: str) -> str:
    row = report.retention.set_index("category").loc[cat]
    return (
        f"{fmt_pct(row['logo_retention'])} ({_ci(report)} {fmt_interval(row['ci_low'], row['ci_high'])}, "
        f"n={int(row['accounts']):,})"
    )


def _contrast_line(report: NpsReport) -> str:
    c, alpha = report.contrast, report.params.alpha
    only = one_category(report.linked.accounts["category"])
    if only is not None:
        return (
            f"Every linked account is a {only}, so retention cannot be compared across categories: "
            f"{only}s were retained at {_rate(report, only)}."
        )
    if min(c.n_promoters, c.n_detractors) == 0:
        missing = "promoter" if c.n_promoters == 0 else "detractor"
        return (
            f"No linked account is a {missing}, so promoters' and detractors' retention cannot be compared."
        )
    head = (
        f"Promoters were retained at {_rate(report, 'promoter')}, detractors at {_rate(report, 'detractor')}"
    )
    if min(c.n_promoters, c.n_detractors) < report.params.min_n:
        head += f" (a group has fewer than {report.params.min_n} accounts: read with care)"
    if c.test.significant(alpha):
        word = "higher" if c.difference > 0 else "lower"
        return (
            f"{head}: promoters' retention is {abs(100 * c.difference):.1f} points {word} "
            f"({_ci(report)} of the difference {100 * c.diff_ci_low:+.1f} to {100 * c.diff_ci_high:+.1f} points; "
            f"{c.test.test}, {fmt_p(c.test.p_value)})."
        )
    return f"{head}; the difference is not significant ({c.test.test}, {fmt_p(c.test.p_value)})."


def _regression_line(report: NpsReport) -> str:
    r = report.regression
    if not np.isfinite(r.odds_ratio):
        return f"The logistic regression of churn on score could not be estimated: {r.note}."
    controls = " and ".join(r.controls) if r.controls else "no controls"
    text = (
        f"Each extra score point multiplies the odds of churn by {fmt_num(r.odds_ratio)} "
        f"({_ci(report)} {fmt_num(r.ci_low)}–{fmt_num(r.ci_high)}, {fmt_p(r.p_value)}; controlling for {controls})"
    )
    if r.p_value < report.params.alpha:
        return text + "."
    return text + ", which is not significantly different from 1 (no detectable effect)."


def _at_risk_line(report: NpsReport) -> str:
    a, cur = report.at_risk, report.currency
    if a.accounts == 0:
        return "No active account's latest response is a detractor score, so no ARR is flagged at risk."
    head = (
        f"**{fmt_money(a.arr, cur)}** of current ARR ({fmt_pct(a.share_of_arr)} of active ARR, {a.accounts:,} "
        f"accounts) sits with customers whose latest response is a detractor score"
    )
    if not np.isfinite(a.expected_loss):
        known = "not known (no response is tied to an outcome)" if report.linked.note else "not known yet"
        return head + f"; the detractors' past ARR churn is {known}, so no expected loss is estimated."
    interval = ""
    if np.isfinite(a.expected_loss_low) and np.isfinite(a.expected_loss_high):
        low, high = fmt_money(a.expected_loss_low, cur), fmt_money(a.expected_loss_high, cur)
        interval = f" ({_ci(report)} {low}–{high})"
    return (
        f"{head}; at the share of ARR detractors lost in the past (1 − their ARR retention) about "
        f"{fmt_money(a.expected_loss, cur)} of it would be lost{_within(report)}{interval}."
    )


def _within(report: NpsReport) -> str:
    if report.linked.mode == "subscriptions":
        return f" within {report.params.horizon_days:,} days"
    return ""


def _linking_line(report: NpsReport) -> str:
    excluded = report.linked.excluded
    order = "" if report.responses.has_dates else " in file order, as responses have no dates"
    text = f"{report.linked.n_linked:,} of {report.overall.n:,} responses were linked to a known outcome"
    if len(report.linked.accounts):
        text += (
            f" ({len(report.linked.accounts):,} accounts, each counted once through its first linked response"
            f"{order})"
        )
    if excluded:
        text += "; not linked: " + "; ".join(f"{n:,} {reason}" for reason, n in excluded.items())
    return text + "."


def tested_sentence(result: stats.TestResult, alpha: float, differs: str, same: str) -> str:
    """'<differs> (test, p)' when significant, else '<same> (test, p)'; untested: '<same> (why)'."""
    if not np.isfinite(result.p_value):
        return f"{same} ({result.note or 'too few groups or events to test'})."
    words = differs if result.significant(alpha) else same
    return f"{words} ({result.test}, {fmt_p(result.p_value)})."
