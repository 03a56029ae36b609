"""Benchmark the win/loss report at sample scale and 10x: analysis stages and the whole notebook.

Prints a table of median wall-clock seconds over ``--repeat`` runs (no assertions).
Usage: python benchmarks/bench_win_loss.py [--repeat 3] [--scales 2000 20000] [--no-notebook]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import median_run, run_notebook, sample_data_yaml

from revops_nb import data
from revops_nb.reports import win_loss as wl

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "win_loss.ipynb"


def bench_scale(scale: int, repeat: int, notebook: bool, folder: Path) -> list[tuple[str, int, float]]:
    """Median seconds per stage at one sample scale."""
    data_file = sample_data_yaml(folder, scale)
    rows = []
    t, ds = median_run(lambda: data.load(wl.TABLES, data_file=data_file), repeat)
    rows.append(("load (sample generation cached after the first run)", t))
    s = wl.Settings.from_params()
    opps, accounts, fx = ds["opportunities"], ds.get("accounts"), ds.get("fx_rates")
    t, deals = median_run(lambda: wl.prepare_deals(opps, accounts, fx, s), repeat)
    rows.append(("prepare_deals", t))
    stages = {
        "overall_win_rate": lambda: wl.overall_win_rate(deals, s),
        "win_rate_by (all dimensions)": lambda: [wl.win_rate_by(deals, d, s) for d in s.dimensions],
        "loss_analysis": lambda: wl.loss_analysis(deals, s),
        "head_to_head": lambda: wl.head_to_head(deals, s),
        "cycle_length": lambda: wl.cycle_length(deals, s),
        "time_to_close (Kaplan-Meier)": lambda: wl.time_to_close(deals, s),
        "pipeline_velocity (bootstrap)": lambda: wl.pipeline_velocity(deals, s),
        "quarterly_trend": lambda: wl.quarterly_trend(deals, s),
        "win_drivers (logistic regression)": lambda: wl.win_drivers(deals, s),
        "analyze_deals (all of the above)": lambda: wl.analyze_deals(deals, s),
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
    return [(name, len(opps), t) for name, t in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scales", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--no-notebook", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for scale in args.scales:
            results += [
                (scale, *row) for row in bench_scale(scale, args.repeat, not args.no_notebook, Path(tmp))
            ]
    print(f"{'scale':>7} {'deals':>8}  {'stage':<54} {'median s':>9}")
    for scale, name, deals, seconds in results:
        print(f"{scale:>7} {deals:>8,}  {name:<54} {seconds:>9.3f}")
    print(f"(median of {args.repeat} runs each)")


if __name__ == "__main__":
    main()
