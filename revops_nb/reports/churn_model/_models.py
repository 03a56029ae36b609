"""The churn models: who will churn, fitted and compared on rows they were not fitted on.

Three scikit-learn pipelines are compared: a naive one-feature baseline (tenure), a
logistic regression and gradient boosting. The validation rows (see :mod:`._splits`)
pick the model (higher ROC AUC) and decide whether Platt calibration improves its
probabilities; the test rows are used only to report.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    KBinsDiscretizer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)
from threadpoolctl import threadpool_limits

from revops_nb.errors import DataError, ParamsError
from revops_nb.reports.churn_model._categories import CategoryCodes
from revops_nb.reports.churn_model._metrics import metric_table
from revops_nb.reports.churn_model._splits import Split, make_split
from revops_nb.reports.churn_model._table import KEY, ModelTable
from revops_nb.reports.churn_model.settings import CHURN_MODES

MODES = CHURN_MODES
NAIVE, LOGISTIC, BOOSTING = "naive baseline", "logistic regression", "gradient boosting"
CANDIDATES = (LOGISTIC, BOOSTING)
TENURE_HINTS = ("tenure_days", "tenure_months", "tenure")


# ---------------------------------------------------------------- threads


def limited_threads(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``func`` with OpenMP and BLAS threads capped at half the cores.

    Gradient boosting's OpenMP threads spin while waiting; on a machine shared
    with other report kernels (``revops-nb run --jobs``) using every core made
    fitting an order of magnitude slower, so half the cores are left free.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with threadpool_limits(limits=max(1, (os.cpu_count() or 2) // 2)):
            return func(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------- parameters


def choose_mode(mode: str, available: set[str] | list[str]) -> str:
    """'history' when subscriptions are available (or asked for), else 'snapshot' from customers."""
    if mode not in MODES:
        raise ParamsError(f"parameter 'mode' must be one of {', '.join(MODES)}, got {mode!r}")
    have = set(available)
    if mode == "auto":
        if "subscriptions" in have:
            return "history"
        if "customers" in have:
            return "snapshot"
        raise DataError(
            "the churn model needs a subscriptions table (history) or a customers table (snapshot)"
        )
    needed = "subscriptions" if mode == "history" else "customers"
    if needed not in have:
        raise DataError(f"mode {mode!r} needs a {needed} table, which is not configured")
    return mode


def baseline_feature(table: ModelTable, requested: str | None = None) -> str | None:
    """The naive model's single feature: ``requested``, else a tenure column, else None (no baseline)."""
    if requested is not None:
        if requested not in table.numeric:
            shown = ", ".join(table.numeric)
            raise ParamsError(
                f"parameter 'baseline_feature' names {requested!r}, which is not a numeric feature (numeric: {shown})"
            )
        return requested
    for hint in TENURE_HINTS:
        if hint in table.numeric:
            return hint
    tenure = [c for c in table.numeric if "tenure" in c.lower()]
    return tenure[0] if tenure else None


# ---------------------------------------------------------------- pipelines


def _numeric_steps(scale: bool) -> Pipeline:
    steps = [("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True))]
    if scale:
        steps.append(("scale", StandardScaler()))
    return Pipeline(steps)


def logistic_pipeline(numeric: list[str], categorical: list[str]) -> Pipeline:
    """Median-imputed, standardized numerics + one-hot categoricals -> logistic regression."""
    cat = Pipeline(
        [
            ("codes", CategoryCodes()),
            ("onehot", OneHotEncoder(handle_unknown="ignore", min_frequency=10)),
        ]
    )
    pre = ColumnTransformer([("num", _numeric_steps(True), numeric), ("cat", cat, categorical)])
    return Pipeline([("pre", pre), ("model", LogisticRegression(max_iter=2000))])


def boosting_pipeline(numeric: list[str], categorical: list[str], seed: int = 0) -> Pipeline:
    """Numerics as they are (NaN allowed) + ordinal-coded categoricals -> HistGradientBoosting."""
    cat = Pipeline(
        [
            ("codes", CategoryCodes()),
            (
                "ordinal",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=200),
            ),
        ]
    )
    pre = ColumnTransformer([("num", "passthrough", numeric), ("cat", cat, categorical)])
    mask = [False] * len(numeric) + [True] * len(categorical)
    model = HistGradientBoostingClassifier(
        learning_rate=0.08,
        max_iter=120,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        categorical_features=mask if categorical else None,
        early_stopping=False,
        random_state=seed,
    )
    return Pipeline([("pre", pre), ("model", model)])


NAIVE_BANDS = 10


def naive_pipeline(feature: str) -> Pipeline:
    """The training churn rate of the customer's band of one feature (tenure): the bar a model must clear.

    The feature is cut into ``NAIVE_BANDS`` equal-count bands on the fit rows and each band
    gets its own churn rate (one-hot logistic regression). A straight-line logistic fit on
    tenure was not a fair baseline: churn is not monotone in tenure, the fitted slope was
    close to zero and its sign was set by noise, which on the sample gave a test ROC AUC
    below 0.5 and made "beats the naive baseline" an empty claim.
    """
    bands = KBinsDiscretizer(NAIVE_BANDS, encode="onehot", strategy="quantile", subsample=None)
    steps = Pipeline(
        [("impute", SimpleImputer(strategy="median", keep_empty_features=True)), ("bands", bands)]
    )
    pre = ColumnTransformer([("num", steps, [feature])])
    return Pipeline([("pre", pre), ("model", LogisticRegression(C=1.0, max_iter=1000))])


# ---------------------------------------------------------------- calibration


@dataclass
class Calibrator:
    """Platt scaling of a model's probabilities, fitted on validation rows."""

    a: float = 1.0
    b: float = 0.0
    applied: bool = False
    brier_raw: float = float("nan")
    brier_calibrated: float = float("nan")

    def __call__(self, p: np.ndarray) -> np.ndarray:
        if not self.applied:
            return np.asarray(p, dtype=float)
        return 1.0 / (1.0 + np.exp(-(self.a * _logit(p) + self.b)))


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q)).reshape(-1)


def fit_calibrator(p_val: np.ndarray, y_val: np.ndarray, seed: int = 0) -> Calibrator:
    """Platt scaling, applied only when its 5-fold cross-validated Brier score beats the raw one."""
    x = _logit(p_val).reshape(-1, 1)
    platt = LogisticRegression(C=1e6, max_iter=1000)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    p_cv = cross_val_predict(platt, x, y_val, cv=folds, method="predict_proba")[:, 1]
    raw = float(np.mean((np.asarray(p_val) - y_val) ** 2))
    calibrated = float(np.mean((p_cv - y_val) ** 2))
    platt.fit(x, y_val)
    return Calibrator(float(platt.coef_[0, 0]), float(platt.intercept_[0]), calibrated < raw, raw, calibrated)


# ---------------------------------------------------------------- fitting


@dataclass
class ChurnModel:
    """Fitted models, the chosen one, its calibration, and their scores on validation and test rows."""

    table: ModelTable
    split: Split
    models: dict[str, Pipeline]
    chosen: str
    calibrator: Calibrator
    baseline_feature: str | None
    validation_auc: dict[str, float]
    test_scores: dict[str, np.ndarray]
    metrics: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def test_frame(self) -> pd.DataFrame:
        return self.table.frame.iloc[self.split.test].reset_index(drop=True)

    @property
    def y_test(self) -> np.ndarray:
        return self.table.y[self.split.test]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Churn probability of the chosen model (calibrated when that helped) for feature rows."""
        raw = self.models[self.chosen].predict_proba(frame[self.table.features])[:, 1]
        return self.calibrator(raw)

    @property
    def chosen_metrics(self) -> pd.Series:
        return self.metrics.set_index("model").loc[self.chosen]

    @property
    def baseline(self) -> str | None:
        """The naive baseline's name in :attr:`metrics`, or None when there was no feature for it."""
        return NAIVE if self.baseline_feature is not None else None


@limited_threads
def fit_models(
    table: ModelTable,
    horizon_days: int = 90,
    test_share: float = 0.25,
    baseline: str | None = None,
    n_bootstrap: int = 1000,
    seed: int = 42,
) -> ChurnModel:
    """Split, fit the baseline, logistic and boosting models, choose and calibrate, score the test rows."""
    split = make_split(table, horizon_days, test_share, seed)
    feature = baseline_feature(table, baseline)
    X, y = table.frame, table.y
    pipes: dict[str, Pipeline] = {}
    if feature is not None:
        pipes[NAIVE] = naive_pipeline(feature)
    pipes[LOGISTIC] = logistic_pipeline(table.numeric, table.categorical)
    pipes[BOOSTING] = boosting_pipeline(table.numeric, table.categorical, seed)
    X_fit, y_fit = X.iloc[split.fit], y[split.fit]
    for pipe in pipes.values():
        pipe.fit(X_fit, y_fit)
    X_val, y_val = X.iloc[split.validation], y[split.validation]
    val_scores = {name: pipe.predict_proba(X_val)[:, 1] for name, pipe in pipes.items()}
    val_auc = {name: _auc(y_val, s) for name, s in val_scores.items()}
    chosen = max(CANDIDATES, key=lambda name: val_auc[name])
    calibrator = fit_calibrator(val_scores[chosen], y_val, seed)
    X_test = X.iloc[split.test]
    test_scores = {name: pipe.predict_proba(X_test)[:, 1] for name, pipe in pipes.items()}
    test_scores[chosen] = calibrator(test_scores[chosen])
    groups = X_test[KEY].to_numpy()
    metrics = metric_table(
        y[split.test], test_scores, groups, NAIVE if feature else None, n_bootstrap, seed=seed
    )
    metrics["validation_auc"] = metrics["model"].map(val_auc)
    metrics["chosen"] = metrics["model"] == chosen
    notes = [] if feature else ["no tenure column: the naive baseline is omitted"]
    return ChurnModel(table, split, pipes, chosen, calibrator, feature, val_auc, test_scores, metrics, notes)


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score))
