"""What a report shows besides charts: sentences, notes, tables and chart images, all escaped.

IPython display objects built from already-computed values; the text from the data
goes through :func:`revops_nb.formatting.escape` on its way in.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown

from revops_nb.formatting import (
    _missing,
    escape,
    escape_markdown,
    fmt_int,
    fmt_money,
    fmt_num,
    fmt_p,
    fmt_pct,
)


def say(template: str, **values: object) -> Markdown:
    """Markdown from a template whose ``{placeholders}`` are filled with escaped values.

    Use for every sentence that contains data-derived text (names, reasons): string
    values can neither inject HTML nor Markdown links and images.
    """
    safe = {k: escape_markdown(v) if isinstance(v, str) else v for k, v in values.items()}
    return Markdown(template.format(**safe))


def bullets(lines: list[str]) -> Markdown:
    """A Markdown bullet list from already-safe sentences (build them with :func:`say` rules)."""
    return Markdown("\n".join(f"- {line}" for line in lines) if lines else "_Nothing to report._")


def notice(text: str) -> HTML:
    """A highlighted note, e.g. 'This section needs a market table'. Text is escaped."""
    return HTML(f'<div class="revops-note"><strong>Note:</strong> {escape(text)}</div>')


# ---------------------------------------------------------------- tables


def table(
    frame: pd.DataFrame,
    formats: Mapping[str, str] | None = None,
    currency: str = "USD",
    max_rows: int = 40,
    caption: str | None = None,
) -> HTML:
    """Render a DataFrame as an escaped, formatted HTML table.

    ``formats`` maps column -> 'pct', 'money', 'int', 'num', 'p' or 'text'.
    Index is dropped; booleans show as yes/blank; at most ``max_rows`` rows. Headers and cells
    go through :func:`escape`, so they stay text even where the table ends up inside Markdown.
    """
    formats = dict(formats or {})
    shown = frame.head(max_rows).copy()
    out = pd.DataFrame(index=shown.index)
    for col in shown.columns:
        kind = formats.get(col) or _guess_kind(shown[col])
        out[escape(str(col).replace("_", " "))] = [
            escape(_format_cell(v, kind, currency)) for v in shown[col]
        ]
    body = out.to_html(index=False, escape=False, border=0, classes="revops-table", na_rep="–")
    more = ""
    if len(frame) > max_rows:
        more = f'<p class="revops-more">Showing {max_rows:,} of {len(frame):,} rows.</p>'
    cap = f'<p class="revops-caption">{escape(caption)}</p>' if caption else ""
    return HTML(cap + body + more)


def _guess_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "num"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    return "text"


def _format_cell(value, kind: str, currency: str) -> str:
    if kind == "bool":
        return "yes" if value is True or value is np.True_ else ""
    if _missing(value):
        return "–"
    if kind == "pct":
        return fmt_pct(value)
    if kind == "money":
        return fmt_money(value, currency)
    if kind == "int":
        return fmt_int(value)
    if kind == "num":
        return fmt_num(value)
    if kind == "p":
        return fmt_p(value).removeprefix("p ").removeprefix("= ")
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return str(value)


# ---------------------------------------------------------------- data notes


def data_note(dataset, period: str | None = None) -> HTML:
    """The 'data this report is based on' paragraph plus any exclusions, in words."""
    text = escape(dataset.describe())
    head = f"<p><strong>Data:</strong> {text}</p>"
    if period:
        head = f"<p><strong>Period:</strong> {escape(period)}</p>" + head
    issues = dataset.exclusions()
    if issues.empty:
        return HTML(head + "<p>No rows were excluded.</p>")
    return HTML(head + table(issues, {"rows": "int"}, caption="Rows excluded and data warnings").data)


# ---------------------------------------------------------------- accessible chart images


class ChartImage:
    """A finished chart shown as ``<img alt="...">`` with the PNG embedded as a data: URI.

    Notebooks display a plain matplotlib figure as an ``image/png`` output, which the
    HTML report renders without alt text. This wrapper renders the same PNG as HTML
    with the alt text (escaped), so screen readers and a report whose images fail to
    load still say what the chart shows.
    """

    def __init__(self, fig: plt.Figure, alt: str) -> None:
        self.fig = fig
        self.alt = alt

    def png(self) -> bytes:
        """The chart as PNG bytes, drawn as the inline backend draws it (tight bounding box)."""
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", bbox_inches="tight", dpi=plt.rcParams["savefig.dpi"])
        return buffer.getvalue()

    def html(self) -> str:
        """``<img>`` with the embedded PNG and the escaped alt text."""
        data = base64.b64encode(self.png()).decode("ascii")
        return f'<img src="data:image/png;base64,{data}" alt="{escape(self.alt)}">'

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        return {"text/html": self.html(), "text/plain": f"[chart: {self.alt}]"}


def figure_title(fig: plt.Figure) -> str:
    """The figure's title: its suptitle, else the titles of its axes joined by '; ' ('' when none)."""
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    return (suptitle or "; ".join(titles)).strip()


def figure_html(fig: plt.Figure) -> str:
    """A figure as ``<img>`` with its title as alt text: the HTML formatter every report's figures use."""
    return ChartImage(fig, figure_title(fig) or "Chart").html()


def figure(fig: plt.Figure, alt: str | None = None) -> ChartImage:
    """Wrap a finished figure so the report shows it with alt text (default: its title).

    Without ``alt`` the text is the figure's title (the suptitle, else the titles of its
    axes joined by '; '); a chart with neither is a ValueError, since every chart has one.
    """
    if alt is None:
        alt = figure_title(fig)
    if not alt or not alt.strip():
        raise ValueError("a chart needs a title or alt text")
    plt.close(fig)
    return ChartImage(fig, alt.strip())
