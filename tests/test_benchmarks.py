"""Every benchmark still runs (at a tiny scale): they are not timed here, only kept from rotting.

A benchmark broken by a refactor went unnoticed once; this runs each one end to end on a
few hundred accounts with one repeat and checks it printed its table.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow

RUNS = {
    "bench_sample.py": ["--scales", "300", "--repeats", "1"],
    "bench_market.py": ["--scales", "600", "--runs", "1", "--no-notebook"],
    "bench_win_loss.py": ["--scales", "600", "--repeat", "1", "--no-notebook"],
    "bench_nps.py": ["--scales", "600", "--runs", "1", "--skip-notebook"],
    "bench_churn.py": ["--scales", "600", "--notebook-scales", "--runs", "1"],
    "bench_revenue_retention.py": ["--scales", "600", "--repeat", "1", "--no-notebook"],
    "bench_pipeline_forecast.py": ["--scales", "600", "--repeat", "1", "--no-notebook"],
    "bench_scale.py": ["--base", "300", "--scales", "1", "--runs", "1"],
    "bench_hostile_input.py": ["--size", "20000", "--runs", "1"],
}


def test_every_benchmark_is_smoke_tested():
    assert {p.name for p in (ROOT / "benchmarks").glob("bench_*.py")} - set(RUNS) <= {
        "bench_reports.py",  # runs notebooks through revops-nb run: covered by the end-to-end tests
        "bench_runner.py",
    }


@pytest.mark.parametrize("script", sorted(RUNS))
def test_benchmark_runs_at_a_tiny_scale(script):
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *RUNS[script]],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().count("\n") >= 2, result.stdout
