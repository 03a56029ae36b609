"""Every report on the CSV (and Parquet) round trip of the sample, as a new user runs them.

``revops-nb sample --out`` writes the tables a user would export; reading them back
must give the same dtypes as the in-memory sample (dates in nanoseconds), and every
report must run on them, with date parameters too (a parameter parsed in pandas'
default microseconds once broke the churn model's NPS join).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from revops_nb import data
from revops_nb.data.contract import TABLES
from revops_nb.report.registry import ORDER
from revops_nb.reports._settings import date_parameter
from revops_nb.sample_export import write_sample
from tests.helpers import cli


@pytest.fixture(scope="module")
def csv_sample(tmp_path_factory) -> Path:
    return write_sample(tmp_path_factory.mktemp("csv_sample"), scale=600)


def _date_dtypes(ds: data.Dataset) -> dict[str, str]:
    out = {}
    for name, load in ds.loads.items():
        kinds = TABLES[name].kinds
        for col in load.frame.columns:
            if kinds.get(col) == "date":
                out[f"{name}.{col}"] = str(load.frame[col].dtype)
    return out


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_date_column_loads_in_nanoseconds_like_the_sample(tmp_path, fmt):
    data_yaml = write_sample(tmp_path, scale=200, fmt=fmt)
    from_files = _date_dtypes(data.load(data_file=data_yaml))
    in_memory = _date_dtypes(data.load())
    assert from_files and set(from_files.values()) == {"datetime64[ns]"}
    assert from_files == in_memory


@pytest.mark.parametrize("text", ["2026-06-30", " 2026-06-30 ", pd.Timestamp("2026-06-30 13:00").date()])
def test_date_parameters_are_midnight_in_nanoseconds(text):
    value = date_parameter(text)
    assert value == pd.Timestamp("2026-06-30") and value.unit == "ns"
    assert date_parameter(None) is None and date_parameter(" ") is None


@pytest.mark.slow
def test_every_report_runs_on_the_csv_export_with_date_parameters(csv_sample, tmp_path):
    out = tmp_path / "out"
    params = tmp_path / "dates.yaml"
    params.write_text(
        "market_analysis: {period_end: 2026-06-30}\n"
        "win_loss: {period_start: 2024-01-01, period_end: 2026-06-30}\n"
        "nps_retention: {as_of: 2026-06-30}\n"
        "churn_model: {mode: history, as_of: 2026-06-30}\n"
        "revenue_retention: {period_start: 2024-01-01, period_end: 2026-06-30}\n"
        "pipeline_forecast: {as_of: 2026-06-30}\n"
    )
    result = cli("run", "--data", csv_sample, "--params", params, "--out", out, "--jobs", "2")
    assert result.code == 0, result.text
    for report in ORDER:
        (run_json,) = (out / report).glob("*/run.json")
        run = json.loads(run_json.read_text())
        assert run["status"] == "ok", (report, run.get("error"))
