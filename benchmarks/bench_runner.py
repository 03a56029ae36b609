"""Benchmark: `revops-nb run --jobs 2` against the plain papermill + nbconvert CLI chain.

(a) revops-nb run --jobs 2 on the four report notebooks (execute, render HTML, run.json, index)
(b) for each notebook, one after another: `papermill IN OUT` then
    `jupyter nbconvert --to html --no-input OUT`

Prints the median wall time of each over --repeats runs and the ratio a/b.

    python benchmarks/bench_runner.py [--repeats 3] [--reports ...]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REPORTS = ["market_analysis", "win_loss", "nps_retention", "churn_model"]


def timed(commands: list[list[str]]) -> float:
    start = time.perf_counter()
    for cmd in commands:
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reports", nargs="+", default=REPORTS)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    a_times, b_times = [], []
    for i in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            run_a = [
                [
                    str(BIN / "revops-nb"),
                    "run",
                    *args.reports,
                    "--jobs",
                    str(args.jobs),
                    "--out",
                    str(out / "a"),
                ]
            ]
            chain = []
            for report in args.reports:
                executed = out / "b" / f"{report}.ipynb"
                executed.parent.mkdir(parents=True, exist_ok=True)
                chain.append(
                    [str(BIN / "papermill"), str(ROOT / "notebooks" / f"{report}.ipynb"), str(executed)]
                )
                chain.append([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)])
            # alternate the order so drift in machine speed hits both equally
            if i % 2 == 0:
                a_times.append(timed(run_a))
                b_times.append(timed(chain))
            else:
                b_times.append(timed(chain))
                a_times.append(timed(run_a))
            shutil.rmtree(out, ignore_errors=True)
        print(f"run {i + 1}: a={a_times[-1]:.1f} s  b={b_times[-1]:.1f} s", flush=True)
    a, b = statistics.median(a_times), statistics.median(b_times)
    print(f"\n{'command':<48} {'median s':>9} {'min s':>7} {'max s':>7}")
    print(
        f"{'(a) revops-nb run --jobs ' + str(args.jobs):<48} {a:>9.1f} {min(a_times):>7.1f} {max(a_times):>7.1f}"
    )
    print(
        f"{'(b) papermill + jupyter nbconvert, sequential':<48} {b:>9.1f} {min(b_times):>7.1f} {max(b_times):>7.1f}"
    )
    print(
        f"ratio a/b (median of runs): {a / b:.2f}   ({len(args.reports)} notebooks, {args.repeats} repeats)"
    )


if __name__ == "__main__":
    main()
