"""Read one configured table into a raw DataFrame, from a file, DuckDB SQL or a database.

Relative paths resolve against the data.yaml's folder, also inside DuckDB SQL
(via DuckDB's ``file_search_path``). SQL is passed to the engine untouched.
Every failure becomes a :class:`DataError` naming the table and the source.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd

from revops_nb.data.config import DataConfig, TableSource
from revops_nb.errors import DataError

FILE_SUFFIXES = (".csv", ".txt", ".tsv", ".parquet", ".xlsx", ".xls", ".json", ".jsonl", ".ndjson")


READ_WARNINGS = "revops_read_warnings"  # frame.attrs key: what reading noticed, for the loader


def read_source(
    source: TableSource, config: DataConfig, keep: Callable[[str], bool] | None = None
) -> pd.DataFrame:
    """Return the raw rows of ``source`` exactly as stored (no renaming or coercion).

    ``keep``, when given, says which file columns to read at all: a 10,000-column export
    then costs the columns the reports use, and the rest are named in a read warning.
    """
    if source.path is not None:
        return read_file(source, keep)
    if config.connection is not None and is_duckdb_path(config.connection):
        sqlite_url = sqlite_file_url(config.connection, config.base_dir)
        if sqlite_url:
            return _read_sqlalchemy(source, replace(config, connection=sqlite_url))
    if config.connection is None or is_duckdb_path(config.connection):
        return _read_duckdb(source, config)
    return _read_sqlalchemy(source, config)


def read_file(source: TableSource, keep: Callable[[str], bool] | None = None) -> pd.DataFrame:
    """Read a .csv/.parquet/.xlsx/.json file with checks that name the file at fault."""
    path = source.path
    assert path is not None
    where = f"table {source.name!r} ({path})"
    if not path.exists():
        raise DataError(f"{where}: file not found")
    if path.is_dir():
        raise DataError(f"{where}: is a directory, expected a file")
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise DataError(f"{where}: unsupported file type {suffix!r}; use .csv, .parquet, .xlsx or .json")
    if path.stat().st_size == 0:
        raise DataError(f"{where}: file is empty")
    notes: list[str] = []
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            frame = _read_csv(source, where, keep, notes)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path, columns=_kept(_parquet_columns(path), keep, notes))
        elif suffix in (".xlsx", ".xls"):
            sheet = source.sheet if source.sheet is not None else 0
            frame = pd.read_excel(path, sheet_name=sheet)
            if suffix == ".xlsx":
                notes += _uncached_formulas(path, sheet)
        else:
            frame = _read_json(path, suffix, where)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{where}: could not be read as {suffix[1:]}: {_first_line(exc)}") from None
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{where}: did not contain a table of rows")
    frame.attrs[READ_WARNINGS] = notes
    return frame


WIDE_FILE_COLUMNS = 200  # beyond this, only the contract's (and mapped) columns are read


def _kept(columns: list[str], keep: Callable[[str], bool] | None, notes: list[str]) -> list[str] | None:
    """The columns to read of a very wide file (None: all); the others are named in ``notes``.

    Files of ordinary width are read whole, so extra columns stay available (e.g. as a
    market dimension); a 10,000-column export costs only the columns the reports know.
    """
    if keep is None or len(columns) <= WIDE_FILE_COLUMNS:
        return None
    kept = [c for c in columns if keep(c)]
    skipped = [c for c in columns if c not in kept]
    if skipped:
        shown = ", ".join(skipped[:8]) + (f" and {len(skipped) - 8} more" if len(skipped) > 8 else "")
        notes.append(
            f"the file has {len(columns):,} columns; {len(skipped):,} of them are not in the data contract "
            f"and were not read: {shown} (to read one, e.g. as a market dimension or NPS "
            "segment_dimension, name it in 'columns:', mapped to itself or to a canonical column)"
        )
    return kept


def _parquet_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def _uncached_formulas(path: Path, sheet: str | int) -> list[str]:
    """Formula cells saved without a computed value read as blank: say so, with an example."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        values = openpyxl.load_workbook(path, read_only=True, data_only=True)
        name = book.sheetnames[sheet] if isinstance(sheet, int) else sheet
        formulas = book[name].iter_rows()
        cached = values[name].iter_rows()
        count, example = 0, ""
        for f_row, v_row in zip(formulas, cached, strict=False):
            for f_cell, v_cell in zip(f_row, v_row, strict=False):
                if isinstance(f_cell.value, str) and f_cell.value.startswith("=") and v_cell.value is None:
                    count += 1
                    example = example or f"{f_cell.coordinate} {f_cell.value[:40]!r}"
    except Exception:  # the values were read already; this check only adds a warning
        return []
    if not count:
        return []
    return [
        f"{count:,} cell(s) are formulas saved without a computed value (e.g. {example}); they read as "
        "missing: open and save the file in Excel (or export it as CSV) so their values are stored"
    ]


def _read_csv(
    source: TableSource, where: str, keep: Callable[[str], bool] | None = None, notes: list[str] | None = None
) -> pd.DataFrame:
    path = source.path
    assert path is not None
    raw = path.read_bytes()
    encoding = source.encoding
    try:
        text = raw.decode("utf-8-sig" if encoding.lower().replace("_", "-") == "utf-8" else encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{where}: is not valid {encoding} text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8 or set 'encoding:' for this table"
        ) from None
    except LookupError:
        raise DataError(f"{where}: unknown encoding {encoding!r}") from None
    if not text.strip():
        raise DataError(f"{where}: file is empty")
    delimiter = source.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    try:
        usecols = None
        if keep is not None:
            header = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, nrows=0).columns
            usecols = _kept([str(c) for c in header], keep, notes if notes is not None else [])
            if not usecols or len(usecols) == len(header):  # none kept: read all, for a clear error
                usecols = None
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            usecols=usecols,
        )
    except pd.errors.ParserError as exc:
        raise DataError(f"{where}: malformed CSV: {_first_line(exc)}") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{where}: file is empty") from None
    if (len(header) if usecols is not None else frame.shape[1]) == 1 and source.delimiter is None:
        header = str(frame.columns[0])
        guess = _sniff_delimiter(text)
        if guess and guess != delimiter:
            raise DataError(
                f"{where}: found one column {header[:60]!r}; the file looks {guess!r}-delimited, "
                f"set 'delimiter: \"{guess}\"' for this table"
            )
    return frame


def _sniff_delimiter(text: str) -> str | None:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
    except csv.Error:
        return None


def _read_json(path: Path, suffix: str, where: str) -> pd.DataFrame:
    text = path.read_text(encoding="utf-8")
    if suffix in (".jsonl", ".ndjson"):
        return pd.read_json(io.StringIO(text), lines=True, dtype=False)
    data = json.loads(text)
    if isinstance(data, dict):
        for key in ("records", "data", "rows", "results"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise DataError(f"{where}: JSON must be a list of row objects (or {{'records': [...]}})")
    return pd.DataFrame.from_records(data)


def is_duckdb_path(connection: str) -> bool:
    return "://" not in connection and connection.lower().endswith((".duckdb", ".db", ".ddb"))


def sqlite_file_url(connection: str, base_dir: Path) -> str | None:
    """A ``.db`` path that is really SQLite (by its header) as a SQLAlchemy URL, else None."""
    path = Path(connection) if Path(connection).is_absolute() else base_dir / connection
    try:
        with open(path, "rb") as handle:
            if handle.read(16) == b"SQLite format 3\x00":
                return f"sqlite:///{path}"
    except OSError:
        return None
    return None


def _read_duckdb(source: TableSource, config: DataConfig) -> pd.DataFrame:
    where = f"table {source.name!r}"
    database = ":memory:"
    if config.connection is not None:
        db_path = Path(config.connection)
        db_path = db_path if db_path.is_absolute() else config.base_dir / db_path
        if not db_path.is_file():
            raise DataError(f"{where}: DuckDB database {db_path} not found")
        database = str(db_path)
    if source.table is not None and config.connection is None:
        raise DataError(f"{where}: 'table: {source.table}' needs a 'connection:' to read it from")
    query = source.sql if source.sql is not None else f"SELECT * FROM {_quote_ident(source.table)}"
    try:
        con = duckdb.connect(
            database,
            read_only=database != ":memory:",
            config={"autoinstall_known_extensions": False, "autoload_known_extensions": True},
        )
    except duckdb.Error as exc:
        raise DataError(f"{where}: cannot open DuckDB database {database}: {_first_line(exc)}") from None
    try:
        con.execute("SET file_search_path = ?", [str(config.base_dir)])
        return con.execute(query).df()
    except duckdb.Error as exc:
        raise DataError(f"{where}: SQL failed: {_first_line(exc)}") from None
    finally:
        con.close()


def _read_sqlalchemy(source: TableSource, config: DataConfig) -> pd.DataFrame:
    import sqlalchemy as sa

    where = f"table {source.name!r}"
    assert config.connection is not None
    try:
        url = sa.engine.make_url(config.connection)
    except sa.exc.ArgumentError:
        raise DataError(f"{where}: 'connection' is not a SQLAlchemy URL or .duckdb path") from None
    if url.get_backend_name() in ("sqlite", "duckdb") and url.database not in (None, "", ":memory:"):
        db_path = Path(url.database)
        if not db_path.is_absolute():
            db_path = config.base_dir / db_path
        if not db_path.is_file():
            raise DataError(f"{where}: database file {db_path} not found")
        url = url.set(database=str(db_path))
    safe_url = url.render_as_string(hide_password=True)
    query = source.sql if source.sql is not None else f"SELECT * FROM {_quote_ident(source.table)}"
    try:
        engine = sa.create_engine(url)
    except Exception as exc:
        message = hide_secrets(_first_line(exc), str(config.connection), safe_url)
        raise DataError(f"{where}: cannot connect to {safe_url}: {message}") from None
    try:
        with engine.connect() as con:
            return pd.read_sql(sa.text(query), con)
    except Exception as exc:
        message = hide_secrets(_first_line(exc), str(config.connection), safe_url)
        raise DataError(f"{where}: SQL failed on {safe_url}: {message}") from None
    finally:
        engine.dispose()


def hide_secrets(text: str, connection: str, safe_url: str = "***") -> str:
    """``text`` without the connection URL's password, also where a driver split it at an '@' in it.

    A password holding '@' parses as part of the host ('s3cr@tPW!' gives host 'tPW!@db'), so every
    '@'-separated piece of what lies between the user's ':' and the last '@' is masked too.
    """
    text = text.replace(connection, safe_url)
    _, sep, rest = connection.partition("://")
    userinfo = rest.rpartition("@")[0] if sep else ""
    secret = userinfo.partition(":")[2]
    for piece in sorted({secret, *secret.split("@")}, key=len, reverse=True):
        if len(piece) >= 3:
            text = text.replace(piece, "***")
    return text


def _quote_ident(name: str | None) -> str:
    assert name is not None
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
