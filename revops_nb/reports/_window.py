"""The analysis window in words: one sentence shape shared by every report and the index.

Reports that count closed deals state their window with :func:`closed_deals_window`,
so a reader comparing the market and win/loss reports (or their index lines) sees
at once whether they cover the same deals.
"""

from __future__ import annotations

import pandas as pd


def window_dates(first: pd.Timestamp, last: pd.Timestamp) -> str:
    """'2023-01-01 to 2026-09-30': the window as recorded in run.json (key figure ``window``)."""
    return f"{pd.Timestamp(first):%Y-%m-%d} to {pd.Timestamp(last):%Y-%m-%d}"


def closed_deals_window(first: pd.Timestamp, last: pd.Timestamp) -> str:
    """'deals closed from 2023-01-01 to 2026-09-30 (by close date)'."""
    return f"deals closed from {window_dates(first, last)} (by close date)"
