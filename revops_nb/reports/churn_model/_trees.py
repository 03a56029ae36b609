"""The boosting pipeline's scores, tree by tree, for rows that differ from known rows in one feature.

Permutation importance and per-account drivers score many copies of the same rows with one
feature changed. A tree that never splits on that feature predicts exactly what it predicted
for the unchanged rows, so only the trees that split on it are run again; the per-tree values
are then summed in scikit-learn's order, so the scores equal the pipeline's bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads


class TreeScores:
    """A fitted ``pre`` -> HistGradientBoostingClassifier pipeline (binary), scored tree by tree."""

    def __init__(self, pipe: Pipeline, features: list[str]) -> None:
        self.pre = pipe.named_steps["pre"]
        self.hgb: HistGradientBoostingClassifier = pipe.named_steps["model"]
        self.features = list(features)
        names = [name.split("__", 1)[1] for name in self.pre.get_feature_names_out()]
        position = [names.index(c) for c in self.features]
        inner = getattr(self.hgb, "_preprocessor", None)  # puts the categorical columns first
        if inner is not None:
            moved = {}
            for name, out in inner.output_indices_.items():
                inputs = inner._transformer_to_input_indices[name]
                moved.update(zip(inputs, range(out.start, out.stop), strict=True))
            position = [moved[j] for j in position]
        self.column = dict(zip(self.features, position, strict=True))
        self.bitsets, self.f_idx_map = self.hgb._bin_mapper.make_known_categories_bitsets()
        self.n_threads = _openmp_effective_n_threads()
        self.trees = [predictors[0] for predictors in self.hgb._predictors]
        self.splits_on = [
            set(tree.nodes["feature_idx"][tree.nodes["is_leaf"] == 0].tolist()) for tree in self.trees
        ]

    @classmethod
    def of(cls, pipe: Pipeline, features: list[str]) -> TreeScores | None:
        """The tree-by-tree scorer of ``pipe``, or None when it is not a binary boosting pipeline of ``features``."""
        if list(pipe.named_steps) != ["pre", "model"]:
            return None
        hgb = pipe.named_steps["model"]
        if (
            not isinstance(hgb, HistGradientBoostingClassifier)
            or hgb.n_trees_per_iteration_ != 1
            or not hgb._predictors
        ):
            return None
        names = [name.split("__", 1)[1] for name in pipe.named_steps["pre"].get_feature_names_out()]
        if len(set(names)) != len(names) or sorted(names) != sorted(features):
            return None
        inner = getattr(hgb, "_preprocessor", None)
        if inner is not None and any(
            len(inner._transformer_to_input_indices[name]) != out.stop - out.start
            for name, out in inner.output_indices_.items()
        ):
            return None
        return cls(pipe, features)

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows as the trees read them (each transformer acts on its column value by value)."""
        return self.hgb._preprocess_X(self.pre.transform(frame[self.features]), reset=False)

    def per_tree(self, X: np.ndarray) -> list[np.ndarray]:
        return [self._predict(tree, X) for tree in self.trees]

    def changed(self, base: list[np.ndarray], X: np.ndarray, feature: str) -> list[np.ndarray]:
        """Per-tree values of ``X``, rows that differ from ``base``'s rows only in ``feature``."""
        j = self.column[feature]
        out = list(base)
        for i, used in enumerate(self.splits_on):
            if j in used:
                out[i] = self._predict(self.trees[i], X)
        return out

    def raw(self, per_tree: list[np.ndarray]) -> np.ndarray:
        """The decision function (raw score), summed as :meth:`HistGradientBoostingClassifier._raw_predict` does."""
        raw = np.zeros(shape=(len(per_tree[0]), 1), dtype=self.hgb._baseline_prediction.dtype, order="F")
        raw += self.hgb._baseline_prediction
        for values in per_tree:
            raw[:, 0] += values
        return raw

    def proba(self, per_tree: list[np.ndarray]) -> np.ndarray:
        """The churn probability (``predict_proba(...)[:, 1]``)."""
        return self.hgb._loss.predict_proba(self.raw(per_tree))[:, 1]

    def _predict(self, tree: Any, X: np.ndarray) -> np.ndarray:
        return tree.predict(
            X, known_cat_bitsets=self.bitsets, f_idx_map=self.f_idx_map, n_threads=self.n_threads
        )
