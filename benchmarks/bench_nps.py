"""Benchmark of the NPS-to-retention report: analysis steps and the whole notebook.

Times each analysis function and a papermill run of ``notebooks/nps_retention.ipynb``
on the embedded sample at its default scale (2,000 accounts) and at 10x, and
prints a table of medians over several runs. No assertions: run it by hand,
``python benchmarks/bench_nps.py [--runs 3] [--skip-notebook]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from _common import median_run, sample_data_yaml

from revops_nb import data
from revops_nb.reports import nps_retention as nps

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "nps_retention.ipynb"
TABLES = nps.TABLES
SCALES = (2000, 20000)


def bench_steps(path: Path, runs: int) -> dict[str, float]:
    """Median time of each analysis step on the tables ``path`` serves."""
    ds = data.load(TABLES, data_file=path)
    t = {name: ds.get(name) for name in TABLES}
    params = nps.Settings.from_params()
    prepared = nps.prepare_responses(t["nps_responses"], params, t["accounts"])
    linked = nps.link_outcomes(prepared, params, t["subscriptions"], t["customers"], t["fx_rates"])
    acc = linked.accounts
    retention = nps.retention_by_category(acc, params)
    steps: dict[str, Callable[[], object]] = {
        "load tables": lambda: data.load(TABLES, data_file=path),
        "prepare responses": lambda: nps.prepare_responses(t["nps_responses"], params, t["accounts"]),
        "link outcomes": lambda: nps.link_outcomes(
            prepared, params, t["subscriptions"], t["customers"], t["fx_rates"]
        ),
        "NPS by segment + quarter": lambda: (
            nps.nps_by_segment(prepared.frame, params),
            nps.nps_by_quarter(prepared.frame, params),
        ),
        "retention by category": lambda: nps.retention_by_category(acc, params),
        "logistic regression": lambda: nps.churn_regression(acc, params),
        "Kaplan-Meier + log-rank": lambda: nps.survival_by_category(acc, params),
        "ARR at risk": lambda: nps.arr_at_risk(linked, retention),
        "analyze (all steps)": lambda: nps.analyze(ds, params),
    }
    out = {name: median_run(fn, runs)[0] for name, fn in steps.items()}
    out["_rows"] = (len(t["nps_responses"]), len(acc))
    return out


def bench_notebook(path: Path, runs: int, folder: Path) -> float:
    """Median wall time of a papermill run of the notebook with ``REVOPS_NB_DATA=path``."""
    import papermill as pm

    os.environ["REVOPS_NB_DATA"] = str(path)
    os.environ.pop("REVOPS_NB_RUN_DIR", None)

    def run() -> None:
        pm.execute_notebook(
            str(NOTEBOOK), str(folder / "out.ipynb"), progress_bar=False, log_output=False, cwd=str(ROOT)
        )

    try:
        return median_run(run, runs)[0]
    finally:
        os.environ.pop("REVOPS_NB_DATA", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per timing (median reported)")
    parser.add_argument("--skip-notebook", action="store_true", help="time the analysis steps only")
    parser.add_argument("--scales", type=int, nargs="+", default=list(SCALES), help="sample accounts")
    args = parser.parse_args()
    scales = tuple(args.scales)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = {}
        for scale in scales:
            path = sample_data_yaml(folder, scale)
            results[scale] = bench_steps(path, args.runs)
            if not args.skip_notebook:
                results[scale]["notebook (papermill)"] = bench_notebook(path, args.runs, folder)
    names = [k for k in results[scales[0]] if not k.startswith("_")]
    header = f"{'stage (median of ' + str(args.runs) + ' runs, s)':<34}" + "".join(
        f"{f'scale {s:,}':>16}" for s in scales
    )
    print(header)
    rows = "".join(f"{results[s]['_rows'][0]:>9,}/{results[s]['_rows'][1]:<6,}" for s in scales)
    print(f"{'responses / linked accounts':<34}{rows}")
    for name in names:
        print(f"{name:<34}" + "".join(f"{results[s][name]:>16.3f}" for s in scales))


if __name__ == "__main__":
    main()
