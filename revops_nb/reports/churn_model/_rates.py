"""Churn rates with Wilson intervals: per observation date, per decile of risk (lift) and per bin (calibration).

Every rate carries its n and a Wilson interval, and bands under ``min_n`` rows are flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revops_nb import stats
from revops_nb.reports.churn_model._models import ChurnModel
from revops_nb.reports.churn_model._table import DATE, LABEL, ModelTable


def _rates(frame: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    grouped = frame.groupby(by, sort=True) if by else frame.assign(_all="all").groupby("_all")
    out = grouped[LABEL].agg(n="size", churners="sum").reset_index()
    out["churners"] = out["churners"].astype(int)
    out["churn_rate"] = out["churners"] / out["n"]
    out["ci_low"], out["ci_high"] = stats.wilson_interval(out["churners"], out["n"])
    return out


def churn_rates(table: ModelTable) -> pd.DataFrame:
    """Churn rate with n and Wilson CI: per observation date (history) or overall (snapshot)."""
    if table.mode == "history":
        return _rates(table.frame, DATE)
    return _rates(table.frame).drop(columns="_all")


# ---------------------------------------------------------------- lift and calibration


def _banded(y: np.ndarray, p: np.ndarray, bands: np.ndarray, min_n: int) -> pd.DataFrame:
    frame = pd.DataFrame({"band": bands, LABEL: y, "p": p})
    out = frame.groupby("band").agg(
        n=(LABEL, "size"), churners=(LABEL, "sum"), mean_probability=("p", "mean")
    )
    out = out.reset_index()
    out["churners"] = out["churners"].astype(int)
    out["churn_rate"] = out["churners"] / out["n"]
    out["ci_low"], out["ci_high"] = stats.wilson_interval(out["churners"], out["n"])
    out["flagged"] = out["n"] < min_n
    return out


def lift_table(model: ChurnModel, min_n: int = 30) -> pd.DataFrame:
    """Decile lift and cumulative gains of the chosen model on the test rows (decile 1 = riskiest).

    ``lift`` is the decile's churn rate over the test churn rate; its interval is the
    decile's Wilson interval over that same overall rate.
    """
    y, p = model.y_test, model.test_scores[model.chosen]
    rank = pd.Series(-p).rank(method="first").to_numpy()
    decile = np.ceil(rank * 10 / len(p)).astype(int)
    out = _banded(y, p, decile, min_n).rename(columns={"band": "decile"})
    overall = y.mean()
    out["lift"] = out["churn_rate"] / overall
    out["lift_ci_low"] = out["ci_low"] / overall
    out["lift_ci_high"] = out["ci_high"] / overall
    out["cum_share_customers"] = out["n"].cumsum() / out["n"].sum()
    out["cum_share_churners"] = out["churners"].cumsum() / max(out["churners"].sum(), 1)
    out["cum_lift"] = out["cum_share_churners"] / out["cum_share_customers"]
    return out


def calibration_table(model: ChurnModel, bins: int = 10, min_n: int = 30) -> pd.DataFrame:
    """Mean predicted probability vs observed churn rate (Wilson CI) in equal-size bins of the test rows."""
    y, p = model.y_test, model.test_scores[model.chosen]
    rank = pd.Series(p).rank(method="first").to_numpy()
    band = np.ceil(rank * bins / len(p)).astype(int)
    out = _banded(y, p, band, min_n).rename(columns={"band": "bin"})
    out["within_ci"] = (out["mean_probability"] >= out["ci_low"]) & (
        out["mean_probability"] <= out["ci_high"]
    )
    return out
