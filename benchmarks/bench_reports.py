"""Benchmark: each report's run time through `revops-nb run --jobs 1` at sample scale and larger.

For every scale a data.yaml with `sample: true` and `sample_scale: N` is written to a
temporary folder; each report's duration comes from its run.json (kernel start,
execution and HTML rendering). Prints medians over --repeats.

    python benchmarks/bench_reports.py [--scales 2000 20000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ["market_analysis", "win_loss", "nps_retention", "churn_model"]


def run_once(scale: int, reports: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = folder / "data.yaml"
        data.write_text(f"sample: true\nsample_scale: {scale}\ntables: {{}}\n")
        cmd = [
            sys.executable,
            "-m",
            "revops_nb.cli",
            "run",
            *reports,
            "--jobs",
            "1",
            "--data",
            str(data),
            "--out",
            str(folder / "out"),
        ]
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        times = {}
        for path in (folder / "out").glob("*/*/run.json"):
            info = json.loads(path.read_text())
            times[info["report"]] = info["duration_s"]
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reports", nargs="+", default=REPORTS)
    args = parser.parse_args()
    results = {scale: [run_once(scale, args.reports) for _ in range(args.repeats)] for scale in args.scales}
    header = f"{'report':<18}" + "".join(f"{f'{s:,} accounts':>18}" for s in args.scales)
    print(header)
    for report in args.reports:
        cells = "".join(f"{statistics.median(r[report] for r in results[s]):>16.1f} s" for s in args.scales)
        print(f"{report:<18}{cells}")
    print(f"(median of {args.repeats} runs; seconds per report from run.json: kernel start, execution, HTML)")


if __name__ == "__main__":
    main()
