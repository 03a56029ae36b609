"""Execute one report in its own kernel (papermill) and publish its run folder.

Everything is written into a hidden temporary folder beside the final one and
renamed into place only when complete, so a crash never leaves half a run and
never touches the previous good run.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import platform
import secrets
import shutil
import signal
import sys
import time
import traceback
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat

from revops_nb.data.config import DATA_ENV
from revops_nb.data.handoff import ENV as CHECKED_ENV
from revops_nb.record import DATA_FILE, KEY_FIGURE_META_FILE, KEY_FIGURES_FILE, RUN_DIR_ENV
from revops_nb.report import progress
from revops_nb.report.html import publishable, render_html
from revops_nb.report.kernel_channels import private_kernel_channels
from revops_nb.report.params import mask_secrets, redact, secret_values

LIBRARIES = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "scikit-learn",
    "seaborn",
    "matplotlib",
    "papermill",
    "nbconvert",
    "pandera",
    "duckdb",
)


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class RunRequest:
    """Everything a worker process needs to run one report."""

    report: str
    title: str
    notebook: str
    params: dict[str, Any]
    data_file: str | None
    out_dir: str
    cell_timeout: float | None = None
    checked_tables: str | None = None  # the folder of the tables the runner checked (see data.handoff)
    threads: int = 1
    progress_queue: Any = None


@dataclass
class RunResult:
    """What the parent prints and decides the exit code from."""

    report: str
    run_id: str
    status: str
    run_dir: str
    duration_s: float
    error: str | None = None
    key_figures: dict[str, Any] = field(default_factory=dict)


def new_run_id(now: datetime | None = None) -> str:
    """Sortable, unique id: UTC time plus random suffix (two runs in one second differ)."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


TMP_PREFIX = ".tmp-"
STALE_AFTER_S = 24 * 3600  # a temporary folder no process holds a lock on is stale after this
_current_tmp: Path | None = None  # the folder this worker is writing, removed when it is stopped


def run_report(request: RunRequest) -> RunResult:
    """Execute, render and publish one report; never raises for a failing notebook."""
    global _current_tmp
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    run_id = new_run_id(started)
    report_dir = Path(request.out_dir) / request.report
    report_dir.mkdir(parents=True, exist_ok=True)
    tmp = report_dir / f"{TMP_PREFIX}{run_id}"
    tmp.mkdir()
    _current_tmp = tmp
    lock = _hold(tmp)  # while held, no later run takes this folder for a crashed run's leftover
    try:
        return _run_into(request, tmp, run_id, started, t0)
    except OSError as exc:  # e.g. the disk filled up: publish nothing, keep every earlier run
        shutil.rmtree(tmp, ignore_errors=True)
        error = f"{write_failure(exc, report_dir)}; nothing was published and earlier runs are kept"
        return RunResult(request.report, run_id, "failed", "", round(time.perf_counter() - t0, 3), error)
    finally:
        _current_tmp = None
        if lock is not None:
            os.close(lock)


def _run_into(request: RunRequest, tmp: Path, run_id: str, started: datetime, t0: float) -> RunResult:
    """Execute into ``tmp``, write report.html and run.json there, and rename it into place."""
    global _current_tmp
    report_dir = tmp.parent
    executed_path = tmp / "report.ipynb"
    with _kernel_stderr_to(tmp / "kernel.log", enabled=True):
        error = _execute(request, tmp, executed_path)
    _tidy_kernel_log(tmp / "kernel.log", secret_values(request.params))
    timings = {"execute_s": round(time.perf_counter() - t0, 3)}
    hidden = secret_values(request.params)
    error = redact(error, hidden) if error else None
    key_figures = _read_json(tmp / KEY_FIGURES_FILE)
    key_figure_meta = _read_json(tmp / KEY_FIGURE_META_FILE)
    data_loaded = _read_json(tmp / DATA_FILE)
    t_html = time.perf_counter()
    try:
        nb = _read_executed(executed_path, request.notebook)
        header = {
            "title": request.title,
            "run_date": started.strftime("%Y-%m-%d %H:%M UTC"),
            "status": "ok" if error is None else "failed",
            "duration": f"{time.perf_counter() - t0:.1f} s",
            "data": _describe_data(data_loaded),
            "error": error,
        }
        html = render_html(publishable(nb), header)
        log_text = nbformat.writes(published_log(nb))
    except Exception as exc:  # a rendering failure must still leave a report
        error = redact(f"the report could not be rendered: {_short(str(exc))}", hidden)
        html = fallback_html(request.title, error)
        log_text = executed_path.read_text(encoding="utf-8") if executed_path.exists() else ""
    (tmp / "report.html").write_text(redact(html, hidden), encoding="utf-8")
    if log_text:
        executed_path.write_text(redact(log_text, hidden), encoding="utf-8")
    timings["render_s"] = round(time.perf_counter() - t_html, 3)
    status = "ok" if error is None else "failed"
    finished = datetime.now(UTC)
    duration = time.perf_counter() - t0
    run_json = {
        "report": request.report,
        "title": request.title,
        "run_id": run_id,
        "status": status,
        "error": error,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "duration_s": round(duration, 3),
        "timings": timings,
        "params": mask_secrets(request.params),
        "data_file": request.data_file,
        "data": data_loaded,
        "data_fingerprint": _fingerprint(data_loaded),
        "versions": versions(),
        "key_figures": key_figures,
        "key_figure_meta": key_figure_meta,  # units and labels given to record(); the index reads them here
    }
    (tmp / "run.json").write_text(json.dumps(run_json, indent=2, default=str), encoding="utf-8")
    for name in (KEY_FIGURES_FILE, KEY_FIGURE_META_FILE, DATA_FILE):
        (tmp / name).unlink(missing_ok=True)
    final = report_dir / run_id
    os.replace(tmp, final)
    _current_tmp = None
    return RunResult(request.report, run_id, status, str(final), round(duration, 3), error, key_figures)


FULL = (errno.ENOSPC, errno.EDQUOT)


def write_failure(exc: OSError, where: Path) -> str:
    """Words for a failed write: 'disk full: ...' when the disk or quota is full, else the system's reason."""
    reason = exc.strerror or str(exc)
    if exc.errno in FULL:
        return f"disk full: could not write to {where} ({reason})"
    return f"could not write to {where}: {reason}"


def _hold(folder: Path) -> int | None:
    """Open ``folder`` and hold an exclusive lock on it until the descriptor is closed (None if unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def remove_stale_temps(out_dir: Path, now: float | None = None) -> list[Path]:
    """Remove the ``.tmp-*`` folders of runs that were killed or crashed; return them.

    A running report holds a lock on its folder, so a concurrent run's folder is never taken:
    a folder is stale when its lock can be taken (its process is gone) or, where locks do not
    work, when it was last changed more than a day ago.
    """
    now = time.time() if now is None else now
    removed = []
    for folder in sorted(out_dir.glob(f"*/{TMP_PREFIX}*")):
        if not folder.is_dir() or folder.is_symlink():
            continue
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue  # renamed into place or removed meanwhile
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                stale = True
            except BlockingIOError:
                stale = False  # a running report holds it
            except OSError:  # no locks here (some network file systems): go by age
                stale = now - folder.stat().st_mtime > STALE_AFTER_S
            if stale:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        finally:
            os.close(fd)
    return removed


def worker_init() -> None:
    """In each worker process: on SIGTERM or SIGINT stop the kernel, remove the unfinished run and exit."""
    signal.signal(signal.SIGTERM, _stop_worker)
    signal.signal(signal.SIGINT, _stop_worker)


def _stop_worker(signum: int, _frame: Any) -> None:
    """Kill this worker's kernel (and anything it started), drop the temporary folder, exit 128 + signum.

    The temporary folder holds the executed notebook with the raw injected-parameters cell, so it
    must not outlive the run.
    """
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        kill_tree(os.getpid())
        if _current_tmp is not None:
            shutil.rmtree(_current_tmp, ignore_errors=True)
    finally:
        os._exit(128 + signum)


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid`` (children first), read from /proc; empty where there is none."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = entry.read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields and fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.parent.name))
    found: list[int] = []
    queue = [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def kill_tree(pid: int, grace_s: float = 3.0) -> None:
    """Terminate every process below ``pid`` (kernels and what they started): SIGTERM, then SIGKILL.

    Kernels start in their own session, so a signal to the process group does not reach them.
    Their connection files are removed too.
    """
    procs = descendants(pid)
    if not procs:
        return
    connection_files = [f for p in procs for f in _connection_files(p)]
    for proc in procs:
        _signal(proc, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(_alive(p) for p in procs):
        _reap()
        time.sleep(0.05)
    for proc in procs + descendants(pid):
        _signal(proc, signal.SIGKILL)
    _reap()
    for path in connection_files:
        Path(path).unlink(missing_ok=True)


def kill_pids(pids: set[int]) -> None:
    """SIGKILL those of ``pids`` still alive (processes seen moments ago, e.g. kernels of stopped workers)."""
    for pid in pids:
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
    _reap()


def _connection_files(pid: int) -> list[str]:
    """The ``-f kernel-*.json`` a kernel was started with (jupyter leaves it behind when killed)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []
    return [
        a.decode(errors="replace")
        for a in args
        if a.endswith(b".json") and b"kernel-" in a and Path(a.decode(errors="replace")).is_file()
    ]


def _signal(pid: int, sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


def _reap() -> None:
    """Collect this process's exited children, so none is left a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


@contextmanager
def _kernel_stderr_to(path: Path, enabled: bool):
    """Send this worker's (and so the kernel's) stderr to the run's kernel.log, not the scheduler's log."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "wb") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


NOISE = ("Kernel is running over TCP without encryption",)


def _tidy_kernel_log(path: Path, hidden: list[str]) -> None:
    """Keep kernel.log only when it says something beyond known start-up noise; redact secrets."""
    if not path.exists():
        return
    lines = [
        ln
        for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if ln.strip() and not any(n in ln for n in NOISE)
    ]
    if lines:
        path.write_text(redact("\n".join(lines) + "\n", hidden), encoding="utf-8")
    else:
        path.unlink()


def _execute(request: RunRequest, tmp: Path, output: Path) -> str | None:
    """Run the notebook with papermill; return a one-line reason when it failed."""
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    # papermill cannot parse `X | None` annotations and says so at WARNING; values are injected correctly
    logging.getLogger("papermill").setLevel(logging.ERROR)
    env_backup = {
        k: os.environ.get(k) for k in (RUN_DIR_ENV, DATA_ENV, CHECKED_ENV, "MPLBACKEND", *THREAD_VARS)
    }
    for var in THREAD_VARS:  # reports running side by side must not each claim every core
        os.environ.setdefault(var, str(request.threads))
    os.environ[RUN_DIR_ENV] = str(tmp.resolve())
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    if request.data_file:
        os.environ[DATA_ENV] = str(Path(request.data_file).resolve())
    else:
        os.environ.pop(DATA_ENV, None)
    if request.checked_tables:
        os.environ[CHECKED_ENV] = request.checked_tables
    else:
        os.environ.pop(CHECKED_ENV, None)
    engine = progress.attach(request.progress_queue, request.report)
    try:
        with private_kernel_channels() as channels:
            pm.execute_notebook(
                request.notebook,
                str(output),
                parameters=request.params,
                kernel_name="python3",
                engine_name=engine,
                cwd=str(Path(request.notebook).parent),
                progress_bar=False,
                log_output=False,
                execution_timeout=request.cell_timeout,
                report_mode=False,
                **channels,
            )
        return None
    except pm.PapermillExecutionError as exc:
        if any(words in str(exc.evalue) for words in ("No space left on device", "Disk quota exceeded")):
            return f"disk full: cell {exc.exec_count} could not write ({exc.ename}: {_short(exc.evalue)})"
        return f"cell {exc.exec_count} raised {exc.ename}: {_short(exc.evalue)}"
    except CellTimeoutError:
        return f"a cell ran longer than the cell timeout of {request.cell_timeout:g} s and was stopped"
    except DeadKernelError:
        return "the kernel died while executing (it crashed or was killed, e.g. out of memory)"
    except OSError as exc:
        if exc.errno in FULL:
            return f"{write_failure(exc, tmp.parent)} while executing"
        detail = traceback.format_exception_only(exc)[-1].strip()
        return f"execution failed: {_short(detail)}"
    except Exception as exc:
        name = type(exc).__name__
        if "timeout" in name.lower() or "Timeout" in str(exc):
            return f"a cell ran longer than the cell timeout of {request.cell_timeout} s and was stopped"
        if "kernel_info" in str(exc):
            return "the kernel died while starting, before it ran any cell"
        if "dead" in str(exc).lower() or "died" in str(exc).lower():
            return "the kernel died while executing"
        detail = traceback.format_exception_only(exc)[-1].strip()
        return f"execution failed: {_short(detail)}"
    finally:
        for key, value in env_backup.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def fallback_html(title: str, error: str) -> str:
    """A minimal, self-contained page for a run whose notebook could not be rendered."""
    import html as html_lib

    from revops_nb.report.html import CSP_META

    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>{CSP_META}"
        f"<title>{html_lib.escape(title)}</title></head><body style='font-family:sans-serif;max-width:900px;"
        f"margin:2em auto'><h1>{html_lib.escape(title)}</h1><p style='color:#9b1c1c'><strong>This report "
        f"failed.</strong> {html_lib.escape(error)}</p><p>See report.ipynb and run.json in this folder.</p>"
        "</body></html>"
    )


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read_executed(path: Path, fallback: str) -> nbformat.NotebookNode:
    """The executed notebook, or the source notebook when the kernel never produced one."""
    source = path if path.exists() and path.stat().st_size else Path(fallback)
    return nbformat.read(source, as_version=4)


def published_log(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed notebook kept as the log: code and outputs, but no parameter values."""
    nb = nbformat.from_dict(nb)
    papermill_meta = nb.metadata.get("papermill", {})
    papermill_meta.pop("parameters", None)
    papermill_meta.pop("input_path", None)
    papermill_meta.pop("output_path", None)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    return nb


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}


def _describe_data(data_loaded: dict[str, Any]) -> str:
    parts = [
        f"{name} ({info.get('rows_loaded', 0):,} rows from {info.get('source', '?')})"
        for name, info in data_loaded.items()
    ]
    return "; ".join(parts)


def _fingerprint(data_loaded: dict[str, Any]) -> str | None:
    import hashlib

    if not data_loaded:
        return None
    digest = hashlib.sha256()
    for name in sorted(data_loaded):
        digest.update(f"{name}:{data_loaded[name].get('fingerprint')}".encode())
    return digest.hexdigest()[:16]


def versions() -> dict[str, str]:
    """Package, Python and key library versions for run.json."""
    out = {"revops-nb": _version("revops-nb"), "python": platform.python_version()}
    for lib in LIBRARIES:
        out[lib] = _version(lib)
    return out


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"
