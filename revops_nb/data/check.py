"""Validate configured tables without running any report (``revops-nb check``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from revops_nb.data.config import DataConfig, TableSource
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


def _file_size(source: TableSource) -> int:
    """Bytes of the file a table is read from; 0 for a table read by SQL or a file not found."""
    try:
        return source.path.stat().st_size if source.path is not None else 0
    except OSError:
        return 0


def check_tables(
    config: DataConfig,
    tables: list[str] | None = None,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[str, TableLoad | None, float], None] | None = None,
    workers: int = 1,
) -> list[TableCheck]:
    """Load every configured table (or those named) and collect each outcome, in the configured order.

    ``on_start(name)`` and ``on_done(name, load or None, seconds)`` report progress per table;
    ``workers`` threads load tables at once (DuckDB and pandas' readers release the GIL).
    """
    names = [t for t in config.tables if tables is None or t in tables]

    def check_one(name: str) -> TableCheck:
        if on_start:
            on_start(name)
        t0 = time.perf_counter()
        try:
            result = TableCheck(name, load=load_table(config.tables[name], config))
        except RevopsError as exc:
            result = TableCheck(name, error=str(exc))
        if on_done:
            on_done(name, result.load, time.perf_counter() - t0)
        return result

    if workers > 1 and len(names) > 1:
        # the largest files first: a large table started last would keep the check waiting alone
        order = sorted(names, key=lambda name: _file_size(config.tables[name]), reverse=True)
        with ThreadPoolExecutor(min(workers, len(names))) as pool:
            found = dict(zip(order, pool.map(check_one, order), strict=True))
        results = [found[name] for name in names]
    else:
        results = [check_one(name) for name in names]
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
