"""Benchmark: sample generation and loading through the data contract, at several scales.

Each measurement runs in a fresh process (so peak memory is that scale's own);
prints a table of median seconds over repeats and peak resident memory.

    python benchmarks/bench_sample.py [--scales 1000 10000 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
scale = int(sys.argv[1])
t0 = time.perf_counter()
from revops_nb import sample
t_import = time.perf_counter()
tables = sample._generate_cached(scale, 42)
t_gen = time.perf_counter()
from revops_nb import data
from revops_nb.data.config import DataConfig
from revops_nb.data.loader import load_sample_table
from pathlib import Path
config = DataConfig(file=None, base_dir=Path.cwd(), sample_scale=scale)
for name in sample.TABLE_NAMES:
    load_sample_table(name, config)
t_load = time.perf_counter()
rows = {k: len(v) for k, v in tables.items()}
print(json.dumps({"generate_s": t_gen - t_import, "contract_s": t_load - t_gen,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rows": rows}))
"""


def measure(scale: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(scale)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{'accounts':>9} {'opps':>9} {'nps':>8} {'subs':>8} {'usage':>10} {'stages':>9} {'leads':>9} "
        f"{'generate s':>11} {'contract s':>11} {'peak MiB':>9}"
    )
    for scale in args.scales:
        runs = [measure(scale) for _ in range(args.repeats)]
        rows = runs[0]["rows"]
        gen = statistics.median(r["generate_s"] for r in runs)
        contract = statistics.median(r["contract_s"] for r in runs)
        peak = statistics.median(r["peak_mib"] for r in runs)
        print(
            f"{scale:>9,} {rows['opportunities']:>9,} {rows['nps_responses']:>8,} {rows['subscriptions']:>8,} "
            f"{rows['usage']:>10,} {rows['opportunity_stages']:>9,} {rows['leads']:>9,} "
            f"{gen:>11.2f} {contract:>11.2f} {peak:>9.0f}"
        )
    print(
        f"(median of {args.repeats} fresh processes per scale; generate = all {len(rows)} tables, "
        "contract = coercion + pandera rules on each)"
    )


if __name__ == "__main__":
    main()
