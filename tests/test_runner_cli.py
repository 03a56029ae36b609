"""End-to-end runs of ``revops-nb run`` on the small test notebook, into temporary folders."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest

from tests.helpers import (
    CLI,
    ROOT,
    TINY_NOTEBOOKS,
    assert_clean_error,
    cli,
    write_data_yaml,
    write_xss_sample,
)

pytestmark = pytest.mark.slow

SECRET = "s3cr3t-SENTINEL-value"


def run_tiny(out: Path, *args: str, data: Path | None = None):
    extra = ["--data", str(data)] if data else []
    return cli("run", "--notebooks", TINY_NOTEBOOKS, "--out", out, *extra, *args)


def runs_of(out: Path, report: str = "tiny") -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / report).glob("*/run.json"))]


@pytest.fixture(scope="module")
def xss_data(tmp_path_factory) -> Path:
    """The sample written to CSV with two account names that try to inject markup."""
    return write_xss_sample(tmp_path_factory.mktemp("xss"))


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, xss_data) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = run_tiny(out, "-p", f"secret_token={SECRET}", "-p", "rows=4", data=xss_data)
    assert result.code == 0, result.text
    return out


def test_run_publishes_report_run_json_tables_and_index(good_run):
    (run,) = runs_of(good_run)
    assert run["status"] == "ok" and run["report"] == "tiny"
    folder = good_run / "tiny" / run["run_id"]
    assert {p.name for p in folder.iterdir()} >= {"report.html", "report.ipynb", "run.json", "tables"}
    assert (folder / "tables" / "accounts_shown.csv").read_text().count("\n") == 5  # header + 4 rows
    assert run["params"]["secret_token"] == "***" and run["params"]["rows"] == 4
    assert run["params"]["label"] == "tiny"  # every parameter the run used, defaults too
    assert set(run["data"]) == {"opportunities", "accounts"}
    assert len(run["data_fingerprint"]) == 16
    assert run["versions"]["pandas"].startswith("3.")
    assert run["key_figures"]["n_opps"] > 0 and 0 < run["key_figures"]["win_rate"] < 1
    assert run["duration_s"] > 0 and run["finished"] >= run["started"]
    index = (good_run / "index.html").read_text()
    assert run["run_id"] in index and "Tiny test report" in index
    assert not list((good_run / "tiny").glob(".tmp-*"))


def test_report_html_has_no_code_params_secrets_or_external_urls(good_run):
    from revops_nb.report.html import external_references

    (run,) = runs_of(good_run)
    folder = good_run / "tiny" / run["run_id"]
    html = (folder / "report.html").read_text()
    assert "charts.set_theme" not in html and "import pandas" not in html
    assert "injected-parameters" not in html and "secret_token" not in html
    assert SECRET not in html
    assert "In&nbsp;[" not in html and 'jp-InputPrompt">In' not in html
    assert external_references(html) == []
    assert "require.js" not in html and "mathjax" not in html.lower()
    assert "<h1>Tiny test report</h1>" in html and 'href="#Summary"' in html
    assert "data:image/png;base64" in html
    log = nbformat.read(folder / "report.ipynb", as_version=4)
    assert "parameters" not in log.metadata.get("papermill", {})
    assert SECRET not in (folder / "report.ipynb").read_text()


def test_text_from_data_is_escaped(good_run):
    (run,) = runs_of(good_run)
    html = (good_run / "tiny" / run["run_id"] / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x onerror" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_failed_cell_keeps_previous_good_run_and_exits_1(tmp_path):
    assert run_tiny(tmp_path).code == 0
    (good,) = runs_of(tmp_path)
    good_html = (tmp_path / "tiny" / good["run_id"] / "report.html").read_bytes()
    result = run_tiny(tmp_path, "-p", "fail=true")
    assert result.code == 1, result.text
    assert "ValueError" in result.text and "Traceback" not in result.text
    runs = {r["status"]: r for r in runs_of(tmp_path)}
    failed = runs["failed"]
    assert "planted failure" in failed["error"]
    html = (tmp_path / "tiny" / failed["run_id"] / "report.html").read_text()
    assert html.index("This report failed") < html.index('id="Summary"')
    assert "Win rate is" in html  # cells that ran before the failure are shown
    assert 'id="After-the-switches"' not in html and "Only present" not in html
    assert (tmp_path / "tiny" / good["run_id"] / "report.html").read_bytes() == good_html
    index = (tmp_path / "index.html").read_text()
    assert good["run_id"] in index and failed["run_id"] in index and "Latest good run" in index


def test_dead_kernel_is_a_failed_report_with_a_reason(tmp_path):
    result = run_tiny(tmp_path, "-p", "die=true")
    assert result.code == 1, result.text
    (run,) = runs_of(tmp_path)
    assert run["status"] == "failed" and "kernel died" in run["error"]
    assert (tmp_path / "tiny" / run["run_id"] / "report.html").exists()


def test_cell_timeout_is_a_failed_report_with_a_reason(tmp_path):
    result = run_tiny(tmp_path, "-p", "sleep_s=30", "--cell-timeout", "2")
    assert result.code == 1, result.text
    (run,) = runs_of(tmp_path)
    assert run["status"] == "failed" and "cell timeout" in run["error"]
    assert run["duration_s"] < 25


def test_two_concurrent_runs_into_one_folder_both_land_in_the_index(tmp_path):
    cmd = [
        *CLI,
        "run",
        "--notebooks",
        str(TINY_NOTEBOOKS),
        "--out",
        str(tmp_path),
    ]
    procs = [
        subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stdout.read().decode() if proc.stdout else ""
    runs = runs_of(tmp_path)
    assert len(runs) == 2 and len({r["run_id"] for r in runs}) == 2
    index = (tmp_path / "index.html").read_text()
    assert all(r["run_id"] in index for r in runs)


def test_unknown_parameter_is_exit_2_before_anything_runs(tmp_path):
    result = run_tiny(tmp_path / "out", "-p", "colour=red")
    assert_clean_error(result, 2, "colour")
    assert not (tmp_path / "out").exists()


def test_wrong_type_in_params_file_names_file_key_and_type(tmp_path):
    params = tmp_path / "mine.yaml"
    params.write_text("rows: many\n")
    result = run_tiny(tmp_path / "out", "--params", str(params))
    assert_clean_error(result, 2, str(params), "'rows'", "int")
    assert not (tmp_path / "out").exists()


def test_wrong_type_on_command_line_names_key_and_type(tmp_path):
    result = run_tiny(tmp_path / "out", "-p", "threshold=high")
    assert_clean_error(result, 2, "-p", "'threshold'", "float")


def test_sectioned_params_file_applies_only_its_report(tmp_path):
    params = tmp_path / "all.yaml"
    params.write_text("tiny:\n  rows: 2\nwin_loss:\n  min_n: 10\n")
    result = run_tiny(tmp_path / "out", "--params", str(params))
    assert result.code == 0, result.text
    (run,) = runs_of(tmp_path / "out")
    assert run["params"]["rows"] == 2


def test_report_needing_unconfigured_table_is_skipped_or_exit_2_when_named(tmp_path):
    data = write_data_yaml(tmp_path, {}, sample=False)
    skipped = run_tiny(tmp_path / "out", data=data)
    assert skipped.code == 0, skipped.text
    assert "tiny: skipped, needs the opportunities table" in skipped.text
    named = cli("run", "tiny", "--notebooks", TINY_NOTEBOOKS, "--out", tmp_path / "out", "--data", data)
    assert_clean_error(named, 2, "needs the opportunities table")


def test_invalid_data_is_exit_2_and_nothing_runs(tmp_path):
    (tmp_path / "opps.csv").write_text("opportunity_id,stage\nO1,Closed Won\n")
    data = write_data_yaml(tmp_path, {"opportunities": {"path": "opps.csv"}})
    result = run_tiny(tmp_path / "out", data=data)
    assert_clean_error(result, 2, "created_date", "opps.csv")
    assert not (tmp_path / "out" / "tiny").exists()


def test_list_shows_reports_and_parameters():
    result = cli("list", "--notebooks", TINY_NOTEBOOKS)
    assert result.code == 0, result.text
    assert "tiny: Tiny test report" in result.out
    assert "rows: int = 5  # rows shown" in result.out


def test_data_file_from_environment_reaches_the_kernel(tmp_path, xss_data):
    import os

    env = dict(os.environ, REVOPS_NB_DATA=str(xss_data))
    proc = subprocess.run(
        [
            *CLI,
            "run",
            "--notebooks",
            str(TINY_NOTEBOOKS),
            "--out",
            str(tmp_path),
            "--params-dir",
            str(tmp_path / "none"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = runs_of(tmp_path)
    assert run["data_file"] == str(xss_data.resolve())
    assert run["data"]["accounts"]["source"] == "accounts.csv"


def test_secrets_in_error_messages_are_redacted_everywhere(tmp_path):
    leak_nb = nbformat.read(TINY_NOTEBOOKS / "tiny.ipynb", as_version=4)
    leak_nb.cells.append(
        nbformat.v4.new_code_cell(
            'raise RuntimeError(f"cannot reach postgresql://u:{secret_token}@db/crm with {secret_token}")'
        )
    )
    folder = tmp_path / "nbs"
    folder.mkdir()
    nbformat.write(leak_nb, folder / "leak.ipynb")
    out = tmp_path / "out"
    result = cli("run", "--notebooks", folder, "--out", out, "-p", f"secret_token={SECRET}")
    assert result.code == 1 and SECRET not in result.text
    (run,) = runs_of(out, "leak")
    assert "***" in run["error"]
    for path in [*out.rglob("*.html"), *out.rglob("*.ipynb"), *out.rglob("*.json")]:
        assert SECRET not in path.read_text(), path


def test_flat_params_file_applies_only_keys_a_report_declares(tmp_path):
    params = tmp_path / "flat.yaml"
    params.write_text("rows: 2\n")
    result = run_tiny(tmp_path / "out", "--params", str(params))
    assert result.code == 0, result.text
    params.write_text("rows: 2\nnot_a_param: 1\n")
    assert_clean_error(run_tiny(tmp_path / "out2", "--params", str(params)), 2, "not_a_param")


def test_command_line_values_keep_their_declared_types():
    from revops_nb.report.notebook_params import read_param_specs
    from revops_nb.report.params import merge_params

    specs = read_param_specs(TINY_NOTEBOOKS / "tiny.ipynb")
    merged = merge_params("tiny", specs, None, [], ["threshold=1e-3", "names=[NO,SE]", "label=yes"])
    assert merged == {"threshold": 0.001, "names": ["NO", "SE"], "label": "yes"}
