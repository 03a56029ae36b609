"""Benchmark: all six reports on Parquet exports of the sample at 1x, 10x and 100x, as a scheduler runs them.

    python benchmarks/bench_scale.py [--scales 1 10 100] [--runs 3] [--jobs 2] [--format parquet]

For each scale (a multiple of the sample's 2,000 accounts) the sample is written once as
files with a data.yaml, then ``revops-nb run --jobs N`` renders every report ``--runs``
times into one output folder, as a scheduler does (from the second run on, the runner starts
the reports that took longest last time first). Printed per report: median seconds (its
kernel's execute + render, from run.json), median peak RSS of its kernel (sampled every 0.2 s), rows read from the files and rows
pulled into Python (from run.json's data section: a table aggregated in its engine counts
its aggregate's rows). Then per scale: median wall seconds of the whole run, the runner's
own peak RSS (the data check before any kernel starts), and the time relative to 1x.
No assertions: it measures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from revops_nb.sample import DEFAULT_SCALE
from revops_nb.sample_export import write_sample

ROOT = Path(__file__).resolve().parents[1]
POLL_S = 0.2


def watch_memory(proc: subprocess.Popen, peaks: dict[str, float], stop: threading.Event) -> None:
    """Peak RSS (MiB) of the runner and of each report's kernel (named by its run folder), until ``stop``."""
    parent = psutil.Process(proc.pid)
    names: dict[int, str] = {}
    while not stop.is_set():
        try:
            procs = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in procs:
            try:
                if p.pid not in names:
                    run_dir = p.environ().get("REVOPS_NB_RUN_DIR", "") if p.pid != proc.pid else ""
                    names[p.pid] = "runner" if p.pid == proc.pid else Path(run_dir).parent.name or "other"
                rss = p.memory_info().rss / 2**20
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            peaks[names[p.pid]] = max(peaks.get(names[p.pid], 0.0), rss)
        time.sleep(POLL_S)


def run_once(data_yaml: Path, out: Path, jobs: int) -> dict:
    """One ``revops-nb run`` of every report: wall seconds, per-report seconds, peaks and rows."""
    cmd = [sys.executable, "-m", "revops_nb.cli", "run", "--data", str(data_yaml), "--out", str(out)]
    cmd += ["--jobs", str(jobs)]
    peaks: dict[str, float] = {}
    stop = threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watcher = threading.Thread(target=watch_memory, args=(proc, peaks, stop), daemon=True)
    watcher.start()
    log, _ = proc.communicate()
    wall = time.perf_counter() - start
    stop.set()
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"revops-nb run exited {proc.returncode}:\n{log[-3000:]}")
    reports = {}
    newest = {p.parent.parent.name: p for p in sorted(out.glob("*/*/run.json"))}  # run ids sort by time
    for name, run_json in newest.items():
        run = json.loads(run_json.read_text())
        tables = run.get("data", {})
        reports[name] = {
            "seconds": sum(run.get("timings", {}).values()),
            "peak_mib": peaks.get(name, float("nan")),
            "rows_read": sum(t.get("rows_read", 0) for t in tables.values()),
            "rows_pulled": sum(t.get("rows_pulled", t.get("rows_read", 0)) for t in tables.values()),
        }
    return {"wall": wall, "runner_mib": peaks.get("runner", float("nan")), "reports": reports}


def bench_scale(accounts: int, runs: int, jobs: int, fmt: str, folder: Path) -> dict:
    """Medians over ``runs`` runs on the sample with ``accounts`` accounts."""
    data_yaml = write_sample(folder / f"data_{accounts}", scale=accounts, fmt=fmt)
    # one output folder, as a scheduler keeps: from the second run on, the longest reports start first
    results = [run_once(data_yaml, folder / f"out_{accounts}", jobs) for _ in range(runs)]
    names = sorted(results[0]["reports"])
    med = statistics.median
    return {
        "wall": med(r["wall"] for r in results),
        "runner_mib": med(r["runner_mib"] for r in results),
        "reports": {
            name: {key: med(r["reports"][name][key] for r in results) for key in results[0]["reports"][name]}
            for name in names
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100], help="multiples of the sample")
    parser.add_argument("--base", type=int, default=DEFAULT_SCALE, help="accounts at 1x (the sample's)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    args = parser.parse_args(argv)
    print(f"six reports, revops-nb run --jobs {args.jobs}, {args.format} files, median of {args.runs} run(s)")
    print(
        f"{'scale':>6} {'accounts':>9} {'report':<18} {'seconds':>8} {'peak MiB':>9} {'rows read':>12} {'pulled':>11}"
    )
    walls: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for multiple in args.scales:
            result = bench_scale(args.base * multiple, args.runs, args.jobs, args.format, Path(tmp))
            walls[multiple] = result["wall"]
            for name, r in result["reports"].items():
                print(
                    f"{multiple:>5}x {args.base * multiple:>9,} {name:<18} {r['seconds']:>8.1f} "
                    f"{r['peak_mib']:>9.0f} {r['rows_read']:>12,.0f} {r['rows_pulled']:>11,.0f}"
                )
            base = walls.get(args.scales[0])
            ratio = f", {result['wall'] / base:.2f}x the {args.scales[0]}x time" if base else ""
            print(
                f"{multiple:>5}x all six: {result['wall']:.1f} s wall; runner (data check) peak "
                f"{result['runner_mib']:.0f} MiB{ratio}",
                flush=True,
            )


if __name__ == "__main__":
    main()
