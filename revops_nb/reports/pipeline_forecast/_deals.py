"""The deal frame every pipeline analysis uses: amounts in the reporting currency, status as of a date.

:func:`prepare_deals` gives a :class:`Deals`: one row per opportunity with ``amount_rep``
(reporting currency, by the shared currency policy), ``status`` as of the report date
('won', 'lost', 'open' or 'out of scope'), segment and region filled from accounts where
the deal lacks them, and ``period`` of close at the report's grain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.errors import DataError
from revops_nb.reports._opportunities import deal_amounts, fill_from_accounts, latest_deal_date
from revops_nb.reports.pipeline_forecast.settings import Settings

ACCOUNT_COLUMNS = ("region", "segment")
BLANK = "(blank)"


@dataclass
class Deals:
    """Opportunities ready for funnel, coverage and forecast analysis.

    ``frame`` columns: opportunity_id, stage (as exported), amount_rep, created_date,
    close_date (actual for closed deals, expected for open ones; may be missing),
    is_closed / is_won (as exported), status as of ``as_of`` ('won', 'lost', 'open',
    'out of scope'), segment, lead_source, opportunity_type (when present).
    """

    frame: pd.DataFrame
    as_of: pd.Timestamp
    currency: str
    notes: list[str] = field(default_factory=list)

    @property
    def closed(self) -> pd.DataFrame:
        """Deals won or lost by the report date."""
        return self.frame[self.frame["status"].isin(["won", "lost"])]

    @property
    def open(self) -> pd.DataFrame:
        """Deals open on the report date."""
        return self.frame[self.frame["status"] == "open"]

    @property
    def dated(self) -> bool:
        """Whether any closed deal has a close date (the forecast and coverage need them)."""
        return bool(self.closed["close_date"].notna().any())

    def has(self, column: str) -> bool:
        """Whether ``column`` exists with at least one value."""
        return column in self.frame and self.frame[column].notna().any()


def prepare_deals(
    opportunities: pd.DataFrame,
    accounts: pd.DataFrame | None,
    fx_rates: pd.DataFrame | None,
    settings: Settings,
) -> Deals:
    """Build :class:`Deals` from canonical opportunities (plus accounts and fx rates when given)."""
    for col in ("opportunity_id", "created_date", "is_closed", "is_won"):
        if col not in opportunities:
            raise DataError(f"opportunities: column {col!r} is needed for the pipeline report but is missing")
    frame = opportunities.copy()
    notes: list[str] = []
    fill_from_accounts(frame, accounts, ACCOUNT_COLUMNS)
    without = "bookings, coverage and the forecast need amounts"
    frame["amount_rep"] = deal_amounts(frame, fx_rates, settings.currency, notes, without)
    if "close_date" not in frame:
        frame["close_date"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    as_of = report_date(frame, settings)
    frame["status"] = status_at(frame, as_of)
    undated = frame["status"].isin(["won", "lost"]) & frame["close_date"].isna()
    if undated.any():
        notes.append(
            f"{int(undated.sum()):,} closed deals have no close date: they count in conversion rates "
            "but not in bookings by period, the forecast backtest or coverage"
        )
    frame = frame.reset_index(drop=True)
    return Deals(frame=frame, as_of=as_of, currency=settings.currency, notes=notes)


def report_date(frame: pd.DataFrame, settings: Settings) -> pd.Timestamp:
    """The report date: ``as_of``, else the latest created date or close date of a closed deal."""
    return settings.as_of if settings.as_of is not None else latest_deal_date(frame)


def status_at(frame: pd.DataFrame, when: pd.Timestamp) -> pd.Series:
    """'won', 'lost', 'open' or 'out of scope' (created later) at the end of day ``when``.

    A closed deal without a close date counts as closed at any date after its creation.
    """
    closed = frame["is_closed"].astype(bool)
    close = frame["close_date"]
    closed_by = closed & (close.isna() | (close <= when))
    started = frame["created_date"].isna() | (frame["created_date"] <= when)
    won = frame["is_won"].astype(bool)
    status = np.select(
        [started & closed_by & won, started & closed_by, started], ["won", "lost", "open"], "out of scope"
    )
    return pd.Series(status, index=frame.index, dtype="str")


def label(values: pd.Series) -> pd.Series:
    """Text labels with missing values shown as '(blank)'."""
    return values.astype("object").where(values.notna(), BLANK).astype("str")
