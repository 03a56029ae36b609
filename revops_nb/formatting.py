"""Numbers and text for stakeholders: formats, interval wording and escaping of data text.

Pure functions of values to strings, shared by every report's view: money with its
currency, rates as percentages, intervals with one wording ("95% CI"), p-values, and
the escaping that keeps text from the data from forming HTML or Markdown.
"""

from __future__ import annotations

import re

import pandas as pd


def ci_label(confidence: float) -> str:
    """'95% CI', '99.5% CI': the confidence level with its significant digits, never rounded up to 100%."""
    return f"{100 * confidence:.10g}% CI"


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
