"""The repository stays as the team agreed: notebooks stripped and parameterized, params files valid, lint clean."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from revops_nb.report.notebook_params import parameters_cell, read_param_specs
from revops_nb.report.params import merge_params
from revops_nb.report.registry import ORDER, discover
from tests.helpers import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "tests" / "notebooks").glob("*.ipynb")
)


def test_the_four_reports_exist():
    assert list(discover(ROOT / "notebooks")) == list(ORDER)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stripped_and_parameterized(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: outputs not stripped"
    assert parameters_cell(nb) is not None
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert read_param_specs(path), f"{path.name}: no parameters declared"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


@pytest.mark.parametrize("report", ORDER)
def test_params_file_matches_the_notebook(report):
    specs = read_param_specs(ROOT / "notebooks" / f"{report}.ipynb")
    merged = merge_params(report, specs, ROOT / "params" / f"{report}.yaml", [], [], frozenset(ORDER))
    assert set(merged) <= set(specs)


@pytest.mark.parametrize("report", ORDER)
def test_notebook_cells_stay_short(report):
    nb = nbformat.read(ROOT / "notebooks" / f"{report}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    long_cells = [c.source[:60] for c in code if len(c.source.splitlines()) > 15]
    assert long_cells == [], "code this long belongs in revops_nb"


def test_ruff_check_and_format_are_clean():
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout[-3000:]
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout[-3000:]
