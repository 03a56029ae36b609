"""Validate configured tables without running any report (``revops-nb check``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from revops_nb.data.config import DataConfig
from revops_nb.data.loader import TableLoad, load_table, unknown_account_refs
from revops_nb.data.sanity import cross_table_warnings
from revops_nb.errors import RevopsError


@dataclass
class TableCheck:
    """The outcome of loading one configured table: a load, or the error that stopped it."""

    name: str
    load: TableLoad | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def check_tables(
    config: DataConfig,
    tables: list[str] | None = None,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[str, TableLoad | None, float], None] | None = None,
) -> list[TableCheck]:
    """Load every configured table (or those named) and collect each outcome.

    ``on_start(name)`` and ``on_done(name, load or None, seconds)`` report progress per table.
    """
    names = [t for t in config.tables if tables is None or t in tables]
    results = []
    for name in names:
        if on_start:
            on_start(name)
        t0 = time.perf_counter()
        try:
            results.append(TableCheck(name, load=load_table(config.tables[name], config)))
        except RevopsError as exc:
            results.append(TableCheck(name, error=str(exc)))
        if on_done:
            on_done(name, results[-1].load, time.perf_counter() - t0)
    frames = {r.name: r.load.frame for r in results if r.load is not None}
    for name, (count, example) in unknown_account_refs(frames).items():
        load = next(r.load for r in results if r.name == name)
        assert load is not None
        load.warnings.append(
            f"{count} row(s) reference an account_id not in accounts, e.g. {example!r}; kept"
        )
    for name, warnings in cross_table_warnings(frames).items():
        next(r.load for r in results if r.name == name).warnings.extend(warnings)
    return results
