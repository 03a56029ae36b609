"""Turn CRM-export text into typed columns: booleans, numbers and dates.

Each coercer returns the typed column and how many non-blank values could not
be converted, so the loader can report them instead of dropping them silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb.errors import DataError

TRUE_TOKENS = {"true", "t", "yes", "y", "1", "1.0"}
FALSE_TOKENS = {"false", "f", "no", "n", "0", "0.0"}
DATE_FORMATS = (
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%Y/%m/%d",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%m-%d-%Y",
    "%d-%m-%Y",
)
# currency symbols and codes, spaces, apostrophes (1'000) and digit underscores; separators are kept
_NUMBER_JUNK_KEEP_SEP = re.compile(r"[\s$€£¥₹'\u00a0]|(?<=\d)_(?=\d)|^[A-Z]{3}\s*|\s*[A-Z]{3}$")


@dataclass(frozen=True)
class Coerced:
    """A converted column and the count and an example of values that failed."""

    values: pd.Series
    n_bad: int = 0
    example: str | None = None
    note: str | None = None


def _blank(series: pd.Series) -> pd.Series:
    as_text = series.astype("string").str.strip()
    return series.isna() | (as_text == "") | as_text.str.lower().isin(["nan", "null", "none", "n/a", "#n/a"])


def to_bool(series: pd.Series) -> Coerced:
    """True/False, Yes/No, Y/N, 1/0 in any case -> nullable boolean."""
    if pd.api.types.is_bool_dtype(series):
        return Coerced(series.astype("boolean"))
    blank = _blank(series)
    text = series.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[text.isin(TRUE_TOKENS).fillna(False) & ~blank] = True
    out[text.isin(FALSE_TOKENS).fillna(False) & ~blank] = False
    bad = out.isna() & ~blank
    return Coerced(out, int(bad.sum()), _example(series, bad))


_EU_NUMBER = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$|^-?\d+,\d{1,2}$|^-?\d+,\d{4,}$")
_US_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+\.\d{1,2}$|^-?\d+\.\d{4,}$")
LAST_DATE = pd.Timestamp.max.normalize()


def decimal_comma(cleaned: pd.Series) -> bool:
    """Whether a column's numbers use a decimal comma (1.234,56 / 1,5) rather than a point.

    Decided per column from values that can only be read one way; '1,500' alone is
    read as fifteen hundred (the more common CRM export).
    """
    eu = int(cleaned.str.match(_EU_NUMBER).fillna(False).sum())
    us = int(cleaned.str.match(_US_NUMBER).fillna(False).sum())
    return eu > us


def to_number(series: pd.Series, decimal: str | None = None) -> Coerced:
    """Numbers with currency symbols or codes, blanks, thousands separators -> float.

    The decimal mark is detected per column (``decimal`` forces '.' or ',').
    """
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return Coerced(series.astype("float64"))
    blank = _blank(series)
    text = series.astype("string").str.strip()
    negative = text.str.match(r"^\(.*\)$").fillna(False)
    stripped = text.str.replace(r"^\((.*)\)$", r"\1", regex=True).str.replace(
        _NUMBER_JUNK_KEEP_SEP, "", regex=True
    )
    comma = decimal == "," if decimal else decimal_comma(stripped.where(~blank))
    if comma:
        cleaned = stripped.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        cleaned = stripped.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(cleaned.where(~blank), errors="coerce").astype("float64")
    numbers = numbers.where(~negative.to_numpy(), -numbers)
    bad = numbers.isna() & ~blank
    return Coerced(numbers, int(bad.sum()), _example(series, bad))


def to_date(series: pd.Series, column: str, where: str, date_format: str | None = None) -> Coerced:
    """ISO or a common CRM date format -> datetime64[ns]; ambiguous or unparsable is an error.

    Far-future placeholders such as 9999-12-31 ("no end date") become missing and are counted.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dt.tz_localize(None) if series.dt.tz is not None else series
        far = values > LAST_DATE
        values = values.where(~far)
        return Coerced(values.astype("datetime64[ns]"), note=_far_note(int(far.sum()), None))
    blank = _blank(series)
    text = series.astype("string").str.strip().where(~blank)
    years = (
        text.str.extractall(r"(\d{4})")[0].astype(int).groupby(level=0).max() if text.notna().any() else None
    )
    far = pd.Series(False, index=series.index)
    if years is not None and len(years):
        far.loc[years.index[years > LAST_DATE.year]] = True
    far_example = str(text[far].iloc[0]) if far.any() else None
    text = text.where(~far)
    blank = blank | far
    note = _far_note(int(far.sum()), far_example)
    present = text.dropna()
    if present.empty:
        return Coerced(pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]"), note=note)
    if date_format is not None:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        return _checked_dates(parsed, text, blank, column, where, f"format {date_format!r}", note)
    iso = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True).dt.tz_localize(None)
    if iso[~blank].notna().all():
        return Coerced(iso.astype("datetime64[ns]"), note=note)
    scores = {"ISO": int(iso[~blank].notna().sum())}
    fits = []
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(present, format=fmt, errors="coerce")
        scores[fmt] = int(parsed.notna().sum())
        if scores[fmt] == len(present):
            fits.append(fmt)
    if not fits:
        best = max(scores, key=scores.get)
        parsed = iso if best == "ISO" else pd.to_datetime(text, format=best, errors="coerce")
        how = "ISO dates" if best == "ISO" else f"format {best!r}"
        if scores[best] == 0:
            raise DataError(
                f"{where}: column {column!r} has dates in no known format, e.g. {present.iloc[0]!r}; "
                "set 'date_format:' for this table"
            )
        return _checked_dates(parsed, text, blank, column, where, how, note)
    day_first = [f for f in fits if f.startswith("%d")]
    month_first = [f for f in fits if f.startswith("%m")]
    if day_first and month_first:
        raise DataError(
            f"{where}: column {column!r} has ambiguous dates (day/month order unclear), "
            f"e.g. {present.iloc[0]!r}; set 'date_format:' for this table, e.g. \"{month_first[0]}\""
        )
    parsed = pd.to_datetime(text, format=fits[0], errors="coerce")
    return Coerced(parsed.astype("datetime64[ns]"), note=note)


def _far_note(count: int, example: str | None) -> str | None:
    if not count:
        return None
    shown = f", e.g. {example!r}" if example else ""
    return f"{count} date(s) after {LAST_DATE.year}{shown} read as 'no date' (open-ended)"


def _checked_dates(
    parsed, text, blank, column: str, where: str, how: str, note: str | None = None
) -> Coerced:
    bad = parsed.isna() & ~blank
    if bad.any():
        example = text[bad].iloc[0]
        raise DataError(
            f"{where}: column {column!r} has {int(bad.sum())} value(s) that are not dates ({how}), "
            f"e.g. {example!r}; fix them or set 'date_format:' for this table"
        )
    return Coerced(parsed.astype("datetime64[ns]"), note=note)


def _example(series: pd.Series, bad: pd.Series) -> str | None:
    if not bad.any():
        return None
    return str(series[bad.fillna(False).to_numpy()].iloc[0])


def normalize_label(value: object) -> str:
    """Case- and spacing-insensitive key for category labels ('Closed  won' == 'closed won')."""
    return re.sub(r"[\s_\-]+", " ", str(value)).strip().casefold()


def canonical_spellings(values: pd.Series) -> dict[str, str]:
    """Map each label to one spelling shared by all labels equal up to case and spacing.

    A mixed-case spelling ("Core") wins over ALL CAPS or all lower case, then the most frequent.
    """
    counts = values.dropna().astype(str).value_counts()
    if counts.empty:
        return {}
    keys = counts.index.map(normalize_label)
    mixed = [not (v.isupper() or v.islower()) for v in counts.index]
    ranked = pd.DataFrame({"key": keys, "value": counts.index, "mixed": mixed, "n": counts.to_numpy()})
    ranked = ranked.sort_values(["mixed", "n"], ascending=[False, False], kind="stable")
    spelling = ranked.groupby("key", sort=False)["value"].first()
    return dict(zip(counts.index, spelling.reindex(keys).to_numpy(), strict=True))


def snake_case(name: object) -> str:
    """Header -> snake_case: 'Account ID' -> 'account_id', 'CloseDate' -> 'close_date'."""
    text = str(name).strip()
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    text = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()
    return text or "column"


def whole_numbers_as_text(series: pd.Series) -> pd.Series:
    """Float ids read from xlsx/parquet/json with blanks (123.0) -> '123', so keys still join."""
    if not pd.api.types.is_float_dtype(series):
        return series
    present = series.dropna()
    if present.empty or not (present == present.round()).all():
        return series
    return series.map(lambda v: str(int(v)) if pd.notna(v) else None).astype("str")


def clean_text(series: pd.Series) -> pd.Series:
    """Strip surrounding whitespace and collapse inner runs; blanks become missing.

    Works on the distinct values only (CRM columns repeat a few labels many times).
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    distinct = pd.Series(uniques, dtype="object")
    blank = _blank(distinct)
    text = distinct.astype("str").str.strip().str.replace(r"\s+", " ", regex=True).where(~blank, np.nan)
    values = np.asarray(text.to_numpy(dtype=object))
    out = np.where(codes >= 0, values[np.clip(codes, 0, None)] if len(values) else None, None)
    return pd.Series(out, index=series.index, dtype="str")


def map_distinct(series: pd.Series, fn) -> pd.Series:
    """Apply ``fn`` to each distinct non-missing value once and broadcast the result."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.array([fn(u) for u in uniques], dtype=object)
    out = np.where(codes >= 0, mapped[np.clip(codes, 0, None)] if len(mapped) else None, None)
    return pd.Series(out, index=series.index, dtype="object")


def as_nanoseconds(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """``frame`` with every datetime column in nanoseconds, the unit the loader returns.

    Frames built by hand (notebooks, tests, pandas 3 string parsing gives microseconds)
    then join and compare with loaded tables instead of failing on mixed units.
    """
    if frame is None:
        return None
    cols = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    off = [c for c in cols if frame[c].dtype != "datetime64[ns]"]
    if not off:
        return frame
    return frame.assign(**{c: frame[c].astype("datetime64[ns]") for c in off})
