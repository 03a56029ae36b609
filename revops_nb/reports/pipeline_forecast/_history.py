"""Stage history: which open stages each deal reached, when, and its stage on any past date.

From the optional ``opportunity_stages`` table (one row per stage a deal entered). Stages
are the ``stage_order`` parameter's open stages; closed stages come from the
opportunities themselves (won or lost, on the close date). A later stage reached
implies the earlier ones were passed (the funnel moves forward).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.reports.pipeline_forecast._deals import Deals


@dataclass
class StageHistory:
    """Open-stage entries of the deals in scope: ``rows`` has opportunity_id, order, entered_date.

    ``order`` is the stage's position in ``stages`` (0 = first open stage). ``available``
    is False without an ``opportunity_stages`` table; then only current stages are known.
    """

    stages: tuple[str, ...]
    rows: pd.DataFrame
    available: bool
    notes: list[str] = field(default_factory=list)

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
        out = frame["opportunity_id"].map(furthest).astype("float64")
        # a won deal passed every open stage (when its history places it at all)
        return out.where(~(frame["status"].eq("won") & out.notna()), float(len(self.stages) - 1))

    def stage_at(self, opportunity_ids: pd.Series, when: pd.Timestamp) -> pd.Series:
        """Each deal's open stage (order) at the start of day ``when``: the furthest entered before it."""
        if not self.available:
            return pd.Series(np.nan, index=opportunity_ids.index, dtype="float64")
        rows = self.rows[self.rows["entered_date"] < when]
        furthest = rows.groupby("opportunity_id")["order"].max()
        return opportunity_ids.map(furthest).astype("float64")

    def stays(self, deals: Deals) -> pd.DataFrame:
        """Time in each open stage: opportunity_id, order, days, left (False = still there, censored).

        A stay ends when the deal enters a later stage or closes; a deal still open in its
        stage on the report date is censored there.
        """
        if not self.available or self.rows.empty:
            return pd.DataFrame(columns=["opportunity_id", "order", "days", "left"])
        frame = deals.frame.set_index("opportunity_id")
        rows = self.rows[self.rows["entered_date"] <= deals.as_of]
        rows = rows[rows["opportunity_id"].isin(frame.index[frame["status"] != "out of scope"])]
        rows = rows.sort_values(["opportunity_id", "entered_date", "order"], kind="stable")
        nxt = rows.groupby("opportunity_id")["entered_date"].shift(-1)
        closed = frame["status"].isin(["won", "lost"])
        close = frame["close_date"].where(closed)
        end = nxt.fillna(rows["opportunity_id"].map(close))
        left = end.notna() & (end <= deals.as_of)
        end = end.where(left, deals.as_of)
        days = (end - rows["entered_date"]).dt.days.astype("float64")
        out = pd.DataFrame(
            {"opportunity_id": rows["opportunity_id"], "order": rows["order"], "days": days, "left": left}
        )
        return out[out["days"] >= 0].reset_index(drop=True)


def stage_history(stages_table: pd.DataFrame | None, deals: Deals, stages: tuple[str, ...]) -> StageHistory:
    """The open-stage entries of ``stages_table`` for known deals, or an unavailable history without it."""
    empty = pd.DataFrame({"opportunity_id": [], "order": [], "entered_date": []})
    notes = _unknown_open_stages(deals, stages)
    if stages_table is None:
        return StageHistory(stages, empty, available=False, notes=notes)
    table = stages_table.dropna(subset=["opportunity_id", "stage", "entered_date"])
    order = {s.casefold(): i for i, s in enumerate(stages)}
    names = table["stage"].astype("str").str.strip().str.casefold()
    known = names.map(order)
    closed_names = {
        s.casefold() for s in deals.frame.loc[deals.frame["is_closed"].astype(bool), "stage"].dropna()
    }
    other = known.isna() & ~names.isin(closed_names)
    if other.any():
        example = table.loc[other, "stage"].iloc[0]
        notes.append(
            f"{int(other.sum()):,} stage-history rows name a stage that is not in stage_order "
            f"(e.g. {example!r}); they are left out"
        )
    rows = pd.DataFrame(
        {
            "opportunity_id": table["opportunity_id"],
            "order": known,
            "entered_date": table["entered_date"],
        }
    )[known.notna()]
    unknown_deal = ~rows["opportunity_id"].isin(deals.frame["opportunity_id"])
    if unknown_deal.any():
        notes.append(
            f"{int(unknown_deal.sum()):,} stage-history rows refer to an opportunity not in opportunities; left out"
        )
    rows = rows[~unknown_deal].astype({"order": "int64"}).reset_index(drop=True)
    return StageHistory(stages, rows, available=True, notes=notes)


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
