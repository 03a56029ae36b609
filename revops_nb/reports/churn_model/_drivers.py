"""What drives churn: permutation importance of the chosen model and logistic effects per standard deviation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import expit
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from revops_nb.regression import fit_logit
from revops_nb.reports.churn_model._models import LOGISTIC, ChurnModel, limited_threads
from revops_nb.reports.churn_model._table import KEY, LABEL, ModelTable
from revops_nb.reports.churn_model._trees import TreeScores

PERMUTATION_ROWS = 20_000
LOGIT_ROWS = 100_000
EFFECT_NUMBERS = ["coef_per_sd", "prob_change", "prob_change_ci_low", "prob_change_ci_high", "p_value"]
EFFECT_COLUMNS = ["term", "feature", *EFFECT_NUMBERS]


def permutation_drivers(model: ChurnModel, repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """Drop in test ROC AUC when each feature is shuffled (chosen model), mean and range over repeats."""
    test = model.test_frame
    y = model.y_test
    if len(test) > PERMUTATION_ROWS:
        keep = np.random.default_rng(seed).choice(len(test), PERMUTATION_ROWS, replace=False)
        test, y = test.iloc[keep], y[keep]
    features = model.table.features
    pipe = model.models[model.chosen]
    importances = _boosting_importances(pipe, test[features], y, repeats, seed)
    if importances is None:
        result = permutation_importance(
            pipe, test[features], y, scoring="roc_auc", n_repeats=repeats, random_state=seed
        )
        importances = result.importances
    return pd.DataFrame(
        {
            "feature": features,
            "auc_drop": np.mean(importances, axis=1),
            "auc_drop_min": importances.min(axis=1),
            "auc_drop_max": importances.max(axis=1),
        }
    )


def _boosting_importances(
    pipe: Pipeline, X: pd.DataFrame, y: np.ndarray, repeats: int, seed: int
) -> np.ndarray | None:
    """:func:`sklearn.inspection.permutation_importance` (ROC AUC) of the boosting pipeline, faster.

    The same numbers, bit for bit: the same shuffles (one ``RandomState`` per feature seeded
    as scikit-learn seeds it, each repeat shuffling the already shuffled column) and the same
    raw scores (see :class:`._trees.TreeScores`). The rows are transformed once: every
    transformer acts on its column value by value, so shuffling a raw column shuffles its
    transformed column alike. None when the pipeline is not a binary boosting one.
    """
    trees = TreeScores.of(pipe, list(X.columns))
    if trees is None:
        return None
    Xt = trees.matrix(X)
    base = trees.per_tree(Xt)
    baseline_score = float(roc_auc_score(y, trees.raw(base).ravel()))
    random_seed = check_random_state(seed).randint(np.iinfo(np.int32).max + 1)
    scores = []
    for feature in X.columns:
        j = trees.column[feature]
        rng = check_random_state(random_seed)
        shuffling_idx = np.arange(len(Xt))
        permuted = Xt.copy()
        row = []
        for _ in range(repeats):
            rng.shuffle(shuffling_idx)
            permuted[:, j] = permuted[shuffling_idx, j]
            row.append(float(roc_auc_score(y, trees.raw(trees.changed(base, permuted, feature)).ravel())))
        scores.append(row)
    return baseline_score - np.array(scores)


def _design(model: ChurnModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Standardized numerics (+ missing flags) and drop-first dummies, as the logistic model sees them.

    Constant, duplicate and collinear columns stay in: :func:`~revops_nb.regression.fit_logit`
    leaves them out by name, so the report can say which and why.
    """
    pre = model.models[LOGISTIC].named_steps["pre"].named_transformers_["num"]
    numeric = model.table.numeric
    values = pre.transform(frame[numeric])
    names = list(pre.get_feature_names_out(numeric))
    parts = [pd.DataFrame(values, columns=names, index=frame.index)]
    if model.table.categorical:
        cats = (
            frame[model.table.categorical]
            .astype(object)
            .where(frame[model.table.categorical].notna(), "(missing)")
        )
        parts.append(pd.get_dummies(cats, prefix_sep="=", drop_first=True, dtype=float))
    return pd.concat(parts, axis=1)


def logistic_effects(model: ChurnModel, confidence: float = 0.95) -> pd.DataFrame:
    """Logistic regression (statsmodels, on the fit rows) as change in churn probability per SD.

    Numeric features are standardized, so a coefficient is the log-odds change per
    standard deviation (fitted on at most ~100,000 rows of whole accounts, for speed);
    ``prob_change`` is the average change in churn probability
    when the feature rises by one SD (one-hot terms: membership of that category),
    with the interval from the coefficient's cluster-robust (by account) interval.
    ``attrs["note"]`` says which terms were left out as collinear and why, or why
    nothing could be estimated (then the table has no rows); it is empty otherwise.
    """
    fit_rows = _whole_accounts(model.table.frame.iloc[model.split.fit], LOGIT_ROWS)
    y = fit_rows[LABEL].astype(int).to_numpy()
    X = sm.add_constant(_design(model, fit_rows), has_constant="add")
    fit = fit_logit(y, X, groups=fit_rows[KEY].to_numpy())
    if not fit.ok:
        note = f"the logistic regression's effects could not be estimated because {fit.reason}"
        empty = pd.DataFrame(columns=EFFECT_COLUMNS).astype(dict.fromkeys(EFFECT_NUMBERS, float))
        return _with_note(empty, note)
    ci = fit.conf_int(1 - confidence)
    eta = X[fit.columns].to_numpy() @ fit.params.to_numpy()
    rows = []
    for term in fit.params.index.drop("const"):
        beta, low, high = fit.params[term], ci.loc[term, 0], ci.loc[term, 1]
        rows.append(
            {
                "term": term,
                "feature": _term_feature(term, model.table),
                "coef_per_sd": beta,
                "prob_change": _mean_shift(eta, beta),
                "prob_change_ci_low": _mean_shift(eta, low),
                "prob_change_ci_high": _mean_shift(eta, high),
                "p_value": fit.pvalues[term],
            }
        )
    note = f"logistic regression: {fit.note}" if fit.dropped else ""
    return _with_note(pd.DataFrame(rows, columns=EFFECT_COLUMNS), note)


def _with_note(frame: pd.DataFrame, note: str) -> pd.DataFrame:
    frame.attrs["note"] = note
    return frame


def _whole_accounts(rows: pd.DataFrame, limit: int, seed: int = 0) -> pd.DataFrame:
    """At most about ``limit`` rows, keeping or dropping each account's rows together (large data only)."""
    if len(rows) <= limit:
        return rows
    accounts = rows[KEY].unique()
    keep_share = limit / len(rows)
    keep = np.random.default_rng(seed).random(len(accounts)) < keep_share
    return rows[rows[KEY].astype(object).isin(accounts[keep].astype(object))]


def _mean_shift(eta: np.ndarray, beta: float) -> float:
    return float(np.mean(expit(eta + beta) - expit(eta)))


def _term_feature(term: str, table: ModelTable) -> str:
    if term.startswith("missingindicator_"):
        return term.removeprefix("missingindicator_")
    return term.split("=", 1)[0] if "=" in term and term.split("=", 1)[0] in table.categorical else term


@limited_threads
def drivers(model: ChurnModel, repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """One row per feature: permutation importance plus its strongest logistic term, most important first.

    ``attrs["logistic_note"]`` carries the logistic fit's note (terms left out, or
    why no effect could be estimated) for the report; see :func:`logistic_effects`.
    """
    perm = permutation_drivers(model, repeats, seed)
    effects = logistic_effects(model)
    note = effects.attrs.get("note", "")
    effects = effects.assign(_abs=effects["coef_per_sd"].abs())
    strongest = effects.sort_values("_abs", ascending=False).drop_duplicates("feature").drop(columns="_abs")
    perm = perm.merge(strongest, on="feature", how="left")
    out = perm.sort_values("auc_drop", ascending=False, kind="stable").reset_index(drop=True)
    out["clear"] = (out["auc_drop_min"] > 0) & (out["p_value"] < 0.05)
    out.attrs["logistic_note"] = note
    return out
