"""Customer lifetime value: shifted-beta-geometric retention per segment, discounted value per customer.

Each customer's tenure is cut into calendar periods of ``clv_period`` from its first day (a monthly
customer who started on 15 January renews on the 15th of every month): a churned customer whose last
day falls within ``TOLERANCE_DAYS`` of its k-th anniversary left in period k (it paid for k periods),
one who left between anniversaries in the period under way; a current one has survived the periods
whose anniversary (plus the tolerance) it has passed, and is censored there. The sBG model is fitted on all customers (pooled) and per segment
(``clv_segment``) by maximum likelihood. A segment uses its own fit only when the data show that it
retains differently: a likelihood-ratio test of separate (α, β) for the segment and for the other
customers against one pooled (α, β), 2 degrees of freedom, Holm-adjusted across the segments and
rejected at 1 - confidence; otherwise, and when it has fewer than ``min_n`` customers or no churn,
the segment uses the pooled fit, and the parameters table says which and why.

A current customer's value is its ARR per period × gross margin × the expected discounted number of
its future payments given the periods it has already stayed (:func:`_sbg.discounted_residual_periods`).
The customer base's value is the sum; its interval comes from redrawing every segment's (α, β) from
the estimates' sampling distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from revops_nb.reports.revenue_retention import _sbg
from revops_nb.reports.revenue_retention._book import UNKNOWN, Book
from revops_nb.reports.revenue_retention.settings import Settings
from revops_nb.stats import holm, kaplan_meier, survival_at

ALL = "All customers"
TOLERANCE_DAYS = 5  # an end date this close to an anniversary is taken as that anniversary
PARAMETER_COLUMNS = [
    "segment",
    "parameter",
    "estimate",
    "ci_low",
    "ci_high",
    "customers",
    "churned",
    "fit",
    "lr_p",
]
OWN = "own"
POOLED = "pooled"
NO_EVIDENCE = "pooled (no evidence it differs)"
TOO_FEW = "pooled (too few customers or no churn)"


SYSTEMATIC_SHARE = 0.8  # the fitted curve on one side of the observed in this share of the periods...
SYSTEMATIC_GAP = 0.01  # ...by this much survival on average, at least, is a systematic gap
SYSTEMATIC_MIN_PERIODS = 4


@dataclass(frozen=True)
class FitBias:
    """The fitted survival against the observed over the periods the fit saw (not held out)."""

    periods: int
    below: int  # periods where the fitted curve lies below the observed
    above: int
    mean_gap: float  # mean of fitted - observed, a share of customers (negative: fitted below)

    @property
    def side(self) -> str:
        """'below' or 'above' when the fitted curve is systematically on that side of the observed, else ''."""
        if self.periods < SYSTEMATIC_MIN_PERIODS or abs(self.mean_gap) < SYSTEMATIC_GAP:
            return ""
        if self.below >= SYSTEMATIC_SHARE * self.periods and self.mean_gap < 0:
            return "below"
        if self.above >= SYSTEMATIC_SHARE * self.periods and self.mean_gap > 0:
            return "above"
        return ""


@dataclass
class Clv:
    """Fitted retention per segment, value per current customer, the base's value, the fit check."""

    fits: dict[str, _sbg.SbgFit]  # segment -> fit used (ALL = all customers)
    own_fit: dict[str, bool]  # whether a segment uses its own fit (else the pooled one)
    lr_p: dict[str, float]  # segment -> Holm-adjusted p of its own vs the pooled fit (NaN: not tested)
    parameters: pd.DataFrame  # PARAMETER_COLUMNS
    customers: pd.DataFrame  # clv_by_customer
    base_value: float
    base_ci: tuple[float, float]
    mean_clv: float
    mean_ci: tuple[float, float]
    check: pd.DataFrame  # fit check: period, observed, fitted, at_risk, held_out
    check_error: float  # mean absolute gap |observed - fitted| over held-out periods, a share (NaN without)
    period_discount: float
    segment_by: str
    longest_tenure_years: float = float("nan")  # the longest tenure any customer has been observed for
    check_bias: FitBias | None = (
        None  # the fitted curve against the observed over the periods it was fitted on
    )
    aside: str | None = None

    def beyond_observed(self, factor: float = 2.0) -> pd.DataFrame:
        """Segments whose current customers' median remaining lifetime is more than ``factor`` × the longest
        tenure observed: there the value rests on the fitted curve far beyond what the data has seen."""
        if self.customers.empty or not np.isfinite(self.longest_tenure_years):
            return pd.DataFrame(columns=["segment", "median_remaining_years"])
        median = self.customers.groupby("segment")["median_remaining_years"].median()
        far = median[median > factor * self.longest_tenure_years]
        return far.rename("median_remaining_years").reset_index()


def periods_of_tenure(book: Book, months: int, until: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per customer who started by ``until`` (default: report date): churn period or periods survived,
    in whole calendar periods of ``months`` months (see the module docstring)."""
    until = until or book.as_of
    c = book.customers[book.customers["first_start"] <= until]
    churned = c["churned"] & (c["churn_date"] <= until)
    start = c["first_start"]
    tol = pd.Timedelta(days=TOLERANCE_DAYS)
    end = c["churn_date"].where(churned, until)
    k = whole_periods(start, end, months, tol)
    past = (end > add_months(start, k * months) + tol).to_numpy()
    t_churn = np.maximum(1, k + past)
    n_alive = whole_periods(start, end, months, -tol - pd.Timedelta(days=1))
    return pd.DataFrame(
        {"churned": churned.to_numpy(), "t": np.where(churned, t_churn, n_alive)}, index=c.index
    )


def add_months(start: pd.Series, months) -> pd.Series:
    """``start`` plus ``months`` calendar months, the day kept or clipped to the month's last day."""
    shifted = start.dt.to_period("M") + np.asarray(months, dtype=int)
    day = np.minimum(start.dt.day.to_numpy(), shifted.dt.days_in_month.to_numpy())
    first = shifted.dt.start_time.astype("datetime64[ns]")
    return first + pd.to_timedelta(day - 1, unit="D")


def whole_periods(start: pd.Series, end: pd.Series, months: int, slack: pd.Timedelta) -> np.ndarray:
    """The most whole periods of ``months`` calendar months from ``start`` whose anniversary falls on
    or before ``end + slack`` (0 at least)."""
    start = start.dt.normalize()
    reach = end.dt.normalize() + slack
    months_apart = (end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month)
    guess = np.floor_divide(months_apart.to_numpy(int), months)
    best = np.zeros(len(start), dtype=int)
    for k in (guess - 2, guess - 1, guess, guess + 1):  # the slack is less than a month
        reached = (add_months(start, np.maximum(k, 0) * months) <= reach).to_numpy()
        best = np.where(reached & (k > best), k, best)
    return best


def counts(periods: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """sBG counts: churned in period t (index t-1), alive after exactly t periods (index t)."""
    horizon = int(periods["t"].max()) + 1 if len(periods) else 1
    churned = np.bincount(periods.loc[periods["churned"], "t"] - 1, minlength=horizon)[:horizon]
    alive = np.bincount(periods.loc[~periods["churned"], "t"], minlength=horizon + 1)[: horizon + 1]
    return churned.astype(float), alive.astype(float)


def customer_value(book: Book, settings: Settings) -> Clv | None:
    """The CLV section's numbers; ``aside`` says why not when nobody has churned (no retention to fit)."""
    months = settings.clv_months
    tenure = periods_of_tenure(book, months)
    pooled = _sbg.fit_sbg(*counts(tenure))
    if pooled is None:
        why = (
            "the subscriptions have no end dates" if not book.has_end_dates else "no customer has churned yet"
        )
        return _aside(
            f"Customer lifetime value needs churned customers to fit retention on, and {why}.", settings
        )
    by = settings.clv_segment if settings.clv_segment in book.dimensions else None
    segment = book.customers.loc[tenure.index, by] if by else pd.Series(ALL, index=tenure.index)
    fits, own, lr_p = segment_fits(tenure, segment, pooled, settings)
    d = _sbg.period_discount(settings.discount_rate, months)
    customers = _per_customer(book, tenure, segment, fits, settings, d)
    base_ci, mean_ci = _value_intervals(customers, fits, settings, d)
    check, error = fit_check(book, settings)
    return Clv(
        fits=fits,
        own_fit=own,
        lr_p=lr_p,
        parameters=_parameter_table(fits, own, lr_p, tenure, segment, settings),
        customers=customers,
        base_value=float(customers["clv"].sum()),
        base_ci=base_ci,
        mean_clv=float(customers["clv"].mean()) if len(customers) else float("nan"),
        mean_ci=mean_ci,
        check=check,
        check_error=error,
        period_discount=d,
        segment_by=by or "",
        longest_tenure_years=float(tenure["t"].max()) * months / 12,
        check_bias=fit_bias(check),
    )


def fit_bias(check: pd.DataFrame) -> FitBias:
    """How the fitted curve sits against the observed over the fit check's periods that were not held out."""
    seen = check[~check["held_out"]] if len(check) else check
    gap = (seen["fitted"] - seen["observed"]).to_numpy(float) if len(seen) else np.array([])
    return FitBias(
        periods=len(gap),
        below=int((gap < 0).sum()),
        above=int((gap > 0).sum()),
        mean_gap=float(gap.mean()) if len(gap) else float("nan"),
    )


def segment_fits(
    tenure: pd.DataFrame, segment: pd.Series, pooled: _sbg.SbgFit, settings: Settings
) -> tuple[dict[str, _sbg.SbgFit], dict[str, bool], dict[str, float]]:
    """The fit each segment uses, whether it is its own, and the Holm-adjusted likelihood-ratio p.

    For each segment with ``min_n`` customers and churn: 2 (ℓ(segment) + ℓ(the others) − ℓ(pooled)) ~ χ²(2)
    when the segment retains as the others do. Its own fit is used only where Holm rejects that at
    1 - confidence; the others (and segments not tested) use the pooled fit.
    """
    fits, own, raw = {ALL: pooled}, {ALL: False}, {}
    candidates = {}
    for value in sorted(pd.unique(segment)):
        if value == ALL:
            continue
        inside = (segment == value).to_numpy()
        part = tenure[inside]
        fit = _sbg.fit_sbg(*counts(part)) if len(part) >= settings.min_n and value != UNKNOWN else None
        rest = _sbg.fit_sbg(*counts(tenure[~inside])) if fit is not None else None
        usable = fit is not None and (fit.constant or np.all(np.isfinite(fit.cov_log)))
        if usable and rest is not None:
            statistic = 2.0 * (fit.log_likelihood + rest.log_likelihood - pooled.log_likelihood)
            raw[value] = float(sps.chi2.sf(max(statistic, 0.0), df=2))
            candidates[value] = fit
        fits[value], own[value] = pooled, False
    lr_p = dict.fromkeys(fits, float("nan"))
    if raw:
        adjusted, rejected = holm(pd.Series(raw), settings.alpha)
        for value, fit in candidates.items():
            lr_p[value] = float(adjusted[value])
            if bool(rejected[value]):
                fits[value], own[value] = fit, True
    return fits, own, lr_p


def _aside(text: str, settings: Settings) -> Clv:
    nan2 = (float("nan"), float("nan"))
    return Clv(
        fits={},
        own_fit={},
        lr_p={},
        parameters=pd.DataFrame(columns=PARAMETER_COLUMNS),
        customers=pd.DataFrame(),
        base_value=float("nan"),
        base_ci=nan2,
        mean_clv=float("nan"),
        mean_ci=nan2,
        check=pd.DataFrame(),
        check_error=float("nan"),
        period_discount=_sbg.period_discount(settings.discount_rate, settings.clv_months),
        segment_by="",
        aside=text,
    )


def _per_customer(book, tenure, segment, fits, settings: Settings, d: float) -> pd.DataFrame:
    current = tenure[~tenure["churned"]]
    arr = book.customers.loc[current.index, "current_arr"]
    current = current[arr > 0]
    arr = arr[arr > 0]
    seg = segment.loc[current.index]
    years = settings.clv_months / 12
    rows = pd.DataFrame(
        {
            "account_id": current.index.to_numpy(),
            "segment": seg.to_numpy(),
            "periods_as_customer": current["t"].to_numpy(),
            "current_arr": arr.to_numpy(),
        }
    )
    expected = np.full(len(rows), np.nan)
    median = np.full(len(rows), np.nan)
    discounted = np.full(len(rows), np.nan)
    for value in pd.unique(rows["segment"]):
        m = (rows["segment"] == value).to_numpy()
        f = fits[value]
        n = rows.loc[m, "periods_as_customer"].to_numpy()
        expected[m] = _sbg.expected_residual_periods(f.alpha, f.beta, n)
        median[m] = _sbg.median_residual_periods(f.alpha, f.beta, n)
        discounted[m] = _sbg.discounted_residual_periods(f.alpha, f.beta, n, d)
    rows["expected_remaining_years"] = expected * years
    rows["median_remaining_years"] = median * years
    rows["discounted_future_periods"] = discounted
    rows["clv"] = rows["current_arr"] * years * settings.gross_margin * discounted
    return rows


def _value_intervals(customers, fits, settings: Settings, d: float):
    """Intervals of the base's total and mean value from redrawn (α, β) of every segment's fit."""
    if customers.empty:
        nan2 = (float("nan"), float("nan"))
        return nan2, nan2
    rng = np.random.default_rng(0)
    draws = settings.bootstrap_replicates
    totals = np.zeros(draws)
    years = settings.clv_months / 12
    pooled_draws = fits[ALL].draws(draws, rng)
    cache = {ALL: pooled_draws}
    for value in pd.unique(customers["segment"]):
        fit = fits[value]
        if fit is fits[ALL]:
            a, b = pooled_draws
        else:
            a, b = cache.setdefault(value, fit.draws(draws, rng))
        part = customers[customers["segment"] == value]
        weight = part.groupby("periods_as_customer")["current_arr"].sum()
        n = weight.index.to_numpy(float)
        derl = _sbg.discounted_residual_periods(a[:, None], b[:, None], n[None, :], d)
        totals += derl @ weight.to_numpy() * years * settings.gross_margin
    q = [(1 - settings.confidence) / 2, (1 + settings.confidence) / 2]
    low, high = np.quantile(totals, q)
    count = len(customers)
    return (float(low), float(high)), (float(low / count), float(high / count))


def _parameter_table(fits, own, lr_p, tenure, segment, settings: Settings) -> pd.DataFrame:
    rows = []
    for value, fit in fits.items():
        part = tenure if value == ALL else tenure[segment == value]
        ci = fit.interval(settings.confidence)
        if value == ALL:
            source = POOLED
        elif own[value]:
            source = OWN
        else:
            source = NO_EVIDENCE if np.isfinite(lr_p[value]) else TOO_FEW
        if fit.constant:
            source += "; constant churn (no spread across customers detected)"
        extra = [len(part), int(part["churned"].sum()), source, lr_p[value]]
        rows.append([value, "alpha", fit.alpha, *ci["alpha"], *extra])
        rows.append([value, "beta", fit.beta, *ci["beta"], *extra])
        churn = fit.mean_churn()
        lo, hi = _mean_churn_interval(fit, settings)
        rows.append([value, "mean_churn_per_period", churn, lo, hi, *extra])
    return pd.DataFrame(rows, columns=PARAMETER_COLUMNS)


def _mean_churn_interval(fit: _sbg.SbgFit, settings: Settings) -> tuple[float, float]:
    a, b = fit.draws(2000, np.random.default_rng(1))
    q = [(1 - settings.confidence) / 2, (1 + settings.confidence) / 2]
    low, high = np.quantile(a / (a + b), q)
    return float(low), float(high)


def fit_check(book: Book, settings: Settings) -> tuple[pd.DataFrame, float]:
    """Observed survival (life table on all the data) vs the sBG fitted on data cut ``holdout_periods`` earlier.

    Periods beyond the longest tenure the cut data could see are 'held out': the fit never saw them.
    """
    months = settings.clv_months
    full = periods_of_tenure(book, months)
    cut = book.as_of - pd.DateOffset(months=months * settings.holdout_periods)
    calibration = periods_of_tenure(book, months, until=cut) if settings.holdout_periods else full
    fit = _sbg.fit_sbg(*counts(calibration)) if len(calibration) else None
    if fit is None:
        fit = _sbg.fit_sbg(*counts(full))
        calibration = full
    churned, alive = counts(full)
    horizon = len(churned)
    t = np.arange(1, horizon + 1)
    at_risk = np.array([churned[k - 1 :].sum() + alive[k:].sum() for k in t])
    # churn in period t is an event at t; a current customer is censored at (so at risk in) its last period
    curve = kaplan_meier(full["t"], full["churned"].astype(int))
    observed = np.array([survival_at(curve, k) for k in t])
    seen = int(calibration["t"].max()) if len(calibration) else 0
    table = pd.DataFrame(
        {
            "period": t,
            "at_risk": at_risk.astype(int),
            "observed": observed,
            "fitted": _sbg.survival(fit.alpha, fit.beta, t),
            "held_out": t > seen,
        }
    )
    table = table[table["at_risk"] >= min(settings.min_n, max(int(at_risk[0]), 1))].reset_index(drop=True)
    held = table[table["held_out"]]
    error = float(np.mean(np.abs(held["observed"] - held["fitted"]))) if len(held) else float("nan")
    return table, error
