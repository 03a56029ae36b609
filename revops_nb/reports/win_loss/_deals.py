"""The deal frame every win/loss analysis uses, built from the opportunities as a CRM exports them.

:func:`prepare_deals` gives a :class:`Deals`: amounts in the reporting currency, one
spelling per label, account attributes filled in, each deal's status as of the report
date, its cycle length and its time-to-close record (open deals censored).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.data.coercion import canonical_spellings
from revops_nb.errors import DataError
from revops_nb.reports._opportunities import deal_amounts, fill_from_accounts, latest_deal_date
from revops_nb.reports.win_loss.settings import DEAL_SIZE_BAND, WIN_LOSS_DIMENSIONS, Settings

KNOWN_DIMENSIONS = WIN_LOSS_DIMENSIONS
TEXT_DIMENSIONS = tuple(d for d in KNOWN_DIMENSIONS if d != DEAL_SIZE_BAND)
ACCOUNT_COLUMNS = ("region", "segment", "industry", "country")
NO_COMPETITOR = "No competitor"
BLANK = "(blank)"
NO_AMOUNT = "(no amount)"


@dataclass
class Deals:
    """Opportunities ready for win/loss analysis.

    ``frame`` has one row per opportunity with the canonical columns plus
    ``amount_rep`` (reporting currency), ``status`` ('won', 'lost', 'open' as of
    ``as_of``, or 'out of scope'), ``in_period`` (closed within the period),
    ``cycle_days``, ``deal_size_band``, ``ttc_days`` / ``ttc_closed`` (time to close,
    open deals censored at ``as_of``) and ``quarter`` of close.
    """

    frame: pd.DataFrame
    as_of: pd.Timestamp
    currency: str
    notes: list[str] = field(default_factory=list)
    absent: tuple[str, ...] = ()

    _selections: dict[str, pd.DataFrame] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def closed(self) -> pd.DataFrame:
        """Deals closed (won or lost) within the period."""
        return self._select("closed", lambda f: f["in_period"])

    @property
    def open(self) -> pd.DataFrame:
        """Deals open as of the report date."""
        return self._select("open", lambda f: f["status"] == "open")

    def _select(self, name: str, rows) -> pd.DataFrame:
        """The rows of ``frame`` that ``rows`` picks, selected once (each analysis asks again, and at
        a million deals a selection costs about 0.2 s); each caller gets its own shallow copy, so
        adding a column to it changes nothing for the next (pandas copies on write)."""
        if name not in self._selections:
            self._selections[name] = self.frame[rows(self.frame)]
        return self._selections[name].copy(deep=False)

    def has(self, column: str) -> bool:
        """Whether ``column`` exists with at least one value (a dimension can be absent)."""
        return column in self.frame and self.frame[column].notna().any()

    @property
    def dated(self) -> bool:
        """Whether any closed deal has a close date: without, closed means 'by stage', with no timing."""
        closed = self.frame["status"].isin(["won", "lost"])
        return bool(self.frame.loc[closed, "close_date"].notna().any())


def prepare_deals(
    opportunities: pd.DataFrame,
    accounts: pd.DataFrame | None,
    fx_rates: pd.DataFrame | None,
    settings: Settings,
) -> Deals:
    """Build :class:`Deals` from canonical opportunities (plus accounts and fx rates when given)."""
    _require(opportunities, ("opportunity_id", "created_date", "is_closed", "is_won"))
    frame = opportunities.copy()
    notes: list[str] = []
    frame = _add_account_columns(frame, accounts, notes)
    for col in (*TEXT_DIMENSIONS, "loss_reason"):
        if col in frame:
            frame[col] = one_spelling(frame[col])
    without = "amount-based figures are not available"
    frame["amount_rep"] = deal_amounts(frame, fx_rates, settings.currency, notes, without)
    as_of = _as_of(frame, settings)
    frame = _status(frame, settings, as_of, notes)
    frame["deal_size_band"] = size_bands(frame["amount_rep"], settings.band_edges, settings.currency)
    absent = [c for c in TEXT_DIMENSIONS if c not in frame or frame[c].isna().all()]
    if frame["amount_rep"].isna().all():
        absent.append(DEAL_SIZE_BAND)
    frame["competitor"] = _competitor_label(frame)
    return Deals(frame=frame, as_of=as_of, currency=settings.currency, notes=notes, absent=tuple(absent))


def _require(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    for col in columns:
        if col not in frame:
            raise DataError(f"opportunities: column {col!r} is needed for the win/loss report but is missing")


def one_spelling(values: pd.Series) -> pd.Series:
    """Labels that differ only in case or spacing get one spelling (the loader's rule)."""
    text = values.astype("str").str.strip().where(values.notna())
    return text.map(canonical_spellings(text))


def _add_account_columns(
    frame: pd.DataFrame, accounts: pd.DataFrame | None, notes: list[str]
) -> pd.DataFrame:
    """Fill region, segment, industry, country from accounts where the deal lacks them."""
    if "account_id" not in frame:
        frame["account_id"] = pd.Series(np.nan, index=frame.index, dtype="str")
        if accounts is not None:
            notes.append(
                "opportunities have no account_id column, so nothing from the accounts table is joined; "
                "account attributes are taken from the opportunities themselves"
            )
        return frame
    no_account = int(frame["account_id"].isna().sum())
    if no_account:
        notes.append(
            f"{no_account:,} opportunities have no account; they count in every figure, "
            "with account attributes taken from the opportunity itself"
        )
    fill_from_accounts(frame, accounts, ACCOUNT_COLUMNS)
    return frame


def _as_of(frame: pd.DataFrame, settings: Settings) -> pd.Timestamp:
    """The report date: period_end, else the latest created or close date of a closed deal."""
    return settings.period_end if settings.period_end is not None else latest_deal_date(frame)


def _status(frame: pd.DataFrame, settings: Settings, as_of: pd.Timestamp, notes: list[str]) -> pd.DataFrame:
    """Status as of ``as_of``, closed-in-period flag, cycle length and time-to-close records."""
    if "close_date" not in frame:
        frame["close_date"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    created, close = frame["created_date"], frame["close_date"]
    end_of_day = as_of + pd.Timedelta(days=1)
    is_closed = frame["is_closed"].astype(bool)
    undated = is_closed & close.isna()
    closed_by = is_closed & (close < end_of_day)
    if settings.period_start is None and settings.period_end is None:
        closed_by = closed_by | undated
    elif undated.any():
        notes.append(f"{int(undated.sum()):,} closed deals have no close date and are left out of the period")
    started = created.isna() | (created < end_of_day)
    won = frame["is_won"].astype(bool)
    still_open = started & ~closed_by & ~undated
    status = np.select([closed_by & won, closed_by, still_open], ["won", "lost", "open"], "out of scope")
    frame["status"] = pd.Series(status, index=frame.index, dtype="str")
    in_period = frame["status"].isin(["won", "lost"])
    if settings.period_start is not None:
        in_period &= close >= settings.period_start
    frame["in_period"] = in_period
    frame["is_won"] = frame["status"].eq("won")
    frame["cycle_days"] = (close - created).dt.days.where(in_period).astype("float64")
    frame["quarter"] = close.dt.to_period("Q").astype("str").where(in_period)
    return _time_to_close(frame, settings, as_of)


def _time_to_close(frame: pd.DataFrame, settings: Settings, as_of: pd.Timestamp) -> pd.DataFrame:
    """Days from creation to close; open deals are censored at the report date."""
    created = frame["created_date"]
    ended = frame["status"].isin(["won", "lost"])
    # a closed deal without a close date has no time to close; censoring it would count it as open
    cohort = (frame["status"].eq("open") | (ended & frame["close_date"].notna())) & created.notna()
    if settings.period_start is not None:
        cohort &= created >= settings.period_start
    closed = ended & frame["close_date"].notna()
    end = frame["close_date"].where(closed, as_of)
    frame["ttc_days"] = (end - created).dt.days.where(cohort).astype("float64")
    frame["ttc_closed"] = closed.where(cohort)
    return frame


def size_bands(amount: pd.Series, edges: Sequence[float], currency: str) -> pd.Series:
    """Deal-size band labels from band edges, e.g. '< USD 10k', 'USD 10k–50k', '≥ USD 150k'."""
    cuts = [-np.inf, *edges, np.inf]
    short = [_short_amount(e) for e in edges]
    labels = [f"< {currency} {short[0]}"]
    labels += [f"{currency} {a}–{b}" for a, b in itertools.pairwise(short)]
    labels.append(f"≥ {currency} {short[-1]}")
    bands = pd.cut(amount, cuts, labels=labels, right=False)
    labelled = bands.astype("object").where(amount.notna(), NO_AMOUNT)
    return pd.Series(pd.Categorical(labelled, categories=[*labels, NO_AMOUNT]), index=amount.index)


def _short_amount(value: float) -> str:
    """10000 -> '10k', 1500000 -> '1.5M', 750 -> '750'."""
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _competitor_label(frame: pd.DataFrame) -> pd.Series:
    if "competitor" not in frame:
        return pd.Series(np.nan, index=frame.index, dtype="str")
    return frame["competitor"].fillna(NO_COMPETITOR)
