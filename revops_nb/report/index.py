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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from revops_nb.record import KEY_FIGURE_META_FILE
from revops_nb.report.figures import (
    Figure,
    RunContext,
    figures_of,
    format_change,
    format_interval,
    format_line,
    format_value,
    is_number,
    run_context,
)
from revops_nb.reports import NAMES

MAX_FIGURES = 8  # lines shown per report; the others are one click away
MAX_HISTORY = 12
MAX_TREND = 8  # good runs in a sparkline
REPORT_ORDER = NAMES
# the page loads nothing: its own links to the reports are navigations, which this does not stop
INDEX_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'"
)


MAX_RUN_JSON_BYTES = 5_000_000  # a run.json is a few kB; a bigger one is not ours
TEXT_FIELDS = ("report", "title", "run_id", "status", "started", "finished", "error")
MAPPING_FIELDS = ("key_figures", "key_figure_meta", "params", "data", "timings", "versions")


def read_history(out_dir: Path) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """(runs per report newest first, the run.json paths that could not be read).

    A run.json that is not JSON, not an object, or whose fields have the wrong types is left
    out and named, so one damaged run never stops the index (or every later run) from building.
    """
    runs: dict[str, list[dict[str, Any]]] = {}
    unreadable: list[str] = []
    for run_json in sorted(out_dir.glob("*/*/run.json")):
        if run_json.parent.name.startswith("."):
            continue
        info = _read_run_json(run_json)
        if info is None:
            unreadable.append(run_json.relative_to(out_dir).as_posix())
            continue
        info["_path"] = run_json.parent.relative_to(out_dir).as_posix()
        info["_meta"] = _figure_meta(info, run_json.parent)
        runs.setdefault(info.get("report") or run_json.parent.parent.name, []).append(info)
    for items in runs.values():
        items.sort(key=lambda r: (r.get("started") or "", r.get("run_id") or ""), reverse=True)
    return runs, unreadable


def _read_run_json(path: Path) -> dict[str, Any] | None:
    """The run.json at ``path`` if it is a readable object with fields of the right types, else None."""
    try:
        if not path.is_file():  # a folder, a FIFO or a device named run.json
            return None
        with path.open("rb") as handle:
            raw = handle.read(MAX_RUN_JSON_BYTES + 1)
        if len(raw) > MAX_RUN_JSON_BYTES:
            return None
        info = json.loads(raw.decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("status"), str):
        return None
    if any(info.get(key) is not None and not isinstance(info[key], str) for key in TEXT_FIELDS):
        return None
    if any(info.get(key) is not None and not isinstance(info[key], dict) for key in MAPPING_FIELDS):
        return None
    duration = info.get("duration_s")
    if duration is not None and not is_number(duration):
        return None
    return info


def _figure_meta(info: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Units and labels given to ``record()``: run.json's ``key_figure_meta``, else the file beside it."""
    meta = info.get("key_figure_meta")
    if isinstance(meta, dict):
        return meta
    try:
        meta = json.loads((folder / KEY_FIGURE_META_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return meta if isinstance(meta, dict) else {}


@dataclass(frozen=True)
class FigureRow:
    """One line of the index: a figure of the latest good run, its change and its recent trend."""

    figure: Figure
    context: RunContext  # currency and confidence level of the run the figure is from
    value: str  # "26.9%"
    interval: str  # "95% CI 25.9–28.0%", or "" when none was recorded
    change: str  # since the previous good run: "+0.4 pp", "no change", "was EMEA", "" when unknown
    trend: list[float]  # up to MAX_TREND good runs, oldest first
    trend_text: str  # the trend in words, for the sparkline's title

    @property
    def line(self) -> str:
        """The row as the one line a stakeholder reads: ``Win rate 26.9% (95% CI 25.9–28.0%)``."""
        return format_line(self.figure, self.context)


def figure_rows(runs: list[dict[str, Any]]) -> list[FigureRow]:
    """Rows for the newest good run's figures (runs newest first); empty when no run was good."""
    ok = [r for r in runs if r.get("status") == "ok"]
    if not ok:
        return []
    latest, context = ok[0], run_context(ok[0])
    previous = ok[1] if len(ok) > 1 else None
    history = ok[:MAX_TREND][::-1]
    rows = []
    for figure in figures_of(_key_figures(latest), latest.get("_meta")):
        trend_runs = _comparable(history, figure, context)
        trend = [_key_figures(r)[figure.name] for r in trend_runs]
        rows.append(
            FigureRow(
                figure=figure,
                context=context,
                value=format_value(figure.value, figure.unit, context.currency),
                interval=format_interval(
                    figure.ci_low, figure.ci_high, figure.unit, context.currency, context.confidence
                )
                if figure.numeric
                else "",
                change=_change(figure, context, previous),
                trend=trend,
                trend_text=_trend_text(figure, context, trend_runs),
            )
        )
    return rows


def _key_figures(run: dict[str, Any]) -> dict[str, Any]:
    figures = run.get("key_figures")
    return figures if isinstance(figures, dict) else {}


def _comparable(runs: list[dict[str, Any]], figure: Figure, context: RunContext) -> list[dict[str, Any]]:
    """The runs whose value of ``figure`` can sit on one axis with the latest (same currency for money)."""
    if not figure.numeric:
        return []
    return [
        r
        for r in runs
        if is_number(_key_figures(r).get(figure.name))
        and (figure.unit != "money" or run_context(r).currency == context.currency)
    ]


def _change(figure: Figure, context: RunContext, previous: dict[str, Any] | None) -> str:
    if previous is None:
        return ""
    before_figures = _key_figures(previous)
    if figure.name not in before_figures:
        return "new"
    before = before_figures[figure.name]
    if figure.numeric:
        if figure.unit == "money" and run_context(previous).currency != context.currency:
            return "other currency before"
        if not is_number(before):
            return ""
        return format_change(figure.value - before, figure.unit, context.currency)
    if figure.unit == "text":
        return "no change" if before == figure.value else f"was {format_value(before, 'text')}"
    return ""


def _trend_text(figure: Figure, context: RunContext, runs: list[dict[str, Any]]) -> str:
    if len(runs) < 2:
        return ""
    points = "; ".join(
        f"{str(r.get('started', ''))[:10]} "
        f"{format_value(_key_figures(r)[figure.name], figure.unit, context.currency)}"
        for r in runs
    )
    return f"{figure.label}, last {len(runs)} good runs, oldest first: {points}"


def sparkline_svg(values: list[float], title: str, width: int = 96, height: int = 22) -> str:
    """A small inline SVG line of ``values`` (oldest first) with ``title`` as its text alternative.

    No script, no external reference: it draws in any browser, offline. Empty for fewer than two values.
    """
    if len(values) < 2:
        return ""
    pad = 3.0
    low, high = min(values), max(values)
    step = (width - 2 * pad) / (len(values) - 1)
    points = [
        (
            pad + i * step,
            height / 2 if high == low else height - pad - (v - low) / (high - low) * (height - 2 * pad),
        )
        for i, v in enumerate(values)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    x_last, y_last = points[-1]
    text = html.escape(title)
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{text}"><title>{text}</title>'
        f'<polyline points="{line}" fill="none" stroke="#2f6690" stroke-width="1.5" '
        f'stroke-linejoin="round" stroke-linecap="round"/>'
        f'<circle cx="{x_last:.1f}" cy="{y_last:.1f}" r="2.5" fill="#2f6690"/></svg>'
    )


def _fmt_seconds(value: Any) -> str:
    return f"{value:,.1f}" if is_number(value) else "–"


def _figure_table(rows: list[FigureRow], trend_runs: int) -> str:
    e = html.escape
    body = "".join(
        f"<tr><th scope='row'>{e(row.figure.label)}</th>"
        f"<td class='val'>{e(row.value)}"
        f"{f' <span class=ci>({e(row.interval)})</span>' if row.interval else ''}</td>"
        f"<td class='chg'>{e(row.change) or '–'}</td>"
        f"<td class='trend'>{sparkline_svg(row.trend, row.trend_text)}</td></tr>"
        for row in rows
    )
    return (
        "<div class='figwrap'><table class='figs'><thead><tr><th scope='col'>Headline figure</th><th scope='col'>Latest</th>"
        "<th scope='col'>Since previous good run</th>"
        f"<th scope='col'>Last {trend_runs} good run{'' if trend_runs == 1 else 's'}</th></tr></thead><tbody>{body}</tbody></table></div>"
    )


def _section(report: str, items: list[dict[str, Any]]) -> str:
    e = html.escape
    latest = items[0]
    status = str(latest.get("status", "unknown"))
    rows = figure_rows(items)
    ok = [r for r in items if r.get("status") == "ok"]
    trend_runs = min(len(ok), MAX_TREND)
    last_ok = ok[0] if ok else None
    ok_link = (
        f"<p>Latest good run: <a href='{e(last_ok['_path'])}/report.html'>{e(str(last_ok.get('run_id', '')))}</a>"
        f" · the figures below are from it.</p>"
        if last_ok and last_ok is not latest
        else ""
    )
    if rows:
        figures_html = _figure_table(rows[:MAX_FIGURES], trend_runs)
        if len(rows) > MAX_FIGURES:
            more = rows[MAX_FIGURES:]
            figures_html += (
                f"<details class='more'><summary>{len(more)} more figures</summary>"
                f"{_figure_table(more, trend_runs)}</details>"
            )
    else:
        figures_html = "<p>No headline figures recorded yet.</p>"
    history = "".join(
        f"<li><a href='{e(r['_path'])}/report.html'>{e(str(r.get('run_id', '')))}</a> "
        f"<span class='st st-{e(str(r.get('status', '')))}'>{e(str(r.get('status', '')))}</span>"
        f"{' – ' + e(str(r['error'])) if r.get('error') else ''}</li>"
        for r in items[:MAX_HISTORY]
    )
    started = str(latest.get("started", ""))[:16].replace("T", " ")
    return (
        f"<section><h2><a href='{e(latest['_path'])}/report.html'>{e(str(latest.get('title', report)))}</a> "
        f"<span class='st st-{e(status)}'>{e(status)}</span></h2>"
        f"<p class='meta'>Last run {e(started)} UTC · {e(_fmt_seconds(latest.get('duration_s')))} s</p>"
        f"{ok_link}{figures_html}"
        f"<details><summary>History ({len(items)} run{'' if len(items) == 1 else 's'})</summary><ul>{history}</ul></details></section>"
    )


def render_index(out_dir: Path) -> str:
    """The index page as one self-contained HTML string (no scripts, no external URLs)."""
    runs, unreadable = read_history(out_dir)
    order = REPORT_ORDER
    runs = dict(
        sorted(runs.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0]))
    )
    sections = []
    for report, items in runs.items():
        try:
            sections.append(_section(report, items))
        except Exception:  # a run.json of a shape no check foresaw: name it, keep the rest of the index
            unreadable += [f"{r['_path']}/run.json" for r in items]
    body = _unreadable_note(unreadable) + "".join(sections)
    body = body or "<p>No reports have been run yet.</p>"
    built = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{INDEX_CSP}">
<title>RevOps reports</title>
<style>
body {{ font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; max-width: 980px;
       margin: 0 auto; padding: 16px 24px 48px; color: #1f2933; }}
h1 {{ border-bottom: 2px solid #2f6690; padding-bottom: 8px; }}
section {{ border: 1px solid #e4e7eb; border-radius: 8px; padding: 8px 18px 12px; margin: 16px 0; }}
h2 {{ font-size: 1.25em; }} a {{ color: #2f6690; }}
.meta {{ color: #52606d; margin-top: -8px; }}
table {{ border-collapse: collapse; margin: 6px 0; }} table.figs {{ width: 100%; }}
.figwrap {{ overflow-x: auto; }} th, td {{ text-align: left; padding: 4px 12px; }}
thead th {{ background: #eef2f6; font-size: 0.9em; white-space: nowrap; }} td, tbody th {{ border-top: 1px solid #e4e7eb; }}
tbody th {{ font-weight: 600; }} .val {{ white-space: nowrap; font-variant-numeric: tabular-nums; }}
.ci, .chg {{ color: #52606d; }} .chg {{ white-space: nowrap; }} .trend {{ padding: 2px 12px; width: 96px; }}
.spark {{ display: block; }} details.more > summary {{ color: #52606d; margin: 4px 0; }}
.st {{ font-size: 0.75em; padding: 2px 8px; border-radius: 10px; vertical-align: middle; }}
.st-ok {{ background: #e3f9e5; color: #1d6b31; }} .st-failed {{ background: #fdecea; color: #9b1c1c; }}
.unreadable {{ background: #fff8e1; border-left: 4px solid #f0b429; padding: 6px 12px; }}
</style></head>
<body><h1>RevOps reports</h1><p class="meta">Index built {built}.</p>{body}</body></html>
"""


def _unreadable_note(paths: list[str], shown: int = 20) -> str:
    """'N runs could not be read: <paths>' (the first ``shown`` of them), or '' when all could."""
    if not paths:
        return ""
    listed = ", ".join(html.escape(p) for p in paths[:shown])
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    runs = "1 run" if len(paths) == 1 else f"{len(paths)} runs"
    return f"<p class='unreadable'>{runs} could not be read: {listed}{more}.</p>"


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
        # every writer holds this lock while its .index-<pid>.html exists: any found now is a crash's
        for leftover in out_dir.glob(".index-*.html"):
            leftover.unlink(missing_ok=True)
        tmp = out_dir / f".index-{os.getpid()}.html"
        try:
            tmp.write_text(render_index(out_dir), encoding="utf-8")
            os.replace(tmp, target)
        except BaseException:  # e.g. disk full: the previous index stays, no half-written copy
            tmp.unlink(missing_ok=True)
            raise
    return target
