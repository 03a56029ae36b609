"""Timings of the market report at sample scale and 10x: analysis stages and the whole notebook.

Run: ``.venv/bin/python benchmarks/bench_market.py [--runs 3] [--scales 2000 20000] [--no-notebook]``.
Prints a table of medians; no assertions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "market_analysis.ipynb"
TABLES = ["opportunities", "accounts", "subscriptions", "market", "fx_rates"]


def _median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _data_file(folder: Path, scale: int) -> Path:
    path = folder / f"data_{scale}.yaml"
    path.write_text(f"sample: true\nsample_scale: {scale}\n")
    return path


def bench_scale(scale: int, runs: int, notebook: bool, folder: Path) -> list[tuple[str, int, float]]:
    """(stage, scale, median seconds) rows for one sample scale."""
    from revops_nb import data
    from revops_nb.analysis import market
    from revops_nb.analysis import market_data as md
    from revops_nb.analysis import market_growth as mg
    from revops_nb.analysis import market_metrics as mm

    data_file = _data_file(folder, scale)
    ds = data.load(TABLES, data_file=data_file)  # warms the sample cache
    tables = {name: ds[name] for name in TABLES}
    params = market.market_params()
    result = market.analyse(params, **tables)
    rates = md.conversion_rates(tables["fx_rates"], params.currency)
    rows = [
        ("rows: opportunities", scale, float(len(tables["opportunities"]))),
        (
            "data.load (cached sample)",
            scale,
            _median_seconds(lambda: data.load(TABLES, data_file=data_file), runs),
        ),
        (
            "prepare_deals",
            scale,
            _median_seconds(
                lambda: md.prepare_deals(tables["opportunities"], tables["accounts"], rates, params), runs
            ),
        ),
        (
            "growth_table (region)",
            scale,
            _median_seconds(lambda: mg.growth_table(result.bookings, result.window), runs),
        ),
        (
            "arr_by_period",
            scale,
            _median_seconds(
                lambda: mm.arr_by_period(
                    md.prepare_subscriptions(
                        tables["subscriptions"],
                        md.account_dimensions(
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
        ("analyse (all)", scale, _median_seconds(lambda: market.analyse(params, **tables), runs)),
    ]
    if notebook:
        rows.append(
            ("notebook via papermill", scale, _median_seconds(lambda: _run_notebook(data_file, folder), runs))
        )
    return rows


def _run_notebook(data_file: Path, folder: Path) -> None:
    import papermill

    os.environ["REVOPS_NB_DATA"] = str(data_file)
    os.environ["REVOPS_NB_RUN_DIR"] = str(folder)
    papermill.execute_notebook(str(NOTEBOOK), str(folder / "out.ipynb"), progress_bar=False, cwd=str(ROOT))


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
