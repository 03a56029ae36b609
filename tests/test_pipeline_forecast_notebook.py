"""The pipeline and forecast notebook: its shape, its defaults agree with the settings and params file,
and (slow) it runs end to end under papermill on the sample, recording the figures and tables."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest
import yaml

from revops_nb.reports import pipeline_forecast as pf
from tests.helpers import execute_report_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "pipeline_forecast.ipynb"
PARAMS = ROOT / "params" / "pipeline_forecast.yaml"
KEY_FIGURES = (
    "forecast_current_low",
    "forecast_current_high",
    "forecast_mape",
    "forecast_bias",
    "coverage_ratio",
    "required_opportunities",
    "required_mqls_low",
    "required_mqls_high",
)


def _notebook_defaults() -> dict:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    out = {}
    for node in ast.parse(cell.source).body:
        assert isinstance(node, ast.AnnAssign), "the parameters cell holds annotated assignments only"
        out[node.target.id] = ast.literal_eval(node.value)
    return out


def test_notebook_is_stripped_titled_and_every_cell_has_an_id():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.cells[0].source.startswith("# Pipeline and forecast report")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(c.get("id") for c in nb.cells)


def test_notebook_params_file_and_settings_share_their_defaults():
    notebook = _notebook_defaults()
    params = yaml.safe_load(PARAMS.read_text())
    assert notebook == params
    defaults = pf.Settings.defaults()
    assert set(defaults) == set(notebook)
    assert {k: list(v) if isinstance(v, tuple) else v for k, v in defaults.items()} == notebook
    pf.Settings.RULES.check(notebook)


@pytest.mark.slow
def test_notebook_on_the_sample_records_key_figures_and_tables(tmp_path):
    run_dir = execute_report_notebook(NOTEBOOK, tmp_path, None, {"simulations": 500})
    figures = json.loads((run_dir / "key_figures.json").read_text())
    for name in KEY_FIGURES:
        assert figures[name] is not None, name
    assert figures["forecast_current_low"] < figures["forecast_current_high"]
    tables = {p.stem for p in (run_dir / "tables").glob("*.csv")}
    assert {"stage_funnel", "forecast_backtest", "sla_plan"} <= tables
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    text = json.dumps([c.get("outputs", []) for c in out.cells])
    assert "data:image/png;base64" in text and "MQL" in text and "Traceback" not in text
