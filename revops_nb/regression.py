"""One logistic fit for every report: drops collinear columns by name and never raises on bad data.

statsmodels raises ``LinAlgError`` on a singular design, only warns on perfect
separation, and may stop without converging; which of these a given dataset
hits can change with the statsmodels, NumPy or BLAS version. :func:`fit_logit`
checks the design first (constant columns, exact duplicates and exact linear
combinations are left out, each with its reason), fits with every statsmodels
warning captured so none reaches a report, and returns a :class:`LogitFit`
that either holds the fit or says in words why the model could not be estimated.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

INTERCEPT = "const"
COLLINEAR_TOL = 1e-7  # a unit-norm column this close to the span of earlier columns is a combination of them
MAX_LOG_ODDS = 15.0  # |coefficient| beyond this (odds ratio ~3 million) means the fit ran off
MAX_NAMED = 5  # columns named in a "linear combination of ..." reason

SEPARATION = (
    "the outcome is perfectly or almost perfectly predicted by some of the columns (separation), "
    "so the estimates run off to infinity"
)


@dataclass(frozen=True)
class LogitFit:
    """A logistic fit, the columns left out of it and why, or why no model could be estimated.

    ``result`` is the statsmodels result (None when nothing could be estimated);
    ``dropped`` maps each left-out column to the reason; ``reason`` is empty when
    the fit is usable; ``kind`` names the failure: "data", "collinear",
    "separation", "convergence" or "numerical".
    """

    result: Any | None
    columns: list[str]
    n: int
    dropped: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    kind: str = ""

    @property
    def ok(self) -> bool:
        """True when the fit converged to finite, plausible estimates."""
        return self.result is not None and not self.reason

    @property
    def note(self) -> str:
        """One sentence for the report: why nothing was estimated, or which columns were left out."""
        if not self.ok:
            return f"the effects could not be estimated because {self.reason}"
        if not self.dropped:
            return ""
        return "left out of the model: " + "; ".join(f"{name} ({why})" for name, why in self.dropped.items())

    @property
    def params(self) -> pd.Series:
        """Coefficients (log-odds) by column; empty when nothing was estimated."""
        return self.result.params if self.ok else pd.Series(dtype=float)

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values by column; empty when nothing was estimated."""
        return self.result.pvalues if self.ok else pd.Series(dtype=float)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Coefficient intervals (columns 0 and 1) at level 1 - alpha; empty when nothing was estimated."""
        return self.result.conf_int(alpha=alpha) if self.ok else pd.DataFrame(columns=[0, 1])


def collinear_columns(x: pd.DataFrame, tol: float = COLLINEAR_TOL) -> dict[str, str]:
    """Columns to leave out so the rest have full rank, each with why; earlier columns are kept first.

    The first constant non-zero column (or one named ``const``) is the intercept;
    other constant columns, exact duplicates and exact linear combinations of
    earlier columns are named. Works on the column-scaled R of a QR
    decomposition, so the cost is one pass over the rows.
    """
    values = x.to_numpy(dtype=float)
    names = [str(c) for c in x.columns]
    dropped: dict[str, str] = {}
    if values.size == 0:
        return dropped
    constant = np.ptp(values, axis=0) == 0
    intercept = _intercept(names, values, constant)
    for j in np.flatnonzero(constant):
        if j != intercept:
            dropped[names[j]] = "constant: the same value in every row"
    keep = [j for j in range(len(names)) if names[j] not in dropped]
    if not keep:
        return dropped
    norms = np.linalg.norm(values[:, keep], axis=0)
    r = np.linalg.qr(values[:, keep] / norms, mode="r")
    kept: list[int] = []  # positions in ``keep``
    for pos, j in enumerate(keep):
        if not kept:
            kept.append(pos)
            continue
        basis = r[:, kept]
        coef, *_ = np.linalg.lstsq(basis, r[:, pos], rcond=None)
        if np.linalg.norm(r[:, pos] - basis @ coef) >= tol:
            kept.append(pos)
            continue
        parts = [keep[kept[i]] for i in np.flatnonzero(np.abs(coef) > 1e-6)]
        dropped[names[j]] = _combination(names, values, j, parts, intercept)
    return dropped


def _intercept(names: list[str], values: np.ndarray, constant: np.ndarray) -> int | None:
    if INTERCEPT in names and constant[names.index(INTERCEPT)]:
        return names.index(INTERCEPT)
    nonzero = [j for j in np.flatnonzero(constant) if values[:, j].any()]
    return int(nonzero[0]) if nonzero else None


def _combination(
    names: list[str], values: np.ndarray, j: int, parts: list[int], intercept: int | None
) -> str:
    """Why column j is redundant, in words: identical to one column, or a combination of several."""
    if len(parts) == 1 and np.array_equal(values[:, j], values[:, parts[0]]):
        return f"identical to {names[parts[0]]}"
    labels = ["the intercept" if p == intercept else names[p] for p in parts]
    if len(labels) > MAX_NAMED:
        labels = [*labels[:MAX_NAMED], f"{len(labels) - MAX_NAMED} more"]
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + f" and {labels[-1]}"
    return f"an exact linear combination of {listed}"


def fit_logit(
    y: Sequence[float] | np.ndarray | pd.Series,
    x: pd.DataFrame,
    groups: Sequence | np.ndarray | None = None,
    maxiter: int = 200,
    max_log_odds: float = MAX_LOG_ODDS,
) -> LogitFit:
    """Logistic regression of a 0/1 ``y`` on ``x`` (include a ``const`` column for an intercept).

    Collinear columns are left out (see :func:`collinear_columns`; put the column
    of interest before the controls so a control is the one left out). With
    ``groups`` the covariance is cluster-robust by group. Never raises on the
    data: a singular design, separation, non-convergence, or estimates that are
    not finite or run beyond ``max_log_odds`` give a LogitFit with a ``reason``.
    """
    outcome = np.asarray(y, dtype=float)
    if outcome.ndim != 1 or len(outcome) != len(x):
        raise ValueError(f"y has {outcome.size} values but x has {len(x)} rows; they must match")
    n = len(outcome)

    def failed(reason: str, kind: str, dropped: dict[str, str] | None = None) -> LogitFit:
        return LogitFit(None, [], n, dropped or {}, reason, kind)

    values = x.to_numpy(dtype=float)
    if n == 0:
        return failed("there are no rows to fit", "data")
    bad = int((~np.isfinite(values).all(axis=1) | ~np.isfinite(outcome)).sum())
    if bad:
        return failed(f"{bad:,} of {n:,} rows have a missing or infinite value", "data")
    if not np.isin(outcome, (0.0, 1.0)).all():
        raise ValueError("y must hold only 0 and 1 (or False and True)")
    events = int(outcome.sum())
    if events in (0, n):
        return failed(f"the outcome does not vary (it is {int(outcome[0])} in all {n:,} rows)", "data")
    dropped = collinear_columns(x)
    design = x.drop(columns=[c for c in x.columns if str(c) in dropped]).astype(float)
    if design.shape[1] == 0:
        return failed(
            "no column is left once constant and collinear columns are left out", "collinear", dropped
        )
    if n <= design.shape[1]:
        return failed(f"there are {n:,} rows for {design.shape[1]} coefficients", "data", dropped)
    result, reason, kind = _fit(outcome, design, groups, maxiter, max_log_odds)
    if reason:
        return failed(reason, kind, dropped)
    return LogitFit(result, list(design.columns), n, dropped)


def _fit(
    y: np.ndarray, design: pd.DataFrame, groups, maxiter: int, max_log_odds: float
) -> tuple[Any | None, str, str]:
    """(result, reason, kind): the statsmodels fit with its warnings captured and judged."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        HessianInversionWarning,
        PerfectSeparationError,
        PerfectSeparationWarning,
    )

    kwargs: dict[str, Any] = {}
    if groups is not None:
        kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(np.asarray(groups))[0]}}
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            result = sm.Logit(y, design).fit(disp=0, method="newton", maxiter=maxiter, **kwargs)
        except PerfectSeparationError:
            return None, SEPARATION, "separation"
        except np.linalg.LinAlgError as exc:
            return None, f"the design matrix is numerically singular ({exc})", "numerical"
        except (ValueError, FloatingPointError, OverflowError, ZeroDivisionError) as exc:
            return None, f"the fit failed ({type(exc).__name__}: {exc})", "numerical"
    kinds = {type(w.message) for w in caught}
    if any(issubclass(k, PerfectSeparationWarning) for k in kinds):
        return None, SEPARATION, "separation"
    converged = bool(getattr(result, "mle_retvals", {}).get("converged", True))
    if not converged or any(issubclass(k, ConvergenceWarning) for k in kinds):
        if _separates(result, y):
            return None, SEPARATION, "separation"
        return (
            None,
            f"the fit did not converge within {maxiter} iterations "
            "(usually a combination of columns almost separates the outcomes)",
            "convergence",
        )
    params = np.asarray(result.params, dtype=float)
    bse = np.asarray(result.bse, dtype=float)
    if not (np.isfinite(params).all() and np.isfinite(bse).all()) or any(
        issubclass(k, HessianInversionWarning) for k in kinds
    ):
        return (
            None,
            "some estimates or their standard errors are not finite (near-collinear columns)",
            "numerical",
        )
    slopes = np.abs(params[np.ptp(design.to_numpy(), axis=0) > 0])  # the intercept may be large
    if slopes.size and slopes.max() > max_log_odds:
        return None, SEPARATION, "separation"
    return result, "", ""


def _separates(result: Any, y: np.ndarray) -> bool:
    """True when some rows are predicted with (numerically) certainty and correctly: (quasi-)separation."""
    with np.errstate(all="ignore"):
        p = np.asarray(result.predict(), dtype=float)
    certain = ((p > 1 - 1e-8) & (y == 1)) | ((p < 1e-8) & (y == 0))
    return bool(certain.any())
