"""Headline figures as stakeholder text: label, unit and interval on one line.

A notebook records plain numbers (``record("win_rate", 0.269)``); this module
turns one run's ``key_figures`` into lines such as
``Win rate 26.9% (95% CI 25.9–28.0%)`` or ``Bookings USD 97.4M``, and changes
between runs into ``+0.4 pp`` or ``+USD 1.2M``. It only formats text (no HTML):
the caller escapes what it prints.

Naming convention (an explicit ``record(..., unit=..., label=...)`` wins over it):

- ``<x>_ci_low`` / ``<x>_ci_high`` are the interval of ``<x>`` and join its line;
  the level is the run's ``confidence`` (a key figure or a parameter), else 95%.
- ``nps`` / ``nps_*``: a signed score (``+12.3``); intervals read ``−1.7 to +4.7``.
- last word ``p`` or ``p_value``: a p-value (``< 0.001``); no change, no trend.
- ``lift``: a multiple (``5.81×``); correlations, odds ratios, AUC and Brier score
  (``spearman``, ``odds``, ``auc``, ``brier`` …): a plain decimal (``0.847``).
  AUC stays a decimal on purpose: as a percent it reads like an accuracy.
- ``days``: a duration in days.
- ``n_*``, ``*_count`` and figures starting with a counted noun (``customers``,
  ``accounts`` …): an integer with thousands separators.
- ``rate``, ``share``, ``growth``, ``penetration``, ``retention``, ``probability``:
  a fraction shown as a percent (an inferred percent above 10, i.e. 1,000%, is
  taken as a plain number instead, since it cannot be a fraction).
- ``arr``, ``mrr``, ``acv``, ``amount``, ``bookings``, ``revenue``, ``velocity``:
  money in the run's currency, compact (``USD 97.4M``).
- anything else numeric: a decimal with three significant digits.

``reporting_currency`` / ``currency`` and ``confidence`` figures set the run's
currency and level and get no line of their own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from revops_nb.formatting import ci_label

UNITS = ("percent", "money", "count", "nps", "days", "p_value", "ratio", "number", "text")
"""Units a key figure can be shown in; ``record(..., unit=...)`` takes one of these."""

DEFAULT_CONFIDENCE = 0.95
MINUS = "−"  # U+2212: a real minus sign, the width of a plus
DASH = "–"  # U+2013: for ranges and for a missing value

CONTEXT_FIGURES = frozenset({"reporting_currency", "currency", "confidence"})
CURRENCY_KEYS = ("reporting_currency", "currency")

PERCENT_WORDS = frozenset(
    {"rate", "share", "growth", "penetration", "retention", "probability", "conversion"}
)
MONEY_WORDS = frozenset({"arr", "mrr", "acv", "amount", "bookings", "revenue", "velocity"})
DECIMAL_WORDS = frozenset(
    {"spearman", "pearson", "kendall", "correlation", "corr", "rho", "odds", "auc", "brier", "gini", "coef"}
)
COUNTED_NOUNS = frozenset(
    {"customers", "accounts", "deals", "opportunities", "responses", "logos", "users", "rows"}
)
ACRONYMS = {
    "arr": "ARR",
    "mrr": "MRR",
    "acv": "ACV",
    "nps": "NPS",
    "csat": "CSAT",
    "roc": "ROC",
    "auc": "AUC",
    "pr": "PR",
    "yoy": "YoY",
    "qoq": "QoQ",
    "ci": "CI",
    "fx": "FX",
    "p": "p-value",
    "logrank": "log-rank",
}
LABELS = {
    # where the generic rule (words of the name, acronyms upper-cased) reads badly;
    # a notebook can instead pass record(..., label=...)
    "n_closed": "Closed deals",
    "n_won": "Won deals",
    "n_open": "Open deals",
    "win_rate_amount_weighted": "Win rate by amount",
    "median_cycle_days_won": "Median cycle of won deals",
    "median_cycle_days_lost": "Median cycle of lost deals",
    "n_train": "Training rows",
    "n_validation": "Validation rows",
    "n_test": "Test rows",
    "brier": "Brier score",
    "top_decile_lift": "Top-decile lift",
    "n_responses": "NPS responses",
    "n_linked": "Responses linked to an outcome",
    "retention_promoters": "Logo retention of promoters",
    "retention_passives": "Logo retention of passives",
    "retention_detractors": "Logo retention of detractors",
    "spearman_score_retention": "Spearman ρ of score and retention",
    "odds_ratio_per_point": "Churn odds ratio per score point",
    "arr_at_risk_detractors": "ARR at risk from detractors",
    "arr_at_risk_expected_loss": "Expected ARR loss",
    "top_growth_region_growth": "Growth of the top region",
    "penetration_accounts": "Account penetration",
}


@dataclass(frozen=True)
class RunContext:
    """What a run's figures are measured in: reporting currency and confidence level."""

    currency: str | None = None
    confidence: float = DEFAULT_CONFIDENCE


@dataclass(frozen=True)
class Figure:
    """One headline figure with its interval (if recorded), label and unit."""

    name: str
    label: str
    unit: str
    value: Any
    ci_low: Any = None
    ci_high: Any = None

    @property
    def numeric(self) -> bool:
        """True when the value is a finite number that can change and trend."""
        return is_number(self.value) and self.unit not in ("text", "p_value")


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def run_context(run: Mapping[str, Any]) -> RunContext:
    """Currency and confidence level of one run.json: key figures first, then the run's params."""
    figures = run.get("key_figures") if isinstance(run.get("key_figures"), Mapping) else {}
    params = run.get("params") if isinstance(run.get("params"), Mapping) else {}
    currency = None
    for source in (figures, params):
        for key in CURRENCY_KEYS:
            value = source.get(key)
            if isinstance(value, str) and value.strip():
                currency = currency or value.strip()
    confidence = DEFAULT_CONFIDENCE
    for source in (params, figures):  # a recorded level overrides the parameter
        level = _as_level(source.get("confidence"))
        if level is not None:
            confidence = level
    return RunContext(currency, confidence)


def _as_level(value: Any) -> float | None:
    if not is_number(value):
        return None
    level = value / 100 if 1 < value < 100 else value
    return float(level) if 0 < level < 1 else None


def unit_of(name: str, value: Any = None, meta: Mapping[str, Any] | None = None) -> str:
    """The unit a figure is shown in: ``meta["unit"]`` if valid, else inferred from its name and value."""
    explicit = (meta or {}).get("unit")
    if explicit in UNITS:
        return explicit
    if isinstance(value, (str, bool)):
        return "text"
    words = name.split("_")
    if name == "nps" or words[0] == "nps":
        return "nps"
    if words[-1] == "p" or name.endswith(("p_value", "pvalue")):
        return "p_value"
    if "lift" in words:
        return "ratio"
    if DECIMAL_WORDS.intersection(words):
        return "number"
    if "days" in words:
        return "days"
    if words[0] == "n" or words[-1] == "count" or words[0] in COUNTED_NOUNS:
        return "count"
    if PERCENT_WORDS.intersection(words):
        return "number" if is_number(value) and abs(value) > 10 else "percent"
    if MONEY_WORDS.intersection(words):
        return "money"
    return "number"


def label_of(name: str, meta: Mapping[str, Any] | None = None) -> str:
    """The label a stakeholder reads: ``meta["label"]``, a known label, or the name in words."""
    explicit = (meta or {}).get("label")
    if isinstance(explicit, str) and explicit.strip():
        return explicit.strip()
    if name in LABELS:
        return LABELS[name]
    words = name.split("_")
    if words[0] == "n" and len(words) > 1:
        words = words[1:]
    if words[-1] == "total" and len(words) > 1:
        words = words[:-1]
    text = " ".join(ACRONYMS.get(w, w) for w in words)
    return text[:1].upper() + text[1:]


def figures_of(key_figures: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> list[Figure]:
    """The run's figures in recorded order, each ``<x>_ci_low``/``_ci_high`` folded into ``<x>``.

    Context figures (currency, confidence) are left out; an interval without its
    figure keeps lines of its own.
    """
    meta = meta if isinstance(meta, Mapping) else {}
    out = []
    for name, value in key_figures.items():
        if name in CONTEXT_FIGURES:
            continue
        base = re.sub(r"_ci_(low|high)$", "", name)
        if base != name and base in key_figures:
            continue
        own = meta.get(name) if isinstance(meta.get(name), Mapping) else {}
        out.append(
            Figure(
                name=name,
                label=label_of(name, own),
                unit=unit_of(name, value, own),
                value=value,
                ci_low=key_figures.get(f"{name}_ci_low"),
                ci_high=key_figures.get(f"{name}_ci_high"),
            )
        )
    return out


# ---------------------------------------------------------------- numbers as text


def format_value(value: Any, unit: str, currency: str | None = None) -> str:
    """One value in its unit: ``26.9%``, ``USD 97.4M``, ``7,373``, ``+1.5``, ``45 days``, ``< 0.001``."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if not isinstance(value, (int, float)):
        return str(value)
    if not math.isfinite(value):
        return DASH
    if unit == "percent":
        return _minus(f"{100 * value:.1f}%")
    if unit == "money":
        return _money(value, currency)
    if unit == "count":
        return _count(value)
    if unit == "nps":
        return _signed(value)
    if unit == "days":
        return _days(value)
    if unit == "p_value":
        return "< 0.001" if value < 0.001 else f"{value:.3f}"
    if unit == "ratio":
        return _sig(value) + "×"
    return _sig(value)


def format_interval(
    low: Any, high: Any, unit: str, currency: str | None = None, confidence: float = DEFAULT_CONFIDENCE
) -> str:
    """``95% CI 25.9–28.0%``; empty when a bound is missing, so no half interval is printed."""
    if not (is_number(low) and is_number(high)):
        return ""
    level = ci_label(confidence)
    if unit == "percent":
        lo, hi = format_value(low, unit).rstrip("%"), format_value(high, unit)
    elif unit == "money" and currency and low >= 0:
        lo, hi = _money(low, None), _money(high, None)
        return f"{level} {currency} {lo}{DASH}{hi}"
    else:
        lo, hi = format_value(low, unit, currency), format_value(high, unit, currency)
    joiner = " to " if unit == "nps" or low < 0 or high < 0 else DASH
    return f"{level} {lo}{joiner}{hi}"


def format_line(figure: Figure, context: RunContext = RunContext()) -> str:
    """Label, value and interval as one line: ``Win rate 26.9% (95% CI 25.9–28.0%)``, ``Model: gbm``."""
    joiner = ": " if figure.unit == "text" else " "
    return f"{figure.label}{joiner}{format_figure(figure, context)}"


def format_figure(figure: Figure, context: RunContext = RunContext()) -> str:
    """Value and interval without the label: ``26.9% (95% CI 25.9–28.0%)``."""
    value = format_value(figure.value, figure.unit, context.currency)
    if not is_number(figure.value):
        return value
    interval = format_interval(
        figure.ci_low, figure.ci_high, figure.unit, context.currency, context.confidence
    )
    return f"{value} ({interval})" if interval else value


def format_change(change: Any, unit: str, currency: str | None = None) -> str:
    """A change between two runs: ``+0.4 pp``, ``−USD 1.2M``, ``+12``; ``no change``; empty if unknown."""
    if not is_number(change) or unit in ("p_value", "text"):
        return ""
    size = abs(change)
    if unit == "percent":
        text = f"{100 * size:.1f} pp"
    elif unit == "nps":
        text = f"{size:.1f} points"
    elif unit in ("money", "count", "days", "ratio"):
        text = format_value(size, unit, currency)
    else:
        text = _sig(size)
    if change == 0 or not re.search(r"[1-9]", text):
        return "no change"
    return ("+" if change > 0 else MINUS) + text


def _minus(text: str) -> str:
    return MINUS + text[1:] if text.startswith("-") else text


def _plain_number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _money(value: float, currency: str | None) -> str:
    size, text = abs(value), ""
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if round(size / limit, 1) >= 1:
            scaled = round(size / limit, 1)
            text = f"{scaled:,.1f}{suffix}"
            break
    if not text:
        text = f"{size:,.0f}"
    if currency:
        text = f"{currency} {text}"
    return (MINUS if value < 0 and re.search(r"[1-9]", text) else "") + text


def _count(value: float) -> str:
    if float(value).is_integer():
        return _minus(f"{int(value):,}")
    return _minus(f"{value:,.1f}")


def _signed(value: float) -> str:
    text = f"{value:+.1f}"
    return "0.0" if float(text) == 0 else _minus(text)


def _days(value: float) -> str:
    amount = f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:.1f}"
    return _minus(amount) + (" day" if amount == "1" else " days")


def _sig(value: float) -> str:
    """About three significant digits, thousands separated: 142,112 / 5.81 / 0.847 / 0.023."""
    size = abs(value)
    if size >= 100:
        text = f"{value:,.0f}"
    elif size >= 10:
        text = f"{value:.1f}"
    elif size >= 1:
        text = f"{value:.2f}"
    elif size >= 0.01 or size == 0:
        text = f"{value:.3f}"
    else:
        text = f"{value:.2e}"
    return _minus(text)
