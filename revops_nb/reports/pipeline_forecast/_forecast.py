"""The bookings forecast and its backtest: what the pipeline open at a period's start turned into.

For each past period the pipeline open at its start is rebuilt (created before it, not
closed before it, at the stage the history gives for that day) and two forecasts are
made, each learned only from earlier periods whose outcome was known by that start:

- **stage-weighted**: each open deal's amount times the share of deals in its stage at an
  earlier period's start that were won within that period;
- **model**: each deal's amount times a logistic-regression probability of being won
  within the period (stage, age, deal size, segment, type), fitted on earlier snapshots;

both plus an allowance for deals created and won inside the period (the mean of the
previous periods). Their errors against the bookings that closed give MAPE and bias per
method; the current period's forecast is a range: the better method's forecast divided by
(1 + each past error), from the j-th smallest to the j-th largest of those outcomes, with j
the largest that still leaves at least ``range_confidence`` of the n past errors inside
(order statistics: with 8 errors and 0.8 that is the smallest to the largest, all 8
inside). ``current`` records how many past errors the range spans, and the share of future
periods such a range holds when errors are exchangeable, (n + 1 - 2j) / (n + 1); with few
errors the range is itself uncertain, and since the method was chosen for its lower error
on the same periods, it is more likely too narrow than too wide.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.regression import fit_logit
from revops_nb.reports.pipeline_forecast._deals import Deals, label
from revops_nb.reports.pipeline_forecast._history import StageHistory
from revops_nb.reports.pipeline_forecast.settings import Settings

METHODS = ("stage_weighted", "model")
ALLOWANCE_PERIODS = 4  # previous periods averaged for the deals created and won inside a period
MIN_ERRORS = 3  # backtest periods needed before a range is drawn from their errors
MODEL_CATEGORIES = ("segment", "opportunity_type")
BACKTEST_COLUMNS = [
    "period",
    "period_start",
    "open_deals",
    "open_pipeline",
    "allowance",
    "stage_weighted",
    "model",
    "actual",
    "stage_weighted_error",
    "model_error",
    "trained_on_periods",
    "last_outcome_used",
]


@dataclass
class Backtest:
    """The backtest table (columns :data:`BACKTEST_COLUMNS`), accuracy per method and the current range.

    ``accuracy`` has one row per method: method, periods, mape, bias. ``chosen`` is the
    method with the lower MAPE ('' when none could be scored). ``current`` holds the
    forecast of the coming period: period, won_to_date, open_deals, open_pipeline, low, high
    (low/high NaN when there are fewer than :data:`MIN_ERRORS` backtest errors); with a range
    also errors (n), inside (past errors the range spans), expected_coverage and predicted
    (the chosen method's forecast of what is still to come). ``aside``
    says in one sentence why the forecast steps aside ('' when it shows).
    """

    table: pd.DataFrame
    accuracy: pd.DataFrame
    chosen: str
    current: dict
    aside: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def has_range(self) -> bool:
        return bool(np.isfinite(self.current.get("low", np.nan)))


def snapshot(deals: Deals, history: StageHistory, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Deals open at the start of day ``start``, with what was known then and whether each was won by ``end``.

    Columns: row (index into ``deals.frame``), amount, stage (order; -1 unknown), age_days,
    the model's categories, won (won with a close date in [start, end]).
    """
    frame = deals.frame
    closed = frame["is_closed"].astype(bool) & (frame["status"] != "open")
    close = frame["close_date"]
    created = frame["created_date"]
    is_open = (created < start) & ~(closed & (close.isna() | (close < start)))
    rows = frame[is_open]
    stage = history.stage_at(rows["opportunity_id"], start).fillna(-1)
    won_in = rows["status"].eq("won") & (rows["close_date"] >= start) & (rows["close_date"] <= end)
    out = pd.DataFrame(
        {
            "row": rows.index,
            "amount": rows["amount_rep"].to_numpy(),
            "stage": stage.to_numpy().astype(int),
            "age_days": (start - rows["created_date"]).dt.days.to_numpy(float),
            "won": won_in.to_numpy(),
        }
    )
    for col in MODEL_CATEGORIES:
        out[col] = label(rows[col]).to_numpy() if col in rows else "(blank)"
    return out


def _won_by(deals: Deals, snap: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """``snap`` (a :func:`snapshot` taken at ``start``) with won recomputed for the window [start, end]."""
    rows = deals.frame.loc[snap["row"]]
    won_in = rows["status"].eq("won") & (rows["close_date"] >= start) & (rows["close_date"] <= end)
    return snap.assign(won=won_in.to_numpy())


def booked(
    deals: Deals, start: pd.Timestamp, end: pd.Timestamp, created_from: pd.Timestamp | None = None
) -> float:
    """Amount won with a close date in [start, end] (only deals created on or after ``created_from``)."""
    frame = deals.frame
    won = frame["status"].eq("won") & (frame["close_date"] >= start) & (frame["close_date"] <= end)
    if created_from is not None:
        won &= frame["created_date"] >= created_from
    return float(frame.loc[won, "amount_rep"].sum())


def stage_rates(train: pd.DataFrame) -> pd.Series:
    """Share of deals in each stage at a period's start that were won within the period."""
    return train.groupby("stage")["won"].mean()


def stage_weighted(train: pd.DataFrame, pipeline: pd.DataFrame) -> float:
    """Σ amount × the within-period win rate of the deal's stage (overall rate for an unseen stage)."""
    rates = stage_rates(train)
    p = pipeline["stage"].map(rates).fillna(train["won"].mean())
    return float((pipeline["amount"].fillna(0) * p).sum())


def _design(frame: pd.DataFrame, levels: dict[str, list]) -> pd.DataFrame:
    x = pd.DataFrame({"const": 1.0}, index=frame.index)
    for stage in levels["stage"][1:]:
        x[f"stage_{stage}"] = (frame["stage"] == stage).astype(float)
    x["log_age"] = np.log1p(frame["age_days"].clip(lower=0))
    x["log_amount"] = np.log1p(frame["amount"].clip(lower=0))
    for col in MODEL_CATEGORIES:
        values = frame[col].astype(object)  # pandas 3's str-dtype == is slower, with the same booleans
        for value in levels[col][1:]:
            x[f"{col}_{value}"] = (values == value).astype(float)
    return x


def model_forecast(train: pd.DataFrame, pipeline: pd.DataFrame) -> tuple[float, str]:
    """Σ amount × the logistic probability of being won within the period, and why not ('' = fitted)."""
    train = train[train["amount"].notna()]
    scored = pipeline[pipeline["amount"].notna()]
    if scored.empty:
        return 0.0, ""
    levels = {c: sorted(train[c].unique()) for c in ("stage", *MODEL_CATEGORIES)}
    fit = fit_logit(train["won"].astype(float), _design(train, levels))
    if not fit.ok:
        return float("nan"), fit.note
    x = _design(scored, levels)[fit.columns]
    p = fit.result.predict(x.to_numpy(float))
    return float((scored["amount"].to_numpy() * p).sum()), ""


def _allowance(new_won: pd.Series, before: pd.Period) -> float:
    past = new_won[new_won.index < before].tail(ALLOWANCE_PERIODS)
    return float(past.mean()) if len(past) else 0.0


def backtest(deals: Deals, history: StageHistory, settings: Settings) -> Backtest:
    """Backtest the forecast over the last ``backtest_periods`` complete periods and forecast the coming one."""
    empty = pd.DataFrame(columns=BACKTEST_COLUMNS)
    accuracy = pd.DataFrame(columns=["method", "periods", "mape", "bias"])
    frame = deals.frame
    if not deals.dated:
        return Backtest(
            empty, accuracy, "", {}, "The forecast needs close dates, and the closed deals have none."
        )
    if frame["amount_rep"].notna().sum() == 0:
        return Backtest(empty, accuracy, "", {}, "The forecast needs deal amounts, and the deals have none.")
    freq = settings.freq
    coming = (deals.as_of + pd.Timedelta(days=1)).to_period(freq)
    first = frame["created_date"].min().to_period(freq)
    periods = pd.period_range(first, coming, freq=freq)
    snaps = {p: snapshot(deals, history, p.start_time, p.end_time.normalize()) for p in periods[:-1]}
    new_won = pd.Series(
        {p: booked(deals, p.start_time, p.end_time.normalize(), p.start_time) for p in periods[:-1]},
        dtype=float,
    )
    rows, notes = [], []
    for p in periods[:-1][-settings.backtest_periods :]:
        train = [snaps[q] for q in periods if q < p]
        if not train or not any(t["won"].any() for t in train):
            continue  # nothing learned yet: no earlier period with a win
        row = _predict(pd.concat(train, ignore_index=True), snaps[p], _allowance(new_won, p), notes)
        actual = booked(deals, p.start_time, p.end_time.normalize())
        row |= {
            "period": str(p),
            "period_start": p.start_time,
            "actual": actual,
            "trained_on_periods": len(train),
            "last_outcome_used": (p.start_time - pd.Timedelta(days=1)).normalize(),
        }
        for m in METHODS:
            row[f"{m}_error"] = (row[m] - actual) / actual if actual > 0 else np.nan
        rows.append(row)
    table = pd.DataFrame(rows, columns=BACKTEST_COLUMNS)
    accuracy = pd.DataFrame(
        [
            {
                "method": m,
                "periods": int(table[f"{m}_error"].notna().sum()),
                "mape": float(table[f"{m}_error"].abs().mean()),
                "bias": float(table[f"{m}_error"].mean()),
            }
            for m in METHODS
        ]
    )
    scored = accuracy[accuracy["periods"] > 0]
    chosen = str(scored.sort_values("mape").iloc[0]["method"]) if len(scored) else ""
    current = _current(deals, history, settings, coming, periods, snaps, new_won, table, chosen, notes)
    aside = ""
    if table.empty:
        aside = (
            "The forecast backtest needs at least one complete period after a period with a won deal, "
            f"and the data has {len(periods) - 1} complete {settings.grain}(s)."
        )
    return Backtest(table, accuracy, chosen, current, aside, list(dict.fromkeys(notes)))


def _predict(train: pd.DataFrame, pipeline: pd.DataFrame, allowance: float, notes: list[str]) -> dict:
    model, why = model_forecast(train, pipeline)
    if why:
        notes.append(f"in some periods the model forecast is missing: {why}")
    return {
        "open_deals": len(pipeline),
        "open_pipeline": float(pipeline["amount"].sum()),
        "allowance": allowance,
        "stage_weighted": stage_weighted(train, pipeline) + allowance,
        "model": model + allowance,
    }


def _current(
    deals: Deals,
    history: StageHistory,
    settings: Settings,
    coming: pd.Period,
    periods: pd.PeriodIndex,
    snaps: dict,
    new_won: pd.Series,
    table: pd.DataFrame,
    chosen: str,
    notes: list[str],
) -> dict:
    """The coming period's forecast: won so far, plus the chosen method on the open pipeline, as a range."""
    start = deals.as_of + pd.Timedelta(days=1)
    end = coming.end_time.normalize()
    won_to_date = booked(deals, coming.start_time, deals.as_of)
    pipeline = snapshot(deals, history, start, end)
    days = (end - coming.start_time).days + 1
    left = ((end - start).days + 1) / days
    out = {
        "period": str(coming),
        "won_to_date": won_to_date,
        "open_deals": len(pipeline),
        "open_pipeline": float(pipeline["amount"].sum()),
        "share_of_period_left": left,
        "method": chosen,
        "low": np.nan,
        "high": np.nan,
    }
    train = [snaps[q] for q in periods[:-1]]
    if left < 1:  # part of the period has passed: learn from windows as long as the part still to come
        span = end - start
        # the same deals as each period's snapshot (same start), only won by a shorter end
        train = [
            _won_by(deals, snaps[q], q.start_time, min(q.start_time + span, deals.as_of))
            for q in periods[:-1]
        ]
    if not chosen or not train:
        return out
    predicted = _predict(
        pd.concat(train, ignore_index=True), pipeline, left * _allowance(new_won, coming), notes
    )
    errors = table[f"{chosen}_error"].dropna().to_numpy(float)
    out["errors"] = len(errors)
    if len(errors) < MIN_ERRORS or not np.isfinite(predicted[chosen]):
        return out
    n = len(errors)
    j = range_rank(n, settings.range_confidence)
    with np.errstate(divide="ignore"):
        outcomes = np.sort(predicted[chosen] / (1 + errors))
    low, high = float(outcomes[j - 1]), float(outcomes[n - j])
    out["predicted"] = float(predicted[chosen])
    out["low"], out["high"] = won_to_date + low, won_to_date + high
    out["inside"] = int(((outcomes >= low) & (outcomes <= high)).sum())
    out["expected_coverage"] = (n + 1 - 2 * j) / (n + 1)
    return out


def range_rank(n: int, confidence: float) -> int:
    """The rank j (1-based) of the range's ends: the largest whose j-th smallest to j-th largest of n
    values spans at least ``confidence`` of them (n - 2(j - 1) >= confidence * n)."""
    return 1 + int(np.floor(n * (1 - confidence) / 2 + 1e-9))
