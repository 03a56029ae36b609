"""Survey responses in scope: the score scale, the period, a category and a segment for each.

Scores outside the scale and undated responses (when a period is set) are excluded
and counted. Without response dates "first" means first in file order (or by
``response_id`` when given), so the outcome analyses still count each account once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.errors import DataError, ParamsError
from revops_nb.reports.nps_retention.settings import CATEGORIES, Settings

ALL_SEGMENTS = "(all)"  # segment of every response when no accounts table gives one
DEFAULT_SEGMENT = "segment"  # the default segment_dimension: when absent, NPS is shown unsegmented


def categorize(scores: pd.Series, settings: Settings) -> pd.Series:
    """'promoter', 'passive' or 'detractor' for each score, by the configured cut-offs."""
    values = pd.to_numeric(scores, errors="coerce")
    out = np.where(
        values >= settings.promoter_min,
        "promoter",
        np.where(values <= settings.detractor_max, "detractor", "passive"),
    )
    cat = pd.Categorical(out, categories=list(CATEGORIES), ordered=True)
    return pd.Series(cat, index=scores.index, name="category")


@dataclass
class Responses:
    """Survey responses in scope, with category and segment, and what was left out."""

    frame: pd.DataFrame
    excluded: dict[str, int] = field(default_factory=dict)
    has_dates: bool = True
    segment_note: str = ""  # why NPS is not broken down by segment, when it is not


def prepare_responses(
    responses: pd.DataFrame,
    settings: Settings,
    accounts: pd.DataFrame | None = None,
    accounts_table: str = "accounts",
) -> Responses:
    """Responses within the period and the score scale, with category and segment attached.

    Scores outside the scale and undated responses (when a period is set) are
    excluded and counted; ``segment_dimension`` comes from ``accounts``, which
    may be another table (named by ``accounts_table`` in the note when it lacks
    the column). Without an ``response_id``, rows are numbered in file order.
    """
    for col in ("account_id", "score"):
        if col not in responses:
            raise DataError(f"nps_responses has no {col!r} column, which this report needs")
    frame = responses.copy()
    if "response_id" not in frame:
        width = len(str(max(len(frame) - 1, 0)))  # zero-padded, so sorting keeps file order
        frame["response_id"] = [f"row{i:0{width}d}" for i in range(len(frame))]
    has_dates = "response_date" in frame and frame["response_date"].notna().any()
    if not has_dates:
        frame["response_date"] = pd.NaT
        if settings.period_start is not None or settings.period_end is not None:
            raise DataError(
                "period_start and period_end need response dates, and nps_responses has none: "
                "leave the period unset or add a response_date column"
            )
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    excluded: dict[str, int] = {}
    keep = frame["score"].between(settings.score_min, settings.score_max)
    count_excluded(excluded, f"score missing or outside {settings.score_min:g}-{settings.score_max:g}", ~keep)
    frame = frame[keep]
    frame, excluded = _in_period(frame, settings, excluded)
    if frame.empty:
        raise DataError(
            "nps_responses: no response is left within the score scale "
            f"{settings.score_min:g}-{settings.score_max:g} and the period ({_fmt_excluded(excluded)})"
        )
    frame = frame.assign(category=categorize(frame["score"], settings))
    frame, note = _attach_segment(frame, settings.segment_dimension, accounts, accounts_table)
    frame = frame.sort_values(["response_date", "response_id"], kind="stable").reset_index(drop=True)
    return Responses(frame, excluded, has_dates, note)


def _in_period(
    frame: pd.DataFrame, settings: Settings, excluded: dict[str, int]
) -> tuple[pd.DataFrame, dict[str, int]]:
    if settings.period_start is None and settings.period_end is None:
        return frame, excluded
    dates = frame["response_date"]
    count_excluded(excluded, "response date missing (a period is set)", dates.isna())
    keep = dates.notna()
    if settings.period_start is not None:
        count_excluded(excluded, "response before period_start", dates < settings.period_start)
        keep &= dates >= settings.period_start
    if settings.period_end is not None:
        count_excluded(excluded, "response after period_end", dates > settings.period_end)
        keep &= dates <= settings.period_end
    return frame[keep], excluded


def _attach_segment(
    frame: pd.DataFrame, dimension: str, accounts: pd.DataFrame | None, table: str = "accounts"
) -> tuple[pd.DataFrame, str]:
    """Segment of each response from ``accounts``, and a note when NPS cannot be segmented.

    Without an account table, or when the *default* dimension is not one of its
    columns, every response gets the segment '(all)' and the note says why; a
    dimension the user chose that is not a column is a :class:`ParamsError`.
    """
    needs = f"NPS by {dimension} needs an accounts table with a {dimension} column"
    if dimension in frame:
        seg = frame[dimension]
    elif accounts is None:
        note = f"{needs}, and none is loaded, so NPS is shown for all accounts together"
        return frame.assign(segment=ALL_SEGMENTS), note
    elif dimension in accounts:
        lookup = accounts.drop_duplicates("account_id").set_index("account_id")[dimension]
        seg = frame["account_id"].map(lookup)
    elif dimension == DEFAULT_SEGMENT:
        where = f"no accounts table is loaded and the {table} table has no such column"
        if table == "accounts":
            where = "the accounts table has no such column"
        note = f"{needs}: {where}, so NPS is shown for all accounts together"
        return frame.assign(segment=ALL_SEGMENTS), note
    else:
        cols = ", ".join(map(str, accounts.columns))
        raise ParamsError(f"segment_dimension {dimension!r} is not a column of the accounts table ({cols})")
    seg = seg.astype("object").where(seg.notna(), "(blank)").astype(str)
    return frame.assign(segment=seg.to_numpy()), ""


def count_excluded(excluded: dict[str, int], reason: str, mask: pd.Series) -> None:
    """Add the rows of ``mask`` to ``excluded[reason]`` (a reason with no row is not listed)."""
    n = int(mask.sum())
    if n:
        excluded[reason] = excluded.get(reason, 0) + n


def _fmt_excluded(excluded: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {reason}" for reason, n in excluded.items()) or "none excluded"


def one_category(categories: pd.Series) -> str | None:
    """The only category present (e.g. 'promoter'), or None when there are several or none."""
    present = pd.Series(categories).dropna().astype(str).unique()
    return str(present[0]) if len(present) == 1 else None
