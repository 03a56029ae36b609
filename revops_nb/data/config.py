"""Read and check ``params/data.yaml``: where each canonical table comes from.

Only the shape of the file is checked here (known keys, known tables, types);
whether the sources can be read is the loader's job.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from revops_nb.data.contract import TABLES
from revops_nb.errors import ConfigError
from revops_nb.yaml_file import read_yaml

DATA_ENV = "REVOPS_NB_DATA"
DEFAULT_DATA_FILE = Path("params") / "data.yaml"
DEFAULT_WON_STAGES = ("Closed Won", "Won", "closedwon")
DEFAULT_LOST_STAGES = ("Closed Lost", "Lost", "closedlost")

TOP_LEVEL_KEYS = {"connection", "tables", "sample", "sample_scale", "sample_seed"}
TABLE_KEYS = {
    "path": str,
    "sql": str,
    "table": str,
    "preset": str,
    "columns": dict,
    "won_stages": list,
    "lost_stages": list,
    "date_format": str,
    "delimiter": str,
    "sheet": (str, int),
    "encoding": str,
    "decimal": str,
    "score_min": (int, float),
    "score_max": (int, float),
}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")  # write $${ for a literal ${


@dataclass(frozen=True)
class TableSource:
    """Where one canonical table comes from and how to read it."""

    name: str
    path: Path | None = None
    sql: str | None = None
    table: str | None = None
    preset: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    won_stages: tuple[str, ...] | None = None  # None: DEFAULT_WON_STAGES (configured lists must occur)
    lost_stages: tuple[str, ...] | None = None
    date_format: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    encoding: str = "utf-8"
    decimal: str | None = None
    score_min: float = 0
    score_max: float = 10

    def describe(self) -> str:
        """Short words for where the table comes from (no secrets)."""
        if self.path is not None:
            return self.path.name
        if self.table is not None:
            return f"table {self.table}"
        return "SQL query"


@dataclass(frozen=True)
class DataConfig:
    """The parsed data.yaml (or the all-sample default when there is none)."""

    file: Path | None
    base_dir: Path
    connection: str | None = None
    tables: dict[str, TableSource] = field(default_factory=dict)
    sample: bool = True
    sample_scale: int = 2000
    sample_seed: int = 42

    def source_of(self, table: str) -> str:
        """'configured', 'sample' or 'absent' for a canonical table name."""
        if table in self.tables:
            return "configured"
        return "sample" if self.sample else "absent"


def expand_env(value: Any, where: str) -> Any:
    """Replace ``${VAR}`` in every string of a YAML value by the environment variable."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            var = match.group(1)
            if var not in os.environ:
                raise ConfigError(f"{where}: environment variable {var} is not set (used as ${{{var}}})")
            return os.environ[var]

        return _VAR.sub(substitute, value.replace("$${", "\x00{")).replace("\x00{", "${")
    if isinstance(value, list):
        return [expand_env(v, where) for v in value]
    if isinstance(value, dict):
        return {k: expand_env(v, where) for k, v in value.items()}
    return value


def default_data_file() -> Path | None:
    """``$REVOPS_NB_DATA``, else ``params/data.yaml`` in this folder or a parent."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_DATA_FILE
        if candidate.is_file():
            return candidate
    return None


def read_data_config(path: str | Path | None = None) -> DataConfig:
    """Parse and check a data.yaml; ``None`` finds the default or falls back to the sample."""
    file = Path(path) if path is not None else default_data_file()
    if file is None:
        return DataConfig(file=None, base_dir=Path.cwd())
    raw = read_yaml(file, ConfigError, "data file")
    return parse_data_config(raw if raw is not None else {}, file)


def parse_data_config(raw: Any, file: Path) -> DataConfig:
    """Check a loaded YAML mapping and build a :class:`DataConfig`."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: expected a mapping with 'tables:', got {type(raw).__name__}")
    unknown = sorted(set(raw) - TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigError(
            f"{file}: unknown key {unknown[0]!r}; expected one of {', '.join(sorted(TOP_LEVEL_KEYS))}"
        )
    raw = expand_env(raw, str(file))
    base_dir = file.resolve().parent
    tables_raw = raw.get("tables") or {}
    if not isinstance(tables_raw, dict):
        raise ConfigError(f"{file}: 'tables' must be a mapping of table name to source")
    tables = {}
    for name, spec in tables_raw.items():
        tables[name] = _parse_table(name, spec, file, base_dir)
    sample = raw.get("sample", not tables)
    if not isinstance(sample, bool):
        raise ConfigError(f"{file}: 'sample' must be true or false, got {sample!r}")
    connection = raw.get("connection")
    if connection is not None and not isinstance(connection, str):
        raise ConfigError(f"{file}: 'connection' must be a string (a SQLAlchemy URL or .duckdb path)")
    for key in ("sample_scale", "sample_seed"):
        if key in raw and (not isinstance(raw[key], int) or isinstance(raw[key], bool)):
            raise ConfigError(f"{file}: {key!r} must be an integer, got {raw[key]!r}")
    if raw.get("sample_scale", 2000) < 50:
        raise ConfigError(f"{file}: 'sample_scale' must be at least 50 accounts, got {raw['sample_scale']}")
    return DataConfig(
        file=file,
        base_dir=base_dir,
        connection=connection,
        tables=tables,
        sample=sample,
        sample_scale=raw.get("sample_scale", 2000),
        sample_seed=raw.get("sample_seed", 42),
    )


def _parse_table(name: str, spec: Any, file: Path, base_dir: Path) -> TableSource:
    where = f"{file}: table {name!r}"
    if name not in TABLES:
        raise ConfigError(f"{file}: unknown table {name!r}; known tables are {', '.join(TABLES)}")
    if not isinstance(spec, dict):
        raise ConfigError(f"{where} must be a mapping with 'path:', 'sql:' or 'table:'")
    for key, value in spec.items():
        if key not in TABLE_KEYS:
            raise ConfigError(
                f"{where}: unknown key {key!r}; expected one of {', '.join(sorted(TABLE_KEYS))}"
            )
        if not isinstance(value, TABLE_KEYS[key]) or isinstance(value, bool):
            raise ConfigError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    given = [k for k in ("path", "sql", "table") if k in spec]
    if len(given) != 1:
        raise ConfigError(f"{where} needs exactly one of 'path:', 'sql:' or 'table:'")
    columns = spec.get("columns", {})
    for src, dst in columns.items():
        if not isinstance(dst, str):
            raise ConfigError(f"{where}: columns: {src!r} must map to a column name")
    path = base_dir / spec["path"] if "path" in spec else None
    kwargs = {
        k: spec[k]
        for k in (
            "sql",
            "table",
            "preset",
            "date_format",
            "delimiter",
            "sheet",
            "encoding",
            "score_min",
            "score_max",
        )
        if k in spec
    }
    for key in ("won_stages", "lost_stages"):
        if key in spec:
            kwargs[key] = tuple(str(s) for s in spec[key])
    return TableSource(name=name, path=path, columns={str(k): v for k, v in columns.items()}, **kwargs)
