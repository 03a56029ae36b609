"""The query engine behind tables that can be large: DuckDB over files, or the connected database.

A table whose rows only matter in aggregate (usage events, leads) is not read into
pandas: its source is opened as an ibis table in the engine that holds it, the data
contract is checked there, and an aggregation (:mod:`revops_nb.data.aggregates`)
runs there too. ibis compiles one expression to each engine's SQL, so the same code
runs on DuckDB (files, ``.duckdb`` databases, DuckDB SQL over files, and pandas frames
such as the embedded sample) and on PostgreSQL.

:func:`open_source` returns None where no engine can take a source (a spreadsheet,
JSON, a CSV with a non-UTF-8 encoding or decimal commas, a database ibis has no backend
for here): the loader then reads it into pandas as before, so odd exports still load.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import ibis
import pandas as pd
import sqlalchemy as sa

from revops_nb.data.config import DataConfig, TableSource
from revops_nb.data.sources import hide_secrets, is_duckdb_path, sqlite_file_url
from revops_nb.errors import DataError

# ibis 12 calls APIs that DuckDB 2 and pandas 3 deprecate; the calls work, the notices are noise in reports
warnings.filterwarnings("ignore", message=r".*fetch_arrow_table", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=r".*future\.infer_string", module=r"ibis\..*")

ENGINE_SUFFIXES = (".parquet", ".csv", ".tsv", ".txt")
POSTGRES_DIALECTS = ("postgresql", "postgres")

_local = threading.local()  # one in-process DuckDB per thread (a DuckDB connection is not shared)


def local_engine() -> ibis.BaseBackend:
    """This thread's in-memory DuckDB (files and pandas frames are queried here)."""
    if getattr(_local, "duckdb", None) is None:
        _local.duckdb = ibis.duckdb.connect()
    return _local.duckdb


def open_source(source: TableSource, config: DataConfig) -> ibis.Table | None:
    """The raw rows of ``source`` as an ibis table in its engine, or None when no engine takes it."""
    where = f"table {source.name!r} ({source.describe()})"
    if source.path is not None:
        return _open_file(source, where)
    connection = config.connection
    if connection is None:
        return _run(where, "DuckDB", lambda: _duckdb_sql(source, config.base_dir))
    if is_duckdb_path(connection):
        path = Path(connection) if Path(connection).is_absolute() else config.base_dir / connection
        if not path.is_file() or sqlite_file_url(connection, config.base_dir):
            return None  # missing: the pandas reader names it; SQLite: read through SQLAlchemy
        con = _run(where, "DuckDB", lambda: ibis.duckdb.connect(str(path), read_only=True))
        return _run(where, f"DuckDB database {path.name}", lambda: _relation(con, source))
    url = sa.engine.make_url(connection)
    if url.get_backend_name() not in POSTGRES_DIALECTS:
        return None
    safe = url.render_as_string(hide_password=True)
    con = _run(
        where,
        safe,
        lambda: ibis.postgres.connect(
            host=url.host or "localhost",
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            database=url.database,
        ),
        secret=connection,
    )
    return _run(where, safe, lambda: _relation(con, source), secret=connection)


def engine_of(table: ibis.Table) -> ibis.BaseBackend:
    """The backend that runs expressions over ``table`` (the local DuckDB for in-memory tables)."""
    try:
        return table._find_backend(use_default=False)
    except Exception:
        return local_engine()


def fetch(expr: ibis.Table) -> pd.DataFrame:
    """Run ``expr`` in its engine and return the (aggregated) result, datetimes in nanoseconds."""
    frame = engine_of(expr).to_pandas(expr)
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].astype("datetime64[ns]")
    return frame


def from_frame(frame: pd.DataFrame) -> ibis.Table:
    """A pandas frame as an ibis table of the local DuckDB (the embedded sample, spreadsheets)."""
    return ibis.memtable(frame)


def _open_file(source: TableSource, where: str) -> ibis.Table | None:
    path = source.path
    assert path is not None
    suffix = path.suffix.lower()
    if suffix not in ENGINE_SUFFIXES or not path.is_file() or path.stat().st_size == 0:
        return None  # the pandas reader handles (or names the fault of) everything else
    con = local_engine()
    if suffix == ".parquet":
        return _run(where, "DuckDB", lambda: con.read_parquet(str(path)))
    if source.encoding.lower().replace("_", "-") not in ("utf-8", "utf8") or source.decimal not in (
        None,
        ".",
    ):
        return None
    delimiter = source.delimiter or ("\t" if suffix == ".tsv" else ",")
    try:
        # as text: the contract decides each column's type (see pushdown._canonical), not DuckDB's sniffer
        return con.read_csv(str(path), delim=delimiter, header=True, all_varchar=True)
    except Exception:
        return None  # a CSV DuckDB cannot sniff: the pandas reader gives the precise message


def _duckdb_sql(source: TableSource, base_dir: Path) -> ibis.Table:
    """DuckDB SQL over files, with relative paths resolved against the data.yaml's folder."""
    if source.sql is None:
        raise DataError(
            f"table {source.name!r}: 'table: {source.table}' needs a 'connection:' to read it from"
        )
    con = ibis.duckdb.connect()
    con.raw_sql(f"SET file_search_path = '{str(base_dir).replace(chr(39), chr(39) * 2)}'")
    return _relation(con, source)


def _relation(con: ibis.BaseBackend, source: TableSource) -> ibis.Table:
    if source.sql is not None and con.name == "duckdb":
        # a view over the query, as written (ibis 12's con.sql calls an API DuckDB 2 removed)
        view = f"revops_{source.name}"
        con.raw_sql(f'CREATE OR REPLACE TEMP VIEW "{view}" AS {source.sql.strip().rstrip(";")}')
        return con.table(view)
    if source.sql is not None:
        return con.sql(source.sql)
    assert source.table is not None
    *schema, name = source.table.split(".")
    return con.table(name, database=".".join(schema) or None)


def _run(where: str, engine: str, fn, secret: str | None = None):
    try:
        return fn()
    except DataError:
        raise
    except Exception as exc:
        text = " ".join(str(exc).split())[:300] or type(exc).__name__
        if secret:
            text = hide_secrets(text, secret)
        raise DataError(f"{where}: failed on {engine}: {text}") from None
