"""Read a notebook's ``parameters`` cell and check values against it.

The cell holds annotated assignments (``min_n: int = 30  # comment``); their
names, types, defaults and comments are the report's parameter contract, read
with :mod:`ast` so no kernel is needed to check a run's parameters.
"""

from __future__ import annotations

import ast
import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from revops_nb.errors import ParamsError
from revops_nb.param_rules import shown

SCALARS = {"int": int, "float": float, "str": str, "bool": bool}


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a report: name, declared type, default and help text."""

    name: str
    type_text: str
    default: Any
    help: str = ""

    @property
    def optional(self) -> bool:
        return self.type_text.replace(" ", "").endswith("|None")

    @property
    def base_type(self) -> str:
        return self.type_text.replace(" ", "").removesuffix("|None")


def parameters_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """The first code cell tagged ``parameters``, or None."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def read_param_specs(notebook: Path) -> dict[str, ParamSpec]:
    """Parameter specs declared in ``notebook``'s parameters cell, in order."""
    nb = nbformat.read(notebook, as_version=4)
    cell = parameters_cell(nb)
    if cell is None:
        raise ParamsError(f"{notebook}: has no cell tagged 'parameters'")
    return parse_param_source(cell.source, str(notebook))


def parse_param_source(source: str, where: str) -> dict[str, ParamSpec]:
    """Parse annotated assignments of a parameters cell's source."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParamsError(f"{where}: parameters cell has a syntax error at line {exc.lineno}") from None
    lines = source.splitlines()
    specs: dict[str, ParamSpec] = {}
    for node in tree.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            if isinstance(node, ast.Assign):
                raise ParamsError(f"{where}: parameter at line {node.lineno} needs a type annotation")
            continue
        name = node.target.id
        type_text = ast.unparse(node.annotation)
        try:
            default = ast.literal_eval(node.value) if node.value is not None else None
        except ValueError:
            raise ParamsError(f"{where}: default of parameter {name!r} must be a literal") from None
        line = lines[node.lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        spec = ParamSpec(name, type_text, default, comment)
        check_value(spec, default, f"{where} (default)")
        specs[name] = spec
    return specs


def check_value(spec: ParamSpec, value: Any, where: str) -> Any:
    """Return ``value`` if it fits ``spec``'s type (ints accepted for floats), else raise.

    The message shows the value cut short, and a secret-looking parameter's value as '***'.
    """
    if value is None:
        if spec.optional:
            return None
        raise ParamsError(f"{where}: parameter {spec.name!r} must be {spec.type_text}, got null")
    base = spec.base_type
    if base in SCALARS:
        return _check_scalar(spec, base, value, where)
    if base.startswith("list[") and base.endswith("]"):
        inner = base[5:-1]
        if not isinstance(value, list):
            raise ParamsError(
                f"{where}: parameter {spec.name!r} must be {spec.type_text}, "
                f"got {type(value).__name__} {shown(value, spec.name)}"
            )
        return [_check_scalar(spec, inner, v, where) for v in value]
    raise ParamsError(f"{where}: parameter {spec.name!r} has an unsupported type {spec.type_text!r}")


def _check_scalar(spec: ParamSpec, base: str, value: Any, where: str) -> Any:
    expected = SCALARS.get(base)
    if expected is str and isinstance(value, datetime.date):  # YAML reads an unquoted 2025-01-01 as a date
        return value.isoformat()
    if expected is None:
        raise ParamsError(f"{where}: parameter {spec.name!r} has an unsupported type {spec.type_text!r}")
    ok = isinstance(value, expected) and not (expected is not bool and isinstance(value, bool))
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise ParamsError(
            f"{where}: parameter {spec.name!r} must be {spec.type_text}, "
            f"got {type(value).__name__} {shown(value, spec.name)}"
        )
    return value
