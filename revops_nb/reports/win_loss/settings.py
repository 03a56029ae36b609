"""The win/loss report's parameters, checked: period, breakdowns, minimum n, bands, drivers.

Light to import (the runner checks :attr:`Settings.RULES` before any kernel starts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from revops_nb.param_rules import CurrencyCode, IncreasingPositive, IsoDate, ReportRules, SubsetOf
from revops_nb.reports._settings import CONFIDENCE, MIN_N, PERIOD, ReportSettings, date_parameter

DEAL_SIZE_BAND = "deal_size_band"
# the breakdowns of win rate the report can show, and the terms the drivers model can use
WIN_LOSS_DIMENSIONS = (
    "region",
    "segment",
    "product",
    "owner",
    "lead_source",
    "competitor",
    "opportunity_type",
    "industry",
    "country",
    DEAL_SIZE_BAND,
)
SHOWN_DIMENSIONS = ("region", "segment", "product", "owner", "lead_source", "competitor")
BAND_EDGES = (10_000.0, 50_000.0, 150_000.0)
WIN_LOSS_DRIVERS = (
    "deal_size",
    "decision_makers",
    "competitor",
    "lead_source",
    "segment",
    "region",
    "product",
)

RULES = ReportRules(
    fields={
        "period_start": IsoDate(),
        "period_end": IsoDate(),
        "dimensions": SubsetOf(WIN_LOSS_DIMENSIONS),
        "min_n": MIN_N,
        "deal_size_bands": IncreasingPositive(),
        "confidence": CONFIDENCE,
        "reporting_currency": CurrencyCode(),
        "drivers": SubsetOf(WIN_LOSS_DRIVERS),
    },
    relations=(PERIOD,),
)


@dataclass(frozen=True)
class Settings(ReportSettings):
    """The report's parameters, checked once: build them with ``Settings.from_params(name=value, ...)``.

    ``band_edges`` are the ``deal_size_bands`` parameter and ``currency`` the
    ``reporting_currency`` parameter, converted.
    """

    RULES: ClassVar[ReportRules] = RULES

    period_start: pd.Timestamp | None = None
    period_end: pd.Timestamp | None = None
    dimensions: tuple[str, ...] = SHOWN_DIMENSIONS
    min_n: int = 30
    band_edges: tuple[float, ...] = BAND_EDGES
    confidence: float = 0.95
    currency: str = "USD"
    drivers: tuple[str, ...] = WIN_LOSS_DRIVERS

    @classmethod
    def build(
        cls,
        period_start: str | None = None,
        period_end: str | None = None,
        dimensions: Sequence[str] = (*SHOWN_DIMENSIONS, DEAL_SIZE_BAND),
        min_n: int = 30,
        deal_size_bands: Sequence[float] = BAND_EDGES,
        confidence: float = 0.95,
        reporting_currency: str = "USD",
        drivers: Sequence[str] = WIN_LOSS_DRIVERS,
    ) -> Settings:
        """Dates as Timestamps, names without repeats, band edges as floats, the currency upper-case."""
        return cls(
            period_start=date_parameter(period_start),
            period_end=date_parameter(period_end),
            dimensions=_names(dimensions),
            min_n=int(min_n),
            band_edges=tuple(float(e) for e in deal_size_bands),
            confidence=float(confidence),
            currency=str(reporting_currency or "").strip().upper(),
            drivers=_names(drivers),
        )


def _names(values: Sequence[str]) -> tuple[str, ...]:
    """Checked names (see :data:`RULES`) without repeats, in the order given."""
    return tuple(dict.fromkeys(values))
