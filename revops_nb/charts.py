"""One look for every report: the seaborn theme, number formats, safe text and tables.

Everything a notebook shows a stakeholder goes through here, so every chart has
a title and labelled axes with units, every table is formatted the same way, and
text that comes from the data is escaped for HTML and Markdown before it reaches the report.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import HTML, Markdown
from matplotlib.ticker import FuncFormatter

PALETTE = "deep"
FIGSIZE = (8.0, 4.2)
ACCENT = "#2f6690"
MUTED = "#9aa5b1"


def set_theme() -> None:
    """Apply the one seaborn theme every report uses (readable at laptop width).

    Inside a Jupyter kernel it also selects inline PNG output, so a report gets
    its images even when the environment sets ``MPLBACKEND=Agg``.
    """
    _inline_in_kernel()
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook")
    plt.rcParams.update(
        {
            "figure.figsize": FIGSIZE,
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.labelsize": 11,
            "figure.autolayout": True,
            "text.parse_math": False,  # a '$' in a name from the data is a dollar sign, never math
        }
    )


def _inline_in_kernel() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    shell = get_ipython()
    if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
        shell.run_line_magic("matplotlib", "inline")


# ---------------------------------------------------------------- formatting


def fmt_pct(value: float, digits: int = 1) -> str:
    """0.1234 -> '12.3%'; missing -> '–'."""
    return "–" if _missing(value) else f"{100 * value:.{digits}f}%"


def fmt_money(value: float, currency: str = "USD") -> str:
    """1234567 -> 'USD 1.23M'; compact for text and tables."""
    if _missing(value):
        return "–"
    sign = "-" if value < 0 else ""
    v = abs(float(value))
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= limit:
            return f"{sign}{currency} {v / limit:.2f}{suffix}"
    return f"{sign}{currency} {v:,.0f}"


def fmt_int(value: float) -> str:
    """12345 -> '12,345'."""
    return "–" if _missing(value) else f"{round(float(value)):,}"


def fmt_num(value: float, digits: int = 2) -> str:
    """Plain number with thousands separators."""
    return "–" if _missing(value) else f"{float(value):,.{digits}f}"


def fmt_interval(low: float, high: float, kind: str = "pct") -> str:
    """'12.0%–15.3%' style interval text."""
    f = {"pct": fmt_pct, "num": fmt_num, "int": fmt_int}[kind]
    return f"{f(low)}–{f(high)}"


def fmt_p(p: float) -> str:
    """p-value in words-friendly form: 'p < 0.001' or 'p = 0.034'."""
    if _missing(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------- safe text


# Character references, not backslashes: they read the same in HTML and in Markdown, where they
# form no syntax. escape() output lands in both (HTML outputs and f-strings shown as Markdown), so
# it encodes what makes links, images, autolinks ('://'), code, emphasis, math, tables and breaks.
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
_INLINE = "\\`*_[]|~$\n\r"
_BLOCK = "()!#{}+-.="  # meaningful at the start of a line, or only next to the ones above
_ESCAPE = str.maketrans({**_HTML, **{c: f"&#{ord(c)};" for c in _INLINE}})
_ESCAPE_ALL = str.maketrans({**_HTML, **{c: f"&#{ord(c)};" for c in _INLINE + _BLOCK}})
_BLOCK_ONLY = str.maketrans({c: f"&#{ord(c)};" for c in _BLOCK})
# a value that starts a line could open a heading, a list or a setext underline
_BLOCK_START = re.compile(r"^(\s*)([#+\-=]|\d+[.)])")


def escape(value: object) -> str:
    """Escape text from the data for HTML and for Markdown: it shows as text and forms no markup or link.

    HTML-escapes, and writes Markdown's inline syntax (brackets, ``*``, ``_``, backticks, ``$``,
    ``|``, ``~``, the colon of ``://``, line breaks) and a leading list or heading marker as character
    references, so the same string is safe in an HTML output and in a Markdown sentence:
    ``![a](http:host/a.png)`` becomes neither an image nor a link.
    """
    text = str(value).translate(_ESCAPE).replace("://", "&#58;//")  # no bare-URL autolink
    return _BLOCK_START.sub(lambda m: m.group(1) + m.group(2).translate(_BLOCK_ONLY), text, count=1)


def escape_markdown(value: object) -> str:
    """Like :func:`escape`, with every character that has a meaning in Markdown encoded (for Markdown only)."""
    return str(value).translate(_ESCAPE_ALL).replace("://", "&#58;//")


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


# ---------------------------------------------------------------- charts


def pct_axis(ax, axis: str = "y") -> None:
    """Show an axis as percentages."""
    formatter = FuncFormatter(lambda v, _: f"{100 * v:.0f}%")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def money_axis(ax, currency: str = "USD", axis: str = "y") -> None:
    """Show an axis in compact currency (USD 1.2M)."""
    formatter = FuncFormatter(lambda v, _: fmt_money(v, currency))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def finish(ax, title: str, xlabel: str, ylabel: str):
    """Title and axis labels on a chart, then return its figure (a notebook shows it once)."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig = ax.figure
    plt.close(fig)
    return fig


def rate_bars(
    rates: pd.DataFrame,
    title: str,
    xlabel: str = "Rate",
    ylabel: str = "",
    value: str = "value",
    rate: str = "rate",
    reference: float | None = None,
):
    """Horizontal bars of a :func:`revops_nb.stats.rate_table` with CI whiskers; small groups greyed."""
    data = rates.copy()
    data[value] = data[value].astype(str)
    height = max(2.5, 0.38 * len(data) + 1.2)
    _fig, ax = plt.subplots(figsize=(FIGSIZE[0], height))
    colors = [MUTED if f else ACCENT for f in data.get("flagged", pd.Series(False, index=data.index))]
    ax.barh(data[value], data[rate], color=colors)
    if {"ci_low", "ci_high"} <= set(data.columns) and data["ci_low"].notna().any():
        err = np.vstack([data[rate] - data["ci_low"], data["ci_high"] - data[rate]])
        ax.errorbar(data[rate], data[value], xerr=np.clip(err, 0, None), fmt="none", ecolor="#333", capsize=3)
    if reference is not None:
        ax.axvline(reference, color="#c0392b", linestyle="--", linewidth=1, label="overall")
        ax.legend(loc="best")
    ax.invert_yaxis()
    pct_axis(ax, "x")
    return finish(ax, title, xlabel, ylabel)


def km_plot(curves: Mapping[str, pd.DataFrame], title: str, xlabel: str, ylabel: str = "Share remaining"):
    """Kaplan–Meier step curves with shaded intervals, one per group."""
    _fig, ax = plt.subplots()
    for (label, curve), color in zip(curves.items(), sns.color_palette(PALETTE), strict=False):
        if curve.empty:
            continue
        ax.step(curve["time"], curve["survival"], where="post", label=str(label), color=color)
        ax.fill_between(
            curve["time"], curve["ci_low"], curve["ci_high"], step="post", alpha=0.15, color=color
        )
    ax.set_ylim(0, 1.02)
    pct_axis(ax)
    ax.legend()
    return finish(ax, title, xlabel, ylabel)


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


def figure(fig: plt.Figure, alt: str | None = None) -> ChartImage:
    """Wrap a finished figure so the report shows it with alt text (default: its title).

    Without ``alt`` the text is the figure's title (the suptitle, else the titles of its
    axes joined by '; '); a chart with neither is a ValueError, since every chart has one.
    """
    if alt is None:
        suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        alt = suptitle or "; ".join(titles)
    if not alt or not alt.strip():
        raise ValueError("a chart needs a title or alt text")
    plt.close(fig)
    return ChartImage(fig, alt.strip())
