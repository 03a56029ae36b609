"""The current customers scored: churn probability, ARR at risk and each customer's top drivers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb.reports.churn_model._models import ChurnModel, limited_threads
from revops_nb.reports.churn_model._table import KEY, LABEL
from revops_nb.reports.churn_model._trees import TreeScores

DRIVER_MIN_CHANGE = 0.005


@dataclass(frozen=True)
class ArrAtRisk:
    """Expected ARR lost within the horizon and a 90% range of what may actually be lost."""

    expected: float
    low: float
    high: float
    customers: int


@limited_threads
def score_current(model: ChurnModel, top_drivers: int = 3) -> pd.DataFrame:
    """Current customers with churn probability, ARR, ARR at risk and top drivers, riskiest ARR first.

    History mode scores every customer active on the as-of date; snapshot mode
    scores the customers not yet churned, using out-of-fold predictions so no
    customer is scored by a model that saw it.
    """
    current = model.table.current
    p = _out_of_fold(model) if model.table.mode == "snapshot" else model.predict(current)
    arr = current["arr"].astype(float).to_numpy()
    out = pd.DataFrame(
        {
            KEY: current[KEY].to_numpy(),
            "churn_probability": p,
            "arr": arr,
            "arr_at_risk": p * np.nan_to_num(arr),
            "top_drivers": _account_drivers(model, current, p, top_drivers),
        }
    )
    return out.sort_values(["arr_at_risk", KEY], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def _out_of_fold(model: ChurnModel) -> np.ndarray:
    """Snapshot mode: each retained customer scored by a copy of the chosen model fitted without it."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    frame, y = model.table.frame, model.table.y
    features = model.table.features
    p = np.empty(len(frame))
    for fit_idx, score_idx in StratifiedKFold(5, shuffle=True, random_state=0).split(frame, y):
        pipe = clone(model.models[model.chosen]).fit(frame.iloc[fit_idx][features], y[fit_idx])
        p[score_idx] = pipe.predict_proba(frame.iloc[score_idx][features])[:, 1]
    p = model.calibrator(p)
    return p[~frame[LABEL].to_numpy()]


def _account_drivers(model: ChurnModel, current: pd.DataFrame, p: np.ndarray, top: int) -> list[str]:
    """Per account: features whose typical value would lower its probability most ('feature (+x pts)')."""
    features = model.table.features
    gains = driver_gains(model, current, p)
    labels = []
    for row in gains:
        order = np.argsort(-row)[:top]
        parts = [f"{features[j]} (+{100 * row[j]:.1f} pts)" for j in order if row[j] >= DRIVER_MIN_CHANGE]
        labels.append("; ".join(parts))
    return labels


def driver_gains(model: ChurnModel, current: pd.DataFrame, p: np.ndarray) -> np.ndarray:
    """Per account and feature: the probability ``p`` minus that with the feature at its typical value.

    The typical value is the current customers' median (numeric) or most common value. For the
    boosting model the rows are transformed once and only the changed column is replaced (each
    transformer acts on its column value by value), and only the trees that split on the
    feature are run again (:class:`._trees.TreeScores`): the same numbers as scoring the
    changed rows through the pipeline.
    """
    features = model.table.features
    gains = np.zeros((len(current), len(features)))
    trees = TreeScores.of(model.models[model.chosen], features) if len(current) else None
    if trees is not None:
        rows = trees.matrix(current)
        base = trees.per_tree(rows)
    for j, col in enumerate(features):
        reference = current[col].median() if col in model.table.numeric else current[col].mode(dropna=True)
        if not np.isscalar(reference):
            reference = reference.iloc[0] if len(reference) else np.nan
        if trees is None:
            swapped = current.copy()
            swapped[col] = reference
            gains[:, j] = p - model.predict(swapped)
            continue
        one = current.iloc[:1].copy()
        one[col] = reference
        k = trees.column[col]
        swapped_rows = rows.copy()
        swapped_rows[:, k] = trees.matrix(one)[0, k]
        gains[:, j] = p - model.calibrator(trees.proba(trees.changed(base, swapped_rows, col)))
    return gains


def arr_at_risk(scores: pd.DataFrame, draws: int = 4000, seed: int = 0) -> ArrAtRisk:
    """Expected ARR lost (sum of probability x ARR) and the 5th-95th percentile of simulated losses."""
    p = scores["churn_probability"].to_numpy()
    arr = np.nan_to_num(scores["arr"].to_numpy(dtype=float))
    rng = np.random.default_rng(seed)
    lost = np.zeros(draws)
    for start in range(0, draws, 500):
        n = min(500, draws - start)
        lost[start : start + n] = (rng.random((n, len(p))) < p) @ arr
    low, high = np.quantile(lost, [0.05, 0.95])
    return ArrAtRisk(float(np.sum(p * arr)), float(low), float(high), len(p))
