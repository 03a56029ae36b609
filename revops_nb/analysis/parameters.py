"""The value constraints of every report's parameters, declared once.

The runner checks merged parameters against :data:`REPORT_RULES` before any kernel
starts (exit 2 naming the parameter, value and what is allowed); each report's
settings function checks the same rules inside the kernel; ``revops-nb list``
prints them. This module imports nothing heavy so planning a run stays fast.
"""

from __future__ import annotations

import pandas as pd

from revops_nb.errors import ParamsError
from revops_nb.param_rules import (
    AtLeast,
    Below,
    Between,
    CurrencyCode,
    IncreasingPositive,
    IsoDate,
    NonBlank,
    NonEmptyNames,
    NotAfter,
    OneOf,
    ReportRules,
    SubsetOf,
)

GRAIN_CHOICES = ("month", "quarter", "year")
CHURN_MODES = ("auto", "snapshot", "history")
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
    "deal_size_band",
)
WIN_LOSS_DRIVERS = (
    "deal_size",
    "decision_makers",
    "competitor",
    "lead_source",
    "segment",
    "region",
    "product",
)

CONFIDENCE = Between(0.5, 1, high_open=True)
MIN_N = AtLeast(1)
PERIOD = NotAfter("period_start", "period_end")

MARKET = ReportRules(
    fields={
        "period_start": IsoDate(),
        "period_end": IsoDate(),
        "grain": OneOf(GRAIN_CHOICES),
        "dimensions": NonEmptyNames(),
        "currency": CurrencyCode(),
        "min_n": MIN_N,
        "confidence": CONFIDENCE,
        "ramp_up_quantile": Between(0, 1),
    },
    relations=(PERIOD,),
)

WIN_LOSS = ReportRules(
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

NPS = ReportRules(
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

CHURN = ReportRules(
    fields={
        "mode": OneOf(CHURN_MODES),
        "horizon_days": AtLeast(1),
        "step_days": AtLeast(1),
        "as_of": IsoDate(),
        "test_share": Between(0.05, 0.5),
        "min_n": MIN_N,
        "n_bootstrap": AtLeast(100),
        "top_n": AtLeast(1),
        "reporting_currency": CurrencyCode(),
    },
)

REPORT_RULES: dict[str, ReportRules] = {
    "market_analysis": MARKET,
    "win_loss": WIN_LOSS,
    "nps_retention": NPS,
    "churn_model": CHURN,
}

# Which parameter names the reporting currency, and which tables' amounts each report adds up.
CURRENCY_PARAMETER = {
    "market_analysis": "currency",
    "win_loss": "reporting_currency",
    "nps_retention": "reporting_currency",
    "churn_model": "reporting_currency",
}
MONEY_TABLES: dict[str, tuple[str, ...]] = {
    "market_analysis": ("opportunities", "subscriptions"),
    "win_loss": ("opportunities",),
    "nps_retention": ("subscriptions", "customers"),
    "churn_model": ("subscriptions", "customers"),
}


def date_parameter(value: object) -> pd.Timestamp | None:
    """A checked ISO date parameter as a midnight Timestamp in nanoseconds, or None.

    Every date the loader returns is datetime64[ns]; a parameter parsed with pandas'
    own default unit (microseconds in pandas 3) would break merges and comparisons
    against them, so all report date parameters come through here.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return pd.Timestamp(str(value).strip()).as_unit("ns").normalize()
    except (ValueError, TypeError):
        raise ParamsError(f"{value!r} is not an ISO date such as '2025-01-01'") from None
