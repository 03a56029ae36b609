"""One look for every report's charts: the seaborn theme and the plotting helpers.

Every chart has a title and labelled axes with units. Number formats and escaping
live in :mod:`revops_nb.formatting`, sentences, tables and chart images in
:mod:`revops_nb.display`.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter

from revops_nb.formatting import fmt_money

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
        _figures_as_images_with_alt_text(shell)


def _figures_as_images_with_alt_text(shell) -> None:
    """Every figure a report displays becomes ``<img alt="its title">`` (one PNG, no bare image output)."""
    from matplotlib.figure import Figure

    from revops_nb.display import figure_html

    formatters = shell.display_formatter.formatters
    formatters["text/html"].for_type(Figure, figure_html)
    formatters["image/png"].type_printers.pop(Figure, None)


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
