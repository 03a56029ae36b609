"""NPS-to-retention analysis: does customer sentiment predict retention here?

Survey responses (any score scale) are put into categories, linked to what
happened to the account after each response (churn within a horizon from
``subscriptions``, or a ``customers`` churn flag), and compared: NPS with
multinomial intervals, retention by category with Wilson intervals and a
chi-square test, rank correlation, a logistic regression with controls,
Kaplan–Meier curves with a log-rank test, ARR at risk and a plain verdict.

Outcome analyses count each account once, through its first response whose
outcome is known, so frequent responders do not weigh more and the tests'
independence assumption holds. Without response dates "first" means first in
file order (or by ``response_id`` when given).

Odd shapes step aside instead of failing: responses without dates still give
NPS, and with a ``customers`` snapshot every outcome analysis (the outcome is
the snapshot's churn flag, no horizon); only the time-based parts (NPS over
time, retention curves, a horizon after each response) need dates. Undated
responses with only ``subscriptions`` cannot be tied to what followed them:
the link is empty and :attr:`Linked.note` says why. Functions take DataFrames
and return DataFrames or small dataclasses; rendering lives in
:mod:`revops_nb.analysis.nps_charts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb import stats
from revops_nb.analysis.parameters import NPS, date_parameter
from revops_nb.data.subscriptions import active_on, ended_by, subscription_arr
from revops_nb.errors import DataError, ParamsError

CATEGORIES = ("promoter", "passive", "detractor")
ALL_SEGMENTS = "(all)"  # segment of every response when no accounts table gives one
DEFAULT_SEGMENT = "segment"  # the default segment_dimension: when absent, NPS is shown unsegmented
MIN_EVENTS = 5  # fewer churned (or retained) accounts than this: no test is attempted
NEEDS_DATES_TO_LINK = (
    "retention after a response needs response dates to tie it to the subscriptions "
    "(or a customers table with a churn flag), and these survey responses have none"
)
SEPARATION = (
    "the odds ratio cannot be estimated (separation: the score or a control splits churned from "
    "retained accounts (almost) perfectly, so the fit does not converge to finite values)"
)


# ---------------------------------------------------------------- parameters


@dataclass(frozen=True)
class NpsParams:
    """The report's parameters, checked once (see :func:`check_params`)."""

    score_min: float = 0
    score_max: float = 10
    detractor_max: float = 6
    promoter_min: float = 9
    horizon_days: int = 365
    period_start: pd.Timestamp | None = None
    period_end: pd.Timestamp | None = None
    as_of: pd.Timestamp | None = None
    segment_dimension: str = "segment"
    confidence: float = 0.95
    min_n: int = 30
    reporting_currency: str = "USD"

    @property
    def alpha(self) -> float:
        """Significance level of every test: 1 - confidence."""
        return 1.0 - self.confidence


def check_params(
    score_min: float = 0,
    score_max: float = 10,
    detractor_max: float = 6,
    promoter_min: float = 9,
    horizon_days: int = 365,
    period_start: str | None = None,
    period_end: str | None = None,
    as_of: str | None = None,
    segment_dimension: str = "segment",
    confidence: float = 0.95,
    min_n: int = 30,
    reporting_currency: str = "USD",
) -> NpsParams:
    """Validate the notebook parameters; raise :class:`ParamsError` naming the one at fault."""
    NPS.check(
        {
            "score_min": score_min,
            "score_max": score_max,
            "detractor_max": detractor_max,
            "promoter_min": promoter_min,
            "horizon_days": horizon_days,
            "period_start": period_start,
            "period_end": period_end,
            "as_of": as_of,
            "segment_dimension": segment_dimension,
            "confidence": confidence,
            "min_n": min_n,
            "reporting_currency": reporting_currency,
        }
    )
    start, end = date_parameter(period_start), date_parameter(period_end)
    if start is not None and end is not None and end < start:
        raise ParamsError(f"period_end ({period_end}) is before period_start ({period_start})")
    return NpsParams(
        float(score_min),
        float(score_max),
        float(detractor_max),
        float(promoter_min),
        int(horizon_days),
        start,
        end,
        date_parameter(as_of),
        segment_dimension.strip(),
        float(confidence),
        int(min_n),
        reporting_currency.strip().upper(),
    )


def categorize(scores: pd.Series, params: NpsParams) -> pd.Series:
    """'promoter', 'passive' or 'detractor' for each score, by the configured cut-offs."""
    values = pd.to_numeric(scores, errors="coerce")
    out = np.where(
        values >= params.promoter_min,
        "promoter",
        np.where(values <= params.detractor_max, "detractor", "passive"),
    )
    cat = pd.Categorical(out, categories=list(CATEGORIES), ordered=True)
    return pd.Series(cat, index=scores.index, name="category")


# ---------------------------------------------------------------- responses


@dataclass
class Responses:
    """Survey responses in scope, with category and segment, and what was left out."""

    frame: pd.DataFrame
    excluded: dict[str, int] = field(default_factory=dict)
    has_dates: bool = True
    segment_note: str = ""  # why NPS is not broken down by segment, when it is not


def prepare_responses(
    responses: pd.DataFrame,
    params: NpsParams,
    accounts: pd.DataFrame | None = None,
    accounts_table: str = "accounts",
) -> Responses:
    """Responses within the period and the score scale, with category and segment attached.

    Scores outside the scale and undated responses (when a period is set) are
    excluded and counted; ``segment_dimension`` comes from ``accounts``, which
    may be another table (named by ``accounts_table`` in the note when it lacks
    the column). Without an ``response_id``, rows are numbered in file order.
    """
    for col in ("account_id", "score"):
        if col not in responses:
            raise DataError(f"nps_responses has no {col!r} column, which this report needs")
    frame = responses.copy()
    if "response_id" not in frame:
        width = len(str(max(len(frame) - 1, 0)))  # zero-padded, so sorting keeps file order
        frame["response_id"] = [f"row{i:0{width}d}" for i in range(len(frame))]
    has_dates = "response_date" in frame and frame["response_date"].notna().any()
    if not has_dates:
        frame["response_date"] = pd.NaT
        if params.period_start is not None or params.period_end is not None:
            raise DataError(
                "period_start and period_end need response dates, and nps_responses has none: "
                "leave the period unset or add a response_date column"
            )
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    excluded: dict[str, int] = {}
    keep = frame["score"].between(params.score_min, params.score_max)
    _count(excluded, f"score missing or outside {params.score_min:g}-{params.score_max:g}", ~keep)
    frame = frame[keep]
    frame, excluded = _in_period(frame, params, excluded)
    if frame.empty:
        raise DataError(
            "nps_responses: no response is left within the score scale "
            f"{params.score_min:g}-{params.score_max:g} and the period ({_fmt_excluded(excluded)})"
        )
    frame = frame.assign(category=categorize(frame["score"], params))
    frame, note = _attach_segment(frame, params.segment_dimension, accounts, accounts_table)
    frame = frame.sort_values(["response_date", "response_id"], kind="stable").reset_index(drop=True)
    return Responses(frame, excluded, has_dates, note)


def _in_period(
    frame: pd.DataFrame, params: NpsParams, excluded: dict[str, int]
) -> tuple[pd.DataFrame, dict[str, int]]:
    if params.period_start is None and params.period_end is None:
        return frame, excluded
    dates = frame["response_date"]
    _count(excluded, "response date missing (a period is set)", dates.isna())
    keep = dates.notna()
    if params.period_start is not None:
        _count(excluded, "response before period_start", dates < params.period_start)
        keep &= dates >= params.period_start
    if params.period_end is not None:
        _count(excluded, "response after period_end", dates > params.period_end)
        keep &= dates <= params.period_end
    return frame[keep], excluded


def _attach_segment(
    frame: pd.DataFrame, dimension: str, accounts: pd.DataFrame | None, table: str = "accounts"
) -> tuple[pd.DataFrame, str]:
    """Segment of each response from ``accounts``, and a note when NPS cannot be segmented.

    Without an account table, or when the *default* dimension is not one of its
    columns, every response gets the segment '(all)' and the note says why; a
    dimension the user chose that is not a column is a :class:`ParamsError`.
    """
    needs = f"NPS by {dimension} needs an accounts table with a {dimension} column"
    if dimension in frame:
        seg = frame[dimension]
    elif accounts is None:
        note = f"{needs}, and none is loaded, so NPS is shown for all accounts together"
        return frame.assign(segment=ALL_SEGMENTS), note
    elif dimension in accounts:
        lookup = accounts.drop_duplicates("account_id").set_index("account_id")[dimension]
        seg = frame["account_id"].map(lookup)
    elif dimension == DEFAULT_SEGMENT:
        where = f"no accounts table is loaded and the {table} table has no such column"
        if table == "accounts":
            where = "the accounts table has no such column"
        note = f"{needs}: {where}, so NPS is shown for all accounts together"
        return frame.assign(segment=ALL_SEGMENTS), note
    else:
        cols = ", ".join(map(str, accounts.columns))
        raise ParamsError(f"segment_dimension {dimension!r} is not a column of the accounts table ({cols})")
    seg = seg.astype("object").where(seg.notna(), "(blank)").astype(str)
    return frame.assign(segment=seg.to_numpy()), ""


def _count(excluded: dict[str, int], reason: str, mask: pd.Series) -> None:
    n = int(mask.sum())
    if n:
        excluded[reason] = excluded.get(reason, 0) + n


def _fmt_excluded(excluded: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {reason}" for reason, n in excluded.items()) or "none excluded"


# ---------------------------------------------------------------- outcome linking


@dataclass
class Linked:
    """Responses tied to the outcome that followed them.

    ``responses`` holds every in-scope response with ``linked`` (outcome known:
    the whole horizon has passed by ``as_of``), ``churned`` (within the horizon,
    or the snapshot flag), ``arr`` and, in subscriptions mode,
    ``duration_days``/``event`` for survival curves. ``accounts`` is one row per
    account: its first linked response (the horizon analyses). ``followed`` is
    one row per account through its first *eligible* response, whether or not
    the horizon is over, for Kaplan–Meier curves, where a short follow-up is
    censored rather than dropped. ``note`` says why no response could be
    linked at all (e.g. undated responses with only subscriptions), else ''.
    """

    responses: pd.DataFrame
    accounts: pd.DataFrame
    customers: pd.DataFrame
    mode: str
    as_of: pd.Timestamp | None
    excluded: dict[str, int] = field(default_factory=dict)
    followed: pd.DataFrame | None = None
    note: str = ""

    @property
    def n_linked(self) -> int:
        return int(self.responses["linked"].sum())


def link_outcomes(
    responses: Responses,
    params: NpsParams,
    subscriptions: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> Linked:
    """Tie each response to its account's outcome: subscriptions first, else a customers snapshot.

    Subscriptions need response dates (churn *within a horizon after* the
    response); undated responses with only subscriptions link to nothing, and
    the result's ``note`` says why, so the NPS sections still render.
    """
    if subscriptions is not None and responses.has_dates:
        return _link_subscriptions(responses, params, subscriptions, fx_rates)
    if customers is not None:
        return _link_customers(responses, customers)
    if subscriptions is not None:
        return _link_nothing(responses, params, subscriptions, fx_rates)
    raise DataError("this report needs a subscriptions table or a customers table to link outcomes")


def account_history(
    subscriptions: pd.DataFrame,
    fx_rates: pd.DataFrame | None,
    as_of: pd.Timestamp | None,
    reporting_currency: str = "USD",
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """One row per customer account: start, churn date (NaT while active), current ARR.

    ARR is in ``reporting_currency``; a currency without a rate is a :class:`DataError`.
    """
    subs = subscriptions.copy()
    subs.attrs = {}  # the sample carries arrays in attrs, which pandas cannot compare on concat
    subs["arr_usd"] = _arr_usd(subs, fx_rates, reporting_currency)
    if as_of is None:
        as_of = max(subs["start_date"].max(), subs["end_date"].max())
    ended = ended_by(subs["end_date"], as_of)
    active = active_on(subs["start_date"], subs["end_date"], as_of)
    grouped = subs.groupby("account_id", sort=True)
    out = pd.DataFrame(
        {
            "start_date": grouped["start_date"].min(),
            "last_end": subs["end_date"].where(ended).groupby(subs["account_id"]).max(),
            "n_active": active.groupby(subs["account_id"]).sum(),
            "arr_now": subs["arr_usd"].where(active, 0.0).groupby(subs["account_id"]).sum(),
        }
    )
    out["churn_date"] = out["last_end"].where(out["n_active"] == 0)
    out["churned"] = out["churn_date"].notna()
    return out.drop(columns=["last_end"]).reset_index(), as_of


def _arr_usd(subs: pd.DataFrame, fx_rates: pd.DataFrame | None, reporting_currency: str = "USD") -> pd.Series:
    """ARR per subscription in the reporting currency (the reporting currency itself is rate 1).

    Reuses the market report's conversion: a currency with no rate in ``fx_rates``
    (or any foreign currency without an fx table) raises a :class:`DataError`
    naming it, instead of silently counting as zero ARR.
    """
    from revops_nb.analysis.currency import conversion_rates, to_reporting

    arr = subscription_arr(subs)
    currencies = subs.get("currency")
    rates = conversion_rates(fx_rates, reporting_currency)
    return to_reporting(arr, currencies, rates, reporting_currency, "subscriptions")


def _link_subscriptions(
    responses: Responses, params: NpsParams, subscriptions: pd.DataFrame, fx_rates: pd.DataFrame | None
) -> Linked:
    as_of = params.as_of
    if as_of is None:
        as_of = max(responses.frame["response_date"].max(), subscriptions["start_date"].max())
        as_of = (
            max(as_of, subscriptions["end_date"].max()) if subscriptions["end_date"].notna().any() else as_of
        )
    history, as_of = account_history(subscriptions, fx_rates, as_of, params.reporting_currency)
    frame = responses.frame.merge(history, on="account_id", how="left", validate="many_to_one")
    frame["arr"] = _arr_at_response(frame, subscriptions, fx_rates, params.reporting_currency)
    r = frame["response_date"]
    horizon = pd.Timedelta(days=params.horizon_days)
    no_customer = frame["start_date"].isna()
    undated = r.isna() & ~no_customer
    after_churn = frame["churn_date"].notna() & (frame["churn_date"] <= r)
    churned = frame["churn_date"].notna() & (frame["churn_date"] > r) & (frame["churn_date"] <= r + horizon)
    # Known only once the whole horizon has passed, for churners and survivors alike: counting
    # early churners while recent survivors wait would bias retention down.
    known = r + horizon <= as_of
    pending = ~no_customer & ~undated & ~after_churn & ~known
    excluded: dict[str, int] = {}
    _count(excluded, "account has no subscription", no_customer)
    _count(excluded, "response date missing", undated)
    _count(excluded, "response after the account churned", after_churn)
    _count(
        excluded,
        f"outcome not yet known ({params.horizon_days}-day horizon ends after {as_of:%Y-%m-%d})",
        pending,
    )
    frame["linked"] = ~(no_customer | undated | after_churn | pending)
    frame["churned"] = churned & frame["linked"]
    frame["eligible"] = ~(no_customer | undated | after_churn) & (r <= as_of)
    end = frame["churn_date"].fillna(as_of)
    frame["duration_days"] = (end - r).dt.days.astype(float).where(frame["eligible"])
    frame["event"] = frame["churn_date"].notna().astype(int)
    customers = history.rename(columns={"arr_now": "arr"})
    return _finish_link(frame, customers, "subscriptions", as_of, excluded)


def _arr_at_response(
    frame: pd.DataFrame, subscriptions: pd.DataFrame, fx_rates, reporting_currency: str = "USD"
) -> np.ndarray:
    """ARR (reporting currency) of the account's subscriptions active on the response date; else its latest."""
    subs = subscriptions[["account_id", "start_date", "end_date"]].assign(
        arr_usd=_arr_usd(subscriptions, fx_rates, reporting_currency)
    )
    pairs = frame[["response_id", "account_id", "response_date"]].merge(subs, on="account_id", how="inner")
    active = (pairs["start_date"] <= pairs["response_date"]) & (
        pairs["end_date"].isna() | (pairs["end_date"] > pairs["response_date"])
    )
    at_response = pairs["arr_usd"].where(active).groupby(pairs["response_id"]).sum(min_count=1)
    latest = pairs.sort_values("start_date", kind="stable").groupby("response_id")["arr_usd"].last()
    arr = at_response.combine_first(latest)
    return frame["response_id"].map(arr).to_numpy(dtype=float)


def _link_customers(responses: Responses, customers: pd.DataFrame) -> Linked:
    snap = customers.drop_duplicates("account_id").copy()
    snap["churned"] = snap["churned"].astype("boolean")
    if "arr" not in snap:
        snap["arr"] = np.nan
    frame = responses.frame.merge(
        snap[["account_id", "churned", "arr"]], on="account_id", how="left", validate="many_to_one"
    )
    excluded: dict[str, int] = {}
    no_customer = ~frame["account_id"].isin(snap["account_id"])
    no_flag = ~no_customer & frame["churned"].isna()
    _count(excluded, "account not in customers", no_customer)
    _count(excluded, "churn flag missing", no_flag)
    frame["linked"] = ~(no_customer | no_flag)
    frame["churned"] = frame["churned"].fillna(False).astype(bool) & frame["linked"]
    frame["arr"] = frame["arr"].astype(float)
    frame["duration_days"] = np.nan
    frame["event"] = frame["churned"].astype(int)
    frame["eligible"] = frame["linked"]
    customers_out = snap[["account_id", "churned", "arr"]].assign(
        churned=snap["churned"].fillna(False).astype(bool)
    )
    return _finish_link(frame, customers_out, "customers", None, excluded)


def _link_nothing(
    responses: Responses, params: NpsParams, subscriptions: pd.DataFrame, fx_rates: pd.DataFrame | None
) -> Linked:
    """Undated responses and subscriptions: no response is linked; customers still come from history."""
    history, as_of = account_history(subscriptions, fx_rates, params.as_of, params.reporting_currency)
    frame = responses.frame.copy()
    frame["arr"] = np.nan
    frame["linked"] = frame["churned"] = frame["eligible"] = False
    frame["duration_days"] = np.nan
    frame["event"] = 0
    excluded = {"response date missing (needed to tie a response to the subscriptions)": len(frame)}
    customers = history.rename(columns={"arr_now": "arr"})
    linked = _finish_link(frame, customers, "subscriptions", as_of, excluded)
    linked.note = NEEDS_DATES_TO_LINK
    return linked


def _finish_link(frame, customers, mode: str, as_of, excluded: dict[str, int]) -> Linked:
    frame["retained"] = ~frame["churned"]
    linked = frame[frame["linked"]]
    accounts = linked.drop_duplicates("account_id", keep="first").reset_index(drop=True)
    eligible = frame[frame["eligible"]]
    followed = eligible.drop_duplicates("account_id", keep="first").reset_index(drop=True)
    return Linked(frame, accounts, customers, mode, as_of, excluded, followed)


# ---------------------------------------------------------------- NPS


def nps_overall(responses: pd.DataFrame, params: NpsParams) -> stats.NpsResult:
    """NPS of every in-scope response with its multinomial interval."""
    return stats.nps_score(responses["score"], params.detractor_max, params.promoter_min, params.confidence)


def nps_by(responses: pd.DataFrame, column: str, params: NpsParams, sort_by_n: bool = True) -> pd.DataFrame:
    """NPS per value of ``column`` with n, interval, category shares and a small-n flag."""
    rows = []
    for value, group in responses.groupby(column, sort=not sort_by_n, observed=True):
        res = nps_overall(group, params)
        rows.append(
            {
                column: value,
                "n": res.n,
                "nps": res.nps,
                "ci_low": res.ci_low,
                "ci_high": res.ci_high,
                "promoters": res.promoters,
                "passives": res.passives,
                "detractors": res.detractors,
            }
        )
    out = pd.DataFrame(
        rows, columns=[column, "n", "nps", "ci_low", "ci_high", "promoters", "passives", "detractors"]
    )
    out["flagged"] = out["n"] < params.min_n
    if sort_by_n:
        out = out.sort_values(["flagged", "n"], ascending=[True, False], kind="stable")
    return out.reset_index(drop=True)


def nps_by_segment(responses: pd.DataFrame, params: NpsParams) -> pd.DataFrame:
    """NPS by the segment dimension; small segments flagged and listed last, not ranked."""
    return nps_by(responses, "segment", params).rename(columns={"segment": params.segment_dimension})


def nps_by_quarter(responses: pd.DataFrame, params: NpsParams) -> pd.DataFrame:
    """NPS per calendar quarter of the response date, in time order."""
    dated = responses[responses["response_date"].notna()]
    quarter = dated["response_date"].dt.to_period("Q").astype(str)
    return nps_by(dated.assign(quarter=quarter), "quarter", params, sort_by_n=False)


def category_test(responses: pd.DataFrame, column: str, params: NpsParams) -> stats.TestResult:
    """Chi-square test that the promoter/passive/detractor mix differs across unflagged groups."""
    counts = pd.crosstab(responses[column], responses["category"])
    counts = counts[counts.sum(axis=1) >= params.min_n]
    return stats.independence_test(counts)


def score_distribution(responses: pd.DataFrame, params: NpsParams) -> pd.DataFrame:
    """Share of responses at each score on the scale, with Wilson intervals."""
    scores = responses["score"]
    observed = np.sort(scores.unique())
    if np.allclose(observed, np.round(observed)):
        values = np.arange(np.ceil(params.score_min), np.floor(params.score_max) + 1)
        values = np.union1d(values, observed)
    else:
        values = observed
    counts = scores.value_counts().reindex(values, fill_value=0).to_numpy()
    n = int(counts.sum())
    low, high = stats.wilson_interval(counts, np.full(len(counts), n), params.confidence)
    out = pd.DataFrame(
        {"score": values, "responses": counts, "share": counts / n, "ci_low": low, "ci_high": high}
    )
    out["category"] = categorize(out["score"], params).astype(str).to_numpy()
    return out


# ---------------------------------------------------------------- retention


def retention_by_category(accounts: pd.DataFrame, params: NpsParams, n_resamples: int = 1000) -> pd.DataFrame:
    """Logo retention (Wilson CI) and ARR retention (bootstrap CI) per category, one row per account."""
    rows = []
    for cat in CATEGORIES:
        group = accounts[accounts["category"] == cat]
        n, kept = len(group), int(group["retained"].sum())
        low, high = stats.wilson_interval(kept, n, params.confidence)
        arr_rate, arr_low, arr_high = _arr_retention(group, params.confidence, n_resamples)
        rows.append(
            {
                "category": cat,
                "accounts": n,
                "retained": kept,
                "churned": n - kept,
                "logo_retention": kept / n if n else np.nan,
                "ci_low": float(low),
                "ci_high": float(high),
                "arr": float(group["arr"].sum()),
                "arr_retention": arr_rate,
                "arr_ci_low": arr_low,
                "arr_ci_high": arr_high,
                "flagged": n < params.min_n,
            }
        )
    return pd.DataFrame(rows)


def _arr_retention(group: pd.DataFrame, confidence: float, n_resamples: int) -> tuple[float, float, float]:
    valued = group[group["arr"].notna() & (group["arr"] > 0)]
    arr = valued["arr"].to_numpy(dtype=float)
    kept = valued["retained"].to_numpy(dtype=float)
    if len(arr) < 2 or arr.sum() <= 0:
        return (float(kept @ arr / arr.sum()) if len(arr) else np.nan), np.nan, np.nan
    point = float(kept @ arr / arr.sum())
    if kept.min() == kept.max():
        return point, point, point
    low, high = _ratio_bootstrap(arr, kept, confidence, n_resamples)
    return point, low, high


def _ratio_bootstrap(arr: np.ndarray, kept: np.ndarray, confidence: float, n_resamples: int, seed: int = 0):
    """Percentile bootstrap of sum(arr * kept) / sum(arr), vectorized over resamples."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(arr), size=(n_resamples, len(arr)))
    a = arr[idx]
    ratios = (a * kept[idx]).sum(axis=1) / a.sum(axis=1)
    tail = (1 - confidence) / 2
    return float(np.quantile(ratios, tail)), float(np.quantile(ratios, 1 - tail))


def retention_test(accounts: pd.DataFrame) -> stats.TestResult:
    """Chi-square (exact for sparse 2x2) test that retention differs across categories."""
    counts = pd.crosstab(accounts["category"], accounts["retained"])
    return stats.independence_test(counts)


@dataclass(frozen=True)
class Contrast:
    """Promoter vs detractor retention: difference and its test."""

    promoter_rate: float
    detractor_rate: float
    difference: float
    diff_ci_low: float
    diff_ci_high: float
    test: stats.TestResult
    n_promoters: int
    n_detractors: int


def promoter_detractor_contrast(table: pd.DataFrame, params: NpsParams) -> Contrast:
    """Promoter minus detractor logo retention, its Newcombe interval and a two-proportion test."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    pro = table.set_index("category").loc["promoter"]
    det = table.set_index("category").loc["detractor"]
    k1, n1, k2, n2 = int(pro["retained"]), int(pro["accounts"]), int(det["retained"]), int(det["accounts"])
    test = stats.two_proportion_test(k1, n1, k2, n2)
    low = high = np.nan
    if min(n1, n2) > 0:
        low, high = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", alpha=params.alpha)
    return Contrast(
        float(pro["logo_retention"]),
        float(det["logo_retention"]),
        float(pro["logo_retention"] - det["logo_retention"]),
        float(low),
        float(high),
        test,
        int(pro["accounts"]),
        int(det["accounts"]),
    )


# ---------------------------------------------------------------- association


def score_correlation(accounts: pd.DataFrame) -> stats.TestResult:
    """Spearman correlation of score with retained (1) / churned (0), one row per account."""
    return stats.spearman(accounts["score"], accounts["retained"].astype(float))


@dataclass(frozen=True)
class OddsRatio:
    """Odds ratio of churn per one-point higher score, adjusted for the listed controls."""

    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    controls: tuple[str, ...]
    note: str = ""


def churn_regression(accounts: pd.DataFrame, params: NpsParams) -> OddsRatio:
    """Logistic regression of churn on score, controlling for segment and log ARR where available.

    A control that is constant or an exact combination of the others is left out,
    named in ``note``, and dropped from ``controls``. No odds ratio is given (only
    a note) when scores do not vary, when there are too few churned or retained
    accounts, when score itself is collinear with the controls, or when the fit
    does not converge or has an infinite or implausibly wide interval, which is
    what perfect or quasi-complete separation produces.
    """
    from revops_nb.regression import fit_logit

    design, controls = _design(accounts)
    y = accounts["churned"].astype(float).to_numpy()
    n, events = len(y), int(y.sum())

    def no_fit(note: str, used: tuple[str, ...] = controls) -> OddsRatio:
        return OddsRatio(np.nan, np.nan, np.nan, np.nan, n, used, note)

    if min(events, n - events) < MIN_EVENTS:
        return no_fit(f"too few churned or retained accounts ({events} of {n} churned)")
    if accounts["score"].nunique() < 2:
        return no_fit("every linked account has the same score, so its effect cannot be estimated")
    fit = fit_logit(y, design)
    if "score" in fit.dropped:
        return no_fit("score is collinear with the controls (rank-deficient design)")
    if not fit.ok:
        return no_fit(SEPARATION if fit.kind in ("separation", "convergence") else fit.reason)
    control_of = {"log_arr": "log ARR"} | {c: "segment" for c in design.columns if c.startswith("seg_")}
    used = tuple(c for c in controls if c in {control_of.get(col) for col in fit.columns})
    # fixed words only (segment names stay out): the note reaches the summary unescaped
    left_out = [c for c in controls if c in {control_of.get(col) for col in fit.dropped}]
    note = (
        f"{' and '.join(left_out)} left out of the controls (constant, or an exact combination of score "
        "and the other controls)"
        if left_out
        else ""
    )
    low, high = fit.conf_int(alpha=params.alpha).loc["score"]
    beta, p_value = fit.params["score"], fit.pvalues["score"]
    odds = np.exp([beta, low, high])
    if not np.all(np.isfinite(odds)) or not np.isfinite(p_value):
        return no_fit(SEPARATION, used)
    if odds[1] < 1e-6 or odds[2] > 1e6:  # an interval this wide only comes from (quasi-)separation
        return no_fit(SEPARATION, used)
    return OddsRatio(float(odds[0]), float(odds[1]), float(odds[2]), float(p_value), n, used, note)


def _design(accounts: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    design = pd.DataFrame({"const": 1.0, "score": accounts["score"].astype(float)}, index=accounts.index)
    controls: list[str] = []
    segments = accounts["segment"].astype(str)
    if segments.nunique() > 1:
        dummies = pd.get_dummies(segments, prefix="seg", drop_first=True, dtype=float)
        design = design.join(dummies)
        controls.append("segment")
    arr = accounts["arr"].astype(float)
    if arr.notna().all() and arr.nunique() > 1:
        design["log_arr"] = np.log1p(arr.clip(lower=0))
        controls.append("log ARR")
    return design, tuple(controls)


# ---------------------------------------------------------------- survival


@dataclass
class Survival:
    """Kaplan–Meier retention curves by category and the log-rank test across them."""

    curves: dict[str, pd.DataFrame]
    test: stats.TestResult
    at_horizon: pd.DataFrame


def survival_by_category(accounts: pd.DataFrame, params: NpsParams) -> Survival | None:
    """Kaplan–Meier curves from each account's first linked response; None without event dates."""
    if accounts["duration_days"].isna().all():
        return None
    curves = {}
    rows = []
    for cat in CATEGORIES:
        group = accounts[accounts["category"] == cat]
        curve = stats.kaplan_meier(group["duration_days"], group["event"], params.confidence)
        curves[cat] = curve
        at = curve[curve["time"] <= params.horizon_days].tail(1)
        rows.append(
            {
                "category": cat,
                "accounts": len(group),
                "retention_at_horizon": float(at["survival"].iloc[0]) if len(at) else np.nan,
                "ci_low": float(at["ci_low"].iloc[0]) if len(at) else np.nan,
                "ci_high": float(at["ci_high"].iloc[0]) if len(at) else np.nan,
            }
        )
    test = stats.logrank_test(accounts["duration_days"], accounts["event"], accounts["category"].astype(str))
    return Survival(curves, test, pd.DataFrame(rows))


# ---------------------------------------------------------------- ARR at risk


@dataclass(frozen=True)
class ArrAtRisk:
    """Current ARR of active accounts whose latest response is a detractor, and its expected loss."""

    accounts: int
    arr: float
    share_of_arr: float
    expected_loss: float
    expected_loss_low: float
    expected_loss_high: float


def arr_at_risk(linked: Linked, retention: pd.DataFrame) -> ArrAtRisk:
    """ARR at risk among detractors: active accounts whose latest score is a detractor.

    Expected loss applies the detractors' ARR churn within the horizon
    (1 - ARR retention, with its bootstrap interval) to that ARR: it is an amount
    of ARR, so the ARR-weighted rate applies, not the logo rate. NaN when no
    detractor outcome is known yet.
    """
    customers = linked.customers
    active = customers[~customers["churned"].astype(bool)]
    latest = linked.responses.drop_duplicates("account_id", keep="last").set_index("account_id")["category"]
    cat = active["account_id"].map(latest)
    det = active[cat == "detractor"]
    arr = float(det["arr"].sum())
    total = float(active["arr"].sum())
    row = retention.set_index("category").loc["detractor"]
    churn = 1 - float(row["arr_retention"])
    churn_low, churn_high = 1 - float(row["arr_ci_high"]), 1 - float(row["arr_ci_low"])
    return ArrAtRisk(
        len(det),
        arr,
        arr / total if total > 0 else np.nan,
        float(arr * churn),
        float(arr * churn_low),
        float(arr * churn_high),
    )


@dataclass(frozen=True)
class Window:
    """Who the respondents comparison covers.

    Customers active on the landmark date ``start`` (= ``end`` - horizon) are
    compared; a respondent answered a survey in scope on or before ``start``;
    'still active' is measured on ``end`` (= ``as_of``). Survey status is fixed
    before the outcome window opens, so neither group includes customers who had
    already left, and early churners are not pushed into the non-respondents.
    """

    start: pd.Timestamp | None
    end: pd.Timestamp | None
    dropped: int  # customers left out because they were not active on ``start``


def respondents_window(linked: Linked, params: NpsParams) -> Window:
    """The landmark ``as_of - horizon_days`` to ``as_of``; no dates in snapshot mode or without response dates."""
    dated = linked.responses["response_date"].notna().any()
    if linked.mode != "subscriptions" or linked.as_of is None or not dated:
        return Window(None, None, 0)
    start = linked.as_of - pd.Timedelta(days=params.horizon_days)
    active = _active_on(linked.customers, start)
    return Window(start, linked.as_of, int((~active).sum()))


def _active_on(customers: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    churn = customers["churn_date"]
    return (customers["start_date"] <= day) & (churn.isna() | (churn > day))


def respondents_vs_non(linked: Linked, params: NpsParams) -> tuple[pd.DataFrame, stats.TestResult]:
    """Share of customers still active, respondents vs. non-respondents, with Wilson CIs and a test.

    With subscription history both groups are the customers active on the landmark
    date ``as_of - horizon_days``, split by whether they answered on or before it,
    and 'still active' is measured at ``as_of`` (see :class:`Window`), so customers
    who churned before any survey could be answered are not non-respondents. A
    snapshot, or responses without dates, give no landmark: every customer is compared.
    """
    customers = linked.customers
    answered = linked.responses
    window = respondents_window(linked, params)
    if window.start is not None:
        customers = customers[_active_on(customers, window.start)]
        answered = answered[answered["response_date"] <= window.start]
    responded = customers["account_id"].isin(answered["account_id"])
    frame = pd.DataFrame(
        {
            "group": np.where(responded, "respondents", "non-respondents"),
            "retained": ~customers["churned"].astype(bool).to_numpy(),
        }
    )
    table = stats.rate_table(frame, "group", "retained", params.min_n, params.confidence)
    table = table.rename(
        columns={"value": "group", "n": "customers", "successes": "still_active", "rate": "share_active"}
    )
    by = table.set_index("group")
    if {"respondents", "non-respondents"} <= set(by.index):
        a, b = by.loc["respondents"], by.loc["non-respondents"]
        test = stats.two_proportion_test(
            int(a["still_active"]), int(a["customers"]), int(b["still_active"]), int(b["customers"])
        )
    else:
        test = stats.TestResult(np.nan, np.nan, "none")
    return table, test


# ---------------------------------------------------------------- verdict


@dataclass(frozen=True)
class Verdict:
    """The plain answer: 'predicts', 'opposite' or 'no evidence', and why."""

    label: str
    reason: str


def verdict(
    correlation: stats.TestResult, accounts: pd.DataFrame, params: NpsParams, unlinked: str = ""
) -> Verdict:
    """Verdict from the Spearman test of score vs retention (one account, one response).

    'predicts' when higher scores go with better retention at p < alpha, 'opposite'
    when significant the other way, else 'no evidence'. Below ``min_n`` linked
    accounts, or with fewer than 5 churned or 5 retained, no test is trusted:
    the verdict is 'no evidence' and the reason says the sample is too small.
    With no linked account the reason is ``unlinked`` (why nothing could be
    linked) when given; with a single score value, that no test is possible.
    """
    n = len(accounts)
    churned = int(accounts["churned"].sum())
    if n == 0:
        return Verdict(
            "no evidence",
            unlinked
            or "the retention outcome is not known yet for any response (none is linked to a known "
            "outcome, e.g. none has been followed for the whole horizon), so nothing can be tested",
        )
    if accounts["score"].nunique() < 2:
        return Verdict(
            "no evidence",
            f"every linked account has the same score ({accounts['score'].iloc[0]:g}), "
            "so whether score predicts retention cannot be tested",
        )
    if n < params.min_n or min(churned, n - churned) < MIN_EVENTS:
        return Verdict(
            "no evidence",
            f"too little data to test: {n:,} linked accounts, {churned:,} churned "
            f"(needs at least {params.min_n} accounts and {MIN_EVENTS} churned and {MIN_EVENTS} retained)",
        )
    if not correlation.significant(params.alpha):
        return Verdict("no evidence", "retention is not significantly related to score")
    if correlation.statistic > 0:
        return Verdict("predicts", "higher scores go with better retention")
    return Verdict("opposite", "higher scores go with worse retention")


def quick_verdict(
    responses: pd.DataFrame,
    params: NpsParams,
    subscriptions: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> Verdict:
    """Prepare, link and judge in one call (for tests and benchmarks)."""
    prepared = prepare_responses(responses, params, accounts)
    linked = link_outcomes(prepared, params, subscriptions, customers, fx_rates)
    return verdict(score_correlation(linked.accounts), linked.accounts, params, linked.note)
