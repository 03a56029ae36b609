"""Which reports exist, where their notebooks are and which tables each needs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import nbformat

from revops_nb.data.config import DataConfig
from revops_nb.errors import ConfigError
from revops_nb.reports import NAMES

NOTEBOOKS_ENV = "REVOPS_NB_NOTEBOOKS"
ORDER = NAMES  # the standard reports, in the order they are run and shown
# Each group: at least one of its tables must be configured (or come from the sample).
REQUIRES: dict[str, tuple[tuple[str, ...], ...]] = {
    "market_analysis": (("opportunities",),),
    "win_loss": (("opportunities",),),
    "nps_retention": (("nps_responses",), ("subscriptions", "customers")),
    "churn_model": (("customers", "subscriptions"),),
    "revenue_retention": (("subscriptions",),),
    "pipeline_forecast": (("opportunities",),),
}
# Every table each report's notebook loads: the report package's TABLES (one list per report).
USES: dict[str, tuple[str, ...]] = {name: import_module(f"revops_nb.reports.{name}").TABLES for name in ORDER}


@dataclass(frozen=True)
class Report:
    """One report: its name, notebook and table requirements."""

    name: str
    notebook: Path
    title: str
    requires: tuple[tuple[str, ...], ...]

    def missing_tables(self, config: DataConfig) -> list[str]:
        """Requirement groups not met by ``config``, as 'a or b' strings."""
        missing = []
        for group in self.requires:
            if not any(config.source_of(t) != "absent" for t in group):
                missing.append(" or ".join(group))
        return missing


def default_notebooks_dir() -> Path:
    """``$REVOPS_NB_NOTEBOOKS``, ``./notebooks``, or the project's notebooks/ folder."""
    env = os.environ.get(NOTEBOOKS_ENV)
    if env:
        return Path(env)
    local = Path.cwd() / "notebooks"
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[2] / "notebooks"


def discover(folder: Path | None = None) -> dict[str, Report]:
    """Every ``*.ipynb`` report in ``folder``, the standard ones first."""
    folder = folder or default_notebooks_dir()
    if not folder.is_dir():
        raise ConfigError(f"{folder}: notebooks folder not found")
    found = {p.stem: p for p in folder.glob("*.ipynb") if not p.name.startswith((".", "_"))}
    names = [n for n in ORDER if n in found] + sorted(n for n in found if n not in ORDER)
    return {name: _report(name, found[name]) for name in names}


def _report(name: str, path: Path) -> Report:
    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("revops_nb", {})
    requires = REQUIRES.get(name) or tuple(tuple(g.split("|")) for g in meta.get("requires", []))
    return Report(name=name, notebook=path, title=_title(nb, name), requires=requires)


def _title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback.replace("_", " ").capitalize()
