"""The six reports' key figures and table CSVs on the embedded sample, recorded before the engine pushdown.

Moving aggregation into DuckDB or PostgreSQL must not move a figure: every run on the
sample (in memory, as Parquet or CSV files, or in a database) is compared with these.
Floats agree within 1e-9 relative (a sum in another order may differ in the last bits);
anything else exactly. Re-record only for a deliberate change of a figure, saying why.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

RECORDED = Path(__file__).parent / "fixtures" / "sample_figures"
REL_TOL = 1e-9


def differences(out: Path) -> list[str]:
    """Every key figure or table cell of the runs under ``out`` that differs from the recording."""
    found: list[str] = []
    runs = {p.parent.parent.name: p.parent for p in out.glob("*/*/run.json")}
    for recorded in sorted(RECORDED.iterdir()):
        report = recorded.name
        if report not in runs:
            found.append(f"{report}: no run")
            continue
        figures = json.loads((runs[report] / "run.json").read_text())["key_figures"]
        expected = json.loads((recorded / "key_figures.json").read_text())
        for name in sorted(set(expected) | set(figures)):
            a, b = expected.get(name, "<absent>"), figures.get(name, "<absent>")
            if not _same(a, b):
                found.append(f"{report}.{name}: recorded {a!r}, now {b!r}")
        for table in sorted((recorded / "tables").glob("*.csv")):
            found += _table_differences(report, table, runs[report] / "tables" / table.name)
    return found


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _table_differences(report: str, recorded: Path, produced: Path) -> list[str]:
    where = f"{report}/tables/{recorded.name}"
    if not produced.exists():
        return [f"{where}: not written"]
    if recorded.read_bytes() == produced.read_bytes():
        return []
    a, b = pd.read_csv(recorded), pd.read_csv(produced)
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return [f"{where}: shape {a.shape} -> {b.shape} or columns differ"]
    out = []
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y):
            both_nan = x.isna() & y.isna()
            close = ((x - y).abs() <= REL_TOL * y.abs().clip(lower=1e-3)) | both_nan
            if not close.all():
                i = int((~close).idxmax())
                out.append(f"{where}: {col} row {i}: {x[i]!r} -> {y[i]!r}")
        elif not x.equals(y):
            i = int((x.astype(str) != y.astype(str)).idxmax())
            out.append(f"{where}: {col} row {i}: {x[i]!r} -> {y[i]!r}")
    return out
