"""What every report's Settings share: checked construction, date parameters, common rules."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import pandas as pd

from revops_nb.errors import ParamsError
from revops_nb.param_rules import AtLeast, Between, NotAfter, ReportRules

CONFIDENCE = Between(0.5, 1, high_open=True)
MIN_N = AtLeast(1)
PERIOD = NotAfter("period_start", "period_end")
# A period grain: its pandas period frequency and how many months one period spans.
GRAINS: dict[str, tuple[str, int]] = {"month": ("M", 1), "quarter": ("Q", 3), "year": ("Y", 12)}


@dataclass(frozen=True)
class ReportSettings:
    """Base of each report's ``Settings``: ``from_params`` checks :attr:`RULES`, then builds.

    A subclass declares its fields (the checked, converted parameters), ``RULES`` and
    ``build(**params)``; notebooks call ``Settings.from_params(name=value, ...)``.
    """

    RULES: ClassVar[ReportRules] = ReportRules()

    @property
    def alpha(self) -> float:
        """Significance level of every test, matching the intervals: 1 - confidence."""
        return 1.0 - self.confidence

    @classmethod
    def from_params(cls, **params: Any) -> Self:
        """Settings from the notebook's parameters; a broken rule is a ParamsError naming it.

        A parameter left out takes its default from ``build`` and still takes part in the
        relations (``detractor_max=11`` alone is checked against the default ``score_max``).
        """
        cls.RULES.check(cls.defaults() | params)
        return cls.build(**params)

    @classmethod
    def from_namespace(cls, namespace: Mapping[str, Any]) -> Self:
        """Settings from a notebook's parameter variables (its ``globals()``), checked as in
        :meth:`from_params`: every name ``build`` takes that the namespace defines; the rest keep
        their defaults. For a report with more parameters than fit a short cell."""
        return cls.from_params(**{name: namespace[name] for name in cls.defaults() if name in namespace})

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """The parameters' defaults, as ``build`` declares them."""
        return {
            name: p.default
            for name, p in inspect.signature(cls.build).parameters.items()
            if p.default is not inspect.Parameter.empty
        }

    @classmethod
    def build(cls, **params: Any) -> Self:
        """Convert checked parameters into the settings (dates to Timestamps, names to tuples...)."""
        return cls(**params)


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
