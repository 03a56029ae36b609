"""Where a notebook leaves machine-readable results for the runner.

``record("win_rate", 0.63)`` stores a headline figure (optionally with the unit
and label the index shows it in), ``save_table(df, "x")``
writes ``tables/x.csv`` and ``note_data(...)`` remembers which data was loaded.
Inside a ``revops-nb run`` the runner points ``REVOPS_NB_RUN_DIR`` at the run's
folder; in an interactive session values are kept in memory only, so
notebooks behave the same in JupyterLab and under papermill.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from revops_nb.report.figures import UNITS

RUN_DIR_ENV = "REVOPS_NB_RUN_DIR"
KEY_FIGURES_FILE = "key_figures.json"
KEY_FIGURE_META_FILE = "key_figure_meta.json"
DATA_FILE = "data_loaded.json"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_memory: dict[str, dict[str, Any]] = {"key_figures": {}, "key_figure_meta": {}, "data": {}}


def run_dir() -> Path | None:
    """The folder of the current run, or None outside ``revops-nb run``."""
    value = os.environ.get(RUN_DIR_ENV)
    return Path(value) if value else None


def _plain(value: Any) -> Any:
    """Turn NumPy/pandas scalars into JSON-safe Python values (NaN -> None)."""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if value is None or isinstance(value, (int, str)):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    raise TypeError(f"record() takes numbers, strings, booleans or None, not {type(value).__name__}")


def _update(file_name: str, section: str, key: str, value: Any) -> None:
    _memory[section][key] = value
    folder = run_dir()
    if folder is None:
        return
    path = folder / file_name
    current = json.loads(path.read_text()) if path.exists() else {}
    current[key] = value
    path.write_text(json.dumps(current, indent=2))  # keep the order figures were recorded in


def record(name: str, value: Any, *, unit: str | None = None, label: str | None = None) -> None:
    """Record a headline figure for run.json's ``key_figures``.

    The index infers how to show a figure from its name (see
    :mod:`revops_nb.report.figures`); ``unit`` (one of ``figures.UNITS``) and
    ``label`` override that. They go to ``key_figure_meta.json`` beside the
    figures, so ``key_figures`` keeps its plain name -> value shape.
    Returns None so that a trailing ``record(...)`` never prints into a report.
    """
    if not _NAME.match(name):
        raise ValueError(f"key figure name {name!r} must be snake_case")
    if unit is not None and unit not in UNITS:
        raise ValueError(f"unit {unit!r} of {name!r} must be one of {', '.join(UNITS)}")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise ValueError(f"label of {name!r} must be non-empty text")
    _update(KEY_FIGURES_FILE, "key_figures", name, _plain(value))
    meta = {key: item for key, item in (("unit", unit), ("label", label)) if item is not None}
    if meta:
        _update(KEY_FIGURE_META_FILE, "key_figure_meta", name, meta)


def recorded() -> dict[str, Any]:
    """Key figures recorded so far in this process."""
    return dict(_memory["key_figures"])


def recorded_meta() -> dict[str, dict[str, str]]:
    """Units and labels passed to ``record()`` so far in this process, per figure name."""
    return {name: dict(meta) for name, meta in _memory["key_figure_meta"].items()}


def save_table(frame: pd.DataFrame, name: str) -> None:
    """Write a main table to ``tables/<name>.csv`` of the current run (no-op interactively).

    Returns None so that a trailing ``save_table(...)`` never prints a path into a report.
    """
    if not _NAME.match(name):
        raise ValueError(f"table name {name!r} must be snake_case")
    folder = run_dir()
    if folder is None:
        return
    path = folder / "tables" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    defuse_formulas(frame).to_csv(path, index=False)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and headers cannot run as spreadsheet formulas (OWASP CSV injection).

    Text starting with ``= + - @``, a tab or a carriage return gets a leading single quote, so
    Excel and LibreOffice show it as text: an owner named ``=HYPERLINK(...)`` opens as that text.
    Numbers stay numbers (a numeric -5, and a text cell that is a plain number such as "-5").
    """
    out = frame.copy()
    out.columns = [_defuse(c) for c in out.columns]
    for column in out.columns:
        series = out[column]
        if not (
            pd.api.types.is_object_dtype(series)
            or pd.api.types.is_string_dtype(series)
            or isinstance(series.dtype, pd.CategoricalDtype)
        ):
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        out[column] = series.map(_defuse, na_action="ignore")
    return out


def _defuse(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _plain_number(value):
        return "'" + value
    return value


def _plain_number(text: str) -> bool:
    try:
        float(text.replace("_", "!"))  # '-1_0' is not a number in a spreadsheet
    except ValueError:
        return False
    return True


def note_data(table: str, summary: dict[str, Any]) -> None:
    """Remember what was loaded for ``table`` (rows, exclusions, fingerprint) for run.json."""
    _update(DATA_FILE, "data", table, summary)


def record_data(dataset: Any) -> None:
    """Remember every table of a loaded :class:`revops_nb.data.Dataset` for run.json (rows, fingerprint).

    The notebook calls this once after ``data.load``: loading itself writes nothing.
    """
    for name, load in dataset.loads.items():
        note_data(name, load.summary())


def record_result(result: Any) -> None:
    """Record a report result's headline figures and save its main tables, the same way in every report.

    ``result.key_figures()`` gives name -> value (in the order the index shows them),
    optional ``result.figure_meta()`` gives name -> {"unit": ..., "label": ...}, and
    ``result.tables()`` gives name -> DataFrame for ``tables/<name>.csv``.
    """
    meta = result.figure_meta() if hasattr(result, "figure_meta") else {}
    for name, value in result.key_figures().items():
        record(name, value, **meta.get(name, {}))
    for name, frame in result.tables().items():
        save_table(frame, name)
