"""The reverse-funnel SLA planner: how many opportunities, SQLs, MQLs and leads a target needs.

Walks the funnel backwards from each coming period's target. With a leads table the plan
covers the share of bookings that lead-sourced deals brought in over the last year, with
their win rate and deal size; without one it starts at opportunities and covers the
whole target. Uncertainty is propagated by simulation: each draw takes every conversion
rate from its beta posterior (uniform prior) and the deal size from a bootstrap resample
of won deals, then finds the smallest count N whose bookings reach the target with
probability ``plan_confidence`` (normal approximation to the sum of N independent deals,
each won with the product of the rates below it). The spread of N over the draws is the
"between X and Y" range at the report's confidence level.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from revops_nb.reports.pipeline_forecast._deals import Deals
from revops_nb.reports.pipeline_forecast._leads import LeadRates
from revops_nb.reports.pipeline_forecast.settings import Settings

LEVELS = ("Opportunities", "SQLs", "MQLs", "Leads")  # each needs the rates of the steps after it
PLAN_COLUMNS = ["period", "target", "planned_bookings", "level", "required", "low", "high"]
SHARE_DAYS = 365  # the window whose bookings split between lead-sourced and other deals
SCENARIOS = (
    ("Baseline", None, 0.0),
    ("Win rate +1 point", "win", 0.01),
    ("Deal size +10%", "size", 0.10),
    ("SQL → opportunity +5 points", "sql_opp", 0.05),
    ("MQL → SQL +5 points", "mql_sql", 0.05),
    ("Lead → MQL +1 point", "lead_mql", 0.01),
)


@dataclass
class Plan:
    """The plan per period and level (``table``: :data:`PLAN_COLUMNS`) and the sensitivity of the first period.

    ``sensitivity`` rows: scenario, then the median required count per level and the
    change from the baseline. ``inputs`` holds the measured rates and deal size used.
    ``aside`` says in one sentence why the plan steps aside ('' when it shows).
    """

    table: pd.DataFrame
    sensitivity: pd.DataFrame
    levels: tuple[str, ...]
    share: float  # of the target planned through these deals
    scope: str  # 'lead-sourced deals' or 'all deals'
    inputs: dict = field(default_factory=dict)
    aside: str = ""

    def first(self, level: str) -> pd.Series:
        """The first period's row for ``level``."""
        rows = self.table[self.table["level"] == level]
        return rows.iloc[0]


def _empty(aside: str) -> Plan:
    return Plan(pd.DataFrame(columns=PLAN_COLUMNS), pd.DataFrame(), (), float("nan"), "", {}, aside)


def required(p: np.ndarray, mu: np.ndarray, m2: np.ndarray, target: float, z: float) -> np.ndarray:
    """Smallest N with P(sum of N deals, each won with ``p`` at size mean ``mu``, E[size²] ``m2``, ≥ target) ≥ Φ(z)."""
    mean = p * mu
    var = np.maximum(p * m2 - mean**2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (z * np.sqrt(var) + np.sqrt(z**2 * var + 4 * mean * target)) / (2 * mean)
    return np.ceil(np.round(np.where(mean > 0, x**2, np.inf), 9))  # no extra deal for rounding noise


def reverse_funnel(deals: Deals, leads: LeadRates | None, targets: pd.Series, settings: Settings) -> Plan:
    """The plan for each period of ``targets`` (NaN target: no plan for that period)."""
    targets = targets.dropna()
    if targets.empty:
        return _empty("The SLA plan needs a target: set the target parameter or add a targets table.")
    frame = deals.frame
    scope = frame
    share, scope_name = 1.0, "all deals"
    if leads is not None and leads.opportunity_ids:
        # as object: pandas 3's str-dtype isin is far slower, with the same booleans
        in_scope = frame["opportunity_id"].astype(object).isin(leads.opportunity_ids)
        scope, scope_name = frame[in_scope], "lead-sourced deals"
        share = _lead_share(frame, in_scope, deals.as_of)
    closed = scope[scope["status"].isin(["won", "lost"])]
    won = int(closed["status"].eq("won").sum())
    sizes = scope.loc[scope["status"].eq("won"), "amount_rep"].dropna()
    sizes = sizes[sizes > 0].to_numpy(float)
    if won == 0 or len(sizes) == 0:
        return _empty(
            f"The SLA plan needs won {scope_name} with amounts to measure the win rate and deal size."
        )
    rng = np.random.default_rng(settings.seed)
    n_sim = settings.simulations
    draws = {"win": rng.beta(won + 1, len(closed) - won + 1, n_sim)}
    boot = rng.choice(sizes, size=(n_sim, len(sizes)), replace=True) if len(sizes) <= 2000 else None
    if boot is None:  # many deals: the bootstrap mean and mean square by the normal approximation
        draws["size"] = rng.normal(sizes.mean(), sizes.std() / np.sqrt(len(sizes)), n_sim)
        draws["size2"] = rng.normal((sizes**2).mean(), (sizes**2).std() / np.sqrt(len(sizes)), n_sim)
    else:
        draws["size"], draws["size2"] = boot.mean(axis=1), (boot**2).mean(axis=1)
    levels = ("Opportunities",)
    inputs = {
        "win_rate": won / len(closed),
        "n_closed": len(closed),
        "deal_size": float(sizes.mean()),
        "n_won": len(sizes),
    }
    if leads is not None:
        for key, step in (("lead_mql", 0), ("mql_sql", 1), ("sql_opp", 2)):
            k, n = leads.counts(step)
            if (
                leads.measured(step) and k > 0
            ):  # a step nobody passed has no rate to plan with: the levels before it are left out
                draws[key] = rng.beta(k + 1, n - k + 1, n_sim)
                inputs[key] = k / n
        levels = tuple(lv for lv in LEVELS if _chain(lv) <= draws.keys())
    z = float(sps.norm.ppf(settings.plan_confidence))
    a = (1 - settings.confidence) / 2
    rows = []
    for period, target in targets.items():
        planned = float(target) * share
        for level in levels:
            n = _required(draws, level, planned, z)
            rows.append(
                {
                    "period": str(period),
                    "target": float(target),
                    "planned_bookings": planned,
                    "level": level,
                    "required": _median(n),
                    "low": float(np.quantile(n, a, method="lower")),
                    "high": float(np.quantile(n, 1 - a, method="higher")),
                }
            )
    table = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    sensitivity = _sensitivity(draws, levels, float(targets.iloc[0]) * share, z)
    return Plan(table, sensitivity, levels, share, scope_name, inputs)


def _chain(level: str) -> set[str]:
    return {"win", "size", "size2", *(("sql_opp", "mql_sql", "lead_mql")[: LEVELS.index(level)])}


def _required(draws: dict, level: str, target: float, z: float) -> np.ndarray:
    p = draws["win"].copy()
    for key in ("sql_opp", "mql_sql", "lead_mql")[: LEVELS.index(level)]:
        p = p * draws[key]
    return required(np.clip(p, 0, 1), draws["size"], draws["size2"], target, z)


def _sensitivity(draws: dict, levels: tuple[str, ...], target: float, z: float) -> pd.DataFrame:
    base = {lv: _median(_required(draws, lv, target, z)) for lv in levels}
    rows = []
    for name, key, step in SCENARIOS:
        if key is not None and key not in draws:
            continue
        changed = dict(draws)
        if key == "size":
            changed["size"] = draws["size"] * (1 + step)
            changed["size2"] = draws["size2"] * (1 + step) ** 2
        elif key is not None:
            changed[key] = np.clip(draws[key] + step, 0, 1)
        row = {"scenario": name}
        for lv in levels:
            need = _median(_required(changed, lv, target, z))
            row[lv.lower()] = need
            row[f"{lv.lower()}_change"] = need - base[lv]
        rows.append(row)
    return pd.DataFrame(rows)


def _median(values: np.ndarray) -> float:
    """The median count, a whole number (the higher middle value)."""
    return float(np.quantile(values, 0.5, method="higher"))


def _lead_share(frame: pd.DataFrame, in_scope: pd.Series, as_of: pd.Timestamp) -> float:
    """Share of the last year's bookings (all time when none) won on lead-sourced deals."""
    won = frame["status"].eq("won") & frame["amount_rep"].notna()
    recent = won & (frame["close_date"] > as_of - pd.Timedelta(days=SHARE_DAYS))
    use = recent if frame.loc[recent, "amount_rep"].sum() > 0 else won
    total = float(frame.loc[use, "amount_rep"].sum())
    return float(frame.loc[use & in_scope, "amount_rep"].sum()) / total if total > 0 else 1.0
