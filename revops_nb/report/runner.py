"""``revops-nb run``: check everything first, then run reports in parallel processes.

Exit codes: 0 every report ok; 1 a report failed while executing; 2 invalid
parameters or data (nothing executed, nothing overwritten).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from revops_nb.data.check import check_tables
from revops_nb.data.config import read_data_config
from revops_nb.data.handoff import CheckedTables
from revops_nb.data.loader import load_sample_table
from revops_nb.errors import ConfigError, DataError, ParamsError, ReportError, RevopsError
from revops_nb.param_rules import shown
from revops_nb.report.execute import (
    RunRequest,
    RunResult,
    descendants,
    kill_pids,
    kill_tree,
    remove_stale_temps,
    run_report,
    worker_init,
    write_failure,
)
from revops_nb.report.index import write_index
from revops_nb.report.notebook_params import read_param_specs
from revops_nb.report.params import check_rules, merge_params, parse_cli_param
from revops_nb.report.progress import DataProgress, StatusLine
from revops_nb.report.registry import ORDER, Report, discover


@dataclass
class RunOptions:
    """The parsed ``run`` command line."""

    reports: list[str] = field(default_factory=list)
    params_files: list[Path] = field(default_factory=list)
    cli_params: list[str] = field(default_factory=list)
    data_file: Path | None = None
    out_dir: Path = Path("reports")
    jobs: int = 1
    cell_timeout: float | None = None
    notebooks_dir: Path | None = None
    params_dir: Path = Path("params")


def plan(options: RunOptions, log: TextIO, keep: CheckedTables | None = None) -> list[RunRequest]:
    """Select reports, merge and check parameters and data; raise before anything runs.

    With ``keep``, every table that passed the check is kept there for the reports' kernels.
    """
    available = discover(options.notebooks_dir)
    for name in options.reports:
        if name not in available:
            raise ConfigError(f"unknown report {shown(name)}; available: {', '.join(available)}")
    data_file = options.data_file
    if data_file is None and (options.params_dir / "data.yaml").is_file():
        data_file = options.params_dir / "data.yaml"
    config = read_data_config(data_file)
    data_file = config.file  # also the one found via $REVOPS_NB_DATA or a parent folder: kernels must use it
    selected = options.reports or list(available)
    runnable: list[Report] = []
    for name in selected:
        report = available[name]
        missing = report.missing_tables(config)
        if missing:
            line = f"{name}: skipped, needs the {missing[0]} table (not configured in {data_file or 'data.yaml'})"
            if options.reports:
                raise DataError(line)
            print(line, file=log)
            continue
        runnable.append(report)
    names = frozenset(available) | frozenset(ORDER)
    specs = {r.name: read_param_specs(r.notebook) for r in runnable}
    check_keys_known(options, specs, names)
    requests = []
    for report in runnable:
        origins: dict[str, str] = {}
        params = merge_params(
            report.name,
            specs[report.name],
            options.params_dir / f"{report.name}.yaml",
            options.params_files,
            options.cli_params,
            names,
            origins,
        )
        check_rules(report.name, specs[report.name], params, origins)
        # the run uses, injects and records every parameter: notebook defaults and what overrides them
        params = {name: spec.default for name, spec in specs[report.name].items()} | params
        requests.append(
            RunRequest(
                report=report.name,
                title=report.title,
                notebook=str(report.notebook.resolve()),
                params=params,
                data_file=str(Path(data_file).resolve()) if data_file else None,
                out_dir=str(options.out_dir.resolve()),
                cell_timeout=options.cell_timeout,
            )
        )
    needed = sorted({t for r in runnable for group in r.requires for t in group} | set(config.tables))
    progress = DataProgress([t for t in config.tables if t in needed], log)

    def done(name: str, load, seconds: float) -> None:
        if keep is not None and load is not None:
            keep.keep(config.tables[name], config, load)
        progress.done(name, load, seconds)

    checks = check_tables(config, needed, progress.start, done, workers=max(1, options.jobs))
    failures = [c for c in checks if not c.ok]
    if failures:
        raise DataError(failures[0].error or "data check failed")
    check_currencies(config, {c.name: c.load.frame for c in checks if c.load is not None}, requests, specs)
    if keep is not None:
        for request in requests:
            request.checked_tables = str(keep.folder)
    return requests


def check_currencies(config, frames: dict, requests: list[RunRequest], specs: dict) -> None:
    """Stop before any kernel when a report would meet an amount it cannot convert (the currency policy)."""
    from revops_nb.reports import CURRENCY_PARAMETER, MONEY_TABLES
    from revops_nb.reports._currency import check_convertible

    if not any(t in frames for tables in MONEY_TABLES.values() for t in tables):
        return  # only sample tables: generated convertible
    fx = frames.get("fx_rates")
    if fx is None and config.sample and "fx_rates" not in config.tables:
        fx = load_sample_table("fx_rates", config).frame
    for request in requests:
        param = CURRENCY_PARAMETER.get(request.report)
        if param is None or param not in specs[request.report]:
            continue
        reporting = str(request.params.get(param, specs[request.report][param].default)).strip().upper()
        tables = tuple(t for t in MONEY_TABLES[request.report] if t in config.tables)
        try:
            check_convertible(frames, fx, reporting, tables)
        except (DataError, ParamsError) as exc:
            raise type(exc)(f"{request.report}: {exc}") from None


def check_keys_known(options: RunOptions, specs: dict, names: frozenset[str]) -> None:
    """Every plain ``-p`` key and flat ``--params`` key must belong to at least one selected report."""
    from revops_nb.report.params import read_params_file, shown_item

    for item in options.cli_params:
        key = parse_cli_param(item)[0]
        target, dot, pname = key.partition(".")
        if dot and target in names:
            if target in specs and pname not in specs[target]:
                raise ParamsError(f"-p {shown_item(item)}: report {target!r} has no parameter {shown(pname)}")
        elif not any(key in s for s in specs.values()):
            raise ParamsError(f"-p {shown_item(item)}: no selected report has a parameter {shown(key)}")
    for path in options.params_files:
        content = read_params_file(path)
        if content and set(content) <= names:
            for report, section in content.items():
                for key in section or {}:
                    if report in specs and key not in specs[report]:
                        raise ParamsError(f"{path}: unknown parameter {shown(key)} for report {report!r}")
            continue
        for key in content:
            if not any(key in s for s in specs.values()):
                raise ParamsError(f"{path}: unknown parameter {shown(key)}; no selected report has it")


class Interrupted(RevopsError):
    """``run`` was stopped by SIGINT or SIGTERM; exits 128 + the signal number (130, 143)."""

    def __init__(self, signum: int, sentence: str | None = None) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(sentence or f"stopped by {signal.Signals(signum).name}")


def execute(requests: list[RunRequest], jobs: int, out_dir: Path, log: TextIO) -> list[RunResult]:
    """Run each request in its own process (``jobs`` at once), printing a line per report.

    SIGTERM or SIGINT stops the workers and their kernels, removes the unfinished runs' temporary
    folders, rebuilds the index from the runs already published and raises :class:`Interrupted`.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for folder in remove_stale_temps(out_dir):
        print(f"removed {folder}, left by a run that was stopped or crashed", file=log, flush=True)
    tty = log.isatty()
    results: list[RunResult] = []
    if not requests:
        _rebuild_index(out_dir)
        return results
    workers = max(1, min(jobs, len(requests)))
    context = multiprocessing.get_context("spawn")
    t0 = time.perf_counter()
    manager = status = pool = None
    index_problem: str | None = None
    handlers = _on_stop_signals(_raise_interrupted)
    try:
        manager = context.Manager() if tty else None
        status = StatusLine(manager.Queue(), [r.report for r in requests], log).start() if manager else None
        for request in requests:
            request.threads = max(1, (os.cpu_count() or 1) // workers)
            request.progress_queue = status.queue if status else None
            if not tty:
                print(f"{request.report}: started", file=log, flush=True)
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=worker_init)
        futures = {pool.submit(run_report, r): r for r in longest_first(requests, out_dir)}
        for future in as_completed(futures):
            request = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # a worker crash is one failed report
                result = RunResult(request.report, "-", "failed", "", 0.0, f"worker crashed: {exc}")
            results.append(result)
            index_problem = _rebuild_index(out_dir, log) or index_problem
            line = f"{result.report}: {result.status} in {result.duration_s:.1f} s -> {result.run_dir}/report.html"
            if result.error:
                line += f"\n{result.report}: error: {result.error}"
            if status:
                log.write("\r\033[K")
            print(line, file=log, flush=True)
            if status:
                status.finish(result.report, result.status)
        pool.shutdown()
    except Interrupted as stop:
        _on_stop_signals(signal.SIG_IGN)  # one stop at a time
        _stop(pool, out_dir)
        if status:
            log.write("\r\033[K")
        unfinished = [r.report for r in requests if r.report not in {x.report for x in results}]
        raise Interrupted(
            stop.signum,
            f"stopped by {signal.Signals(stop.signum).name}: {', '.join(unfinished) or 'nothing'} "
            "stopped with its kernel and not published; earlier runs are kept and the index lists them",
        ) from None
    finally:
        if status:
            status.stop()
        if manager:
            manager.shutdown()
        _on_stop_signals(handlers)
    if index_problem:
        raise ReportError(index_problem)
    print(f"index: {out_dir / 'index.html'} ({time.perf_counter() - t0:.1f} s total)", file=log, flush=True)
    return results


def longest_first(requests: list[RunRequest], out_dir: Path) -> list[RunRequest]:
    """``requests`` with the reports that took longest in their last run in ``out_dir`` first.

    With several workers, a long report started last finishes last: starting the longest first
    lets the short ones fill the other workers meanwhile. Reports without a past run keep their
    order, after those with one.
    """

    def last_seconds(request: RunRequest) -> float:
        runs = sorted((out_dir / request.report).glob("*/run.json"))
        for run_json in reversed(runs):
            try:
                timings = json.loads(run_json.read_text()).get("timings", {})
                return float(sum(timings.values()))
            except (OSError, ValueError, TypeError, AttributeError):
                continue
        return -1.0

    return sorted(requests, key=last_seconds, reverse=True)


def _rebuild_index(out_dir: Path, log: TextIO | None = None) -> str | None:
    """Rebuild the index; when it cannot be written (e.g. disk full) say so once and keep the old one."""
    try:
        write_index(out_dir)
    except OSError as exc:
        problem = f"{out_dir / 'index.html'} was not rebuilt: {write_failure(exc, out_dir)}; the previous index is kept"
        if log is not None:
            print(f"index: {problem}", file=log, flush=True)
        else:
            raise ReportError(problem) from None
        return problem
    return None


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def _on_stop_signals(handler: Any) -> Any:
    """Install ``handler`` (one, or a dict per signal) for SIGTERM and SIGINT; return the previous ones.

    Does nothing outside the main thread, where Python allows no signal handler.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    if handler is None:
        return None
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, handler[signum] if isinstance(handler, dict) else handler)
    return previous


def _stop(pool: ProcessPoolExecutor | None, out_dir: Path) -> None:
    """Stop the workers (each kills its kernel and drops its folder), kill what is left, tidy up."""
    workers = [p for p in getattr(pool, "_processes", {}).values() if p.is_alive()] if pool else []
    started = {pid for p in workers for pid in descendants(p.pid)}  # kernels, also once orphaned
    for process in workers:
        process.terminate()  # SIGTERM: the worker's handler stops its kernel
    deadline = time.monotonic() + 10
    for process in workers:
        process.join(timeout=max(0.1, deadline - time.monotonic()))
    for process in workers:
        if process.is_alive():
            kill_tree(process.pid, grace_s=0.5)
            process.kill()
            process.join(timeout=2)
    kill_pids(started)
    if pool:
        pool.shutdown(wait=False, cancel_futures=True)
    remove_stale_temps(out_dir)
    with suppress(OSError):
        write_index(out_dir)


def run(options: RunOptions, log: TextIO | None = None) -> int:
    """Plan, execute and return the exit code (raises RevopsError for exit 2 cases)."""
    log = log if log is not None else sys.stderr  # looked up per run: a bound default goes stale
    with CheckedTables() as keep:
        requests = plan(options, log, keep)
        results = execute(requests, options.jobs, options.out_dir, log)
    return 0 if all(r.status == "ok" for r in results) else 1
