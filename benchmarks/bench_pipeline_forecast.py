"""Benchmark the pipeline and forecast report at sample scale and 10x: analysis stages and the notebook.

Prints a table of median wall-clock seconds over ``--repeat`` runs per stage and the peak
resident memory of this process so far (scales run smallest first, so each line's peak is
that scale's own or a smaller one's). No assertions: it measures.
Usage: python benchmarks/bench_pipeline_forecast.py [--repeat 3] [--scales 2000 20000] [--no-notebook]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
from pathlib import Path

import pandas as pd
from _common import median_run, run_notebook, sample_data_yaml

from revops_nb import data
from revops_nb.reports import pipeline_forecast as pf
from revops_nb.reports.pipeline_forecast._analyze import win_probability
from revops_nb.reports.pipeline_forecast._coverage import forecast_period

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "pipeline_forecast.ipynb"


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_scale(scale: int, repeat: int, notebook: bool, folder: Path) -> list[tuple[str, int, float, float]]:
    """(stage, deals, median seconds, peak MiB so far) at one sample scale."""
    data_file = sample_data_yaml(folder, scale)
    rows = []
    t, ds = median_run(lambda: data.load(pf.TABLES, data_file=data_file), repeat)
    rows.append(("load (sample generation cached after the first run)", t, peak_mib()))
    s = pf.Settings.from_params()
    opps = ds["opportunities"]
    t, deals = median_run(lambda: pf.prepare_deals(opps, ds.get("accounts"), ds.get("fx_rates"), s), repeat)
    rows.append(("prepare_deals", t, peak_mib()))
    t, history = median_run(lambda: pf.stage_history(ds.get("opportunity_stages"), deals, s.stages), repeat)
    rows.append(("stage_history", t, peak_mib()))
    t, funnel = median_run(lambda: pf.stage_funnel(deals, history, s), repeat)
    rows.append(("stage_funnel (Wilson, Kaplan-Meier, breakdowns, tests)", t, peak_mib()))
    periods = pd.period_range(forecast_period(deals.as_of, s.freq), periods=s.coverage_periods, freq=s.freq)
    targets, source, _ = pf.targets_by_period(ds.get("targets"), s, periods)
    p = win_probability(deals, history, funnel)
    stages = {
        "coverage": lambda: pf.coverage(deals, p, targets, source, s),
        "backtest (snapshots, stage rates, logistic fits)": lambda: pf.backtest(deals, history, s),
        "lead_rates": lambda: pf.lead_rates(ds.get("leads"), deals, s),
    }
    for name, fn in stages.items():
        rows.append((name, median_run(fn, repeat)[0], peak_mib()))
    leads = pf.lead_rates(ds.get("leads"), deals, s)
    t, _ = median_run(lambda: pf.reverse_funnel(deals, leads, targets, s), repeat)
    rows.append((f"reverse_funnel ({s.simulations} simulations)", t, peak_mib()))
    t, _ = median_run(lambda: pf.analyze(ds, s), repeat)
    rows.append(("analyze (all of the above)", t, peak_mib()))
    if notebook:
        t, _ = median_run(lambda: run_notebook(NOTEBOOK, data_file, folder), repeat)
        rows.append(("notebook via papermill (new kernel)", t, peak_mib()))
    return [(name, len(opps), t, mib) for name, t, mib in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", "--runs", type=int, default=3, dest="repeat")
    parser.add_argument("--scales", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--no-notebook", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for scale in sorted(args.scales):
            results += [
                (scale, *row) for row in bench_scale(scale, args.repeat, not args.no_notebook, Path(tmp))
            ]
    print(f"{'scale':>7} {'deals':>8}  {'stage':<56} {'median s':>9} {'peak MiB':>9}")
    for scale, name, deals, seconds, mib in results:
        print(f"{scale:>7} {deals:>8,}  {name:<56} {seconds:>9.3f} {mib:>9.0f}")
    print(f"(median of {args.repeat} runs each; peak MiB = peak resident memory of this process so far)")


if __name__ == "__main__":
    main()
