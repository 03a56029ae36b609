"""Timings of the market report at sample scale and 10x: analysis stages and the whole notebook.

Run: ``.venv/bin/python benchmarks/bench_market.py [--runs 3] [--scales 2000 20000] [--no-notebook]``.
Prints a table of medians; no assertions.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import ROOT, median_run, run_notebook, sample_data_yaml


def _seconds(fn, runs: int) -> float:
    return median_run(fn, runs)[0]


NOTEBOOK = ROOT / "notebooks" / "market_analysis.ipynb"
TABLES = ["opportunities", "accounts", "subscriptions", "market", "fx_rates"]


def bench_scale(scale: int, runs: int, notebook: bool, folder: Path) -> list[tuple[str, int, float]]:
    """(stage, scale, median seconds) rows for one sample scale."""
    from revops_nb import data
    from revops_nb.reports import market_analysis as market
    from revops_nb.reports._currency import conversion_rates

    data_file = sample_data_yaml(folder, scale)
    ds = data.load(TABLES, data_file=data_file)  # warms the sample cache
    tables = {name: ds[name] for name in TABLES}
    params = market.Settings.from_params()
    result = market.analyze(ds, params)
    rates = conversion_rates(tables["fx_rates"], params.currency)
    rows = [
        ("rows: opportunities", scale, float(len(tables["opportunities"]))),
        (
            "data.load (cached sample)",
            scale,
            _seconds(lambda: data.load(TABLES, data_file=data_file), runs),
        ),
        (
            "prepare_deals",
            scale,
            _seconds(
                lambda: market.prepare_deals(tables["opportunities"], tables["accounts"], rates, params), runs
            ),
        ),
        (
            "growth_table (region)",
            scale,
            _seconds(lambda: market.growth_table(result.bookings, result.window), runs),
        ),
        (
            "arr_by_period",
            scale,
            _seconds(
                lambda: market.arr_by_period(
                    market.prepare_subscriptions(
                        tables["subscriptions"],
                        market.account_dimensions(
                            tables["accounts"], tables["opportunities"], ["region", "segment"]
                        ),
                        rates,
                        params,
                    ),
                    result.bookings,
                    result.window,
                    ["region", "segment"],
                ),
                runs,
            ),
        ),
        ("analyze (all)", scale, _seconds(lambda: market.analyze(ds, params), runs)),
    ]
    if notebook:
        rows.append(
            (
                "notebook via papermill",
                scale,
                _seconds(lambda: run_notebook(NOTEBOOK, data_file, folder), runs),
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scales", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--no-notebook", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            rows += bench_scale(scale, args.runs, not args.no_notebook, Path(tmp))
    print(f"{'stage':<28} {'scale':>8} {'median':>12}   (median of {args.runs} runs)")
    for stage, scale, value in rows:
        shown = f"{value:,.0f}" if stage.startswith("rows") else f"{value:.3f} s"
        print(f"{stage:<28} {scale:>8,} {shown:>12}")


if __name__ == "__main__":
    main()
