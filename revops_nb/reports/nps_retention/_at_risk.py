"""ARR at risk: current ARR of active accounts whose latest response is a detractor, and its expected loss."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb.reports.nps_retention._linking import Linked


@dataclass(frozen=True)
class ArrAtRisk:
    """Current ARR of active accounts whose latest response is a detractor, and its expected loss."""

    accounts: int
    arr: float
    share_of_arr: float
    expected_loss: float
    expected_loss_low: float
    expected_loss_high: float


def arr_at_risk(linked: Linked, retention: pd.DataFrame) -> ArrAtRisk:
    """ARR at risk among detractors: active accounts whose latest score is a detractor.

    Expected loss applies the detractors' ARR churn within the horizon
    (1 - ARR retention, with its bootstrap interval) to that ARR: it is an amount
    of ARR, so the ARR-weighted rate applies, not the logo rate. NaN when no
    detractor outcome is known yet.
    """
    customers = linked.customers
    active = customers[~customers["churned"].astype(bool)]
    latest = linked.responses.drop_duplicates("account_id", keep="last").set_index("account_id")["category"]
    cat = active["account_id"].map(latest)
    det = active[cat == "detractor"]
    arr = float(det["arr"].sum())
    total = float(active["arr"].sum())
    row = retention.set_index("category").loc["detractor"]
    churn = 1 - float(row["arr_retention"])
    churn_low, churn_high = 1 - float(row["arr_ci_high"]), 1 - float(row["arr_ci_low"])
    return ArrAtRisk(
        len(det),
        arr,
        arr / total if total > 0 else np.nan,
        float(arr * churn),
        float(arr * churn_low),
        float(arr * churn_high),
    )
