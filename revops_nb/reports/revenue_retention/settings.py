"""The revenue retention report's parameters, checked: window, grains, breakdowns, currency, CLV inputs.

Light to import (the runner checks :data:`RULES` before any kernel starts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from revops_nb.param_rules import AtLeast, Between, CurrencyCode, IsoDate, OneOf, ReportRules, SubsetOf
from revops_nb.reports._settings import CONFIDENCE, GRAINS, MIN_N, PERIOD, ReportSettings, date_parameter

# grain -> (pandas period frequency, months per period)
GRAIN_CHOICES = tuple(GRAINS)
DIMENSIONS = ("segment", "region", "industry", "country")
SHOWN_DIMENSIONS = ("segment", "region")

RULES = ReportRules(
    fields={
        "period_start": IsoDate(),
        "period_end": IsoDate(),
        "grain": OneOf(GRAIN_CHOICES),
        "cohort_grain": OneOf(GRAIN_CHOICES),
        "clv_period": OneOf(GRAIN_CHOICES),
        "dimensions": SubsetOf(DIMENSIONS),
        "clv_segment": OneOf(DIMENSIONS),
        "reporting_currency": CurrencyCode(),
        "confidence": CONFIDENCE,
        "min_n": MIN_N,
        "discount_rate": Between(0, 1),
        "gross_margin": Between(0, 1, low_open=True),
        "holdout_periods": AtLeast(0),
        "bootstrap_replicates": AtLeast(100),
    },
    relations=(PERIOD,),
)


@dataclass(frozen=True)
class Settings(ReportSettings):
    """The report's parameters, checked once: build them with ``Settings.from_params(name=value, ...)``.

    ``currency`` is the ``reporting_currency`` parameter; ``discount_rate`` is annual.
    """

    RULES: ClassVar[ReportRules] = RULES

    period_start: pd.Timestamp | None = None
    period_end: pd.Timestamp | None = None
    grain: str = "quarter"
    cohort_grain: str = "quarter"
    clv_period: str = "quarter"
    dimensions: tuple[str, ...] = SHOWN_DIMENSIONS
    clv_segment: str = "segment"
    currency: str = "USD"
    confidence: float = 0.95
    min_n: int = 30
    discount_rate: float = 0.10
    gross_margin: float = 1.0
    holdout_periods: int = 4
    bootstrap_replicates: int = 500

    @property
    def freq(self) -> str:
        """Pandas period frequency of the waterfall grain."""
        return GRAINS[self.grain][0]

    @property
    def months(self) -> int:
        """Months in one waterfall period."""
        return GRAINS[self.grain][1]

    @property
    def cohort_months(self) -> int:
        """Months in one cohort period (the unit of cohort age)."""
        return GRAINS[self.cohort_grain][1]

    @property
    def clv_months(self) -> int:
        """Months in one retention period of the lifetime-value model."""
        return GRAINS[self.clv_period][1]

    @classmethod
    def build(
        cls,
        period_start: str | None = None,
        period_end: str | None = None,
        grain: str = "quarter",
        cohort_grain: str = "quarter",
        clv_period: str = "quarter",
        dimensions: Sequence[str] = SHOWN_DIMENSIONS,
        clv_segment: str = "segment",
        reporting_currency: str = "USD",
        confidence: float = 0.95,
        min_n: int = 30,
        discount_rate: float = 0.10,
        gross_margin: float = 1.0,
        holdout_periods: int = 4,
        bootstrap_replicates: int = 500,
    ) -> Settings:
        """Dates as Timestamps, grains and names lower-case without repeats, the currency upper-case."""
        return cls(
            period_start=date_parameter(period_start),
            period_end=date_parameter(period_end),
            grain=str(grain).strip().lower(),
            cohort_grain=str(cohort_grain).strip().lower(),
            clv_period=str(clv_period).strip().lower(),
            dimensions=tuple(dict.fromkeys(dimensions)),
            clv_segment=str(clv_segment).strip().lower(),
            currency=str(reporting_currency or "").strip().upper(),
            confidence=float(confidence),
            min_n=int(min_n),
            discount_rate=float(discount_rate),
            gross_margin=float(gross_margin),
            holdout_periods=int(holdout_periods),
            bootstrap_replicates=int(bootstrap_replicates),
        )
