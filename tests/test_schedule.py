"""With several workers, the reports that took longest last time start first."""

from __future__ import annotations

import json

from revops_nb.report.execute import RunRequest
from revops_nb.report.runner import longest_first


def _request(name: str, out) -> RunRequest:
    return RunRequest(name, name, f"{name}.ipynb", {}, None, str(out))


def _past_run(out, report: str, run_id: str, seconds: float | None) -> None:
    folder = out / report / run_id
    folder.mkdir(parents=True)
    body = {"timings": {"execute_s": seconds, "render_s": 0.5}} if seconds is not None else "not json {"
    (folder / "run.json").write_text(json.dumps(body) if seconds is not None else body)


def test_the_longest_last_run_starts_first_and_reports_without_history_keep_their_order(tmp_path):
    _past_run(tmp_path, "market_analysis", "20261201T000000Z-a", 9.0)
    _past_run(tmp_path, "churn_model", "20261101T000000Z-a", 5.0)
    _past_run(tmp_path, "churn_model", "20261201T000000Z-b", 150.0)  # the latest run counts
    _past_run(tmp_path, "win_loss", "20261201T000000Z-c", None)  # unreadable: as if never run
    names = ["market_analysis", "win_loss", "nps_retention", "churn_model", "revenue_retention"]
    ordered = longest_first([_request(n, tmp_path) for n in names], tmp_path)
    assert [r.report for r in ordered] == [
        "churn_model",
        "market_analysis",
        "win_loss",
        "nps_retention",
        "revenue_retention",
    ]


def test_a_first_run_keeps_the_requested_order(tmp_path):
    names = ["market_analysis", "win_loss", "churn_model"]
    assert [r.report for r in longest_first([_request(n, tmp_path) for n in names], tmp_path)] == names
