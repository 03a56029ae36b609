"""The NPS-retention report's parameters, checked: score scale and cut-offs, horizon, period, groups.

Light to import (the runner checks :attr:`Settings.RULES` before any kernel starts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from revops_nb.param_rules import AtLeast, Below, CurrencyCode, IsoDate, NonBlank, ReportRules
from revops_nb.reports._settings import CONFIDENCE, MIN_N, PERIOD, ReportSettings, date_parameter

CATEGORIES = ("promoter", "passive", "detractor")

RULES = ReportRules(
    fields={
        "horizon_days": AtLeast(1),
        "period_start": IsoDate(),
        "period_end": IsoDate(),
        "as_of": IsoDate(),
        "segment_dimension": NonBlank(),
        "confidence": CONFIDENCE,
        "min_n": MIN_N,
        "reporting_currency": CurrencyCode(),
    },
    relations=(
        Below("score_min", "score_max"),
        Below("score_min", "detractor_max", or_equal=True),
        Below("detractor_max", "score_max"),
        Below("score_min", "promoter_min"),
        Below("promoter_min", "score_max", or_equal=True),
        Below("detractor_max", "promoter_min"),
        PERIOD,
    ),
)


@dataclass(frozen=True)
class Settings(ReportSettings):
    """The report's parameters, checked once: build them with ``Settings.from_params(name=value, ...)``."""

    RULES: ClassVar[ReportRules] = RULES

    score_min: float = 0
    score_max: float = 10
    detractor_max: float = 6
    promoter_min: float = 9
    horizon_days: int = 365
    period_start: pd.Timestamp | None = None
    period_end: pd.Timestamp | None = None
    as_of: pd.Timestamp | None = None
    segment_dimension: str = "segment"
    confidence: float = 0.95
    min_n: int = 30
    reporting_currency: str = "USD"

    @classmethod
    def build(
        cls,
        score_min: float = 0,
        score_max: float = 10,
        detractor_max: float = 6,
        promoter_min: float = 9,
        horizon_days: int = 365,
        period_start: str | None = None,
        period_end: str | None = None,
        as_of: str | None = None,
        segment_dimension: str = "segment",
        confidence: float = 0.95,
        min_n: int = 30,
        reporting_currency: str = "USD",
    ) -> Settings:
        """Checked parameters converted: numbers to float/int, dates to Timestamps, the currency upper-case.

        The order of the period is one of :data:`RULES` (checked before this runs).
        """
        return cls(
            score_min=float(score_min),
            score_max=float(score_max),
            detractor_max=float(detractor_max),
            promoter_min=float(promoter_min),
            horizon_days=int(horizon_days),
            period_start=date_parameter(period_start),
            period_end=date_parameter(period_end),
            as_of=date_parameter(as_of),
            segment_dimension=segment_dimension.strip(),
            confidence=float(confidence),
            min_n=int(min_n),
            reporting_currency=reporting_currency.strip().upper(),
        )
