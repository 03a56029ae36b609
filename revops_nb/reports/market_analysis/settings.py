"""The market report's parameters, checked: period, grain, breakdowns, currency, regions, confidence.

Light to import (the runner checks :data:`RULES` before any kernel starts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from revops_nb.errors import ParamsError
from revops_nb.param_rules import Between, CurrencyCode, IsoDate, NonEmptyNames, OneOf, ReportRules
from revops_nb.reports._settings import CONFIDENCE, GRAINS, MIN_N, PERIOD, ReportSettings, date_parameter

GRAIN_CHOICES = tuple(GRAINS)
REGION = "region"
SEGMENT = "segment"

RULES = ReportRules(
    fields={
        "period_start": IsoDate(),
        "period_end": IsoDate(),
        "grain": OneOf(GRAIN_CHOICES),
        "dimensions": NonEmptyNames(),
        "currency": CurrencyCode(),
        "min_n": MIN_N,
        "confidence": CONFIDENCE,
        "ramp_up_quantile": Between(0, 1),
        "regions": NonEmptyNames(may_be_empty=True, what="regions"),
    },
    relations=(PERIOD,),
)


@dataclass(frozen=True)
class Settings(ReportSettings):
    """The report's parameters, checked once: build them with ``Settings.from_params(name=value, ...)``."""

    RULES: ClassVar[ReportRules] = RULES

    period_start: pd.Timestamp | None = None
    period_end: pd.Timestamp | None = None
    grain: str = "quarter"
    dimensions: tuple[str, ...] = (REGION, SEGMENT)
    currency: str = "USD"
    min_n: int = 30
    regions: tuple[str, ...] = ()
    confidence: float = 0.95
    ramp_up_quantile: float | None = 0.9

    @property
    def freq(self) -> str:
        """Pandas period frequency of the grain."""
        return GRAINS[self.grain][0]

    @property
    def periods_per_year(self) -> int:
        """How many periods make a year (12, 4 or 1)."""
        return 12 // GRAINS[self.grain][1]

    @property
    def breakdown(self) -> str:
        """The dimension crossed with region in the heatmap: the first non-region one, else segment."""
        return next((d for d in self.dimensions if d != REGION), SEGMENT)

    @classmethod
    def build(
        cls,
        period_start: str | None = None,
        period_end: str | None = None,
        grain: str = "quarter",
        dimensions: Sequence[str] = (REGION, SEGMENT),
        currency: str = "USD",
        min_n: int = 30,
        regions: Sequence[str] = (),
        confidence: float = 0.95,
        ramp_up_quantile: float | None = 0.9,
    ) -> Settings:
        """Dates as Timestamps, the grain lower-case, names as tuples, the currency upper-case."""
        return cls(
            period_start=date_parameter(period_start),
            period_end=date_parameter(period_end),
            grain=str(grain).strip().lower(),
            dimensions=_names("dimensions", dimensions),
            currency=str(currency).strip().upper(),
            min_n=int(min_n),
            regions=_names("regions", regions),
            confidence=float(confidence),
            ramp_up_quantile=None if ramp_up_quantile is None else float(ramp_up_quantile),
        )


def _names(name: str, values: Sequence[str]) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ParamsError(f"{name} must be a list of names; got {values!r}")
    out: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise ParamsError(f"{name} must hold non-empty text values; got {value!r}")
        if value.strip() in out:
            raise ParamsError(f"{name} lists {value.strip()!r} twice")
        out.append(value.strip())
    return tuple(out)
