"""Stage history: which open stages each deal reached, its stage on any past date, and time in stage.

From the optional ``opportunity_stages`` table (one row per stage entry). Real exports are
noisy: Salesforce OpportunityHistory writes a row with the same stage on every amount or
close-date edit, and deals move back as well as forward. So, per deal, rows are put in
date order (same-day rows earliest stage first) and a row repeating the stage of the row
before it is dropped: it continues that stay rather than starting one. Then:

- **furthest stage reached** (:meth:`StageHistory.reached`) is the latest open stage ever
  entered, backward moves included: conversion asks whether a deal got past a stage, and
  a deal that reached Proposal and fell back did get past Qualification;
- **stage on a date** (:meth:`StageHistory.stage_at`) is the stage of the latest entry
  before it, so a deal pushed back counts at the stage it was pushed back to;
- **time in stage** (:meth:`StageHistory.stays`): a visit to a stage ends at the first entry
  into any other stage (or the close date); a deal's time in a stage adds up all its
  visits, so each deal counts once per stage.

Stages are the ``stage_order`` parameter's open stages; a row naming a closed stage (one of
the deals' closed stage names) ends the visit before it; a row naming any other stage ends
it too, is counted in a note, and places the deal in no stage until its next known entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.data.membership import is_in, lookup
from revops_nb.reports.pipeline_forecast._deals import Deals

ROW_COLUMNS = ["opportunity_id", "order", "entered_date", "stage_key", "closed"]


@dataclass
class StageHistory:
    """The stage entries of the deals in scope, collapsed (see the module docstring).

    ``rows`` has opportunity_id, order (position in ``stages``, 0 = first open stage; NaN
    for a closed or unlisted stage), entered_date, stage_key (the stage name, case-folded)
    and closed (a closed stage). ``available`` is False without an ``opportunity_stages``
    table; then only current stages are known.
    """

    stages: tuple[str, ...]
    rows: pd.DataFrame
    available: bool
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rows = collapse(self.rows)

    def reached(self, deals: Deals) -> pd.Series:
        """The furthest open stage (order) each deal reached by the report date; NaN when unknown.

        A deal won by the report date has passed every open stage.
        """
        frame = deals.frame
        if not self.available:
            out = frame["stage"].map({s: i for i, s in enumerate(self.stages)}).astype("float64")
            return out.where(frame["status"] == "open")
        rows = self.rows[self.rows["entered_date"] <= deals.as_of]
        furthest = rows.groupby("opportunity_id")["order"].max()
        highest = lookup(frame["opportunity_id"], furthest.index, furthest.to_numpy("float64"), np.nan)
        out = pd.Series(highest, index=frame.index)
        # a won deal passed every open stage (when its history places it at all)
        return out.where(~(frame["status"].eq("won") & out.notna()), float(len(self.stages) - 1))

    def current(self, deals: Deals) -> pd.Series:
        """Each open deal's stage (order) on the report date: its latest entry; NaN for other deals.

        Without history (or with none for a deal) the deal's own stage.
        """
        frame = deals.frame
        own = frame["stage"].map({s: i for i, s in enumerate(self.stages)}).astype("float64")
        if self.available:
            latest = self.stage_at(frame["opportunity_id"], deals.as_of + pd.Timedelta(days=1))
            own = latest.where(self.has_entry(frame["opportunity_id"], deals.as_of), own)
        return own.where(frame["status"] == "open")

    def has_entry(self, opportunity_ids: pd.Series, as_of: pd.Timestamp) -> pd.Series:
        """Whether each deal has an open-stage entry (listed or not) on or before ``as_of``."""
        rows = self.rows[(self.rows["entered_date"] <= as_of) & ~self.rows["closed"]]
        return pd.Series(
            is_in(opportunity_ids, pd.unique(rows["opportunity_id"])), index=opportunity_ids.index
        )

    def stage_at(self, opportunity_ids: pd.Series, when: pd.Timestamp) -> pd.Series:
        """Each deal's open stage (order) at the start of day ``when``: that of its latest entry before it.

        Closed-stage rows are skipped (a deal open on ``when`` is in an open stage); NaN when
        the latest entry names a stage not in stage_order, or there is none.
        """
        if not self.available:
            return pd.Series(np.nan, index=opportunity_ids.index, dtype="float64")
        ids, codes, entered, order = self._open_entries()
        before = entered < when
        ids, codes, order = ids[before], codes[before], order[before]
        # rows are sorted by deal: a deal's latest entry is the last of its block
        last = np.ones(len(codes), dtype=bool)
        last[:-1] = codes[1:] != codes[:-1]
        latest = lookup(opportunity_ids, pd.Index(ids[last]), order[last], np.nan)
        return pd.Series(latest, index=opportunity_ids.index, dtype="float64")

    def _open_entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The open-stage rows as arrays (ids, deal codes, entered_date, order), computed once per rows."""
        cached = self.__dict__.get("_open_cache")
        if cached is not None and cached[0] is self.rows:
            return cached[1]
        rows = self.rows[~self.rows["closed"].to_numpy(bool)]
        ids = rows["opportunity_id"].array  # as stored (Arrow text: looked up without conversion)
        codes = pd.factorize(ids)[0]
        entries = (ids, codes, rows["entered_date"].to_numpy(), rows["order"].to_numpy("float64"))
        self.__dict__["_open_cache"] = (self.rows, entries)
        return entries

    def stays(self, deals: Deals) -> pd.DataFrame:
        """Time in each open stage per deal: opportunity_id, order, days, visits, left (False = still there).

        A visit ends at the first entry into any other stage, or at the close date of a closed
        deal; a deal still in the stage on the report date is censored there. ``days`` adds up
        the deal's visits to the stage.
        """
        columns = ["opportunity_id", "order", "days", "visits", "left"]
        if not self.available or self.rows.empty:
            return pd.DataFrame(columns=columns)
        frame = deals.frame.set_index("opportunity_id")
        rows = self.rows[self.rows["entered_date"] <= deals.as_of]
        in_scope = frame.index[frame["status"] != "out of scope"]
        rows = rows[is_in(rows["opportunity_id"], in_scope)]
        nxt = rows.groupby("opportunity_id")["entered_date"].shift(-1)
        closed = frame["status"].isin(["won", "lost"])
        close = frame["close_date"].where(closed).to_numpy()
        deal_close = lookup(rows["opportunity_id"], frame.index, close, np.datetime64("NaT"))
        end = nxt.fillna(pd.Series(deal_close, index=rows.index))
        left = end.notna() & (end <= deals.as_of)
        end = end.where(left, deals.as_of)
        days = (end - rows["entered_date"]).dt.days.astype("float64")
        visits = pd.DataFrame(
            {"opportunity_id": rows["opportunity_id"], "order": rows["order"], "days": days, "left": left}
        )
        visits = visits[visits["order"].notna() & (visits["days"] >= 0)]
        if visits.empty:
            return pd.DataFrame(columns=columns)
        out = visits.groupby(["opportunity_id", "order"], sort=False).agg(
            days=("days", "sum"), visits=("days", "size"), left=("left", "all")
        )
        out = out.reset_index().astype({"order": "int64", "visits": "int64"})
        return out[columns]


def collapse(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` in date order per deal (same day: earliest stage first), each repeat of the stage before dropped."""
    rows = rows.copy()
    if "stage_key" not in rows:
        rows["stage_key"] = rows["order"].astype("str")
    if "closed" not in rows:
        rows["closed"] = False
    rows = rows.astype({"order": "float64", "closed": "bool"})[ROW_COLUMNS]
    rows = rows.sort_values(["opportunity_id", "entered_date", "order"], kind="stable", na_position="last")
    same = rows["opportunity_id"].eq(rows["opportunity_id"].shift()) & rows["stage_key"].eq(
        rows["stage_key"].shift()
    )
    return rows[~same].reset_index(drop=True)


def stage_history(stages_table: pd.DataFrame | None, deals: Deals, stages: tuple[str, ...]) -> StageHistory:
    """The stage entries of ``stages_table`` for known deals, or an unavailable history without it."""
    empty = pd.DataFrame({c: [] for c in ROW_COLUMNS})
    notes = _unknown_open_stages(deals, stages)
    if stages_table is None:
        return StageHistory(stages, empty, available=False, notes=notes)
    table = stages_table.dropna(subset=["opportunity_id", "stage", "entered_date"])
    order = {s.casefold(): i for i, s in enumerate(stages)}
    names = table["stage"].astype("str").str.strip().str.casefold()
    known = names.map(order)
    closed_names = {
        s.strip().casefold()
        for s in deals.frame.loc[deals.frame["is_closed"].astype(bool), "stage"].dropna().astype("str")
    }
    is_closed = known.isna() & names.astype(object).isin(closed_names)
    rows = pd.DataFrame(
        {
            "opportunity_id": table["opportunity_id"],
            "order": known.astype("float64"),
            "entered_date": table["entered_date"],
            "stage_key": names,
            "closed": is_closed,
        }
    )
    unknown_deal = ~rows["opportunity_id"].astype(object).isin(deals.frame["opportunity_id"].astype(object))
    if unknown_deal.any():
        notes.append(
            f"{int(unknown_deal.sum()):,} stage-history rows refer to an opportunity not in opportunities; left out"
        )
    other = (rows["order"].isna() & ~rows["closed"] & ~unknown_deal).to_numpy()
    rows = rows[~unknown_deal]
    if other.any():
        example = table["stage"].to_numpy()[other][0]
        notes.append(
            f"{int(other.sum()):,} stage-history rows name a stage that is not in stage_order "
            f"(e.g. {example!r}): each ends the stay in the stage before it, but is in no stage of the funnel"
        )
    history = StageHistory(stages, rows, available=True, notes=notes)
    notes += _cleaning_notes(len(rows), history.rows, deals.as_of)
    return history


def _cleaning_notes(n_rows: int, rows: pd.DataFrame, as_of: pd.Timestamp) -> list[str]:
    """Notes on rows that repeated a stage and on deals that moved back to an earlier stage."""
    out = []
    repeated = n_rows - len(rows)
    if repeated:
        out.append(
            f"{repeated:,} stage-history rows repeat the stage of the row before them (e.g. an amount or "
            "close-date edit); they continue that stay rather than start a new one"
        )
    rows = rows[(rows["entered_date"] <= as_of) & rows["order"].notna()]
    back = rows["order"] < rows.groupby("opportunity_id")["order"].cummax()
    n_back = rows.loc[back, "opportunity_id"].nunique()
    if n_back:
        out.append(
            f"{n_back:,} deals moved back to an earlier stage at least once: conversion counts the furthest "
            "stage each reached, time in stage adds up every visit to a stage"
        )
    return out


def _unknown_open_stages(deals: Deals, stages: tuple[str, ...]) -> list[str]:
    """A note when open deals sit in a stage that stage_order does not list (they join no stage)."""
    open_stage = deals.frame.loc[
        deals.frame["status"].eq("open") & ~deals.frame["is_closed"].astype(bool), "stage"
    ]
    known = {s.casefold() for s in stages}
    other = open_stage[~open_stage.astype("str").str.strip().str.casefold().isin(known)].dropna()
    if other.empty:
        return []
    return [
        f"{len(other):,} open deals are in a stage that stage_order does not list (e.g. {other.iloc[0]!r}); "
        "set stage_order to your open stages, earliest first, to place them in the funnel"
    ]
