"""Benchmark the revenue retention report at sample scale and 10x: analysis stages and the whole notebook.

Each scale runs in a fresh process, so its peak resident memory is its own. Prints a table of median
wall-clock seconds over ``--repeat`` runs per stage, and the peak MiB of the process (no assertions).
Usage: python benchmarks/bench_revenue_retention.py [--repeat 3] [--scales 2000 20000] [--no-notebook]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import median_run, run_notebook, sample_data_yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "revenue_retention.ipynb"


def bench_scale(scale: int, repeat: int, notebook: bool, folder: Path) -> dict:
    """Median seconds per stage at one sample scale, in this process."""
    from revops_nb import data
    from revops_nb.reports import revenue_retention as rr
    from revops_nb.reports.revenue_retention._clv import ALL

    data_file = sample_data_yaml(folder, scale)
    rows = []
    t, ds = median_run(lambda: data.load(rr.TABLES, data_file=data_file), repeat)
    rows.append(("load (sample generation cached after the first run)", t))
    s = rr.Settings.from_params()
    subs, accounts, opps, fx = (
        ds["subscriptions"],
        ds.get("accounts"),
        ds.get("opportunities"),
        ds.get("fx_rates"),
    )
    t, book = median_run(lambda: rr.prepare_book(subs, accounts, opps, fx, s), repeat)
    rows.append(("prepare_book (currency, customers, channels)", t))
    t, waterfall = median_run(lambda: rr.arr_waterfall(book, s), repeat)
    rows.append(("arr_waterfall (with NRR/GRR bootstrap per period)", t))
    t, clv = median_run(lambda: rr.customer_value(book, s), repeat)
    rows.append(("customer_value (sBG per segment, CLV, fit check)", t))
    stages = {
        "ttm_retention (overall and by dimension, bootstrap)": lambda: rr.ttm_retention(book, s),
        "cohort_retention": lambda: rr.cohort_retention(book, s),
        "cohort_survival (KM, log-rank, Cox trend)": lambda: rr.cohort_survival(book, s),
        "acquisition (CAC, payback, LTV:CAC)": lambda: rr.acquisition(
            book, ds.get("marketing_spend"), fx, clv.fits.get(ALL), waterfall.table, s, []
        ),
        "analyze (all of the above)": lambda: rr.analyze(ds, s),
    }
    for name, fn in stages.items():
        rows.append((name, median_run(fn, repeat)[0]))
    if notebook:
        rows.append(
            (
                "notebook via papermill (new kernel)",
                median_run(lambda: run_notebook(NOTEBOOK, data_file, folder), repeat)[0],
            )
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "subscriptions": len(subs), "peak_mib": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scales", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--no-notebook", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)  # one scale, in this process
    args = parser.parse_args()
    if args.child is not None:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(bench_scale(args.child, args.repeat, not args.no_notebook, Path(tmp))))
        return
    results = []
    for scale in args.scales:
        command = [sys.executable, __file__, "--child", str(scale), "--repeat", str(args.repeat)]
        if args.no_notebook:
            command.append("--no-notebook")
        out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
        results.append((scale, json.loads(out.stdout.strip().splitlines()[-1])))
    print(f"{'scale':>7} {'subs':>8}  {'stage':<54} {'median s':>9}")
    for scale, result in results:
        for name, seconds in result["rows"]:
            print(f"{scale:>7} {result['subscriptions']:>8,}  {name:<54} {seconds:>9.3f}")
        print(
            f"{scale:>7} {result['subscriptions']:>8,}  {'peak resident memory of the process (MiB)':<54} {result['peak_mib']:>9.0f}"
        )
    print(f"(median of {args.repeat} runs each; each scale in its own process)")


if __name__ == "__main__":
    main()
