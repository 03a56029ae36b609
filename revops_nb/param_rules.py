"""Declarative constraints on report parameters: ranges, choices, ISO dates, currency codes.

A report declares its :class:`ReportRules` once, in ``revops_nb/reports/<name>/settings.py``;
the runner checks merged parameters against them before any kernel starts, the
report's settings function checks the same rules inside the kernel, and
``revops-nb list`` prints their descriptions. Types are checked elsewhere (the
notebook's annotated parameters cell); these rules check values.
"""

from __future__ import annotations

import itertools
import math
import numbers
import re
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from revops_nb.errors import ParamsError

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SHOWN_CHARS = 80  # a hostile value is shown truncated, never whole
# A name is secret when one of its words (split at _ - . or a case change) is one of these, or ends in
# password/passwd/secret/token ('pgpassword', 'authtoken'); 'author', 'design' or 'monkey' are not.
SECRET_WORDS = frozenset(
    [
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "key",
        "keys",
        "apikey",
        "auth",
        "credential",
        "credentials",
        "dsn",
        "sig",
        "signature",
        "private",
        "pgpass",
    ]
)
SECRET_ENDINGS = ("password", "passwd", "secret", "token", "apikey")
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def is_secret(name: object) -> bool:
    """Whether a parameter's name says its value is a secret (password, token, key, dsn...)."""
    if not isinstance(name, str):
        return False
    words = [w.lower() for w in _WORDS.findall(name)]
    return any(w in SECRET_WORDS or w.endswith(SECRET_ENDINGS) for w in words)


def shown(value: Any, key: object = None) -> str:
    """``repr`` of a value for an error message, cut to a readable length; '***' for a secret ``key``."""
    if is_secret(key):
        return "***"
    text = _REPR.repr(value)  # bounded: a huge or deeply nested value is never rendered whole
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 5] + "…" + text[-4:]


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict, _REPR.maxset = 3, 8, 8, 8, 8
_REPR.maxstring = _REPR.maxother = SHOWN_CHARS + 10


class Rule:
    """One parameter's constraint: ``problem`` says what is wrong with a value, or None."""

    def describe(self) -> str:
        raise NotImplementedError

    def problem(self, value: Any) -> str | None:
        raise NotImplementedError


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


@dataclass(frozen=True)
class Between(Rule):
    """A number in [low, high]; ``high_open``/``low_open`` exclude the end."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def describe(self) -> str:
        left = "above" if self.low_open else "from"
        right = "to below" if self.high_open else "to"
        return f"a number {left} {self.low:g} {right} {self.high:g}"

    def problem(self, value: Any) -> str | None:
        x = _number(value)
        if x is None or math.isnan(x):
            return f"must be {self.describe()}"
        low_ok = x > self.low if self.low_open else x >= self.low
        high_ok = x < self.high if self.high_open else x <= self.high
        return None if low_ok and high_ok else f"must be {self.describe()}"


@dataclass(frozen=True)
class AtLeast(Rule):
    """A whole number of at least ``low``."""

    low: int

    def describe(self) -> str:
        return f"a whole number of at least {self.low}"

    def problem(self, value: Any) -> str | None:
        ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= self.low
        return None if ok else f"must be {self.describe()}"


@dataclass(frozen=True)
class OneOf(Rule):
    """One of a fixed set of words (case-insensitive)."""

    choices: tuple[str, ...]

    def describe(self) -> str:
        return "one of " + ", ".join(self.choices)

    def problem(self, value: Any) -> str | None:
        ok = isinstance(value, str) and value.strip().lower() in self.choices
        return None if ok else f"must be {self.describe()}"


@dataclass(frozen=True)
class SubsetOf(Rule):
    """A list whose entries all come from ``choices``, each at most once."""

    choices: tuple[str, ...]
    non_empty: bool = False

    def describe(self) -> str:
        lead = "a non-empty list" if self.non_empty else "a list"
        return f"{lead} drawn from " + ", ".join(self.choices)

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str) or not isinstance(value, Sequence):
            return f"must be {self.describe()}"
        if self.non_empty and not value:
            return f"must be {self.describe()}"
        for item in value:
            if item not in self.choices:
                return f"must be {self.describe()} ({shown(item)} is not one of them)"
        return None


@dataclass(frozen=True)
class NonEmptyNames(Rule):
    """A list of names (columns, regions), none blank or repeated; non-empty unless ``may_be_empty``."""

    may_be_empty: bool = False
    what: str = "column names"

    def describe(self) -> str:
        return f"a {'' if self.may_be_empty else 'non-empty '}list of {self.what}, none repeated"

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str) or not isinstance(value, Sequence) or (not value and not self.may_be_empty):
            return f"must be {self.describe()}"
        if any(not isinstance(v, str) or not v.strip() for v in value):
            return f"must be {self.describe()}"
        seen: set[str] = set()
        for item in value:
            key = item.strip().casefold()
            if key in seen:
                return f"must be {self.describe()} ({shown(item)} is listed twice)"
            seen.add(key)
        return None


@dataclass(frozen=True)
class IncreasingPositive(Rule):
    """A non-empty list of positive finite numbers in increasing order."""

    def describe(self) -> str:
        return "a non-empty list of positive numbers in increasing order"

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str) or not isinstance(value, Sequence) or not value:
            return f"must be {self.describe()}"
        numbers = [_number(v) for v in value]
        if any(x is None or not math.isfinite(x) or x <= 0 for x in numbers):
            return f"must be {self.describe()} (all positive)"
        if any(b <= a for a, b in itertools.pairwise(numbers)):
            return f"must be {self.describe()} (increasing)"
        return None


@dataclass(frozen=True)
class IsoDate(Rule):
    """A calendar date written YYYY-MM-DD."""

    def describe(self) -> str:
        return "an ISO date such as '2025-01-01'"

    def problem(self, value: Any) -> str | None:
        if isinstance(value, date):
            return None
        if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
            return f"must be {self.describe()}"
        try:
            date.fromisoformat(value.strip())
        except ValueError:
            return f"must be {self.describe()} (no such day)"
        return None


@dataclass(frozen=True)
class CurrencyCode(Rule):
    """A three-letter currency code."""

    def describe(self) -> str:
        return "a three-letter currency code such as 'USD'"

    def problem(self, value: Any) -> str | None:
        ok = isinstance(value, str) and len(value.strip()) == 3 and value.strip().isalpha()
        return None if ok else f"must be {self.describe()}"


@dataclass(frozen=True)
class NonBlank(Rule):
    """A non-empty name."""

    def describe(self) -> str:
        return "a non-empty column name"

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, str) and value.strip() else f"must be {self.describe()}"


@dataclass(frozen=True)
class NotAfter:
    """Two optional dates in order: ``first`` on or before ``second``."""

    first: str
    second: str

    def describe(self) -> str:
        return f"{self.first} on or before {self.second}"

    def problem(self, values: Mapping[str, Any]) -> str | None:
        a, b = values.get(self.first), values.get(self.second)
        if a in (None, "") or b in (None, ""):
            return None
        if str(a).strip() > str(b).strip():
            return f"{self.first} {shown(str(a), self.first)} is after {self.second} {shown(str(b), self.second)}"
        return None


@dataclass(frozen=True)
class Below:
    """Two numbers in order: ``first`` strictly below (or ``or_equal``) ``second``."""

    first: str
    second: str
    or_equal: bool = False

    def describe(self) -> str:
        return f"{self.first} {'at most' if self.or_equal else 'below'} {self.second}"

    def problem(self, values: Mapping[str, Any]) -> str | None:
        a, b = _number(values.get(self.first)), _number(values.get(self.second))
        if a is None or b is None:
            return None
        if a < b or (self.or_equal and a == b):
            return None
        word = "at most" if self.or_equal else "below"
        if is_secret(self.first) or is_secret(self.second):
            return f"{self.first} must be {word} {self.second}"
        return f"{self.first} ({a:g}) must be {word} {self.second} ({b:g})"


@dataclass(frozen=True)
class ReportRules:
    """Every value constraint of one report's parameters."""

    fields: dict[str, Rule] = field(default_factory=dict)
    relations: tuple[NotAfter | Below, ...] = ()

    def problems(self, values: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
        """Each broken constraint as (parameter names involved, one sentence); nulls never break one."""
        out: list[tuple[tuple[str, ...], str]] = []
        for name, rule in self.fields.items():
            if name in values and values[name] is not None:
                problem = rule.problem(values[name])
                if problem and is_secret(name):  # the rule's own words may quote the value
                    problem = f"must be {rule.describe()}"
                if problem:
                    out.append(((name,), f"parameter {name!r} {problem}; got {shown(values[name], name)}"))
        if not out:
            for relation in self.relations:
                problem = relation.problem(values)
                if problem:
                    out.append(((relation.first, relation.second), problem))
        return out

    def check(self, values: Mapping[str, Any], where: str = "") -> None:
        """Raise :class:`ParamsError` with the first broken constraint, prefixed by ``where``."""
        found = self.problems(values)
        if found:
            sentence = found[0][1]
            raise ParamsError(f"{where}: {sentence}" if where else sentence)

    def describe(self, name: str) -> str:
        """Words for ``revops-nb list``: the field's rule and the relations it takes part in."""
        parts = [self.fields[name].describe()] if name in self.fields else []
        parts += [r.describe() for r in self.relations if name in (r.first, r.second)]
        return "; ".join(parts)
