"""What a data configuration enables, said by ``revops-nb check`` before anything runs.

Which reports would run (and which table each skipped one needs), and the churn
labels the churn model would learn from, so an analyst sees a useless label (no
churner, or everyone churned) before scheduling a run.
"""

from __future__ import annotations

from importlib import import_module

import pandas as pd

from revops_nb.data.config import DataConfig
from revops_nb.data.loader import TableLoad, load_sample_table
from revops_nb.errors import RevopsError
from revops_nb.report.registry import ORDER, REQUIRES

PREVIEW_HORIZON_DAYS = 90  # the churn model's default horizon and step
PREVIEW_STEP_DAYS = 30


def report_lines(config: DataConfig) -> list[str]:
    """One line per standard report: would run, or skipped with the table it needs."""
    lines = []
    for report in ORDER:
        missing = [
            " or ".join(g) for g in REQUIRES[report] if all(config.source_of(t) == "absent" for t in g)
        ]
        if missing:
            lines.append(f"  {report}: skipped, needs the {missing[0]} table")
        else:
            tables = sorted({t for g in REQUIRES[report] for t in g if config.source_of(t) != "absent"})
            sampled = [t for t in tables if config.source_of(t) == "sample"]
            note = f" (from the sample: {', '.join(sampled)})" if sampled else ""
            lines.append(f"  {report}: would run{note}{_without(report, config)}")
    return lines


def _without(report: str, config: DataConfig) -> str:
    """'; without leads: the plan stops at ...' for each optional table of ``report`` not configured."""
    optional = getattr(import_module(f"revops_nb.reports.{report}"), "OPTIONAL", {})
    absent = [
        f"without {table}: {loses}"
        for table, loses in optional.items()
        if config.source_of(table) == "absent"
    ]
    return "".join(f"; {part}" for part in absent)


def churn_label_line(config: DataConfig, loads: dict[str, TableLoad]) -> str | None:
    """The churn labels of the default churn model on this data, or why there would be none."""
    frames = {name: load.frame for name, load in loads.items()}
    for name in ("subscriptions", "customers", "usage", "nps_responses", "fx_rates"):
        if name not in frames and config.source_of(name) == "sample":
            frames[name] = load_sample_table(name, config).frame
    try:
        if "subscriptions" in frames:
            return _history_line(frames)
        if "customers" in frames:
            churned = frames["customers"]["churned"]
            known = churned.dropna().astype(bool)
            return (
                f"  churn labels (snapshot mode, customers table): {int(known.sum()):,} churned of "
                f"{len(known):,} customers ({known.mean():.1%})" + _flag(int(known.sum()), len(known))
            )
    except RevopsError as exc:
        return f"  churn labels: none, {exc}"
    return None


def _history_line(frames: dict[str, pd.DataFrame]) -> str:
    from revops_nb.reports.churn_model import history_table

    inputs = {name: frames.get(name) for name in ("subscriptions", "usage", "nps_responses", "fx_rates")}
    table = history_table(inputs, PREVIEW_HORIZON_DAYS, PREVIEW_STEP_DAYS)
    labels = table.frame.loc[table.frame["churned"].notna(), "churned"].astype(bool)
    dates = table.frame.loc[labels.index, "observation_date"].nunique()
    return (
        f"  churn labels (history mode, {PREVIEW_HORIZON_DAYS}-day horizon every {PREVIEW_STEP_DAYS} days): "
        f"{int(labels.sum()):,} churned of {len(labels):,} customer-dates ({labels.mean():.1%}) over {dates} "
        f"observation dates; {len(table.current):,} current customers to score"
        + _flag(int(labels.sum()), len(labels))
    )


def _flag(churned: int, total: int) -> str:
    if total == 0:
        return "; no labelled row, the churn model cannot be trained"
    if churned == 0:
        return "; no churner, the churn model cannot be trained"
    if churned == total:
        return "; every row churned, the churn model cannot be trained"
    if churned < 15:
        return "; fewer than 15 churners, the churn model's figures will be very uncertain"
    return ""
