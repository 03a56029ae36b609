"""Tables that can be large are checked and aggregated inside their engine, with the pandas loader's rules.

The engine path (DuckDB over Parquet, CSV and DuckDB SQL here; PostgreSQL in
tests/test_postgres.py) must give the same aggregate, the same row counts and the same
exclusions as the pandas path, pull into Python a number of rows that does not grow with
raw event rows, and leave text it cannot type to the pandas loader.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from revops_nb import data, sample
from revops_nb.data.aggregates import LEAD_COUNT
from revops_nb.errors import DataError
from tests.helpers import assert_clean_error, cli, write_data_yaml

SCALE = 300


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {name: sample.table(name, scale=SCALE) for name in ("usage", "leads")}


def _load(folder, tables: dict, names=("usage", "leads")) -> data.Dataset:
    return data.load(list(names), data_file=write_data_yaml(folder, tables, sample=False))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _write(frame: pd.DataFrame, path) -> None:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".json":
        path.write_text(frame.to_json(orient="records", date_format="iso"))
    else:
        frame.to_csv(path, index=False)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "sql"])
def test_engine_gives_the_sample_aggregate_and_row_counts(tmp_path, frames, fmt):
    tables = {}
    for name, frame in frames.items():
        suffix = "csv" if fmt == "sql" else fmt
        _write(frame, tmp_path / f"{name}.{suffix}")
        tables[name] = (
            {"sql": f"SELECT * FROM read_csv('{name}.csv')"} if fmt == "sql" else {"path": f"{name}.{fmt}"}
        )
    files = _load(tmp_path, tables)
    in_memory = data.load(
        ["usage", "leads"], data_file=write_data_yaml(tmp_path / "s", {}, sample_scale=SCALE)
    )
    for name in ("usage", "leads"):
        engine, pandas_side = files.loads[name], in_memory.loads[name]
        assert engine.engine == "duckdb" and pandas_side.engine == "pandas"
        assert (engine.rows_read, engine.rows_loaded) == (pandas_side.rows_read, pandas_side.rows_loaded)
        pd.testing.assert_frame_equal(_sorted(engine.frame), _sorted(pandas_side.frame))
        assert engine.pulled == len(engine.frame)
    assert files.loads["leads"].pulled < files.loads["leads"].rows_read  # leads arrive counted, not listed
    assert files["leads"][LEAD_COUNT].sum() == len(frames["leads"])


def test_rows_pulled_do_not_grow_with_raw_event_rows(tmp_path, frames):
    """Daily usage and ten times the leads (same dates): the engine returns the same number of rows."""
    usage = frames["usage"]
    daily = pd.concat(
        [usage.assign(period_start=usage["period_start"] + pd.Timedelta(days=d)) for d in range(28)],
        ignore_index=True,
    )
    leads = frames["leads"]
    many = pd.concat([leads.assign(lead_id=leads["lead_id"] + f"-{k}") for k in range(10)], ignore_index=True)
    many.loc[many["opportunity_id"].notna() & ~many["lead_id"].str.endswith("-0"), "opportunity_id"] = None
    _write(daily, tmp_path / "usage.parquet")
    _write(many, tmp_path / "leads.parquet")
    _write(usage, tmp_path / "usage1.parquet")
    _write(leads, tmp_path / "leads1.parquet")
    big = _load(tmp_path, {"usage": {"path": "usage.parquet"}, "leads": {"path": "leads.parquet"}})
    small = _load(
        tmp_path / "s", {"usage": {"path": "../usage1.parquet"}, "leads": {"path": "../leads1.parquet"}}
    )
    assert big.loads["usage"].rows_read == 28 * len(usage)
    assert big.loads["usage"].pulled == small.loads["usage"].pulled  # account-months
    # every day of a month has the same metrics, so the monthly means are the monthly values
    pd.testing.assert_frame_equal(big["usage"], small["usage"])
    assert big.loads["leads"].rows_read == 10 * len(leads)
    # same dates: counted, not listed (only the copies of leads that had an opportunity add a row each)
    assert big.loads["leads"].pulled <= small.loads["leads"].pulled + leads["opportunity_id"].notna().sum()
    assert big["leads"][LEAD_COUNT].sum() == 10 * len(leads)


def _odd_leads() -> pd.DataFrame:
    day = pd.Timestamp("2025-01-10")
    rows = [
        {"lead_id": "L1", "created_date": day, "source": "Inbound", "mql_date": day, "sql_date": None},
        {
            "lead_id": "L1",
            "created_date": day,
            "source": "Inbound",
            "mql_date": day,
            "sql_date": None,
        },  # exact dupe
        {"lead_id": None, "created_date": day, "source": "Inbound", "mql_date": None, "sql_date": None},
        {"lead_id": "L3", "created_date": None, "source": "Partner", "mql_date": None, "sql_date": None},
        {"lead_id": "L4", "created_date": day, "source": "  Event ", "mql_date": day - pd.Timedelta(days=2)},
        {
            "lead_id": "L5",
            "created_date": day,
            "source": "Event",
            "mql_date": day,
            "sql_date": day - pd.Timedelta(days=1),
        },
        {"lead_id": "L6", "created_date": day, "source": " ", "mql_date": day, "sql_date": day},
        {"lead_id": 7, "created_date": day, "source": "Event", "mql_date": None, "sql_date": None},
    ]
    frame = pd.DataFrame(rows)
    frame["lead_id"] = frame["lead_id"].astype("object").map(lambda v: None if v is None else str(v))
    return frame.astype(
        {"created_date": "datetime64[ns]", "mql_date": "datetime64[ns]", "sql_date": "datetime64[ns]"}
    )


def test_odd_rows_are_excluded_and_counted_as_the_pandas_loader_does(tmp_path):
    frame = _odd_leads()
    _write(frame, tmp_path / "leads.parquet")
    _write(frame, tmp_path / "leads.json")  # JSON stays on the pandas path
    engine = _load(tmp_path, {"leads": {"path": "leads.parquet"}}, ["leads"]).loads["leads"]
    pandas_side = _load(tmp_path / "j", {"leads": {"path": "../leads.json"}}, ["leads"]).loads["leads"]
    assert engine.engine == "duckdb" and pandas_side.engine == "pandas"
    assert (
        engine.excluded
        == pandas_side.excluded
        == {
            "exact duplicate row": 1,
            "missing lead_id": 1,
            "missing created_date": 1,
            "MQL date before created date": 1,
            "SQL date before MQL date": 1,
        }
    )
    assert engine.rows_loaded == pandas_side.rows_loaded == 3
    pd.testing.assert_frame_equal(_sorted(engine.frame), _sorted(pandas_side.frame))
    assert set(engine.frame["source"].dropna()) == {"Inbound", "Event"}  # trimmed; blank is missing


def test_a_key_shared_by_differing_rows_is_one_clear_error(tmp_path):
    frame = _odd_leads().dropna(subset=["lead_id"]).drop_duplicates()
    frame.loc[frame["lead_id"] == "L6", "lead_id"] = "L5"
    _write(frame, tmp_path / "leads.parquet")
    path = write_data_yaml(tmp_path, {"leads": {"path": "leads.parquet"}}, sample=False)
    with pytest.raises(DataError, match=r"duplicated key lead_id='L5' \(1 extra row"):
        data.load(["leads"], data_file=path)
    assert_clean_error(cli("check", "--data", path), 2, "leads", "duplicated key lead_id='L5'")


def test_text_dates_the_engine_cannot_type_go_to_the_pandas_loader(tmp_path, frames):
    """A CSV with day-first dates: DuckDB reads text, the pandas loader parses it, the aggregate is the same."""
    usage = frames["usage"]
    text = usage.assign(period_start=usage["period_start"].dt.strftime("%d/%m/%Y"))
    _write(text, tmp_path / "usage.csv")
    _write(usage, tmp_path / "usage.parquet")
    tables = {"usage": {"path": "usage.csv", "date_format": "%d/%m/%Y"}}
    from_text = _load(tmp_path, tables, ["usage"]).loads["usage"]
    typed = _load(tmp_path / "p", {"usage": {"path": "../usage.parquet"}}, ["usage"]).loads["usage"]
    assert from_text.engine == "pandas" and typed.engine == "duckdb"
    pd.testing.assert_frame_equal(_sorted(from_text.frame), _sorted(typed.frame))


def test_missing_required_column_names_the_table_and_column(tmp_path, frames):
    _write(frames["leads"].drop(columns=["created_date"]), tmp_path / "leads.parquet")
    path = write_data_yaml(tmp_path, {"leads": {"path": "leads.parquet"}}, sample=False)
    assert_clean_error(
        cli("check", "--data", path), 2, "table 'leads'", "required column 'created_date' is missing"
    )


def test_run_json_says_where_each_table_was_aggregated_and_how_many_rows_reached_python(tmp_path, frames):
    for name, frame in frames.items():
        _write(frame, tmp_path / f"{name}.parquet")
    ds = _load(tmp_path, {n: {"path": f"{n}.parquet"} for n in frames})
    summary = ds.loads["leads"].summary()
    assert summary["engine"] == "duckdb" and summary["rows_pulled"] == len(ds["leads"])
    assert summary["rows_read"] == len(frames["leads"]) and json.dumps(summary)


def test_a_duckdb_database_aggregates_in_place_and_sqlite_goes_through_sqlalchemy(tmp_path, frames):
    import sqlite3

    import duckdb

    leads = frames["leads"]
    with duckdb.connect(str(tmp_path / "crm.duckdb")) as con:
        con.register("frame", leads)
        con.execute("CREATE TABLE leads AS SELECT * FROM frame")
    with sqlite3.connect(tmp_path / "crm.db") as con:
        leads.assign(
            **{c: leads[c].dt.strftime("%Y-%m-%d") for c in ("created_date", "mql_date", "sql_date")}
        ).to_sql("leads", con, index=False)
    in_memory = data.load(["leads"], data_file=write_data_yaml(tmp_path / "s", {}, sample_scale=SCALE)).loads[
        "leads"
    ]
    for connection, table, engine in (
        ("crm.duckdb", {"table": "leads"}, "duckdb"),
        ("crm.duckdb", {"sql": "SELECT * FROM leads;"}, "duckdb"),
        ("crm.db", {"table": "leads"}, "pandas"),
    ):
        path = write_data_yaml(tmp_path, {"leads": table}, sample=False, connection=connection)
        load = data.load(["leads"], data_file=path).loads["leads"]
        assert load.engine == engine, connection
        assert (load.rows_read, load.rows_loaded) == (in_memory.rows_read, in_memory.rows_loaded)
        pd.testing.assert_frame_equal(_sorted(load.frame), _sorted(in_memory.frame))
