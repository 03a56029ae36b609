"""Read a YAML file the user wrote, turning every failure into one sentence naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from revops_nb.errors import RevopsError


def read_yaml(path: Path, error: type[RevopsError], noun: str) -> Any:
    """Parsed YAML of ``path``; a missing file, a folder, bad bytes or bad syntax raise ``error``.

    ``noun`` names the file in messages, e.g. "data file" or "params file".
    """
    if not path.exists():
        raise error(f"{path}: {noun} not found")
    if path.is_dir():
        raise error(f"{path}: is a directory, expected a {noun}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise error(f"{path}: is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{path}: YAML syntax error{where}: {problem}") from None
