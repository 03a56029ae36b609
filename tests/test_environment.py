"""environment.yml (for conda users) lists the same dependencies as pyproject.toml."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.helpers import ROOT


def _normalize(spec: str) -> tuple[str, str]:
    """'Scikit_Learn >=1.8, <2' -> ('scikit-learn', '>=1.8,<2')."""
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    assert match, spec
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_normalize(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    listed = dict(_normalize(s) for s in conda if not s.startswith(("python", "pip")))
    assert listed == wanted
    assert any(d.startswith("python>=3.11") for d in conda)
