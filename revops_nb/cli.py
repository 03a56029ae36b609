"""The ``revops-nb`` command: run, check, sample, list.

User errors print one sentence and exit 2 (1 when a report failed while
executing); a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from revops_nb.errors import RevopsError

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="revops-nb",
        description="Render RevOps reports from parameterized notebooks and check their data.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute reports into HTML (all six by default)")
    run.add_argument("reports", nargs="*", metavar="REPORT", help="report names (default: all)")
    run.add_argument(
        "--params",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="extra parameter YAML (flat, or sectioned by report name); repeatable",
    )
    run.add_argument(
        "-p",
        action="append",
        default=[],
        dest="set",
        metavar="KEY=VALUE",
        help="set one parameter (REPORT.KEY=VALUE for one report); repeatable",
    )
    run.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="FILE",
        help="data sources file (default: params/data.yaml)",
    )
    run.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR", help="output folder")
    run.add_argument(
        "--jobs",
        type=int,
        default=min(4, os.cpu_count() or 1),
        metavar="N",
        help="reports run at once, each in its own process",
    )
    run.add_argument(
        "--cell-timeout",
        default=None,
        metavar="S",
        help="stop a report whose cell runs longer than S whole seconds",
    )
    run.add_argument("--notebooks", type=Path, default=None, metavar="DIR", help=argparse.SUPPRESS)
    run.add_argument(
        "--params-dir",
        type=Path,
        default=Path("params"),
        metavar="DIR",
        help="folder of <report>.yaml parameter files (default: params)",
    )

    check = sub.add_parser("check", help="validate data sources against the contract, run nothing")
    check.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="FILE",
        help="data sources file (default: params/data.yaml)",
    )

    sample = sub.add_parser("sample", help="write the sample tables and a data.yaml pointing at them")
    sample.add_argument("--out", type=Path, required=True, metavar="DIR")
    sample.add_argument("--scale", type=int, default=2000, metavar="N", help="number of accounts")
    sample.add_argument("--seed", type=int, default=42, metavar="S")
    sample.add_argument("--format", choices=("csv", "parquet"), default="csv")

    lst = sub.add_parser("list", help="reports and their parameters")
    lst.add_argument("--notebooks", type=Path, default=None, help=argparse.SUPPRESS)

    sub.add_parser("contract", help="print the data contract: tables, columns, types, what each report needs")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except RevopsError as exc:
        label = "" if exc.exit_code > 128 else "error: "  # stopped by a signal: not the user's mistake
        print(f"revops-nb: {label}{safe_message(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("revops-nb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `revops-nb list | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"revops-nb: internal error: {type(exc).__name__}: {safe_message(str(exc))} (rerun with --debug)",
            file=sys.stderr,
        )
        return EXIT_FAILED


MAX_ERROR_CHARS = 1000  # a value quoted in an error is cut long before this; this is the last guard


def safe_message(text: str) -> str:
    """An error sentence as printed: URL passwords and query tokens masked ('***'), at most ~1,000 characters."""
    from revops_nb.report.params import mask_url_password

    text = mask_url_password(text)
    if len(text) > MAX_ERROR_CHARS:
        cut = MAX_ERROR_CHARS - 100
        text = f"{text[:cut]}… ({len(text) - cut:,} more characters)"
    return text


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        from revops_nb.report.runner import RunOptions, run

        if args.jobs < 1:
            raise RevopsError(f"--jobs must be at least 1, got {args.jobs}")
        check_out_dir(args.out)
        options = RunOptions(
            reports=args.reports,
            params_files=args.params,
            cli_params=args.set,
            data_file=args.data,
            out_dir=args.out,
            jobs=args.jobs,
            cell_timeout=whole_seconds(args.cell_timeout),
            notebooks_dir=args.notebooks,
            params_dir=args.params_dir,
        )
        return run(options)
    if args.command == "check":
        return _check(args.data)
    if args.command == "sample":
        return _sample(args.out, args.scale, args.seed, args.format)
    if args.command == "list":
        return _list(args.notebooks)
    if args.command == "contract":
        from revops_nb.report.contract_doc import contract_markdown

        print(contract_markdown(), end="")
        return EXIT_OK
    raise AssertionError(args.command)


def whole_seconds(text: str | None) -> int | None:
    """``--cell-timeout``: a positive whole number of seconds ('90', '90.0'), else a clear error."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value.is_integer() or value < 1:
        raise RevopsError(f"--cell-timeout must be a whole number of seconds, at least 1; got {text[:40]!r}")
    return int(value)


def check_out_dir(out: Path) -> None:
    """``--out`` must be a folder, or a path where one can be made: checked before any work."""
    if out.exists() and not out.is_dir():
        raise RevopsError(f"--out {out}: is a file, expected a folder for the reports")
    existing = next((p for p in (out, *out.parents) if p.exists()), None)
    if existing is not None and existing != out and not existing.is_dir():
        raise RevopsError(f"--out {out}: {existing} is a file, so the folder cannot be made")
    if existing is not None and existing.is_dir() and not os.access(existing, os.W_OK | os.X_OK):
        raise RevopsError(f"--out {out}: cannot write in {existing} (permission denied)")


def _check(data_file: Path | None) -> int:
    from revops_nb.data.check import check_tables
    from revops_nb.data.config import read_data_config
    from revops_nb.data.contract import TABLES

    config = read_data_config(data_file)
    where = config.file or "(no data.yaml: everything from the embedded sample)"
    print(f"data: {where}")
    results = check_tables(config)
    if not results:
        print(
            "no tables configured; every report uses the embedded sample"
            if config.sample
            else "no tables configured"
        )
    for result in results:
        if result.error:
            print(f"  {result.name}: INVALID - {safe_message(result.error)}")
            continue
        load = result.load
        assert load is not None
        excluded = sum(load.excluded.values())
        print(
            f"  {result.name}: ok - {load.rows_loaded:,} rows loaded of {load.rows_read:,} read"
            f" from {config.tables[result.name].path or load.source}"
            + (f", {excluded:,} excluded" if excluded else "")
            + (
                f"; checked and aggregated in {load.engine}, {load.pulled:,} rows to Python"
                if load.engine != "pandas"
                else ""
            )
        )
        for reason, count in load.excluded.items():
            print(f"    excluded {count:,} row(s): {reason}")
        for warning in load.warnings:
            print(f"    warning: {safe_message(warning)}")
    sampled = [t for t in TABLES if t not in config.tables]
    if config.sample and config.tables and sampled:
        print(f"  from the embedded sample: {', '.join(sampled)}")
    invalid = [r for r in results if not r.ok]
    if invalid:
        print(f"{len(invalid)} table(s) invalid", file=sys.stderr)
        return EXIT_INVALID
    from revops_nb.report.readiness import churn_label_line, report_lines

    print("reports:")
    for line in report_lines(config):
        print(line)
    label_line = churn_label_line(config, {r.name: r.load for r in results if r.load is not None})
    if label_line:
        print(label_line)
    return EXIT_OK


def _sample(out: Path, scale: int, seed: int, fmt: str) -> int:
    from revops_nb.sample_export import write_sample

    if scale < 50:
        raise RevopsError(f"--scale must be at least 50 accounts, got {scale}")
    data_yaml = write_sample(out, scale=scale, seed=seed, fmt=fmt)
    print(f"wrote the sample company ({scale:,} accounts, seed {seed}) to {out}/ and {data_yaml}")
    print(f"render every report on it with: revops-nb run --data {data_yaml}")
    return EXIT_OK


def _list(notebooks: Path | None) -> int:
    from revops_nb.param_rules import ReportRules
    from revops_nb.report.notebook_params import read_param_specs
    from revops_nb.report.registry import discover
    from revops_nb.reports import rules as report_rules

    for name, report in discover(notebooks).items():
        needs = "; ".join(" or ".join(g) for g in report.requires) or "nothing"
        print(f"{name}: {report.title}  (needs: {needs})")
        rules = report_rules(name) or ReportRules()
        for spec in read_param_specs(report.notebook).values():
            help_text = f"  # {spec.help}" if spec.help else ""
            print(f"    {spec.name}: {spec.type_text} = {spec.default!r}{help_text}")
            allowed = rules.describe(spec.name)
            if allowed:
                print(f"        allowed: {allowed}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
