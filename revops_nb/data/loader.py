"""Load one table end to end: read, rename, coerce, apply the contract, fingerprint.

The result says how many rows were read, which were excluded and why, and what
was coerced, so ``revops-nb check`` and every report can state it in words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revops_nb import sample
from revops_nb.data import coercion, sanity
from revops_nb.data.config import DEFAULT_LOST_STAGES, DEFAULT_WON_STAGES, DataConfig, TableSource
from revops_nb.data.contract import TABLES, row_schema, rule_violations, uncontracted_columns_warning
from revops_nb.data.membership import is_in
from revops_nb.data.presets import preset_columns
from revops_nb.data.pushdown import aggregate_frame, aggregated, canonical_names, load_in_engine
from revops_nb.data.sources import READ_WARNINGS, read_source
from revops_nb.data.table_load import TableLoad
from revops_nb.errors import DataError, RevopsError


def load_sample_table(name: str, config: DataConfig) -> TableLoad:
    """A table of the embedded sample, passed through the same contract as real data."""
    frame = sample.table(name, scale=config.sample_scale, seed=config.sample_seed)
    src = TableSource(name=name)
    where = f"sample table {name!r}"
    load = _conform(frame, src, where, f"embedded sample (scale {config.sample_scale})", clean=False)
    return _aggregated(load)


def load_table(source: TableSource, config: DataConfig) -> TableLoad:
    """Read and conform one configured table; raises :class:`DataError` when unusable."""
    where = f"table {source.name!r} ({source.describe()})"
    try:
        if aggregated(source.name):
            pushed = load_in_engine(source, config, where)
            if pushed is not None:
                return pushed
        raw = read_source(source, config, _columns_to_read(source, where))
        read_notes = list(raw.attrs.pop(READ_WARNINGS, []))
        if raw.empty and raw.shape[1] and source.path is None:
            raise DataError(f"{where}: the query returned no rows")
        frame = _rename(raw, source, where)
        load = _conform(frame, source, where, source.describe())
        load.warnings[:0] = read_notes
        return _aggregated(load)
    except RevopsError:
        raise
    except Exception as exc:  # unexpected data still gets one sentence naming the table
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise DataError(f"{where}: could not be loaded ({type(exc).__name__}: {detail})") from None


def _aggregated(load: TableLoad) -> TableLoad:
    """A table that reports receive as an aggregate, aggregated by the same expression as in an engine."""
    if aggregated(load.name):
        load.rows_kept = len(load.frame)
        load.frame = aggregate_frame(load.name, load.frame)
    return load


def _columns_to_read(source: TableSource, where: str):
    """Which file columns a table needs (None: all, for tables whose extra columns are features)."""
    spec = TABLES[source.name]
    if spec.numeric_extras:
        return None
    mapped = set(source.columns)
    if source.preset:
        mapped |= set(preset_columns(source.preset, source.name, where))
    return lambda column: column in mapped or coercion.snake_case(column) in spec.kinds


def _rename(raw: pd.DataFrame, source: TableSource, where: str) -> pd.DataFrame:
    return raw.rename(columns=canonical_names([str(c) for c in raw.columns], source, where))


def _conform(
    frame: pd.DataFrame, source: TableSource, where: str, described: str, clean: bool = True
) -> TableLoad:
    """Coerce types, derive outcomes and apply the row rules; ``clean=False`` trusts text as generated."""
    spec = TABLES[source.name]
    if frame.shape[1] == 0:
        raise DataError(f"{where}: has no columns")
    missing = [c for c in spec.required if c not in frame.columns]
    if missing:
        shown = ", ".join(map(str, frame.columns))[:200]
        raise DataError(f"{where}: required column {missing[0]!r} is missing (found: {shown})")
    if frame.empty:
        raise DataError(f"{where}: has a header but no data rows")
    frame = frame.reset_index(drop=True)
    rows_read = len(frame)
    load = TableLoad(source.name, described, frame, rows_read)
    frame = _coerce(frame, spec.kinds, spec.numeric_extras, source, where, load, clean)
    if source.name == "opportunities":
        frame = _derive_outcome(frame, source, load)
    frame = _drop_duplicates(frame, spec.key, where, load)
    violations = rule_violations(frame, row_schema(source.name, source.score_min, source.score_max))
    drop = pd.Index([])
    for reason, rows in violations.items():
        rows = rows.difference(drop)
        if len(rows):
            load.excluded[reason] = load.excluded.get(reason, 0) + len(rows)
            drop = drop.union(rows)
    if len(drop):
        frame = frame.drop(index=drop)
    if frame.empty:
        reasons = ", ".join(f"{n} {r}" for r, n in load.excluded.items())
        raise DataError(f"{where}: no usable rows remain ({reasons})")
    load.warnings += sanity.table_warnings(source.name, frame, source.score_min, source.score_max)
    if unused := uncontracted_columns_warning(source.name, list(frame.columns)):
        load.warnings.append(unused)
    for col in ("amount", "arr", "mrr"):
        if col in frame and pd.api.types.is_float_dtype(frame[col]):
            frame[col] = frame[col].where(~np.isinf(frame[col]))
    load.frame = frame.reset_index(drop=True)
    return load


def _coerce(
    frame, kinds, numeric_extras, source: TableSource, where: str, load: TableLoad, clean: bool = True
) -> pd.DataFrame:
    frame = frame.copy()
    for col in frame.columns:
        kind = kinds.get(col)
        if kind is None and numeric_extras:
            kind = "number" if _looks_numeric(frame[col]) else "text"
        if kind == "date":
            result = coercion.to_date(frame[col], col, where, source.date_format)
            frame[col] = result.values
            if result.note:
                load.warnings.append(f"{col}: {result.note}")
        elif kind == "number":
            result = coercion.to_number(frame[col], source.decimal)
            frame[col] = result.values
            if result.n_bad:
                load.warnings.append(
                    f"{col}: {result.n_bad} value(s) are not numbers, e.g. {result.example!r}; treated as missing"
                )
        elif kind == "bool":
            result = coercion.to_bool(frame[col])
            frame[col] = result.values
            if result.n_bad:
                load.warnings.append(
                    f"{col}: {result.n_bad} value(s) are not true/false, e.g. {result.example!r}; treated as missing"
                )
        elif clean and (kind == "text" or frame[col].dtype == object):
            frame[col] = coercion.clean_text(coercion.whole_numbers_as_text(frame[col]))
    return frame


def _looks_numeric(series: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return not pd.api.types.is_bool_dtype(series)
    if pd.api.types.is_datetime64_any_dtype(series):
        return False
    result = coercion.to_number(series)
    present = int(series.notna().sum())
    return present > 0 and result.values.notna().sum() >= 0.8 * present


def _derive_outcome(frame: pd.DataFrame, source: TableSource, load: TableLoad) -> pd.DataFrame:
    """Fill is_won / is_closed from stage via the won and lost stage lists when not given."""
    stage = coercion.map_distinct(frame["stage"], coercion.normalize_label)
    for key, configured in (("won_stages", source.won_stages), ("lost_stages", source.lost_stages)):
        if configured is not None:
            _require_stages_seen(key, configured, frame["stage"], stage, load.source)
    won = {coercion.normalize_label(s) for s in (source.won_stages or DEFAULT_WON_STAGES)}
    lost = {coercion.normalize_label(s) for s in (source.lost_stages or DEFAULT_LOST_STAGES)}
    by_stage_won = stage.isin(won)
    by_stage_closed = by_stage_won | stage.isin(lost)
    if "is_closed" not in frame:
        frame["is_closed"] = by_stage_closed.astype(bool)
    else:
        frame["is_closed"] = frame["is_closed"].fillna(by_stage_closed).astype(bool)
    if "is_won" not in frame:
        frame["is_won"] = by_stage_won.astype(bool)
    else:
        frame["is_won"] = frame["is_won"].fillna(by_stage_won).astype(bool)
    inconsistent = frame["is_won"] & ~frame["is_closed"]
    if inconsistent.any():
        load.warnings.append(
            f"{int(inconsistent.sum())} opportunities marked won but not closed; treated as closed"
        )
        frame.loc[inconsistent, "is_closed"] = True
    if not frame["is_closed"].any() and len(frame) >= 20:
        stages = ", ".join(sorted(frame["stage"].dropna().astype(str).unique())[:8])
        load.warnings.append(
            f"no opportunity is closed: no stage matched won_stages/lost_stages (stages seen: {stages})"
        )
    return frame


def _require_stages_seen(
    key: str, configured: tuple[str, ...], raw: pd.Series, normalized: pd.Series, source: str
) -> None:
    """A configured won/lost stage that never occurs would silently turn every deal open: stop."""
    seen = set(normalized.dropna())
    absent = [s for s in configured if coercion.normalize_label(s) not in seen]
    if not absent:
        return
    counts = raw.dropna().astype(str).value_counts()
    shown = ", ".join(f"{name!r} ({n:,})" for name, n in counts.head(12).items())
    more = f" and {len(counts) - 12} more" if len(counts) > 12 else ""
    raise DataError(
        f"table 'opportunities' ({source}): {key} names {absent[0]!r}, which no opportunity has; "
        f"stages seen: {shown or 'none'}{more}"
    )


def _drop_duplicates(frame: pd.DataFrame, key: tuple[str, ...], where: str, load: TableLoad) -> pd.DataFrame:
    key = tuple(k for k in key if k in frame.columns)
    if not key:
        return frame
    exact = frame.duplicated(keep="first")
    if exact.any():
        load.excluded["exact duplicate row"] = int(exact.sum())
        frame = frame[~exact]
    clash = frame.duplicated(list(key), keep=False) & frame[list(key)].notna().all(axis=1)
    if clash.any():
        first = frame.loc[clash, list(key)].iloc[0]
        shown = ", ".join(f"{k}={v!r}" for k, v in first.items())
        n = int(frame.loc[clash].duplicated(list(key)).sum())
        raise DataError(
            f"{where}: duplicated key {shown} ({n} extra row(s) share a key but differ); "
            "the key must be unique"
        )
    return frame


def harmonize_labels(frames: dict[str, pd.DataFrame], columns: tuple[str, ...]) -> None:
    """Give labels that differ only in case or spacing one spelling across all tables (in place)."""
    for col in columns:
        holders = [f for f in frames.values() if col in f and not pd.api.types.is_numeric_dtype(f[col])]
        if not holders:
            continue
        values = pd.concat([f[col].dropna().astype(str) for f in holders], ignore_index=True)
        canonical = coercion.canonical_spellings(values)
        if all(k == v for k, v in canonical.items()):
            continue
        for f in holders:
            f[col] = f[col].map(lambda v, m=canonical: m.get(v, v) if isinstance(v, str) else v)


def unknown_account_refs(frames: dict[str, pd.DataFrame]) -> dict[str, tuple[int, str]]:
    """Per table: rows whose account_id is not in accounts, with an example value."""
    if "accounts" not in frames:
        return {}
    known = pd.Index(frames["accounts"]["account_id"].dropna().unique())
    out = {}
    for name, frame in frames.items():
        if name == "accounts" or "account_id" not in frame or not TABLES[name].references_accounts:
            continue
        ids = frame["account_id"]
        bad = ids.notna().to_numpy(bool) & ~is_in(ids, known)
        if bad.any():
            out[name] = (int(bad.sum()), str(ids[bad].iloc[0]))
    return out
