"""Helpers shared by the benchmark scripts: sample data.yaml files, timing, notebook runs."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sample_data_yaml(folder: Path, scale: int) -> Path:
    """A data.yaml that serves every table from the embedded sample at ``scale`` accounts."""
    path = folder / f"data_{scale}.yaml"
    path.write_text(f"connection: null\ntables: {{}}\nsample: true\nsample_scale: {scale}\n")
    return path


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Wall seconds of one call of ``fn`` and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median_run(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    """Median wall seconds of ``fn`` over ``runs`` calls, and the last call's result."""
    times, result = [], None
    for _ in range(runs):
        seconds, result = timed(fn)
        times.append(seconds)
    return statistics.median(times), result


def run_notebook(notebook: Path, data_file: Path, out_dir: Path) -> None:
    """Execute ``notebook`` with papermill on ``data_file``, as a scheduler would (no run folder)."""
    import papermill as pm

    os.environ["REVOPS_NB_DATA"] = str(data_file)
    os.environ.pop("REVOPS_NB_RUN_DIR", None)
    pm.execute_notebook(
        str(notebook), str(out_dir / f"{notebook.stem}.ipynb"), progress_bar=False, cwd=str(ROOT)
    )
