"""End-to-end runs of notebooks/market_analysis.ipynb with papermill (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from revops_nb import sample
from tests.helpers import execute_report_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "market_analysis.ipynb"
FIXTURES = ROOT / "tests" / "fixtures" / "market"


def _run(tmp_path: Path, monkeypatch, data_file: Path | None, parameters: dict | None = None) -> Path:
    return execute_report_notebook(NOTEBOOK, tmp_path, data_file, parameters)


def test_saved_notebook_has_no_outputs_and_a_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])


@pytest.mark.slow
def test_notebook_on_the_sample_records_key_figures_and_tables(tmp_path, monkeypatch):
    run_dir = _run(tmp_path, monkeypatch, None)
    figures = json.loads((run_dir / "key_figures.json").read_text())
    assert figures["top_growth_region"] == sample.FASTEST_GROWING_REGION
    assert set(figures) >= {
        "bookings_total",
        "bookings_growth_yoy",
        "arr_total",
        "customers_total",
        "top_growth_region_growth",
        "penetration_accounts",
    }
    tables = run_dir / "tables"
    bookings = pd.read_csv(tables / "bookings_by_period.csv")
    assert list(bookings.columns) == ["period", "region", "segment", "bookings", "deals"]
    assert bookings["bookings"].sum() == pytest.approx(figures["bookings_total"])
    growth = pd.read_csv(tables / "growth_by_region.csv").set_index("region")
    assert growth.loc["All regions", "growth"] == pytest.approx(figures["bookings_growth_yoy"])
    assert growth.loc["APAC", "growth"] == pytest.approx(figures["top_growth_region_growth"])
    assert growth.loc["All regions", "cagr_years"] == pytest.approx(2.25)  # from 2023Q3, after the ramp-up
    penetration = pd.read_csv(tables / "penetration.csv")
    assert penetration.iloc[-1]["penetration_accounts"] == pytest.approx(figures["penetration_accounts"])
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    images = [  # charts are <img alt="title"> with the PNG embedded (see charts.set_theme)
        o
        for c in out.cells
        if c.cell_type == "code"
        for o in c.outputs
        if 'src="data:image/png;base64,' in str(o.get("data", {}).get("text/html", ""))
    ]
    assert len(images) == 8
    text = "\n".join(
        str(o.get("data", {}).get(kind, ""))
        for c in out.cells
        for o in c.get("outputs", [])
        for kind in ("text/html", "text/markdown")
    )
    assert "2023Q1–2023Q2 are the ramp-up, kept in totals, shares, customers and win rates" in text
    assert "2023Q1 to 2026Q3 (data up to 2026-09-30)" in text
    assert "growth rates start in 2023Q3, after the ramp-up (2023Q1–2023Q2)" in text
    assert "assumed to be in the reporting currency (USD)" in text


@pytest.mark.slow
def test_notebook_with_only_opportunities_and_several_currencies(tmp_path, monkeypatch):
    data_file = tmp_path / "data.yaml"
    opps_only = tmp_path / "opportunities.csv"
    frame = pd.read_csv(FIXTURES / "opportunities.csv")
    frame.loc[frame["currency"].notna(), "currency"] = "EUR"
    frame.to_csv(opps_only, index=False)
    data_file.write_text(f"sample: false\ntables:\n  opportunities:\n    path: {opps_only}\n")
    run_dir = _run(
        tmp_path,
        monkeypatch,
        data_file,
        {"grain": "year", "min_n": 1, "currency": "EUR", "ramp_up_quantile": None},
    )
    figures = json.loads((run_dir / "key_figures.json").read_text())
    assert figures["arr_total"] is None and "penetration_accounts" not in figures
    assert figures["bookings_total"] == pytest.approx(
        frame.loc[frame["stage"] == "Closed Won", "amount"].sum()
    )
    assert not (run_dir / "tables" / "penetration.csv").exists()

    fixture_run = tmp_path / "fixture"
    fixture_run.mkdir()
    run_dir = _run(
        fixture_run,
        monkeypatch,
        FIXTURES / "data.yaml",
        {"grain": "year", "min_n": 1, "ramp_up_quantile": None},
    )
    figures = json.loads((run_dir / "key_figures.json").read_text())
    assert figures["bookings_total"] == pytest.approx(11225 + 14090)
    assert figures["bookings_growth_yoy"] == pytest.approx(14090 / 11225 - 1)
