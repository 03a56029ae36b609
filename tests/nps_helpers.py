"""Helpers of the NPS-retention tests: a Dataset from hand-made frames, and the verdict in one call."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from revops_nb.data import DataConfig, Dataset, TableLoad
from revops_nb.reports import nps_retention as nps
from revops_nb.reports.nps_retention._verdict import Verdict


def dataset(**frames: pd.DataFrame | None) -> Dataset:
    """A loaded Dataset holding ``frames`` (name=frame; None or left out: the table is absent)."""
    loads = {
        name: TableLoad(name, "test frame", frame, len(frame))
        for name, frame in frames.items()
        if frame is not None
    }
    return Dataset(config=DataConfig(file=None, base_dir=Path(".")), loads=loads)


def quick_verdict(
    responses: pd.DataFrame,
    settings: nps.Settings,
    subscriptions: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> Verdict:
    """Prepare, link and judge in one call (the verdict without the rest of the analysis)."""
    prepared = nps.prepare_responses(responses, settings, accounts)
    linked = nps.link_outcomes(prepared, settings, subscriptions, customers, fx_rates)
    return nps.verdict(nps.score_correlation(linked.accounts), linked.accounts, settings, linked.note)
