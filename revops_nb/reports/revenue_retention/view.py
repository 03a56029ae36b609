"""How the revenue retention results read in the report: sentences, formatted tables and charts.

Each function takes the :class:`~revops_nb.reports.revenue_retention.RetentionResult` and returns
things a notebook displays. A difference is stated in words only where its test holds at the
report's confidence level; names from the data are escaped. Nothing here computes a number.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from revops_nb import charts
from revops_nb.data.subscriptions import DEFINITION
from revops_nb.display import bullets, figure, notice, table
from revops_nb.formatting import ci_label, escape, fmt_int, fmt_interval, fmt_money, fmt_num, fmt_p, fmt_pct
from revops_nb.reports.revenue_retention._result import RetentionResult

Shown = Markdown | HTML | Figure
GRAIN_WORDS = {"month": "month", "quarter": "quarter", "year": "year"}
DIMENSION_LABELS = {"segment": "Segment", "region": "Region", "industry": "Industry", "country": "Country"}


def _ci(result: RetentionResult) -> str:
    return ci_label(result.settings.confidence)


def _money(result: RetentionResult, value: float) -> str:
    return fmt_money(value, result.currency)


def _pct_ci(result: RetentionResult, value: float, low: float, high: float) -> str:
    return f"{fmt_pct(value)} ({_ci(result)} {fmt_interval(low, high)})"


def _money_ci(result: RetentionResult, value: float, low: float, high: float) -> str:
    return f"{_money(result, value)} ({_ci(result)} {_money(result, low)}–{_money(result, high)})"


def _interval(low: float, high: float, kind: str = "pct") -> str:
    """'12.0%–15.3%', or '–' when there is no interval."""
    return "–" if pd.isna(low) or pd.isna(high) else fmt_interval(low, high, kind)


def _num_ci(result: RetentionResult, value: float, low: float, high: float, digits: int = 1) -> str:
    return f"{fmt_num(value, digits)} ({_ci(result)} {fmt_num(low, digits)}–{fmt_num(high, digits)})"


# ---------------------------------------------------------------- data and summary


def period_text(result: RetentionResult) -> str:
    """The window in words: the periods shown, the report date and the currency."""
    s = result.settings
    return (
        f"ARR by {GRAIN_WORDS[s.grain]} from {result.window_text} (the report date); "
        f"subscriptions observed until {result.book.as_of:%Y-%m-%d}; amounts in {result.currency}"
    )


def notes(result: RetentionResult) -> HTML:
    """What preparing the subscriptions changed or left out, and the one subscription definition."""
    parts = [notice(note).data for note in result.notes]
    parts.append(f'<p class="revops-caption">{escape(DEFINITION)}</p>')
    return HTML("".join(parts))


def summary(result: RetentionResult) -> Markdown:
    """The findings first: retention, the waterfall, cohorts, customer value and acquisition cost."""
    lines = [_waterfall_line(result), _ttm_line(result), _cohort_line(result), _clv_line(result)]
    lines.append(_acquisition_line(result))
    return bullets([line for line in lines if line])


def _waterfall_line(result: RetentionResult) -> str:
    t, dates = result.bridge
    text = (
        f"**ARR** went from {_money(result, t['opening'])} to {_money(result, t['closing'])} over "
        f"{dates}: {_money(result, t['new'])} new, {_money(result, t['expansion'])} expansion, "
        f"{_money(result, t['contraction'])} contraction and {_money(result, t['churned'])} churned"
    )
    extra = result.ttm.reconciling()
    if extra is None:
        return text + "."
    return (
        f"{text}, point to point (each account's ARR on the first and the last day, as in NRR and GRR); "
        f"the {GRAIN_WORDS[result.settings.grain]}ly waterfall also counts {_money(result, extra['new'])} new "
        f"and {_money(result, extra['churned'])} churned ARR of customers won and lost within these twelve "
        "months, or moving up and down within them."
    )


def _reconciling_sentence(result: RetentionResult) -> str:
    """How the headline's point-to-point bridge and the waterfall per period over the same months tie out."""
    ttm, extra = result.ttm, result.ttm.reconciling()
    if extra is None:
        return ""
    b, c = ttm.bridge, ttm.chained
    grain = GRAIN_WORDS[result.settings.grain]
    return (
        f"The headline ARR bridge ({ttm.base_day:%Y-%m-%d} to {result.book.as_of:%Y-%m-%d}) is point to point: it "
        "compares each account's ARR on those two days, as NRR and GRR do. Summed "
        f"{grain} by {grain} over the same twelve months (measured at each {grain}'s end, as in the table), the "
        f"waterfall counts {_money(result, c['new'])} new ({_money(result, b['new'])} point to point + "
        f"{_money(result, extra['new'])}) and {_money(result, c['churned'])} churned ({_money(result, b['churned'])} "
        f"+ {_money(result, extra['churned'])}): the extra is customers won and lost within the twelve months, "
        f"whom only the {grain}ly sum sees. Likewise {_money(result, extra['expansion'])} more expansion and "
        f"{_money(result, extra['contraction'])} more contraction from accounts moving up and down within them. "
        "Both bridges run from the same opening to the same closing ARR."
    )


def _ttm_line(result: RetentionResult) -> str:
    ttm = result.ttm
    if ttm.overall is None:
        return f"**Retention (trailing twelve months):** {escape(ttm.aside)}"
    o = ttm.overall
    return (
        f"**Net revenue retention** over the twelve months to {result.book.as_of:%Y-%m-%d} is "
        f"{_pct_ci(result, o['nrr'], o['nrr_ci_low'], o['nrr_ci_high'])} and **gross revenue retention** "
        f"{_pct_ci(result, o['grr'], o['grr_ci_low'], o['grr_ci_high'])}, over the {fmt_int(o['n'])} accounts "
        f"that were customers on {ttm.base_day:%Y-%m-%d}."
    )


def _cohort_line(result: RetentionResult) -> str:
    s = result.survival
    if s.aside:
        return f"**Cohorts:** {escape(s.aside)}"
    return f"**Cohorts:** {_trend_sentence(result)}"


def _trend_sentence(result: RetentionResult) -> str:
    s = result.survival
    alpha = result.settings.alpha
    test = s.test
    if test is None or not np.isfinite(test.p_value):
        note = test.note if test is not None else "there is one start year only"
        return f"logo survival by start year is not compared: {escape(note)}."
    if np.isfinite(s.hr_p_value) and s.hr_p_value < alpha:
        better = "better" if s.hazard_ratio < 1 else "worse"
        return (
            f"newer cohorts retain {better}: each newer start year's churn hazard is "
            f"{fmt_num(s.hazard_ratio)}× the year before ({_ci(result)} {fmt_num(s.hr_ci_low)}–{fmt_num(s.hr_ci_high)}, "
            f"Cox model {fmt_p(s.hr_p_value)}; log-rank across start years {fmt_p(test.p_value)})."
        )
    if test.p_value < alpha:
        curves = f"logo survival curves by start year differ (log-rank {fmt_p(test.p_value)})"
    else:
        curves = f"the log-rank test finds no evidence that logo survival differs by start year ({fmt_p(test.p_value)})"
    if not np.isfinite(s.hr_p_value):
        return f"{curves}; the trend across start years could not be estimated."
    return (
        f"{curves}, and no evidence of a trend towards newer cohorts retaining better or worse (hazard ratio "
        f"per newer start year {fmt_num(s.hazard_ratio)}, {_ci(result)} {fmt_num(s.hr_ci_low)}–{fmt_num(s.hr_ci_high)}, "
        f"{fmt_p(s.hr_p_value)})."
    )


def _clv_line(result: RetentionResult) -> str:
    clv = result.clv
    if clv.aside:
        return f"**Customer value:** {escape(clv.aside)}"
    return (
        f"**Customer lifetime value:** the {fmt_int(len(clv.customers))} current customers are worth "
        f"{_money_ci(result, clv.base_value, *clv.base_ci)} in discounted future revenue"
        f"{_margin_words(result)} at {fmt_pct(result.settings.discount_rate)} a year, "
        f"{_money_ci(result, clv.mean_clv, *clv.mean_ci)} per customer on average."
    )


def _margin_words(result: RetentionResult) -> str:
    margin = result.settings.gross_margin
    return "" if margin == 1 else f" (× {fmt_pct(margin, 0)} gross margin)"


def _acquisition_line(result: RetentionResult) -> str:
    a = result.acquisition
    if a.aside:
        return f"**Acquisition cost:** {escape(a.aside)}"
    b = a.blended
    text = (
        f"**Acquisition cost:** blended CAC {_money_ci(result, b['cac'], b['cac_ci_low'], b['cac_ci_high'])} "
        f"per new customer ({fmt_int(b['new_customers'])} new customers); paid back in "
        f"{_num_ci(result, b['payback_months'], b['payback_ci_low'], b['payback_ci_high'])} months of "
        f"first-year ARR{_margin_words(result)}"
    )
    if np.isfinite(b["ltv_to_cac"]):
        text += (
            f"; LTV:CAC {_num_ci(result, b['ltv_to_cac'], b['ltv_to_cac_ci_low'], b['ltv_to_cac_ci_high'])}"
        )
    if np.isfinite(a.magic_ttm):
        text += f"; magic number over the last year {fmt_num(a.magic_ttm)}"
    return text + "."


# ---------------------------------------------------------------- waterfall


def waterfall(result: RetentionResult) -> list[Shown]:
    """The waterfall chart, the per-period NRR/GRR chart and the table."""
    t = result.waterfall.table
    shown: list[Shown] = [figure(_waterfall_chart(result))]
    if t["nrr"].notna().any():
        shown.append(figure(_retention_chart(result)))
    rows = t.assign(
        nrr_ci=[_interval(lo, hi) for lo, hi in zip(t["nrr_ci_low"], t["nrr_ci_high"], strict=True)],
        grr_ci=[_interval(lo, hi) for lo, hi in zip(t["grr_ci_low"], t["grr_ci_high"], strict=True)],
        period=[
            f"{p} (to {e:%Y-%m-%d})" if partial else p
            for p, e, partial in zip(t["period"], t["end"], t["partial"], strict=True)
        ],
    )
    columns = ["period", "opening", "new", "expansion", "contraction", "churned", "closing",
               "n_opening", "nrr", "nrr_ci", "grr", "grr_ci"]  # fmt: skip
    money = dict.fromkeys(["opening", "new", "expansion", "contraction", "churned", "closing"], "money")
    formats = money | {"n_opening": "int", "nrr": "pct", "grr": "pct"}
    caption = (
        f"ARR waterfall per {GRAIN_WORDS[result.settings.grain]}: closing = opening + new + expansion − "
        f"contraction − churned; NRR and GRR of the accounts with ARR at the opening, {_ci(result)} from "
        "resampling those accounts"
    )
    shown.append(
        table(
            rows[columns].rename(columns={"n_opening": "accounts at opening"}),
            formats,
            currency=result.currency,
            max_rows=60,
            caption=caption,
        )
    )
    reconciling = _reconciling_sentence(result)
    if reconciling:
        shown.append(Markdown(reconciling))
    return shown


def _waterfall_chart(result: RetentionResult) -> Figure:
    t = result.waterfall.table
    x = np.arange(len(t))
    _fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], 4.6))
    palette = sns.color_palette(charts.PALETTE)
    ax.bar(x, t["new"], color=palette[0], label="New")
    ax.bar(x, t["expansion"], bottom=t["new"], color=palette[2], label="Expansion")
    ax.bar(x, -t["contraction"], color=palette[1], label="Contraction")
    ax.bar(x, -t["churned"], bottom=-t["contraction"], color=palette[3], label="Churned")
    net = t["new"] + t["expansion"] - t["contraction"] - t["churned"]
    ax.plot(x, net, color="#222", marker="o", linewidth=1.2, label="Net new ARR")
    ax.axhline(0, color="#555", linewidth=0.8)
    _period_axis(ax, list(t["period"]))
    charts.money_axis(ax, result.currency)
    ax.legend(loc="best", fontsize=9)
    return charts.finish(ax, "ARR added and lost per period", "Period", f"ARR ({result.currency})")


def _retention_chart(result: RetentionResult) -> Figure:
    t = result.waterfall.table
    x = np.arange(len(t))
    _fig, ax = plt.subplots()
    for kind, label, color in (
        ("nrr", "Net revenue retention", charts.ACCENT),
        ("grr", "Gross revenue retention", "#c0392b"),
    ):
        ax.plot(x, t[kind], marker="o", color=color, label=label)
        ax.fill_between(x, t[f"{kind}_ci_low"], t[f"{kind}_ci_high"], color=color, alpha=0.15)
    ax.axhline(1, color="#555", linewidth=0.8, linestyle="--")
    _period_axis(ax, list(t["period"]))
    charts.pct_axis(ax)
    ax.legend(loc="best", fontsize=9)
    return charts.finish(
        ax, "Net and gross revenue retention per period", "Period", "Retention of opening ARR (%)"
    )


def _period_axis(ax, periods: list[str]) -> None:
    step = max(1, len(periods) // 12)
    ax.set_xticks(np.arange(len(periods))[::step])
    ax.set_xticklabels(periods[::step], rotation=45, ha="right")


# ---------------------------------------------------------------- trailing twelve months by dimension


def retention_breakdown(result: RetentionResult) -> list[Shown]:
    """TTM NRR and GRR overall and per segment, region...: bars with intervals and tables; small groups flagged."""
    ttm = result.ttm
    if ttm.overall is None:
        return [Markdown(escape(ttm.aside))]
    shown: list[Shown] = [Markdown(_ttm_line(result))]
    if not ttm.by:
        wanted = ", ".join(result.settings.dimensions) or "none"
        return [
            *shown,
            Markdown(
                f"No breakdown is shown: the dimensions asked for ({escape(wanted)}) have no values "
                "in accounts or opportunities."
            ),
        ]
    for dim, frame in ttm.by.items():
        name = DIMENSION_LABELS.get(dim, dim)
        bars = frame.rename(columns={"nrr": "rate", "nrr_ci_low": "ci_low", "nrr_ci_high": "ci_high"})
        fig = charts.rate_bars(
            bars,
            f"Net revenue retention (TTM) by {name.lower()}",
            "Net revenue retention",
            reference=float(ttm.overall["nrr"]),
        )
        formats = {
            "n": "int",
            "arr_then": "money",
            "arr_now": "money",
            "nrr": "pct",
            "nrr_ci_low": "pct",
            "nrr_ci_high": "pct",
            "grr": "pct",
            "grr_ci_low": "pct",
            "grr_ci_high": "pct",
            "flagged": "bool",
        }
        caption = (
            f"{name}: accounts with ARR on {ttm.base_day:%Y-%m-%d} (n), their ARR then and now; groups under "
            f"{result.settings.min_n} accounts are flagged and listed last, not ranked"
        )
        shown += [
            figure(fig),
            table(frame.rename(columns={"value": dim}), formats, currency=result.currency, caption=caption),
        ]
    shown.append(
        Markdown(
            "Differences between groups are not claimed: compare the intervals, which "
            "overlap where the data cannot tell the groups apart."
        )
    )
    return shown


# ---------------------------------------------------------------- cohorts


def cohorts(result: RetentionResult) -> list[Shown]:
    """Logo and revenue retention heatmaps by start cohort × age, the table of the latest ages, KM and tests."""
    table_ = result.cohorts
    if table_.empty:
        return [
            Markdown(
                "Cohort retention needs customers with a first subscription on or before the report date, and there are none."
            )
        ]
    shown: list[Shown] = [
        figure(_heatmap(result, "logo_retention", "Logo retention by start cohort and age")),
        figure(_heatmap(result, "revenue_retention", "Revenue retention by start cohort and age")),
    ]
    pivot = table_.pivot(index="cohort", columns="age", values="logo_retention")
    rev = table_.pivot(index="cohort", columns="age", values="revenue_retention")
    ages = [a for a in (1, 2, 4, 8, 12) if a in pivot.columns]
    unit = GRAIN_WORDS[result.settings.cohort_grain]
    summary_ = pd.DataFrame(
        {"cohort": pivot.index, "customers": table_.groupby("cohort")["customers"].first().to_numpy()}
    )
    for a in ages:
        after = f"{a} {unit}" + ("s" if a > 1 else "")
        summary_[f"logo after {after}"] = pivot[a].to_numpy()
        summary_[f"revenue after {after}"] = rev[a].to_numpy()
    formats = {c: "pct" for c in summary_.columns if c.startswith(("logo", "revenue"))} | {"customers": "int"}
    shown.append(
        table(
            summary_,
            formats,
            max_rows=60,
            caption=(
                f"Share of each cohort's customers still customers (logo) and their ARR against their first-day ARR (revenue) "
                f"after whole {unit}s; every cell with its interval and n is in cohort_retention.csv"
            ),
        )
    )
    shown += survival(result)
    return shown


def _heatmap(result: RetentionResult, value: str, title: str) -> Figure:
    t = result.cohorts
    grid = t.pivot(index="cohort", columns="age", values=value)
    small = t.pivot(index="cohort", columns="age", values="flagged").fillna(True).astype(bool)
    shown = grid.where(~small)
    height = max(3.0, 0.32 * len(grid) + 1.6)
    _fig, ax = plt.subplots(figsize=(charts.FIGSIZE[0], height))
    ax.set_facecolor("#e5e8eb")
    vmax = (
        1.0
        if value == "logo_retention"
        else max(1.2, float(np.nanmax(grid.to_numpy())) if grid.notna().any().any() else 1.2)
    )
    sns.heatmap(
        shown,
        cmap="Blues",
        vmin=0,
        vmax=vmax,
        ax=ax,
        linewidths=0.4,
        linecolor="white",
        annot=len(grid.columns) <= 16 and len(grid) <= 20,
        fmt=".0%",
        annot_kws={"fontsize": 7},
        cbar_kws={"label": "Retention (%)", "format": FuncFormatter(lambda v, _: f"{100 * v:.0f}%")},
    )
    ax.grid(False)
    ax.set_yticklabels([str(v) for v in grid.index], rotation=0)
    unit = GRAIN_WORDS[result.settings.cohort_grain]
    return charts.finish(
        ax,
        title,
        f"Age ({unit}s since the first subscription; grey = under {result.settings.min_n} customers observed)",
        "Start cohort",
    )


def survival(result: RetentionResult) -> list[Shown]:
    """Kaplan–Meier logo survival by start year, the log-rank test and the trend across years."""
    s = result.survival
    if s.aside:
        return [Markdown(escape(s.aside))]
    curves = {f"{year} (n = {fmt_int(s.sizes[year])})": curve for year, curve in s.curves.items()}
    fig = charts.km_plot(
        curves,
        "Customers still active by start year (Kaplan–Meier)",
        "Months since the first subscription",
        "Customers still active (%)",
    )
    return [figure(fig), Markdown(_sentence_case(_trend_sentence(result)))]


# ---------------------------------------------------------------- customer lifetime value


def customer_value(result: RetentionResult) -> list[Shown]:
    """The sBG parameters, the fit check, value per segment and the most valuable customers."""
    clv = result.clv
    if clv.aside:
        return [Markdown(escape(clv.aside))]
    s = result.settings
    shown: list[Shown] = [Markdown(_clv_line(result))]
    params = clv.parameters.copy()
    for column in ("estimate", "ci_low", "ci_high"):
        params[column] = [
            _parameter_text(p, v) for p, v in zip(params["parameter"], params[column], strict=True)
        ]
    params["parameter"] = params["parameter"].replace({"mean_churn_per_period": "mean churn per period"})
    params["fit"] = [_fit_words(fit, p) for fit, p in zip(params["fit"], params["lr_p"], strict=True)]
    shown.append(
        table(
            params.drop(columns="lr_p").rename(
                columns={"ci_low": f"{_ci(result)} low", "ci_high": f"{_ci(result)} high"}
            ),
            {"customers": "int", "churned": "int"},
            caption=(
                f"Shifted-beta-geometric retention per {GRAIN_WORDS[s.clv_period]} by {clv.segment_by or 'all customers'}: "
                "alpha and beta of the Beta distribution of churn probabilities, and the mean churn probability per period "
                "of a new customer, of the fit each group uses. A group uses its own fit only when a likelihood-ratio test "
                "of its own against the pooled parameters rejects at the report's confidence level (p Holm-adjusted across "
                f"the groups); otherwise, and under {s.min_n} customers or without churn, the fit on all customers (pooled). "
                "'Constant churn' means the data show no spread in churn across customers, so only the rate is known"
            ),
        )
    )
    beyond = _beyond_sentence(result)
    if beyond:
        shown.append(Markdown(beyond))
    shown.append(figure(_fit_chart(result)))
    shown.append(Markdown(_fit_sentence(result)))
    by = clv.customers.groupby("segment")
    seg = pd.DataFrame(
        {
            "customers": by.size(),
            "current ARR": by["current_arr"].sum(),
            "customer value": by["clv"].sum(),
            "mean value": by["clv"].mean(),
            "median remaining years": by["median_remaining_years"].median(),
        }
    ).reset_index()
    shown.append(
        table(
            seg,
            {
                "customers": "int",
                "current ARR": "money",
                "customer value": "money",
                "mean value": "money",
                "median remaining years": "num",
            },
            currency=result.currency,
            caption="Value of the current customers per group (discounted future revenue); the whole list is in clv_by_customer.csv",
        )
    )
    top = clv.customers.sort_values("clv", ascending=False).head(10)
    shown.append(
        table(
            top[
                [
                    "account_id",
                    "segment",
                    "periods_as_customer",
                    "current_arr",
                    "median_remaining_years",
                    "clv",
                ]
            ],
            {
                "periods_as_customer": "int",
                "current_arr": "money",
                "median_remaining_years": "num",
                "clv": "money",
            },
            currency=result.currency,
            caption="The ten most valuable current customers",
        )
    )
    return shown


def _sentence_case(text: str) -> str:
    """The first letter upper-case, the rest as written ('CI' stays 'CI')."""
    return text[:1].upper() + text[1:]


def _parameter_text(parameter: str, value: float) -> str:
    """A churn probability as a percent, alpha and beta with three significant digits."""
    if pd.isna(value):
        return "–"
    return fmt_pct(value) if parameter == "mean_churn_per_period" else f"{value:.3g}"


def _fit_words(fit: str, p: float) -> str:
    """The parameters table's 'fit' cell: which fit a group uses, with the test's p where there was one."""
    if pd.isna(p):
        return fit
    if fit.startswith("pooled (no evidence it differs)"):
        return fit.replace(
            "pooled (no evidence it differs)", f"pooled (no evidence it differs, LR {fmt_p(p)})", 1
        )
    if fit.startswith("own"):
        return fit.replace("own", f"own (differs, LR {fmt_p(p)})", 1)
    return fit


def _beyond_sentence(result: RetentionResult) -> str:
    """A warning where a group's median remaining lifetime is far beyond the longest tenure observed."""
    clv = result.clv
    far = clv.beyond_observed()
    if far.empty:
        return ""
    groups = ", ".join(
        f"{escape(str(seg))} {fmt_num(years)} years"
        for seg, years in zip(far["segment"], far["median_remaining_years"], strict=True)
    )
    return (
        f"**Caution:** the median remaining lifetime of current customers ({groups}) is more than twice the "
        f"longest tenure observed ({fmt_num(clv.longest_tenure_years)} years): their value rests on the fitted "
        "retention curve far beyond anything the data has seen, so read it as an extrapolation."
    )


def _fit_sentence(result: RetentionResult) -> str:
    clv = result.clv
    unit = GRAIN_WORDS[result.settings.clv_period]
    if not np.isfinite(clv.check_error):
        return (
            f"Fit check: observed against fitted survival by {unit} of tenure on all the data "
            "(no period is held out: either holdout_periods is 0 or the data is too short)."
        ) + _bias_words(result)
    text = (
        f"Fit check: fitted on the data up to {result.settings.holdout_periods} {unit}s before the report date, the "
        f"model's survival differs from the observed by {_points(clv.check_error)} on average (absolute "
        "gap between the curves) over the tenures it never saw (held out)."
    )
    return text + _bias_words(result)


def _points(share: float) -> str:
    """A gap between two shares in percentage points: 0.062 -> '6.2 percentage points'."""
    return f"{fmt_num(100 * share, 1)} percentage points"


def _bias_words(result: RetentionResult) -> str:
    """' Over the tenures it was fitted on, the fitted curve lies below ...' when it does so systematically."""
    bias = result.clv.check_bias
    if bias is None or not bias.side:
        return ""
    count = bias.below if bias.side == "below" else bias.above
    reads = "understates" if bias.side == "below" else "overstates"
    return (
        f" Over the {bias.periods} {GRAIN_WORDS[result.settings.clv_period]}s of tenure it was fitted on, the fitted "
        f"curve lies {bias.side} the observed in {count} of them (by {_points(abs(bias.mean_gap))} on average): the "
        f"model {reads} retention at those tenures."
    )


def _fit_chart(result: RetentionResult) -> Figure:
    check = result.clv.check
    _fig, ax = plt.subplots()
    ax.plot(
        check["period"], check["observed"], marker="o", color=charts.ACCENT, label="Observed (life table)"
    )
    ax.plot(
        check["period"],
        check["fitted"],
        linestyle="--",
        color="#c0392b",
        label="Fitted sBG (calibration data)",
    )
    held = check[check["held_out"]]
    if len(held):
        ax.axvspan(
            held["period"].min() - 0.5,
            held["period"].max() + 0.5,
            color=charts.MUTED,
            alpha=0.25,
            label="Held out",
        )
    ax.set_ylim(0, 1.02)
    charts.pct_axis(ax)
    ax.legend(loc="best", fontsize=9)
    unit = GRAIN_WORDS[result.settings.clv_period]
    return charts.finish(
        ax, "Customer survival: observed vs fitted", f"Tenure ({unit}s)", "Customers remaining (%)"
    )


# ---------------------------------------------------------------- acquisition


def acquisition(result: RetentionResult) -> list[Shown]:
    """CAC, payback and LTV:CAC by channel, CAC per period, and the magic number."""
    a = result.acquisition
    if a.aside:
        return [Markdown(escape(a.aside))]
    shown: list[Shown] = [Markdown(_acquisition_line(result))]
    ch = a.channels.copy()
    ci = _ci(result)
    ch["CAC interval"] = [
        _range(result, lo, hi) for lo, hi in zip(ch["cac_ci_low"], ch["cac_ci_high"], strict=True)
    ]
    ch["payback interval"] = [
        _interval(lo, hi, "num") for lo, hi in zip(ch["payback_ci_low"], ch["payback_ci_high"], strict=True)
    ]
    ch["LTV:CAC interval"] = [
        _interval(lo, hi, "num")
        for lo, hi in zip(ch["ltv_to_cac_ci_low"], ch["ltv_to_cac_ci_high"], strict=True)
    ]
    cols = [
        "channel",
        "spend",
        "new_customers",
        "cac",
        "CAC interval",
        "avg_first_arr",
        "payback_months",
        "payback interval",
        "ltv",
        "ltv_to_cac",
        "LTV:CAC interval",
        "flagged",
    ]
    formats = {
        "spend": "money",
        "new_customers": "int",
        "cac": "money",
        "avg_first_arr": "money",
        "payback_months": "num",
        "ltv": "money",
        "ltv_to_cac": "num",
        "flagged": "bool",
    }
    shown.append(
        table(
            ch[cols],
            formats,
            currency=result.currency,
            caption=(
                f"From {a.first_day:%Y-%m-%d} to {a.last_day:%Y-%m-%d}: CAC = spend ÷ new customers ({ci} treating the count as "
                "Poisson); payback in months of first ARR; LTV of a new customer under the retention fitted on all customers. "
                f"Channels under {result.settings.min_n} new customers are flagged"
            ),
        )
    )
    if a.unmatched_channels:
        names = ", ".join(escape(c) for c in a.unmatched_channels)
        shown.append(
            Markdown(
                f"New customers from {names} have no spend in marketing_spend: they count only in the blended CAC."
            )
        )
    shown.append(figure(_cac_chart(result)))
    if not a.magic.empty:
        shown.append(
            table(
                a.magic,
                {"net_new_arr": "money", "prior_spend": "money", "magic_number": "num"},
                currency=result.currency,
                caption=(
                    "Magic number: net new ARR of a period ÷ marketing spend of the period before (marketing spend only, "
                    "so it reads higher than one based on all sales and marketing cost)"
                ),
            )
        )
    return shown


def _range(result: RetentionResult, low: float, high: float) -> str:
    if pd.isna(low) or pd.isna(high):
        return "–"
    return f"{_money(result, low)}–{_money(result, high)}"


def _cac_chart(result: RetentionResult) -> Figure:
    data = result.acquisition.by_period
    _fig, ax = plt.subplots()
    for (channel, part), color in zip(
        data.groupby("channel"), sns.color_palette(charts.PALETTE), strict=False
    ):
        ax.plot(part["period"], part["cac"], marker="o", color=color, label=str(channel))
    periods = sorted(pd.unique(data["period"]))
    step = max(1, len(periods) // 12)
    ax.set_xticks(periods[::step])
    ax.set_xticklabels(periods[::step], rotation=45, ha="right")
    charts.money_axis(ax, result.currency)
    ax.legend(loc="best", fontsize=9)
    return charts.finish(
        ax, "CAC by channel and period", "Period", f"Spend per new customer ({result.currency})"
    )


# ---------------------------------------------------------------- the notebook's one-line sections


def section(result: RetentionResult, name: str) -> list[Shown]:
    """The displayables of one section by name, for ``display(*view.section(result, name))``."""
    return SECTIONS[name](result)


SECTIONS = {
    "waterfall": waterfall,
    "retention": retention_breakdown,
    "cohorts": cohorts,
    "value": customer_value,
    "acquisition": acquisition,
}
