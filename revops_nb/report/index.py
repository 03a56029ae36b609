"""Build ``reports/index.html``: every report's latest status, headline figures and history.

The index is rebuilt from the run folders on disk after every run, under a file
lock, so runs that finish at the same time into the same folder all appear.
"""

from __future__ import annotations

import fcntl
import html
import json
import os
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MAX_FIGURES = 8
MAX_HISTORY = 12


def load_runs(out_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """run.json of every published run, per report, newest first."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for run_json in sorted(out_dir.glob("*/*/run.json")):
        if run_json.parent.name.startswith("."):
            continue
        try:
            info = json.loads(run_json.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        info["_path"] = run_json.parent.relative_to(out_dir).as_posix()
        runs.setdefault(info.get("report", run_json.parent.parent.name), []).append(info)
    for items in runs.values():
        items.sort(key=lambda r: (r.get("started", ""), r.get("run_id", "")), reverse=True)
    return runs


def figure_changes(runs: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    """(name, latest ok value, change vs the previous ok run) for the newest ok run's figures."""
    ok = [r for r in runs if r.get("status") == "ok"]
    if not ok:
        return []
    latest = ok[0].get("key_figures", {})
    previous = ok[1].get("key_figures", {}) if len(ok) > 1 else {}
    out = []
    for name, value in latest.items():
        before = previous.get(name)
        change = None
        if _is_number(value) and _is_number(before):
            change = value - before
        out.append((name, value, change))
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


PERCENT_WORDS = ("rate", "growth", "penetration", "retention", "share")
MONEY_WORDS = ("arr", "amount", "bookings", "velocity", "revenue")


def _fmt_named(name: str, value: Any) -> str:
    """Format a key figure by what its name says it is (rates as %, money compact)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        words = name.split("_")
        if any(w in words for w in PERCENT_WORDS) and "ci" not in words and abs(value) <= 10:
            return f"{100 * value:.1f}%"
        if any(w in words for w in MONEY_WORDS) and abs(value) >= 1000:
            for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
                if abs(value) >= limit:
                    return f"{value / limit:,.2f}{suffix}"
    return _fmt(value)


def _fmt_change_named(name: str, change: Any) -> str:
    if change is None:
        return ""
    if change == 0:
        return "no change"
    text = _fmt_named(name, abs(change))
    return ("+" if change > 0 else "−") + text


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


def render_index(out_dir: Path) -> str:
    """The index page as one self-contained HTML string (no scripts, no external URLs)."""
    runs = load_runs(out_dir)
    order = ("market_analysis", "win_loss", "nps_retention", "churn_model")
    runs = dict(
        sorted(runs.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0]))
    )
    e = html.escape
    sections = []
    for report, items in runs.items():
        latest = items[0]
        status = latest.get("status", "unknown")
        figures = figure_changes(items)[:MAX_FIGURES]
        fig_rows = "".join(
            f"<tr><td>{e(name.replace('_', ' '))}</td><td>{e(_fmt_named(name, value))}</td>"
            f"<td class='chg'>{e(_fmt_change_named(name, change))}</td></tr>"
            for name, value, change in figures
        )
        history = "".join(
            f"<li><a href='{e(r['_path'])}/report.html'>{e(r.get('run_id', ''))}</a> "
            f"<span class='st st-{e(r.get('status', ''))}'>{e(r.get('status', ''))}</span>"
            f"{' – ' + e(r['error']) if r.get('error') else ''}</li>"
            for r in items[:MAX_HISTORY]
        )
        last_ok = next((r for r in items if r.get("status") == "ok"), None)
        ok_link = (
            f"<p>Latest good run: <a href='{e(last_ok['_path'])}/report.html'>{e(last_ok['run_id'])}</a></p>"
            if last_ok and last_ok is not latest
            else ""
        )
        figures_html = (
            f"<table><tr><th>Headline figure</th><th>Latest</th><th>Change since previous run</th></tr>"
            f"{fig_rows}</table>"
            if fig_rows
            else "<p>No headline figures recorded yet.</p>"
        )
        sections.append(
            f"<section><h2><a href='{e(latest['_path'])}/report.html'>{e(latest.get('title', report))}</a> "
            f"<span class='st st-{e(status)}'>{e(status)}</span></h2>"
            f"<p class='meta'>Last run {e(latest.get('started', '')[:16].replace('T', ' '))} UTC · "
            f"{e(_fmt(latest.get('duration_s')))} s</p>{ok_link}{figures_html}"
            f"<details><summary>History ({len(items)} runs)</summary><ul>{history}</ul></details></section>"
        )
    body = "".join(sections) or "<p>No reports have been run yet.</p>"
    built = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>RevOps reports</title>
<style>
body {{ font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; max-width: 980px;
       margin: 0 auto; padding: 16px 24px 48px; color: #1f2933; }}
h1 {{ border-bottom: 2px solid #2f6690; padding-bottom: 8px; }}
section {{ border: 1px solid #e4e7eb; border-radius: 8px; padding: 8px 18px 12px; margin: 16px 0; }}
h2 {{ font-size: 1.25em; }} a {{ color: #2f6690; }}
.meta {{ color: #52606d; margin-top: -8px; }}
table {{ border-collapse: collapse; margin: 6px 0; }} th, td {{ text-align: left; padding: 4px 12px; }}
th {{ background: #eef2f6; }} td {{ border-top: 1px solid #e4e7eb; }} .chg {{ color: #52606d; }}
.st {{ font-size: 0.75em; padding: 2px 8px; border-radius: 10px; vertical-align: middle; }}
.st-ok {{ background: #e3f9e5; color: #1d6b31; }} .st-failed {{ background: #fdecea; color: #9b1c1c; }}
</style></head>
<body><h1>RevOps reports</h1><p class="meta">Index built {built}.</p>{body}</body></html>
"""


@contextmanager
def _locked(out_dir: Path):
    lock_path = out_dir / ".index.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_index(out_dir: Path) -> Path:
    """Rebuild ``out_dir/index.html`` atomically under a lock shared by concurrent runs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    with _locked(out_dir):
        tmp = out_dir / f".index-{os.getpid()}.html"
        tmp.write_text(render_index(out_dir), encoding="utf-8")
        os.replace(tmp, target)
    return target
