"""The churn report's parameters, checked: the runner checks :data:`RULES` before any kernel starts.

Light to import (the parameter rules and pandas only): nothing here fits a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from revops_nb.param_rules import AtLeast, Between, CurrencyCode, IsoDate, NonEmptyNames, OneOf, ReportRules
from revops_nb.reports._settings import MIN_N, ReportSettings, date_parameter

CHURN_MODES = ("auto", "snapshot", "history")

RULES = ReportRules(
    fields={
        "mode": OneOf(CHURN_MODES),
        "horizon_days": AtLeast(1),
        "step_days": AtLeast(1),
        "as_of": IsoDate(),
        "test_share": Between(0.05, 0.5, high_open=True),  # as much again validates: some must be left to fit
        "features": NonEmptyNames(),
        "seed": AtLeast(0),
        "min_n": MIN_N,
        "n_bootstrap": AtLeast(100),
        "top_n": AtLeast(1),
        "reporting_currency": CurrencyCode(),
    },
)


@dataclass(frozen=True)
class Settings(ReportSettings):
    """Checked parameters of the churn report (see the notebook's parameters cell for their meaning)."""

    RULES: ClassVar[ReportRules] = RULES

    mode: str = "auto"
    horizon_days: int = 90
    step_days: int = 30
    as_of: pd.Timestamp | None = None
    features: tuple[str, ...] | None = None
    baseline_feature: str | None = None
    test_share: float = 0.25
    min_n: int = 30
    n_bootstrap: int = 1000
    top_n: int = 25
    seed: int = 42
    reporting_currency: str = "USD"

    @classmethod
    def build(
        cls,
        mode: str = "auto",
        horizon_days: int = 90,
        step_days: int = 30,
        as_of: str | None = None,
        features: list[str] | None = None,
        baseline_feature: str | None = None,
        test_share: float = 0.25,
        min_n: int = 30,
        n_bootstrap: int = 1000,
        top_n: int = 25,
        seed: int = 42,
        reporting_currency: str = "USD",
    ) -> Settings:
        """Mode in lower case, ``as_of`` as a date, feature names as a tuple, the currency code in upper case."""
        return cls(
            mode=mode.strip().lower(),
            horizon_days=horizon_days,
            step_days=step_days,
            as_of=date_parameter(as_of),
            features=tuple(features) if features is not None else None,
            baseline_feature=baseline_feature,
            test_share=test_share,
            min_n=min_n,
            n_bootstrap=n_bootstrap,
            top_n=top_n,
            seed=seed,
            reporting_currency=str(reporting_currency).strip().upper(),
        )
