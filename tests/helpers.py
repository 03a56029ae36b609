"""Helpers shared by the CLI tests: run the command, build small data folders."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TINY_NOTEBOOKS = ROOT / "tests" / "notebooks"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> Result:
    """Run ``revops-nb ARGS`` in a fresh process and capture its output."""
    proc = subprocess.run(
        [sys.executable, "-m", "revops_nb.cli", *map(str, args)],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_clean_error(result: Result, code: int, *fragments: str) -> None:
    """Exit code as expected, every fragment in the message, and no Python traceback."""
    assert result.code == code, f"exit {result.code} != {code}\n{result.text}"
    assert "Traceback" not in result.text, result.text
    for fragment in fragments:
        assert fragment in result.text, f"{fragment!r} not in:\n{result.text}"


def write_data_yaml(folder: Path, tables: dict, **top) -> Path:
    """Write a data.yaml with ``tables`` (and top-level keys) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "data.yaml"
    path.write_text(yaml.safe_dump({"tables": tables, **top}, sort_keys=False), encoding="utf-8")
    return path


CLI = [sys.executable, "-m", "revops_nb.cli"]
XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


def write_xss_sample(folder: Path) -> Path:
    """The sample as CSV (scale 200) with two account names that try to inject markup; returns its data.yaml."""
    result = cli("sample", "--out", folder, "--scale", "200")
    assert result.code == 0, result.text
    accounts = (folder / "accounts.csv").read_text().splitlines()
    for i, name in enumerate(XSS, start=1):
        cols = accounts[i].split(",")
        cols[1] = '"' + name + '"'
        accounts[i] = ",".join(cols)
    (folder / "accounts.csv").write_text("\n".join(accounts) + "\n")
    return folder / "data.yaml"


def execute_report_notebook(
    notebook: Path, tmp_path: Path, data_file: Path | None = None, parameters: dict | None = None
) -> Path:
    """Execute a notebook with papermill as the runner does (data file and run folder via env); returns the run folder."""
    import os

    import papermill as pm

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    keys = ("REVOPS_NB_RUN_DIR", "REVOPS_NB_DATA", "MPLBACKEND")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ["REVOPS_NB_RUN_DIR"] = str(run_dir)
    if data_file is None:
        os.environ.pop("REVOPS_NB_DATA", None)
    else:
        os.environ["REVOPS_NB_DATA"] = str(data_file)
    os.environ.pop("MPLBACKEND", None)  # the kernel draws inline PNGs, as in a real run
    try:
        pm.execute_notebook(
            str(notebook),
            str(tmp_path / "out.ipynb"),
            parameters=parameters or {},
            progress_bar=False,
            cwd=str(ROOT),
            kernel_name="python3",
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return run_dir


def write_sample_with_names(folder: Path, names: list[str]) -> Path:
    """The sample as CSV (scale 200) whose first account names are ``names`` (any text, CSV-quoted); returns its data.yaml."""
    import csv

    result = cli("sample", "--out", folder, "--scale", "200")
    assert result.code == 0, result.text
    path = folder / "accounts.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row, name in zip(rows, names, strict=False):
        row["account_name"] = name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder / "data.yaml"


def process_tree(pid: int) -> list[int]:
    """Every living process below ``pid``, read from /proc (the tests run on Linux)."""
    children: dict[int, list[int]] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = stat_file.read_text()
        except OSError:
            continue
        state, ppid = stat[stat.rfind(")") + 2 :].split()[:2]
        if state != "Z":
            children.setdefault(int(ppid), []).append(int(stat_file.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def win_loss_deals(rows: list[dict], **settings):
    """Prepared win/loss deals and their settings from hand-written opportunity rows."""
    import pandas as pd

    from revops_nb.reports import win_loss as wl

    frame = pd.DataFrame(rows)
    for col in ("created_date", "close_date"):
        frame[col] = pd.to_datetime(frame[col])
    s = wl.Settings.from_params(**settings)
    return wl.prepare_deals(frame, None, None, s), s
