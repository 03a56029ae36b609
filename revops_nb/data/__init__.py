"""Loading the canonical tables a report needs, from data.yaml or the embedded sample.

``load(["opportunities", "accounts"])`` is the one call a notebook makes. Tables
that are neither configured nor available from the sample are simply absent:
the report's sections check ``ds.has(name)`` and say what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from revops_nb.data.config import DataConfig, TableSource, read_data_config
from revops_nb.data.contract import TABLES
from revops_nb.data.handoff import checked_load
from revops_nb.data.loader import (
    TableLoad,
    harmonize_labels,
    load_sample_table,
    load_table,
    unknown_account_refs,
)
from revops_nb.data.sanity import cross_table_warnings

__all__ = ["TABLES", "DataConfig", "Dataset", "TableLoad", "TableSource", "load", "read_data_config"]

SHARED_LABELS = ("product", "region", "segment", "currency", "competitor", "stage", "lead_source")


@dataclass
class Dataset:
    """The loaded tables of one report and what happened while loading them."""

    config: DataConfig
    loads: dict[str, TableLoad] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        """Whether ``name`` was loaded (configured or from the sample)."""
        return name in self.loads

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.loads:
            raise KeyError(f"table {name!r} is not configured in {self.config.file or 'data.yaml'}")
        return self.loads[name].frame

    def get(self, name: str) -> pd.DataFrame | None:
        """The table, or None when absent."""
        return self.loads[name].frame if name in self.loads else None

    @property
    def is_sample(self) -> bool:
        return any(load.source.startswith("embedded sample") for load in self.loads.values())

    def describe(self) -> str:
        """One paragraph, in words, of what data the report is based on."""
        parts = []
        for name, load in self.loads.items():
            text = f"{name} ({load.rows_loaded:,} rows from {load.source}"
            excluded = sum(load.excluded.values())
            if excluded:
                text += f"; {excluded:,} excluded"
            parts.append(text + ")")
        if self.missing:
            parts.append("not available: " + ", ".join(self.missing))
        return "; ".join(parts) + "."

    def exclusions(self) -> pd.DataFrame:
        """Every excluded-row reason and warning, one row each, for the report's data notes."""
        rows = []
        for name, load in self.loads.items():
            for reason, count in load.excluded.items():
                rows.append({"table": name, "issue": reason, "rows": count, "action": "excluded"})
            for warning in load.warnings:
                rows.append({"table": name, "issue": warning, "rows": None, "action": "warning"})
        return pd.DataFrame(rows, columns=["table", "issue", "rows", "action"])


def load(
    tables: list[str] | tuple[str, ...] | None = None,
    data_file: str | Path | None = None,
) -> Dataset:
    """Load ``tables`` (default: every canonical table) as configured in data.yaml.

    A table not configured comes from the embedded sample when ``sample: true``
    (the default with no data.yaml), otherwise it is listed in ``Dataset.missing``. In a kernel
    of ``revops-nb run``, a configured table is the load the runner's data check kept.
    """
    config = read_data_config(data_file)
    wanted = list(tables) if tables is not None else list(TABLES)
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise KeyError(f"unknown table {unknown[0]!r}; known tables are {', '.join(TABLES)}")
    ds = Dataset(config=config)
    for name in wanted:
        if name in config.tables:
            source = config.tables[name]
            ds.loads[name] = checked_load(source, config) or load_table(source, config)
        elif config.sample:
            ds.loads[name] = load_sample_table(name, config)
        else:
            ds.missing.append(name)
    frames = {name: load.frame for name, load in ds.loads.items()}
    harmonize_labels(frames, SHARED_LABELS)
    for name, (count, example) in unknown_account_refs(frames).items():
        ds.loads[name].warnings.append(
            f"{count} row(s) reference an account_id not in accounts, e.g. {example!r}; kept"
        )
    for name, warnings in cross_table_warnings(frames).items():
        ds.loads[name].warnings.extend(warnings)
    for name, load_ in ds.loads.items():
        load_.frame = frames[name]
    return ds
