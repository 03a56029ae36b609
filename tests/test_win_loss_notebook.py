"""The win/loss notebook end to end under papermill: sample defaults, a CRM export, bad parameters."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from revops_nb import sample
from tests.helpers import execute_report_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "win_loss.ipynb"
FIXTURES = ROOT / "tests" / "fixtures" / "win_loss"


def _run(tmp_path: Path, data_file: Path, **parameters) -> tuple[dict, Path]:
    run_dir = execute_report_notebook(NOTEBOOK, tmp_path, data_file, parameters)
    return json.loads((run_dir / "key_figures.json").read_text()), run_dir


def test_notebook_is_stripped_and_has_a_tagged_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    assert nb.cells[0].source.startswith("# Win/loss report")


@pytest.mark.slow
def test_notebook_on_the_sample_records_key_figures_and_tables(tmp_path):
    figures, run_dir = _run(tmp_path, FIXTURES / "sample_data.yaml")
    opps = sample.table("opportunities")
    closed = opps[opps["is_closed"]]
    assert figures["n_closed"] == len(closed) and figures["n_won"] == int(closed["is_won"].sum())
    assert figures["win_rate_ci_low"] < figures["win_rate"] < figures["win_rate_ci_high"]
    tables = {p.stem for p in (run_dir / "tables").glob("*.csv")}
    assert {"win_rate_by_competitor", "win_rate_by_deal_size_band", "loss_reasons", "win_drivers"} <= tables
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    text = json.dumps([c.get("outputs", []) for c in out.cells])
    assert "Vantora" in text and "data:image/png;base64" in text


@pytest.mark.slow
def test_notebook_on_a_hubspot_export_with_a_period(tmp_path):
    figures, run_dir = _run(
        tmp_path,
        FIXTURES / "hubspot" / "data.yaml",
        period_start="2025-04-01",
        min_n=10,
        reporting_currency="USD",
    )
    assert figures["n_closed"] > 0 and figures["n_open"] > 0
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    text = json.dumps([c.get("outputs", []) for c in out.cells])
    assert "no competitor values" in text and "no region values" in text
    assert not (run_dir / "tables" / "win_rate_by_competitor.csv").exists()


@pytest.mark.slow
def test_notebook_bad_parameter_fails_with_the_parameter_named(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="min_n"):
        _run(tmp_path, FIXTURES / "sample_data.yaml", min_n=-3)
