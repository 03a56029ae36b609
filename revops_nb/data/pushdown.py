"""Load a table that can be large inside its engine: the data contract and the aggregation run there.

The same rules as the pandas loader, as engine queries: required columns present and
not blank, exact duplicate rows excluded, a key shared by differing rows an error, the
table's date-order rules, each excluded row counted once under its first reason. Only
the aggregate of :mod:`revops_nb.data.aggregates` reaches pandas.

A source whose columns the engine does not hold in the contract's types (dates or
numbers stored as text, e.g. a CSV with US dates or currency symbols) is left to the
pandas loader, which coerces text: :func:`load_in_engine` returns None for it.
"""

from __future__ import annotations

import uuid

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from revops_nb.data import coercion
from revops_nb.data.aggregates import AGGREGATIONS
from revops_nb.data.config import DataConfig, TableSource
from revops_nb.data.contract import DATE_ORDER, TABLES, uncontracted_columns_warning
from revops_nb.data.engine import engine_of, fetch, from_frame, open_source
from revops_nb.data.presets import preset_columns
from revops_nb.data.table_load import TableLoad
from revops_nb.errors import DataError


def aggregated(name: str) -> bool:
    """Whether reports receive ``name`` as an engine aggregate rather than raw rows."""
    return name in AGGREGATIONS


def aggregate_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The aggregate of rows already in pandas (the sample, spreadsheets): the same expression, in DuckDB."""
    return fetch(AGGREGATIONS[name](from_frame(frame)))


def load_in_engine(source: TableSource, config: DataConfig, where: str) -> TableLoad | None:
    """Check and aggregate ``source`` where it lives; None when its engine cannot hold it as the contract types."""
    raw = open_source(source, config)
    if raw is None:
        return None
    try:
        rows = _canonical(raw, source, where)
    except _NotTyped:
        return None
    return _contract_and_aggregate(rows, source, where)


class _NotTyped(Exception):
    """A column is stored as text where the contract wants a date or a number: pandas coerces it."""


def _canonical(raw: ibis.Table, source: TableSource, where: str) -> ibis.Table:
    """Renamed to canonical names and cast to the contract's types (text cleaned as the pandas loader does)."""
    spec = TABLES[source.name]
    mapping = canonical_names([str(c) for c in raw.columns], source, where)
    if not mapping:
        raise DataError(f"{where}: has no columns")
    missing = [c for c in spec.required if c not in mapping.values()]
    if missing:
        shown = ", ".join(raw.columns)[:200]
        raise DataError(f"{where}: required column {missing[0]!r} is missing (found: {shown})")
    if source.date_format is not None:
        raise _NotTyped  # a declared date format is the pandas loader's to apply
    schema = raw.schema()
    out, unreadable = {}, []
    for src, name in mapping.items():
        kind = spec.kinds.get(name)
        dtype = schema[src]
        column = raw[src]
        if kind is None and not spec.numeric_extras:
            out[name] = column  # outside the contract: kept for the duplicate check, then dropped
        elif kind == "date":
            if dtype.is_string():  # text (a CSV): only ISO dates, which every engine casts exactly
                out[name] = column.strip().nullif("").try_cast(dt.Timestamp())
                unreadable.append(column.strip().nullif("").notnull() & out[name].isnull())
            elif dtype.is_date() or (dtype.is_timestamp() and dtype.timezone is None):
                out[name] = column.cast(dt.Timestamp())
            else:
                raise _NotTyped
        elif kind == "number" or kind is None:  # kind None: a usage metric
            if dtype.is_string():
                out[name] = column.strip().nullif("").try_cast("float64")
                unreadable.append(column.strip().nullif("").notnull() & out[name].isnull())
            elif dtype.is_numeric() and not dtype.is_boolean():
                out[name] = column.cast("float64")
            elif kind is None:
                continue  # booleans and dates are never metrics (the pandas loader reads them as text)
            else:
                raise _NotTyped
        elif kind == "text":
            if not (dtype.is_string() or dtype.is_integer()):
                raise _NotTyped
            out[name] = column.cast("string").strip().re_replace(r"\s+", " ").nullif("")
        else:
            raise _NotTyped  # booleans and other kinds are not in the aggregated tables
    if unreadable and _any_true(raw, unreadable):
        raise _NotTyped  # e.g. US dates or currency symbols: the pandas loader coerces and counts them
    return raw.select(**out)


def _any_true(raw: ibis.Table, conditions: list) -> bool:
    counts = raw.aggregate(**{f"c{i}": cond.ifelse(1, 0).sum() for i, cond in enumerate(conditions)})
    return bool((engine_of(raw).to_pandas(counts).fillna(0).to_numpy() > 0).any())


def canonical_names(columns: list[str], source: TableSource, where: str) -> dict[str, str]:
    """Source column -> canonical name: preset, then ``columns:``, else snake_case; clashes are errors."""
    mapping: dict[str, str] = {}
    if source.preset:
        mapping.update(
            {k: v for k, v in preset_columns(source.preset, source.name, where).items() if k in columns}
        )
    for src_col, dst in source.columns.items():
        if src_col not in columns:
            shown = ", ".join(sorted(columns))[:200]
            raise DataError(
                f"{where}: 'columns:' names {src_col!r}, which is not in the data (it has: {shown})"
            )
        mapping[src_col] = dst
    names = {col: mapping.get(col, coercion.snake_case(col)) for col in columns}
    seen: set[str] = set()
    for name in names.values():
        if name in seen:
            raise DataError(f"{where}: more than one source column becomes {name!r}; map them in 'columns:'")
        seen.add(name)
    return names


def _contract_and_aggregate(rows: ibis.Table, source: TableSource, where: str) -> TableLoad:
    spec = TABLES[source.name]
    engine = engine_of(rows)
    rows = _materialize(rows, engine)  # typed and cleaned once: every check below scans this
    rows_read = int(engine.execute(rows.count()))
    if rows_read == 0:
        raise DataError(f"{where}: has a header but no data rows")
    load = TableLoad(source.name, source.describe(), pd.DataFrame(), rows_read, engine=engine.name)
    key = [k for k in spec.key if k in rows.columns]
    shared = not key or _shares_keys(rows, key, engine)
    # rows sharing no key cannot be exact duplicates, except rows with a blank key part: count those only
    candidates = rows if shared else rows.filter(ibis.or_(*[rows[k].isnull() for k in key]))
    duplicates = int(engine.execute(candidates.count())) - int(engine.execute(candidates.distinct().count()))
    if duplicates:
        load.excluded["exact duplicate row"] = duplicates
        rows = _materialize(rows.distinct(), engine)
    if shared:
        _check_key(rows, spec.key, where, engine)
    rows = _apply_rules(rows, source.name, load, engine)
    kept = rows_read - sum(load.excluded.values())
    if kept == 0:
        reasons = ", ".join(f"{n} {r}" for r, n in load.excluded.items())
        raise DataError(f"{where}: no usable rows remain ({reasons})")
    if unused := uncontracted_columns_warning(source.name, list(rows.columns)):
        load.warnings.append(unused)
    load.frame = fetch(AGGREGATIONS[source.name](rows))
    load.rows_kept, load.rows_pulled = kept, len(load.frame)
    return load


def _materialize(rows: ibis.Table, engine) -> ibis.Table:
    """``rows`` as a temporary table of the engine's session (DuckDB memory, a Postgres temp table)."""
    return engine.create_table(f"revops_{uuid.uuid4().hex[:12]}", obj=rows, temp=True)


def _shares_keys(rows: ibis.Table, key: list[str], engine) -> bool:
    present = rows.filter([rows[k].notnull() for k in key])
    shared = present.group_by(key).aggregate(_n=present.count()).filter(lambda t: t._n > 1)
    return int(engine.execute(shared.count())) > 0


def _check_key(rows: ibis.Table, key: tuple[str, ...], where: str, engine) -> None:
    """A key shared by rows that differ in anything else is an error naming the first such key."""
    key = tuple(k for k in key if k in rows.columns)
    if not key:
        return
    present = rows.filter([rows[k].notnull() for k in key])
    clashes = present.group_by(list(key)).aggregate(_n=present.count()).filter(lambda t: t._n > 1)
    found = engine.to_pandas(clashes.order_by(list(key)).limit(1))
    if found.empty:
        return
    extra = int(engine.execute((clashes._n - 1).sum()))
    shown = ", ".join(f"{k}={_plain(found[k].iloc[0])!r}" for k in key)
    raise DataError(
        f"{where}: duplicated key {shown} ({extra} extra row(s) share a key but differ); the key must be unique"
    )


def _apply_rules(rows: ibis.Table, name: str, load: TableLoad, engine) -> ibis.Table:
    """Exclude rows breaking a rule, counting each under its first reason (required columns, then order)."""
    spec = TABLES[name]
    reasons = [(f"missing {c}", rows[c].isnull()) for c in spec.required]
    reasons += [
        (reason, rows[first].notnull() & rows[second].notnull() & (rows[second] < rows[first]))
        for first, second, reason in DATE_ORDER.get(name, ())
        if first in rows.columns and second in rows.columns
    ]
    if not reasons:
        return rows
    counts, earlier = {}, ibis.literal(False)
    for i, (_, broken) in enumerate(reasons):
        counts[f"r{i}"] = (broken & ~earlier).ifelse(1, 0).sum()
        earlier = earlier | broken
    totals = engine.to_pandas(rows.aggregate(**counts)).iloc[0]
    for i, (reason, _) in enumerate(reasons):
        n = int(totals[f"r{i}"] or 0)
        if n:
            load.excluded[reason] = load.excluded.get(reason, 0) + n
    return rows.filter(~earlier)


def _plain(value):
    return value.item() if hasattr(value, "item") else value
