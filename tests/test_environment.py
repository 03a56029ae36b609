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
    extras = re.compile(r"^\[[^\]]*\]")  # pip extras (ibis-framework[duckdb]): conda packages have none
    return match.group(1).lower().replace("_", "-"), extras.sub("", match.group(2).replace(" ", ""))


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_normalize(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    listed = dict(_normalize(s) for s in conda if not s.startswith(("python", "pip")))
    assert listed == wanted
    assert any(d.startswith("python>=3.11") for d in conda)


def _locked() -> list:
    """The pins of requirements.lock as packaging Requirements (with their markers)."""
    from packaging.requirements import Requirement

    lines = (ROOT / "requirements.lock").read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_lock_pins_every_dependency_within_pyproject_ranges():
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins: dict[str, list] = {}
    for req in _locked():
        pins.setdefault(canonicalize_name(req.name), []).append(req)
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        wanted = Requirement(spec)
        locked = pins.get(canonicalize_name(wanted.name))
        assert locked, f"{wanted.name} is in pyproject.toml but not in requirements.lock: run `make lock`"
        for req in locked:
            (pin,) = req.specifier
            assert pin.operator == "==", f"requirements.lock must pin {req.name} exactly, has {req}"
            assert wanted.specifier.contains(pin.version, prereleases=True), (
                f"requirements.lock pins {req.name}=={pin.version}, outside pyproject's {wanted.specifier}: "
                "run `make lock`"
            )


def test_installed_environment_matches_the_lock():
    """The environment running the tests is the locked one (a stale .venv fails here, not at random)."""
    from importlib.metadata import PackageNotFoundError, version

    off = []
    for req in _locked():
        if req.marker is not None and not req.marker.evaluate():
            continue
        (pin,) = req.specifier
        try:
            installed = version(req.name)
        except PackageNotFoundError:
            installed = "missing"
        if installed != pin.version:
            off.append(f"{req.name} {installed} (lock: {pin.version})")
    assert not off, "installed versions differ from requirements.lock (run `make setup`): " + "; ".join(off)
