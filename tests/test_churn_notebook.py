"""End-to-end runs of notebooks/churn_model.ipynb with papermill (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest

from tests.helpers import execute_report_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "churn_model.ipynb"
FIXTURE = ROOT / "tests" / "fixtures" / "churn"
REQUIRED = {"mode", "churn_rate", "n_train", "n_test", "roc_auc", "roc_auc_ci_low", "roc_auc_ci_high",
            "pr_auc", "brier", "top_decile_lift", "arr_at_risk", "model"}  # fmt: skip


def _run(tmp_path: Path, monkeypatch, data_file: Path | None = None, **parameters) -> tuple[dict, Path]:
    run_dir = execute_report_notebook(NOTEBOOK, tmp_path, data_file, parameters)
    return json.loads((run_dir / "key_figures.json").read_text()), run_dir / "tables"


@pytest.mark.slow
def test_notebook_on_the_sample_records_what_its_tables_show(tmp_path, monkeypatch):
    figures, tables = _run(tmp_path, monkeypatch, n_bootstrap=200)
    assert set(figures) >= REQUIRED
    assert figures["mode"] == "history"
    metrics = pd.read_csv(tables / "model_metrics.csv").set_index("model")
    chosen = metrics.loc[figures["model"]]
    assert figures["roc_auc"] == pytest.approx(chosen["roc_auc"])
    assert figures["roc_auc_ci_low"] == pytest.approx(chosen["roc_auc_ci_low"])
    assert chosen["auc_gain_ci_low"] > 0
    lift = pd.read_csv(tables / "lift_by_decile.csv")
    assert figures["top_decile_lift"] == pytest.approx(lift["lift"].iloc[0])
    scores = pd.read_csv(tables / "churn_scores.csv")
    assert list(scores.columns) == ["account_id", "churn_probability", "arr", "arr_at_risk", "top_drivers"]
    assert figures["arr_at_risk"] == pytest.approx(scores["arr_at_risk"].sum())
    for name in ("calibration", "drivers"):
        assert not pd.read_csv(tables / f"{name}.csv").empty


@pytest.mark.slow
def test_notebook_in_snapshot_mode_on_a_customers_export(tmp_path, monkeypatch):
    figures, _tables = _run(tmp_path, monkeypatch, data_file=FIXTURE / "data.yaml", n_bootstrap=200)
    assert figures["mode"] == "snapshot"
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    html = "".join(
        o.get("data", {}).get("text/html", "") for c in out.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "<b>Enterprise</b>" not in html  # the plan label from the data is escaped
    assert "seats" in html  # the coerced text-in-numeric values are reported


@pytest.mark.slow
def test_notebook_stops_with_the_parameter_named(tmp_path, monkeypatch):
    with pytest.raises(pm.PapermillExecutionError, match="parameter 'horizon_days'"):
        _run(tmp_path, monkeypatch, horizon_days=0)


def test_notebook_is_saved_without_outputs_and_has_a_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert code[0].metadata.get("tags") == ["parameters"]
    assert all(len(c.source.splitlines()) <= 15 for c in code)
