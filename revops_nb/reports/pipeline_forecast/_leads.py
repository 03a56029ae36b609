"""Lead funnel rates from the optional ``leads`` table: lead → MQL → SQL → opportunity.

Each step is measured on a mature cohort: rows whose step date is at least the 95th
percentile of that step's conversion lag before the report date, so recent leads that
have not had time to convert do not pull the rate down. Rates by source carry Wilson
intervals; sources under min_n are flagged, and a difference between sources is claimed
only where a test across the ranked sources holds (Holm across the steps).

A step whose start or end date the table does not record (no ``mql_date`` or ``sql_date``
column, or one left blank on every row; no ``opportunity_id`` link) is not measured: its
counts and rate are empty rather than a made-up 0%, and ``missing`` says why in words.

The table arrives aggregated in its engine (:func:`revops_nb.data.aggregates.leads_by_dates`):
one row per distinct dates, source and opportunity, with ``lead_count`` leads in it, so
every count below is a sum of ``lead_count`` and every quantile is over the leads it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops_nb.data.aggregates import LEAD_COUNT
from revops_nb.reports.pipeline_forecast._deals import Deals, label
from revops_nb.reports.pipeline_forecast.settings import Settings
from revops_nb.stats import holm, independence_test, wilson_interval

STEPS = (("lead", "MQL"), ("MQL", "SQL"), ("SQL", "opportunity"))
LAG_QUANTILE = 0.95
RATE_COLUMNS = ["step", "n", "converted", "rate", "ci_low", "ci_high", "maturity_days"]


@dataclass
class LeadRates:
    """Conversion per step (``table``: :data:`RATE_COLUMNS`), by source, tests, and the lead-sourced deals.

    ``by_source`` rows: step, source, n, converted, rate, ci_low, ci_high, flagged;
    ``tests``: step, test, p_value, p_adjusted, significant. ``opportunity_ids`` are the
    deals that came from a lead; ``lead_to_deal_days`` the median days from lead to deal.
    """

    table: pd.DataFrame
    by_source: pd.DataFrame
    tests: pd.DataFrame
    opportunity_ids: frozenset
    n_leads: int
    lead_to_deal_days: float
    missing: tuple[str, ...] = ()  # one sentence per date the table does not record
    unmeasured: tuple[str, ...] = ()  # the steps those dates leave without a rate

    def measured(self, step: int) -> bool:
        """Whether step ``step`` (0 lead→MQL, 1 MQL→SQL, 2 SQL→opportunity) has a rate."""
        return self.table["step"].iloc[step] not in self.unmeasured

    def counts(self, step: int) -> tuple[int, int]:
        """(converted, n) of step ``step``; (0, 0) for a step that is not measured."""
        if not self.measured(step):
            return 0, 0
        row = self.table.iloc[step]
        return int(row["converted"]), int(row["n"])


def lead_rates(leads: pd.DataFrame | None, deals: Deals, settings: Settings) -> LeadRates | None:
    """The lead funnel as of the report date, or None without a leads table."""
    if leads is None:
        return None
    as_of = deals.as_of
    frame = leads[leads["created_date"] <= as_of]
    weight = frame[LEAD_COUNT] if LEAD_COUNT in frame else pd.Series(1, index=frame.index)
    opp_created = deals.frame.set_index("opportunity_id")["created_date"]
    opp_created = opp_created[opp_created <= as_of]
    opp_date = frame["opportunity_id"].map(opp_created) if "opportunity_id" in frame else None
    dates = [
        frame["created_date"],
        _column(frame, "mql_date"),
        _column(frame, "sql_date"),
        opp_date if opp_date is not None else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]"),
    ]
    dates = [d.where(d <= as_of) for d in dates]
    missing, unmeasured = _unrecorded(frame)
    source = label(frame["source"]) if "source" in frame else pd.Series("(blank)", index=frame.index)
    rows, by_source = [], []
    for i, (a, b) in enumerate(STEPS):
        start, end = dates[i], dates[i + 1]
        lag = _each_lead((end - start).dt.days[end.notna() & start.notna()], weight)
        maturity = float(np.quantile(lag, LAG_QUANTILE)) if len(lag) else 0.0
        cohort = start.notna() & (start <= as_of - pd.Timedelta(days=maturity))
        converted = cohort & end.notna()
        name = f"{a} → {b}"
        if name in unmeasured:
            rows.append({"step": name, "n": np.nan, "converted": np.nan, "maturity_days": np.nan})
            continue
        rows.append(
            {
                "step": name,
                "n": int(weight[cohort].sum()),
                "converted": int(weight[converted].sum()),
                "maturity_days": maturity,
            }
        )
        counted = pd.DataFrame(
            {
                "source": source[cohort],
                "n": weight[cohort],
                "converted": weight[cohort].where(converted[cohort], 0),
            }
        )
        part = counted.groupby("source")[["n", "converted"]].sum().astype(int).reset_index()
        part.insert(0, "step", name)
        by_source.append(part)
    table = _rates(pd.DataFrame(rows), settings)[RATE_COLUMNS]
    sources = _rates(pd.concat(by_source, ignore_index=True), settings)
    sources = sources.astype({"n": "int64", "converted": "int64"})
    sources["flagged"] = sources["n"] < settings.min_n
    tests = []
    for step, part in sources.groupby("step", sort=False):
        ranked = part[~part["flagged"]]
        counts = np.column_stack([ranked["converted"], ranked["n"] - ranked["converted"]])
        test = independence_test(counts) if len(ranked) >= 2 else None
        tests.append(
            {"step": step, "test": test.test if test else "none", "p_value": test.p_value if test else np.nan}
        )
    tests = pd.DataFrame(tests)
    tests["p_adjusted"], tests["significant"] = holm(tests["p_value"], settings.alpha)
    ids = frozenset(frame.loc[dates[3].notna(), "opportunity_id"]) if opp_date is not None else frozenset()
    lag = _each_lead((dates[3] - dates[0]).dt.days.dropna(), weight)
    return LeadRates(
        table=table,
        by_source=sources,
        tests=tests,
        opportunity_ids=ids,
        n_leads=int(weight.sum()),
        lead_to_deal_days=float(np.median(lag)) if len(lag) else float("nan"),
        missing=missing,
        unmeasured=unmeasured,
    )


def _each_lead(values: pd.Series, weight: pd.Series) -> np.ndarray:
    """``values`` (one per aggregated row) repeated once per lead the row stands for: exact quantiles."""
    return np.repeat(values.to_numpy(), weight.loc[values.index].to_numpy(dtype="int64"))


def _unrecorded(frame: pd.DataFrame) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Sentences on the dates the leads table does not record, and the steps they leave unmeasured."""
    names = [f"{a} → {b}" for a, b in STEPS]
    sentences, steps = [], []
    for i, (column, what) in enumerate(
        (("mql_date", "MQL dates"), ("sql_date", "SQL dates"), ("opportunity_id", "links to opportunities")),
        start=1,
    ):
        present = column in frame and frame[column].notna().any()
        if present:
            continue
        lost = [names[i - 1]] + ([names[i]] if i < len(names) else [])
        why = "has no such column" if column not in frame else "leaves it blank on every row"
        sentences.append(
            f"The leads table has no {what} (it {why}), so {' and '.join(lost)} cannot be measured."
        )
        steps += lost
    return tuple(sentences), tuple(dict.fromkeys(steps))


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")


def _rates(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    frame = frame.copy()
    frame["rate"] = frame["converted"] / frame["n"].replace(0, np.nan)
    frame["ci_low"], frame["ci_high"] = wilson_interval(frame["converted"], frame["n"], settings.confidence)
    return frame
