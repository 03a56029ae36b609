"""Per-cell progress of reports running in worker processes, shown on one terminal line.

Each worker executes its notebook with a papermill engine that reports every
finished cell to a queue; the parent prints a single refreshing status line
("market_analysis 12/29 · win_loss 5/31") while it waits. Used only on a terminal.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

from papermill.engines import NBClientEngine, papermill_engines

ENGINE_NAME = "revops-progress"
_queue: Any = None
_report: str = ""


class ProgressEngine(NBClientEngine):
    """papermill's nbclient engine, plus a message to the parent after each cell."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        total = sum(1 for c in nb_man.nb.cells if c.cell_type == "code")
        done = {"n": 0}
        original = nb_man.cell_complete

        def cell_complete(cell, cell_index=None, **kw):
            original(cell, cell_index=cell_index, **kw)
            if cell.cell_type == "code" and _queue is not None:
                done["n"] += 1
                _queue.put((_report, done["n"], total))

        nb_man.cell_complete = cell_complete
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)


papermill_engines.register(ENGINE_NAME, ProgressEngine)


def attach(queue: Any, report: str) -> str | None:
    """In a worker: send this report's cell progress to ``queue``; returns the engine to use."""
    global _queue, _report
    if queue is None:
        return None
    _queue, _report = queue, report
    return ENGINE_NAME


class StatusLine:
    """Reads (report, done, total) messages and redraws one status line until stopped."""

    def __init__(self, queue: Any, reports: list[str], stream: TextIO = sys.stderr) -> None:
        self.queue = queue
        self.state = {r: "waiting" for r in reports}
        self.stream = stream
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> StatusLine:
        self._thread.start()
        return self

    def finish(self, report: str, status: str) -> None:
        self.state[report] = status
        self._draw()

    def stop(self) -> None:
        self.queue.put(None)
        self._thread.join(timeout=2)
        self.stream.write("\r\033[K")
        self.stream.flush()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            report, done, total = item
            if self.state.get(report) not in ("ok", "failed"):
                self.state[report] = f"{done}/{total}"
            self._draw()

    def _draw(self) -> None:
        line = " · ".join(f"{r} {s}" for r, s in self.state.items())
        self.stream.write("\r\033[K" + line[:200])
        self.stream.flush()


BIG_TABLE_ROWS = 100_000  # tables at least this large (or this slow) get a line of their own
SLOW_TABLE_S = 1.0


class DataProgress:
    """The data check before any kernel starts: a live line per table on a terminal, and one plain
    line for each large or slow table (rows read, where it was aggregated, seconds) in any log."""

    def __init__(self, tables: list[str], stream: TextIO = sys.stderr) -> None:
        self.tables = tables
        self.stream = stream
        self.live = hasattr(stream, "isatty") and stream.isatty()
        self._lock = threading.Lock()  # tables may be checked on several threads

    def start(self, name: str) -> None:
        with self._lock:
            self._start(name)

    def done(self, name: str, load: Any, seconds: float) -> None:
        """``load``: the table's TableLoad, or None when it failed (the error is reported elsewhere)."""
        with self._lock:
            self._done(name, load, seconds)

    def _start(self, name: str) -> None:
        if self.live:
            i = self.tables.index(name) + 1 if name in self.tables else 0
            self.stream.write(f"\r\033[Kchecking data {i}/{len(self.tables)}: {name} ...")
            self.stream.flush()

    def _done(self, name: str, load: Any, seconds: float) -> None:
        if self.live:
            self.stream.write("\r\033[K")
        if load is None or (load.rows_read < BIG_TABLE_ROWS and seconds < SLOW_TABLE_S):
            self.stream.flush()
            return
        where = f"checked and aggregated in {load.engine}" if load.engine != "pandas" else "checked in pandas"
        self.stream.write(
            f"data: {name}: {load.rows_read:,} rows read, {where}, {load.pulled:,} rows to Python, "
            f"{seconds:.1f} s\n"
        )
        self.stream.flush()
