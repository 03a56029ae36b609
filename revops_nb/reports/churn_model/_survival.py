"""How long customers stay: a Kaplan–Meier curve of tenure and the share retained at set tenures."""

from __future__ import annotations

import pandas as pd

from revops_nb import stats
from revops_nb.data.subscriptions import active_on, with_end_date
from revops_nb.reports.churn_model._table import KEY, LABEL, ModelTable


def tenure_survival(table: ModelTable, subscriptions: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Kaplan–Meier curve of customer tenure in months (churn = event, still active = censored).

    History mode: from each account's first start to its last end (or the as-of date).
    Snapshot mode: from a tenure column (months or days); None when there is none.
    """
    if table.mode == "history" and subscriptions is not None:
        subs = with_end_date(subscriptions)
        subs = subs[subs["start_date"] <= table.as_of]
        per = subs.groupby(KEY).agg(start=("start_date", "min"), end=("end_date", "max"))
        open_ = active_on(subs["start_date"], subs["end_date"], table.as_of)
        active = open_.groupby(subs[KEY]).any()
        end = per["end"].where(~active, table.as_of).fillna(table.as_of)
        months = (end - per["start"]).dt.days / 30.44
        return stats.kaplan_meier(months, (~active).astype(int))
    frame = table.frame
    for col, per_month in (("tenure_months", 1.0), ("tenure_days", 30.44)):
        if col in frame:
            return stats.kaplan_meier(frame[col].astype(float) / per_month, frame[LABEL].astype(int))
    return None


def survival_points(curve: pd.DataFrame, months: tuple[int, ...] = (6, 12, 24, 36)) -> pd.DataFrame:
    """Share still a customer at given tenures, with the curve's pointwise interval and number at risk."""
    rows = []
    for m in months:
        before = curve[curve["time"] <= m]
        if before.empty or curve["time"].max() < m:
            continue
        last = before.iloc[-1]
        at_risk = int(curve.loc[curve["time"] >= m, "at_risk"].iloc[0]) if (curve["time"] >= m).any() else 0
        rows.append(
            {
                "tenure_months": m,
                "retained": last["survival"],
                "ci_low": last["ci_low"],
                "ci_high": last["ci_high"],
                "at_risk": at_risk,
            }
        )
    return pd.DataFrame(rows, columns=["tenure_months", "retained", "ci_low", "ci_high", "at_risk"])
