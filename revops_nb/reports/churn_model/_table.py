"""The modelling table both modes build: its column names and what it carries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.errors import ParamsError

KEY = "account_id"
DATE = "observation_date"
LABEL = "churned"


@dataclass
class ModelTable:
    """Rows to model: features, label, key, optional observation date, ARR and how values were coerced."""

    frame: pd.DataFrame
    features: list[str]
    numeric: list[str]
    categorical: list[str]
    mode: str
    current: pd.DataFrame
    coerced: dict[str, int] = field(default_factory=dict)
    as_of: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def y(self) -> np.ndarray:
        """The churn label as 0/1 integers."""
        return self.frame[LABEL].astype(int).to_numpy()


def select_features(table: ModelTable, features: Sequence[str] | None) -> ModelTable:
    """Keep only ``features`` (all when None); a name the table does not have is a ParamsError."""
    if features is None:
        return table
    unknown = [f for f in features if f not in table.features]
    if unknown:
        raise ParamsError(
            f"parameter 'features' names {unknown[0]!r}, which is not a {table.mode} feature "
            f"(available: {', '.join(table.features)})"
        )
    keep = list(dict.fromkeys(features))
    table.features = keep
    table.numeric = [c for c in table.numeric if c in keep]
    table.categorical = [c for c in table.categorical if c in keep]
    return table
