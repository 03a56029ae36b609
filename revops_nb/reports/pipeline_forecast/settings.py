"""The pipeline and forecast report's parameters, checked: as-of date, grain, stages, target, plan.

Light to import (the runner checks :attr:`Settings.RULES` before any kernel starts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from revops_nb.param_rules import (
    AtLeast,
    Between,
    CurrencyCode,
    IsoDate,
    NonEmptyNames,
    OneOf,
    ReportRules,
    Rule,
)
from revops_nb.reports._settings import CONFIDENCE, GRAINS, MIN_N, ReportSettings, date_parameter

GRAIN_CHOICES = ("quarter", "month")
STAGE_ORDER = ("Prospecting", "Qualification", "Proposal", "Negotiation")
BREAKDOWNS = ("segment", "lead_source")


@dataclass(frozen=True)
class PositiveOrNone(Rule):
    """A positive finite number (None is allowed and means 'use the targets table')."""

    def describe(self) -> str:
        return "a positive number, or null to use the targets table"

    def problem(self, value: object) -> str | None:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf")
        return None if ok else f"must be {self.describe()}"


RULES = ReportRules(
    fields={
        "as_of": IsoDate(),
        "grain": OneOf(GRAIN_CHOICES),
        "stage_order": NonEmptyNames(what="open stage names, earliest first"),
        "target": PositiveOrNone(),
        "plan_confidence": Between(0.5, 1, low_open=True, high_open=True),
        "range_confidence": Between(0.5, 1, high_open=True),
        "confidence": CONFIDENCE,
        "min_n": MIN_N,
        "reporting_currency": CurrencyCode(),
        "simulations": AtLeast(100),
        "backtest_periods": AtLeast(1),
        "coverage_periods": AtLeast(1),
        "seed": AtLeast(0),
    },
)


@dataclass(frozen=True)
class Settings(ReportSettings):
    """The report's parameters, checked once: build them with ``Settings.from_params(name=value, ...)``.

    ``currency`` is the ``reporting_currency`` parameter, upper-case; ``stages`` the
    ``stage_order`` parameter as a tuple (open stages only, earliest first).
    """

    RULES: ClassVar[ReportRules] = RULES

    as_of: pd.Timestamp | None = None
    grain: str = "quarter"
    stages: tuple[str, ...] = STAGE_ORDER
    target: float | None = None
    plan_confidence: float = 0.8
    range_confidence: float = 0.8
    confidence: float = 0.95
    min_n: int = 30
    currency: str = "USD"
    simulations: int = 2000
    backtest_periods: int = 8
    coverage_periods: int = 3
    seed: int = 42

    @property
    def freq(self) -> str:
        """The pandas period frequency of the grain: 'Q' or 'M'."""
        return GRAINS[self.grain][0]

    @classmethod
    def build(
        cls,
        as_of: str | None = None,
        grain: str = "quarter",
        stage_order: Sequence[str] = STAGE_ORDER,
        target: float | None = None,
        plan_confidence: float = 0.8,
        range_confidence: float = 0.8,
        confidence: float = 0.95,
        min_n: int = 30,
        reporting_currency: str = "USD",
        simulations: int = 2000,
        backtest_periods: int = 8,
        coverage_periods: int = 3,
        seed: int = 42,
    ) -> Settings:
        """The date as a Timestamp, the grain lower-case, stage names trimmed, the currency upper-case."""
        return cls(
            as_of=date_parameter(as_of),
            grain=str(grain).strip().lower(),
            stages=tuple(str(s).strip() for s in stage_order),
            target=None if target is None else float(target),
            plan_confidence=float(plan_confidence),
            range_confidence=float(range_confidence),
            confidence=float(confidence),
            min_n=int(min_n),
            currency=str(reporting_currency or "").strip().upper(),
            simulations=int(simulations),
            backtest_periods=int(backtest_periods),
            coverage_periods=int(coverage_periods),
            seed=int(seed),
        )
