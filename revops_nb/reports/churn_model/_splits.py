"""How the modelling rows are split into fit, validation and test rows.

History mode is time-ordered: the test rows are the observation dates of the last
``horizon_days``, the validation rows the ``horizon_days`` before them, and the models
are fitted only on dates whose outcome was known before the validation window began (so
no training label overlaps a later window). Snapshot mode splits at random, stratified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from revops_nb.errors import DataError
from revops_nb.reports.churn_model._table import DATE, ModelTable

MIN_CHURNERS = 5


@dataclass
class Split:
    """Row positions of the fit, validation and test sets and how they were chosen."""

    fit: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    description: str


def time_split(table: ModelTable, horizon_days: int) -> Split:
    """Test = the last ``horizon_days`` of observation dates; validation = the window before; fit = earlier.

    Fit dates end ``horizon_days`` before the first validation date and
    validation dates end ``horizon_days`` before the first test date, so every
    label used to fit or select was known before the rows it is judged on.
    """
    dates = table.frame[DATE]
    h = pd.Timedelta(days=horizon_days)
    last = dates.max()
    test_start = last - h + pd.Timedelta(days=1)
    val_end = test_start - h
    val_start = val_end - h + pd.Timedelta(days=1)
    fit_end = val_start - h
    test = np.flatnonzero(dates >= test_start)
    validation = np.flatnonzero((dates >= val_start) & (dates <= val_end))
    fit = np.flatnonzero(dates <= fit_end)
    if len(fit) == 0 or len(validation) == 0:
        raise DataError(
            f"history too short for time-ordered validation: observation dates run "
            f"{dates.min():%Y-%m-%d} to {last:%Y-%m-%d}, and fit, validation and test windows "
            f"need about {4 * horizon_days} days; lower 'horizon_days' or use snapshot mode"
        )
    description = (
        f"fitted on observation dates up to {fit_end:%Y-%m-%d}, model chosen and calibrated on "
        f"{val_start:%Y-%m-%d} to {val_end:%Y-%m-%d}, tested on {test_start:%Y-%m-%d} to {last:%Y-%m-%d}"
    )
    return Split(fit, validation, test, description)


def stratified_split(table: ModelTable, test_share: float, seed: int) -> Split:
    """Stratified random split: ``test_share`` held out for testing, as much again for validation."""
    idx = np.arange(len(table.frame))
    y = table.y
    rest, test = train_test_split(idx, test_size=test_share, stratify=y, random_state=seed)
    share = test_share / (1 - test_share)
    fit, validation = train_test_split(rest, test_size=share, stratify=y[rest], random_state=seed + 1)
    description = (
        f"a stratified random split: {len(fit):,} customers to fit, {len(validation):,} to choose "
        f"and calibrate the model, {len(test):,} held out for testing"
    )
    return Split(np.sort(fit), np.sort(validation), np.sort(test), description)


def make_split(table: ModelTable, horizon_days: int, test_share: float, seed: int) -> Split:
    """Time-ordered split in history mode, stratified in snapshot mode; checks each part has churners."""
    y = table.y
    if y.sum() < 3 * MIN_CHURNERS or (1 - y).sum() < 3 * MIN_CHURNERS:
        raise DataError(
            f"churned has {int(y.sum())} churned and {int((1 - y).sum())} retained rows; "
            f"the model needs at least {3 * MIN_CHURNERS} of each"
        )
    split = (
        time_split(table, horizon_days)
        if table.mode == "history"
        else stratified_split(table, test_share, seed)
    )
    for name in ("fit", "validation", "test"):
        part = y[getattr(split, name)]
        if part.sum() < MIN_CHURNERS or (1 - part).sum() < MIN_CHURNERS:
            raise DataError(
                f"the {name} rows have {int(part.sum())} churned and {int((1 - part).sum())} retained; "
                f"at least {MIN_CHURNERS} of each are needed"
            )
    return split
