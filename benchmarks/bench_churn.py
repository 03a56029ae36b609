"""Benchmark of the churn model: stage timings at several sample scales, then the whole notebook.

    python benchmarks/bench_churn.py [--scales 2000 20000 100000] [--runs 3] [--notebook-scales 2000 20000]

Prints one table: median seconds of ``--runs`` runs per stage (feature table,
train = split + fit + choose + calibrate + bootstrap metrics, drivers, score
current customers) and the peak resident memory of this process so far; then
the median wall time of the notebook executed by papermill, with
``REVOPS_NB_DATA`` pointing at a temporary data.yaml of that sample scale.
No assertions: it measures.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
from pathlib import Path

from _common import sample_data_yaml, timed

from revops_nb import data
from revops_nb.reports import churn_model
from revops_nb.reports.churn_model._analyze import model_table
from revops_nb.reports.churn_model._at_risk import score_current
from revops_nb.reports.churn_model._drivers import drivers
from revops_nb.reports.churn_model._models import fit_models

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "churn_model.ipynb"


def bench_stages(scale: int, runs: int, folder: Path) -> dict[str, float]:
    """Median seconds per stage at ``scale`` accounts."""
    ds = data.load(churn_model.TABLES, data_file=sample_data_yaml(folder, scale))
    tables = {name: ds.get(name) for name in churn_model.TABLES}
    settings = churn_model.Settings.from_params()
    times: dict[str, list[float]] = {"features": [], "train": [], "drivers": [], "score": []}
    rows = test_rows = 0
    for _ in range(runs):
        t, table = timed(lambda: model_table(tables, settings))
        times["features"].append(t)
        t, model = timed(lambda table=table: fit_models(table, n_bootstrap=settings.n_bootstrap))
        times["train"].append(t)
        t, _ = timed(lambda model=model: drivers(model))
        times["drivers"].append(t)
        t, _ = timed(lambda model=model: score_current(model))
        times["score"].append(t)
        rows, test_rows = len(table.frame), len(model.split.test)
    out = {k: statistics.median(v) for k, v in times.items()}
    out["rows"], out["test_rows"] = rows, test_rows
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def bench_notebook(scale: int, runs: int, folder: Path) -> float:
    """Median wall seconds of the whole notebook under papermill at ``scale`` accounts."""
    import papermill as pm

    os.environ["REVOPS_NB_DATA"] = str(sample_data_yaml(folder, scale))
    os.environ.pop("REVOPS_NB_RUN_DIR", None)
    times = []
    for i in range(runs):
        out = folder / f"churn_{scale}_{i}.ipynb"
        t, _ = timed(lambda out=out: pm.execute_notebook(str(NOTEBOOK), str(out), progress_bar=False))
        times.append(t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[2000, 20000, 100000])
    parser.add_argument("--notebook-scales", type=int, nargs="*", default=[2000, 20000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"churn model, median of {args.runs} runs (seconds)")
        header = f"{'accounts':>9} {'rows':>9} {'test':>7} {'features':>9} {'train':>7} {'drivers':>8} {'score':>7} {'total':>7} {'peak MB':>8}"
        print(header)
        for scale in args.scales:
            r = bench_stages(scale, args.runs, folder)
            total = r["features"] + r["train"] + r["drivers"] + r["score"]
            print(
                f"{scale:>9,} {r['rows']:>9,} {r['test_rows']:>7,} {r['features']:>9.2f} {r['train']:>7.2f} "
                f"{r['drivers']:>8.2f} {r['score']:>7.2f} {total:>7.2f} {r['peak_mb']:>8.0f}",
                flush=True,
            )
        for scale in args.notebook_scales:
            seconds = bench_notebook(scale, args.runs, folder)
            print(f"notebook via papermill, {scale:,} accounts: {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
