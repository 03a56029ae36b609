"""Helpers shared by the CLI tests: run the command, build small data folders."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TINY_NOTEBOOKS = ROOT / "tests" / "notebooks"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> Result:
    """Run ``revops-nb ARGS`` in a fresh process and capture its output."""
    proc = subprocess.run(
        [sys.executable, "-m", "revops_nb.cli", *map(str, args)],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_clean_error(result: Result, code: int, *fragments: str) -> None:
    """Exit code as expected, every fragment in the message, and no Python traceback."""
    assert result.code == code, f"exit {result.code} != {code}\n{result.text}"
    assert "Traceback" not in result.text, result.text
    for fragment in fragments:
        assert fragment in result.text, f"{fragment!r} not in:\n{result.text}"


def write_data_yaml(folder: Path, tables: dict, **top) -> Path:
    """Write a data.yaml with ``tables`` (and top-level keys) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "data.yaml"
    path.write_text(yaml.safe_dump({"tables": tables, **top}, sort_keys=False), encoding="utf-8")
    return path
