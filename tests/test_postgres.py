"""The ``connection:`` path of data.yaml against a real PostgreSQL server.

The embedded sample is copied into typed PostgreSQL tables (text, timestamp, double
precision, bigint, boolean) and read back through ``table:`` entries, as a user with a
warehouse would configure it. ``revops-nb check`` must see every row, and every report
must give the same key figures and tables as on the Parquet export of the same sample.
A bad table or column over Postgres is one clear sentence naming the table, exit 2,
and the URL's password never shows.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from revops_nb import sample
from revops_nb.report.registry import ORDER
from revops_nb.sample_export import write_sample
from tests.helpers import ROOT, Result
from tests.pg_server import load_frames
from tests.sample_figures import differences

PASSWORD = "s3cret"  # trust auth ignores it; it must never be printed or written
REL_TOL = 1e-9


def revops_nb(*args: object, timeout: float = 900) -> Result:
    """Run the venv's ``revops-nb`` (the console script beside this Python) with MPLBACKEND=Agg."""
    script = Path(sys.executable).parent / "revops-nb"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "revops_nb.cli"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [*command, *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def with_password(url: str) -> str:
    return sa.engine.make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def conninfo(url: str) -> str:
    """The libpq form of a SQLAlchemy URL, for psycopg."""
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def sample_frames() -> dict[str, pd.DataFrame]:
    return sample.generate()  # the default scale (2,000 accounts), as `revops-nb sample` writes it


@pytest.fixture(scope="module")
def parquet_data_yaml(tmp_path_factory, sample_frames) -> Path:
    """The Parquet export of the sample and its data.yaml, written as `revops-nb sample --format parquet` does."""
    data_yaml = write_sample(tmp_path_factory.mktemp("parquet_sample"), fmt="parquet")
    written = yaml.safe_load(data_yaml.read_text())
    assert set(written["tables"]) == set(sample_frames)
    return data_yaml


@pytest.fixture(scope="module")
def pg_data_yaml(tmp_path_factory, postgres_url, sample_frames, parquet_data_yaml) -> Path:
    """The sample in PostgreSQL, one typed table per canonical table, and a data.yaml reading it.

    The data.yaml is the one `revops-nb sample` writes with each ``path:`` replaced by
    ``table: <name>`` (so won/lost stages stay as written) and ``connection:`` the server's URL,
    with a password that trust auth ignores.
    """
    schema = load_frames(conninfo(postgres_url), sample_frames)
    assert schema["opportunities"]["created_date"] == "timestamp"
    assert schema["opportunities"]["is_won"] == "boolean"
    assert schema["opportunities"]["amount"] == "double precision"
    assert schema["usage"]["logins"] == "bigint"
    config = yaml.safe_load(parquet_data_yaml.read_text())
    tables = {}
    for name, entry in config["tables"].items():
        assert entry.pop("path") == f"{name}.parquet"
        tables[name] = {"table": name, **entry}
    config = {"connection": with_password(postgres_url), "tables": tables, "sample": False}
    assert config["tables"]["opportunities"] == {
        "table": "opportunities",
        "won_stages": ["Closed Won"],
        "lost_stages": ["Closed Lost"],
    }
    folder = tmp_path_factory.mktemp("pg_sample")
    data_yaml = folder / "data.yaml"
    data_yaml.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return data_yaml


# --- revops-nb check -------------------------------------------------------------------------

CHECK_LINE = re.compile(
    r"^  (?P<table>\w+): ok - (?P<loaded>[\d,]+) rows loaded of (?P<read>[\d,]+) read from (?P<source>.+?)"
    r"(?:, (?P<excluded>[\d,]+) excluded)?(?:; checked and aggregated in (?P<engine>\w+), (?P<pulled>[\d,]+) rows to Python)?$"
)


def check_counts(text: str) -> dict[str, tuple[int, int, int]]:
    """table -> (rows read, rows loaded, rows excluded) from `revops-nb check` output."""
    counts = {}
    for line in text.splitlines():
        match = CHECK_LINE.match(line)
        if match:
            read, loaded, excluded = (
                int((match[k] or "0").replace(",", "")) for k in ("read", "loaded", "excluded")
            )
            counts[match["table"]] = (read, loaded, excluded)
    return counts


def report_section(text: str) -> list[str]:
    """The lines after 'reports:': which reports would run, and the churn labels."""
    lines = text.splitlines()
    return lines[lines.index("reports:") :] if "reports:" in lines else []


@pytest.mark.slow
def test_check_reads_every_row_of_every_postgres_table(pg_data_yaml, parquet_data_yaml, sample_frames):
    pg = revops_nb("check", "--data", pg_data_yaml, timeout=300)
    assert pg.code == 0, pg.text
    assert PASSWORD not in pg.text
    counts = check_counts(pg.out)
    assert set(counts) == set(sample_frames), pg.out
    wrong = {
        name: (counts[name][0], len(frame))
        for name, frame in sample_frames.items()
        if counts[name][0] != len(frame)
    }
    assert not wrong, f"rows read from Postgres != sample rows (table: (read, sample)): {wrong}"
    for name in sample_frames:
        assert f"  {name}: ok - " in pg.out and f"read from table {name}" in pg.out, pg.out

    files = revops_nb("check", "--data", parquet_data_yaml, timeout=300)
    assert files.code == 0, files.text
    assert counts == check_counts(files.out), f"Postgres:\n{pg.out}\nParquet:\n{files.out}"
    # same warnings per table, and the same reports and churn labels
    strip = re.compile(r" read from .*$")
    assert [strip.sub("", line) for line in pg.out.splitlines()[1:]] == [
        strip.sub("", line) for line in files.out.splitlines()[1:]
    ]
    assert report_section(pg.out) and report_section(pg.out) == report_section(files.out)


def test_check_counts_and_aggregates_usage_and_leads_inside_postgres(pg_data_yaml):
    """The large tables are checked and aggregated in the database: only their aggregate reaches Python."""
    pg = revops_nb("check", "--data", pg_data_yaml, timeout=300)
    assert pg.code == 0, pg.text
    engines = {
        m["table"]: (m["engine"], m["pulled"]) for m in map(CHECK_LINE.match, pg.out.splitlines()) if m
    }
    assert engines["usage"][0] == "postgres" and engines["leads"][0] == "postgres", pg.out
    counts = check_counts(pg.out)
    assert int(engines["leads"][1].replace(",", "")) < counts["leads"][0], pg.out  # fewer rows than leads
    assert engines["opportunities"] == (None, None), pg.out  # per-deal tables still come whole


# --- every report, Postgres vs Parquet ------------------------------------------------------


def run_reports(data_yaml: Path, out: Path) -> dict[str, tuple[Path, dict]]:
    result = revops_nb("run", "--data", data_yaml, "--out", out, "--jobs", "2", timeout=1200)
    assert result.code == 0, f"revops-nb run --data {data_yaml} exited {result.code}:\n{result.text}"
    assert PASSWORD not in result.text
    runs = {}
    for report in ORDER:
        found = sorted((out / report).glob("*/run.json"))
        assert len(found) == 1, (report, found)
        runs[report] = (found[0].parent, json.loads(found[0].read_text()))
    return runs


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory, pg_data_yaml, parquet_data_yaml):
    """Every report run once on the Postgres tables and once on the Parquet export."""
    pg_out = tmp_path_factory.mktemp("reports_pg")
    files_out = tmp_path_factory.mktemp("reports_parquet")
    return pg_out, run_reports(pg_data_yaml, pg_out), files_out, run_reports(parquet_data_yaml, files_out)


def same_value(a: object, b: object) -> bool:
    """Floats within REL_TOL (relative), NaN equal to NaN; anything else exactly, type included."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def figure_differences(pg: dict, files: dict) -> list[str]:
    lines = []
    for key in sorted(set(pg) | set(files)):
        a, b = pg.get(key, "<absent>"), files.get(key, "<absent>")
        if not same_value(a, b):
            lines.append(f"{key}: postgres={a!r} ({type(a).__name__}) parquet={b!r} ({type(b).__name__})")
    return lines


def csv_difference(pg_csv: Path, files_csv: Path) -> str | None:
    """None when the files are equal byte for byte, or equal as numbers (float formatting only)."""
    if pg_csv.read_bytes() == files_csv.read_bytes():
        return None
    a, b = pd.read_csv(pg_csv), pd.read_csv(files_csv)
    if list(a.columns) != list(b.columns) or a.shape != b.shape:
        return f"shape/columns differ: postgres {a.shape} {list(a.columns)} vs parquet {b.shape} {list(b.columns)}"
    problems = []
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            xf, yf = x.astype(float), y.astype(float)
            both_nan = xf.isna() & yf.isna()
            close = (xf - yf).abs() <= REL_TOL * pd.concat([xf.abs(), yf.abs()], axis=1).max(axis=1)
            bad = ~(both_nan | close.fillna(False))
        else:
            bad = ~((x.isna() & y.isna()) | (x.astype(str) == y.astype(str)))
        if bad.any():
            i = bad.idxmax()
            problems.append(f"column {col!r}: {int(bad.sum())} row(s), e.g. row {i}: {x[i]!r} vs {y[i]!r}")
    return "; ".join(problems) or None


@pytest.mark.slow
def test_every_report_runs_ok_on_postgres(both_runs):
    _, pg_runs, _, files_runs = both_runs
    for runs in (pg_runs, files_runs):
        failed = {r: info.get("error") for r, (_, info) in runs.items() if info["status"] != "ok"}
        assert not failed, failed


@pytest.mark.slow
def test_key_figures_on_postgres_equal_those_on_parquet(both_runs):
    _, pg_runs, _, files_runs = both_runs
    differences = {}
    for report in ORDER:
        pg_figures = pg_runs[report][1]["key_figures"]
        files_figures = files_runs[report][1]["key_figures"]
        assert pg_figures, f"{report}: no key figures recorded"
        diff = figure_differences(pg_figures, files_figures)
        if diff:
            differences[report] = diff
    text = "\n".join(f"{report}:\n  " + "\n  ".join(lines) for report, lines in differences.items())
    assert not differences, f"key figures differ between Postgres and Parquet:\n{text}"


@pytest.mark.slow
def test_report_tables_on_postgres_equal_those_on_parquet(both_runs):
    _, pg_runs, _, files_runs = both_runs
    differences = []
    for report in ORDER:
        pg_tables = {p.name: p for p in (pg_runs[report][0] / "tables").glob("*.csv")}
        files_tables = {p.name: p for p in (files_runs[report][0] / "tables").glob("*.csv")}
        assert pg_tables, f"{report}: no tables written"
        assert sorted(pg_tables) == sorted(files_tables), report
        for name, path in sorted(pg_tables.items()):
            problem = csv_difference(path, files_tables[name])
            if problem:
                differences.append(f"{report}/tables/{name}: {problem}")
    assert not differences, "report tables differ between Postgres and Parquet:\n" + "\n".join(differences)


@pytest.mark.slow
def test_postgres_and_parquet_runs_keep_the_recorded_sample_figures(both_runs):
    """Every figure as recorded before aggregation moved into the engines (tests/sample_figures.py)."""
    pg_out, _, files_out, _ = both_runs
    assert not differences(pg_out), differences(pg_out)[:20]
    assert not differences(files_out), differences(files_out)[:20]


def test_the_connection_password_is_in_no_output_file(both_runs):
    pg_out, _, _, _ = both_runs
    leaks = [
        str(path.relative_to(pg_out))
        for path in pg_out.rglob("*")
        if path.is_file() and PASSWORD.encode() in path.read_bytes()
    ]
    assert leaks == []


# --- bad input over Postgres ----------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_tables(postgres_url) -> str:
    """Small tables of its own (independent of the sample load): one lacks the required 'stage'."""
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2"],
            "account_id": ["A1", "A2"],
            "amount": [1000.0, 2500.0],
            "created_date": pd.to_datetime(["2024-01-05", "2024-02-01"]),
        }
    )
    load_frames(conninfo(postgres_url), {"bad_opportunities": opportunities})
    return with_password(postgres_url)


def write_config(folder: Path, url: str, tables: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "data.yaml"
    path.write_text(
        yaml.safe_dump({"connection": url, "tables": tables, "sample": False}, sort_keys=False),
        encoding="utf-8",
    )
    return path


def assert_one_sentence(result: Result, table: str, *fragments: str) -> str:
    """Exit 2, one INVALID line naming the table (with every fragment), no traceback, no password."""
    assert result.code == 2, f"exit {result.code} != 2\n{result.text}"
    assert "Traceback" not in result.text, result.text
    assert PASSWORD not in result.text, result.text
    lines = [line for line in result.out.splitlines() if "INVALID" in line]
    assert len(lines) == 1, result.text
    line = lines[0]
    assert line.startswith(f"  {table}: INVALID - ") and f"table {table!r}" in line, line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in: {line}"
    assert "***" in line or "postgresql" not in line  # a URL shown is masked
    return line


BAD_CASES = {
    "missing_table": ("opportunities", {"table": "no_such_table"}, ["no_such_table", "does not exist"]),
    "missing_column_in_sql": (
        "opportunities",
        {"sql": "SELECT opportunity_id, no_such_column FROM bad_opportunities"},
        ["no_such_column", "does not exist"],
    ),
    "table_lacks_required_column": (
        "opportunities",
        {"table": "bad_opportunities", "won_stages": ["Closed Won"], "lost_stages": ["Closed Lost"]},
        ["required column 'stage' is missing"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_postgres_table_is_one_sentence_naming_the_table(bad_tables, tmp_path, case):
    table, spec, fragments = BAD_CASES[case]
    data_yaml = write_config(tmp_path, bad_tables, {table: spec})
    result = revops_nb("check", "--data", data_yaml, timeout=120)
    assert_one_sentence(result, table, *fragments)
    assert "1 table(s) invalid" in result.err


def test_run_on_a_missing_postgres_table_stops_before_any_kernel(bad_tables, tmp_path):
    data_yaml = write_config(tmp_path / "data", bad_tables, {"opportunities": {"table": "no_such_table"}})
    out = tmp_path / "out"
    result = revops_nb("run", "win_loss", "--data", data_yaml, "--out", out, timeout=120)
    assert result.code == 2, result.text
    assert "Traceback" not in result.text and PASSWORD not in result.text, result.text
    assert "opportunities" in result.text and "no_such_table" in result.text, result.text
    assert not out.exists() or not list(out.glob("*/*/run.json"))
