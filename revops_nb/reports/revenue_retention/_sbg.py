"""The shifted-beta-geometric retention model (Fader & Hardie 2007), fitted by maximum likelihood.

Each customer renews at the end of every period with a probability 1 - θ of their own; θ varies
across customers as Beta(α, β). So the survival curve flattens with tenure (the customers who stay
are the ones who rarely leave), which a constant churn rate cannot show. With T the period in which a
customer leaves:

    P(T = t) = B(α + 1, β + t - 1) / B(α, β)        S(t) = P(T > t) = B(α, β + t) / B(α, β)

Fitted on counts: ``churned[t]`` customers left in period t (t = 1, 2, ...), ``alive[t]`` customers
were last seen still active after t complete periods (right-censored). The parameters' interval
comes from the inverse Hessian of the log-likelihood on the log scale (so it stays positive).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special
from statsmodels.tools.numdiff import approx_hess

from revops_nb.stats import z_value

LOG_BOUND = 10.0  # α and β are searched within exp(±10)
CONSTANT_SCALE = 2.0e4  # α + β standing for 'infinite' (no heterogeneity) in the geometric limit


@dataclass(frozen=True)
class SbgFit:
    """A fitted sBG model: estimates, the covariance of (log α, log β), the data it was fitted on."""

    alpha: float
    beta: float
    cov_log: np.ndarray  # 2x2 covariance of (log alpha, log beta); NaN when the Hessian is singular
    log_likelihood: float
    n_customers: int
    n_churned: int
    converged: bool
    constant: bool = False  # no spread across customers detected: the geometric limit (α, β → ∞)
    churn_se: float = float("nan")  # standard error of the constant churn rate (when ``constant``)

    def interval(self, confidence: float = 0.95) -> dict[str, tuple[float, float]]:
        """Wald interval of α and β on the log scale, transformed back: {'alpha': (low, high), 'beta': ...}."""
        z = z_value(confidence)
        if self.constant:  # α and β are only known to be large; their ratio (the churn rate) is known
            return {"alpha": (np.nan, np.nan), "beta": (np.nan, np.nan)}
        out = {}
        for i, (name, value) in enumerate((("alpha", self.alpha), ("beta", self.beta))):
            se = float(np.sqrt(self.cov_log[i, i])) if np.isfinite(self.cov_log[i, i]) else np.nan
            out[name] = (value * np.exp(-z * se), value * np.exp(z * se))
        return out

    def mean_churn(self) -> float:
        """Mean churn probability per period across customers at acquisition, α / (α + β)."""
        return self.alpha / (self.alpha + self.beta)

    def draws(self, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``size`` draws of (α, β) from the estimates' asymptotic normal distribution (log scale)."""
        if self.constant:
            theta = np.clip(rng.normal(self.mean_churn(), self.churn_se, size), 1e-9, 1 - 1e-9)
            return theta * CONSTANT_SCALE, (1 - theta) * CONSTANT_SCALE
        mean = np.log([self.alpha, self.beta])
        if not np.all(np.isfinite(self.cov_log)):
            return np.full(size, self.alpha), np.full(size, self.beta)
        d = rng.multivariate_normal(mean, self.cov_log, size=size, check_valid="ignore")
        return np.exp(d[:, 0]), np.exp(d[:, 1])


def survival(alpha, beta, t) -> np.ndarray:
    """S(t) = B(α, β + t) / B(α, β): share of a new cohort still a customer after t periods."""
    t = np.asarray(t, dtype=float)
    return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))


def churn_probability(alpha, beta, t) -> np.ndarray:
    """P(T = t) = B(α + 1, β + t - 1) / B(α, β): share of a new cohort leaving in period t (t ≥ 1)."""
    t = np.asarray(t, dtype=float)
    return np.exp(special.betaln(alpha + 1, beta + t - 1) - special.betaln(alpha, beta))


def log_likelihood(alpha: float, beta: float, churned: np.ndarray, alive: np.ndarray) -> float:
    """Log-likelihood of churn counts per period (index t-1 = period t) and censored counts (index t = after t periods)."""
    t_churn = np.arange(1, len(churned) + 1)
    t_alive = np.arange(len(alive))
    ll = np.sum(churned * np.log(churn_probability(alpha, beta, t_churn)))
    return float(ll + np.sum(alive * np.log(survival(alpha, beta, t_alive))))


def fit_sbg(churned, alive) -> SbgFit | None:
    """Maximum-likelihood sBG fit; None when there is nothing to fit (no customer or nobody left).

    ``churned[t-1]`` = customers who left in period t; ``alive[t]`` = customers still active after
    exactly t observed complete periods (censored there). Without any churn the likelihood has no
    maximum (everyone stays forever), so there is no fit either.
    """
    churned = np.asarray(churned, dtype=float)
    alive = np.asarray(alive, dtype=float)
    n_churned = int(churned.sum())
    if n_churned == 0 or churned.sum() + alive.sum() == 0:
        return None

    def negative(params: np.ndarray) -> float:
        a, b = np.exp(np.clip(params, -LOG_BOUND, LOG_BOUND))
        value = -log_likelihood(a, b, churned, alive)
        return value if np.isfinite(value) else 1e300

    best = None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for start in ((0.0, 0.0), (np.log(2.0), np.log(20.0))):
            res = optimize.minimize(negative, np.array(start), method="BFGS")
            if best is None or res.fun < best.fun:
                best = res
        polish = optimize.minimize(
            negative, best.x, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 600}
        )
        if polish.fun <= best.fun:
            best = polish
        hess = approx_hess(best.x, negative)
        try:
            cov = np.linalg.inv(hess)
            if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            cov = np.full((2, 2), np.nan)
    a, b = np.exp(np.clip(best.x, -LOG_BOUND, LOG_BOUND))
    if max(a, b) > np.exp(LOG_BOUND - 1):  # on the ridge towards the geometric limit
        return _constant_fit(churned, alive, -float(best.fun), n_churned)
    return SbgFit(
        alpha=float(a),
        beta=float(b),
        cov_log=cov,
        log_likelihood=-float(best.fun),
        n_customers=int(churned.sum() + alive.sum()),
        n_churned=n_churned,
        converged=bool(best.success) or np.isfinite(best.fun),
    )


def _constant_fit(churned: np.ndarray, alive: np.ndarray, log_lik: float, n_churned: int) -> SbgFit:
    """The geometric limit: every customer churns with the same probability per period (events / renewals)."""
    t = np.arange(1, len(churned) + 1)
    exposures = float(np.sum(t * churned) + np.sum(np.arange(len(alive)) * alive))
    theta = float(churned.sum()) / exposures
    return SbgFit(
        alpha=theta * CONSTANT_SCALE,
        beta=(1 - theta) * CONSTANT_SCALE,
        cov_log=np.full((2, 2), np.nan),
        log_likelihood=log_lik,
        n_customers=int(churned.sum() + alive.sum()),
        n_churned=n_churned,
        converged=True,
        constant=True,
        churn_se=float(np.sqrt(theta * (1 - theta) / exposures)),
    )


def counts_from_survivors(survivors, cohort: int) -> tuple[np.ndarray, np.ndarray]:
    """Churn and censored counts of one cohort followed to the end: survivors after periods 1..T.

    Fader & Hardie's data: a cohort of ``cohort`` customers with ``survivors[t-1]`` still there after
    period t; those left after the last period are censored there.
    """
    surv = np.asarray(survivors, dtype=float)
    churned = -np.diff(np.concatenate([[cohort], surv]))
    alive = np.zeros(len(surv) + 1)
    alive[-1] = surv[-1]
    return churned, alive


def period_discount(annual_rate: float, months: int) -> float:
    """The discount rate per period of ``months`` months equivalent to ``annual_rate`` per year."""
    return (1.0 + annual_rate) ** (months / 12.0) - 1.0


def discounted_residual_periods(alpha, beta, n, d: float) -> np.ndarray:
    """Expected discounted number of future payments of a customer who has stayed ``n`` complete periods.

    Payments are made at the start of each period the customer is active; the one for the current
    period (n + 1) is paid, the next is due one period from now:
    Σ_{t > n} S(t)/S(n) / (1 + d)^(t - n) = B(α, β+n+1)/B(α, β+n) · ₂F₁(1, β+n+1; α+β+n+1; 1/(1+d)) / (1 + d),
    Fader & Hardie's (2010) DERL with the next renewal discounted by one period.
    """
    n = np.asarray(n, dtype=float)
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    ratio = np.exp(special.betaln(alpha, beta + n + 1) - special.betaln(alpha, beta + n))
    z = 1.0 / (1.0 + d)
    return ratio * special.hyp2f1(1.0, beta + n + 1, alpha + beta + n + 1, z) * z


def expected_residual_periods(alpha: float, beta: float, n) -> np.ndarray:
    """Undiscounted expected number of further periods of a customer who stayed ``n`` periods.

    Finite only when α > 1 (with α ≤ 1 enough customers practically never leave that the mean is
    unbounded): then Σ_{t > n} S(t)/S(n) = (β + n) / (α - 1). NaN otherwise.
    """
    n = np.asarray(n, dtype=float)
    if alpha <= 1:
        return np.full(n.shape, np.nan)
    return (beta + n) / (alpha - 1.0)


def median_residual_periods(alpha: float, beta: float, n, horizon: int = 2000) -> np.ndarray:
    """Periods until half of the customers who stayed ``n`` periods are expected to have left (NaN beyond ``horizon``)."""
    n = np.atleast_1d(np.asarray(n, dtype=float))
    out = np.full(n.shape, np.nan)
    ks = np.arange(1, horizon + 1)
    for value in np.unique(n):
        ratio = survival(alpha, beta, value + ks) / survival(alpha, beta, value)
        hit = np.flatnonzero(ratio <= 0.5)
        out[n == value] = ks[hit[0]] if len(hit) else np.nan
    return out
