"""Write the embedded sample company to files plus a data.yaml that points at them.

The written data.yaml is the template an analyst copies for their own exports.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from revops_nb import sample
from revops_nb.errors import ConfigError

HEADER = """\
# Data sources for revops-nb, written by `revops-nb sample`.
# Copy this file, point each `path:` at your own export (relative to this file),
# add `preset: salesforce` or `preset: hubspot`, or map columns with `columns:`.
"""


def write_sample(
    out: Path, scale: int = sample.DEFAULT_SCALE, seed: int = sample.DEFAULT_SEED, fmt: str = "csv"
) -> Path:
    """Write every sample table as ``<table>.<fmt>`` into ``out`` and return the data.yaml path."""
    if fmt not in ("csv", "parquet"):
        raise ConfigError(f"--format must be csv or parquet, got {fmt!r}")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    tables = sample.generate(scale=scale, seed=seed)
    entries: dict[str, dict] = {}
    for name, frame in tables.items():
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False, date_format="%Y-%m-%d")
        else:
            frame.to_parquet(path, index=False)
        entry: dict = {"path": path.name}
        if name == "opportunities":
            entry["won_stages"] = ["Closed Won"]
            entry["lost_stages"] = ["Closed Lost"]
        entries[name] = entry
    config = {"connection": None, "tables": entries, "sample": False}
    data_yaml = out / "data.yaml"
    data_yaml.write_text(HEADER + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return data_yaml
