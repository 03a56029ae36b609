"""The user-facing data contract and what ``check`` says a configuration enables."""

from __future__ import annotations

import ast
import re
from importlib import import_module

import nbformat
import pytest

from revops_nb.cli import main
from revops_nb.data.contract import TABLES
from revops_nb.report.contract_doc import contract_markdown
from revops_nb.report.registry import ORDER, USES
from tests.helpers import ROOT


def test_the_committed_contract_is_the_generated_one():
    committed = (ROOT / "params" / "data-contract.md").read_text(encoding="utf-8")
    assert committed == contract_markdown(), "run: revops-nb contract > params/data-contract.md"


def test_contract_names_every_table_and_column(capsys):
    assert main(["contract"]) == 0
    text = capsys.readouterr().out
    for name, spec in TABLES.items():
        assert f"### `{name}`" in text
        for column in spec.kinds:
            assert f"| `{column}` |" in text
    assert "start_date ≤ day < end_date" in text


@pytest.mark.parametrize("report", ORDER)
def test_each_notebook_loads_exactly_the_tables_the_registry_says(report):
    """A notebook loads a ``data.load([...])`` literal, or its report package's ``data.load(report.TABLES)``."""
    nb = nbformat.read(ROOT / "notebooks" / f"{report}.ipynb", as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    match = re.search(r"data\.load\((\[[^\]]*\]|report\.TABLES\b)", source)
    assert match, f"{report} has no data.load([...]) or data.load(report.TABLES) call"
    if match.group(1) == "report.TABLES":
        assert re.search(rf"^from revops_nb\.reports import {report} as report$", source, re.MULTILINE)
        loaded = import_module(f"revops_nb.reports.{report}").TABLES
    else:
        loaded = ast.literal_eval(match.group(1))
    assert tuple(loaded) == USES[report]


def test_check_says_which_reports_run_and_previews_churn_labels(tmp_path, capsys):
    (tmp_path / "opps.csv").write_text(
        "opportunity_id,stage,created_date\nO1,Closed Won,2024-01-01\nO2,Proposal,2024-02-01\n"
    )
    (tmp_path / "data.yaml").write_text("sample: false\ntables:\n  opportunities:\n    path: opps.csv\n")
    assert main(["check", "--data", str(tmp_path / "data.yaml")]) == 0
    out = capsys.readouterr().out
    assert "  market_analysis: would run\n" in out and "  win_loss: would run\n" in out
    assert "  nps_retention: skipped, needs the nps_responses table" in out
    assert "  churn_model: skipped, needs the customers or subscriptions table" in out
    assert "churn labels" not in out
    pipeline = next(line for line in out.splitlines() if line.startswith("  pipeline_forecast: would run"))
    for table in ("opportunity_stages", "leads", "targets"):
        assert f"without {table}: " in pipeline
    assert "without leads: the plan stops at opportunities" in pipeline


def test_check_names_no_missing_optional_table_when_every_one_comes_from_the_sample(capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "  pipeline_forecast: would run (from the sample: opportunities)\n" in out
    assert "  revenue_retention: would run (from the sample: subscriptions)\n" in out


def test_check_previews_history_and_snapshot_labels(tmp_path, capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"churn labels \(history mode, 90-day horizon every 30 days\): [\d,]+ churned of", out)
    (tmp_path / "customers.csv").write_text("account_id,churned\n" + "".join(f"A{i},no\n" for i in range(30)))
    (tmp_path / "data.yaml").write_text("sample: false\ntables:\n  customers:\n    path: customers.csv\n")
    assert main(["check", "--data", str(tmp_path / "data.yaml")]) == 0
    out = capsys.readouterr().out
    assert (
        "churn labels (snapshot mode, customers table): 0 churned of 30 customers (0.0%); no churner" in out
    )
