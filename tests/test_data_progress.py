"""The data check before any kernel starts says what it is doing with large tables, not silence."""

from __future__ import annotations

import io

import pandas as pd

from revops_nb.data.table_load import TableLoad
from revops_nb.report.progress import BIG_TABLE_ROWS, DataProgress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _load(rows: int, pulled: int | None = None, engine: str = "pandas") -> TableLoad:
    return TableLoad("leads", "leads.parquet", pd.DataFrame(), rows, rows_pulled=pulled, engine=engine)


def test_a_large_table_gets_a_plain_line_with_rows_engine_and_seconds():
    log = io.StringIO()
    progress = DataProgress(["accounts", "leads"], log)
    progress.start("accounts")
    progress.done("accounts", _load(2_000), 0.1)
    progress.start("leads")
    progress.done("leads", _load(3_000_000, 91_000, "duckdb"), 2.25)
    assert log.getvalue() == (
        "data: leads: 3,000,000 rows read, checked and aggregated in duckdb, 91,000 rows to Python, 2.2 s\n"
    )


def test_a_slow_small_table_is_named_too_and_a_failed_one_is_left_to_the_error():
    log = io.StringIO()
    progress = DataProgress(["accounts"], log)
    progress.done("accounts", _load(BIG_TABLE_ROWS - 1), 3.0)
    progress.done("accounts", None, 9.0)
    assert (
        log.getvalue().count("\n") == 1 and "accounts: 99,999 rows read, checked in pandas" in log.getvalue()
    )


def test_on_a_terminal_the_table_being_checked_is_shown_then_cleared():
    term = _Terminal()
    progress = DataProgress(["accounts", "leads"], term)
    progress.start("leads")
    assert term.getvalue().endswith("checking data 2/2: leads ...")
    progress.done("leads", _load(10), 0.01)
    assert term.getvalue().endswith("\r\033[K")


def test_the_check_starts_the_largest_files_first_and_answers_in_the_configured_order(tmp_path):
    from revops_nb.data.check import check_tables
    from revops_nb.data.config import read_data_config
    from revops_nb.sample_export import write_sample

    config = read_data_config(write_sample(tmp_path, scale=300))
    sizes = {name: source.path.stat().st_size for name, source in config.tables.items()}
    started: list[str] = []
    checks = check_tables(config, on_start=started.append, workers=2)
    assert [c.name for c in checks] == list(config.tables)
    assert all(c.ok for c in checks)
    assert set(started[:2]) == set(
        sorted(sizes, key=sizes.get, reverse=True)[:2]
    )  # two threads: either first
