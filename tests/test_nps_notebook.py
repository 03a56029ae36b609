"""The NPS-to-retention notebook: stored clean, and executed end to end with papermill."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from revops_nb.report.notebook_params import parameters_cell, read_param_specs
from revops_nb.report.registry import USES
from revops_nb.reports import nps_retention as report
from revops_nb.reports import rules
from tests.helpers import execute_report_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "nps_retention.ipynb"
PARAMS = ROOT / "params" / "nps_retention.yaml"
FIXTURE = ROOT / "tests" / "fixtures" / "nps" / "data.yaml"
CSAT = {"score_min": 1, "score_max": 5, "detractor_max": 2, "promoter_min": 5}


def test_notebook_is_stored_without_outputs_and_with_a_tagged_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert parameters_cell(nb) is not None
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert len(cell.source.splitlines()) <= 15
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert headings[0].startswith("# ") and headings[1] == "## Summary"


def test_notebook_loads_the_tables_the_registry_names():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "ds = data.load(report.TABLES)" in source
    assert USES["nps_retention"] == report.TABLES


def test_settings_are_the_notebook_parameters_and_their_rules_pass_the_defaults():
    specs = read_param_specs(NOTEBOOK)
    assert {f.name for f in fields(report.Settings)} == set(specs)
    checked = report.Settings.RULES
    assert rules("nps_retention") is checked  # what the runner checks before any kernel starts
    names = set(checked.fields) | {n for r in checked.relations for n in (r.first, r.second)}
    assert names <= set(specs), names - set(specs)
    assert checked.problems({name: spec.default for name, spec in specs.items()}) == []


def test_params_file_names_only_notebook_parameters_with_fitting_types():
    specs = read_param_specs(NOTEBOOK)
    values = yaml.safe_load(PARAMS.read_text())
    assert set(values) <= set(specs)
    for name, value in values.items():
        assert value == specs[name].default, name  # the params file restates the defaults


def _run(tmp_path: Path, parameters: dict, data_file: Path | None = None) -> dict:
    run_dir = execute_report_notebook(NOTEBOOK, tmp_path, data_file, parameters)
    return json.loads((run_dir / "key_figures.json").read_text())


@pytest.mark.slow
def test_notebook_on_the_sample_records_figures_equal_to_its_tables(tmp_path):
    figures = _run(tmp_path, yaml.safe_load(PARAMS.read_text()))
    assert figures["verdict"] == "predicts"
    table = pd.read_csv(tmp_path / "run" / "tables" / "retention_by_category.csv").set_index("category")
    for cat in ("promoter", "passive", "detractor"):
        assert figures[f"retention_{cat}s"] == pytest.approx(table.loc[cat, "logo_retention"])
        assert figures[f"retention_{cat}s_ci_high"] == pytest.approx(table.loc[cat, "ci_high"])
    assert figures["nps_ci_low"] < figures["nps"] < figures["nps_ci_high"]
    for name in ("nps_by_segment", "nps_by_quarter"):
        assert (tmp_path / "run" / "tables" / f"{name}.csv").exists()
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    errors = [o for c in out.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


@pytest.mark.slow
def test_notebook_runs_on_a_csat_scale(tmp_path):
    figures = _run(tmp_path, CSAT | {"horizon_days": 365}, data_file=FIXTURE)
    assert figures["verdict"] == "predicts"
    assert figures["n_responses"] == 1038
