"""Why deals are lost: losses to a competitor vs no decision (Wilson shares, exact test) and the reason Pareto."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from revops_nb import stats
from revops_nb.reports.win_loss._common import no_test
from revops_nb.reports.win_loss._deals import NO_COMPETITOR, Deals
from revops_nb.reports.win_loss.settings import Settings
from revops_nb.stats import TestResult

LOSS_COMPETITOR = "Lost to competitor"
LOSS_NO_DECISION = "No decision"
LOSS_OTHER = "Other reason"
LOSS_UNKNOWN = "No reason given"
NO_DECISION_WORDS = ("no decision", "nodecision", "status quo", "do nothing", "no budget decision")


@dataclass(frozen=True)
class LossAnalysis:
    """Lost deals split by kind (with Wilson shares), the reason Pareto and the test between the two."""

    n_lost: int
    split: pd.DataFrame
    pareto: pd.DataFrame
    competitor_vs_no_decision: TestResult
    has_reasons: bool

    @property
    def larger_kind(self) -> str:
        """LOSS_COMPETITOR when more losses went to a competitor than ended in no decision, else LOSS_NO_DECISION."""
        n = self.split.set_index("kind")["n"]
        return LOSS_COMPETITOR if n[LOSS_COMPETITOR] > n[LOSS_NO_DECISION] else LOSS_NO_DECISION


def loss_category(reasons: pd.Series, competitors: pd.Series | None = None) -> pd.Series:
    """'Lost to competitor', 'No decision', 'Other reason' or 'No reason given' per loss reason."""
    key = reasons.astype("str").str.casefold().str.replace(r"[\s_\-]+", " ", regex=True)
    names = set()
    if competitors is not None:
        names = {str(c).casefold() for c in competitors.dropna().unique() if c != NO_COMPETITOR}
    to_comp = key.str.contains("competitor", regex=False) | key.isin(names)
    no_dec = key.str.contains("|".join(NO_DECISION_WORDS), regex=True)
    out = np.select(
        [reasons.isna(), to_comp, no_dec], [LOSS_UNKNOWN, LOSS_COMPETITOR, LOSS_NO_DECISION], LOSS_OTHER
    )
    return pd.Series(out, index=reasons.index, dtype="str")


def loss_analysis(deals: Deals, settings: Settings) -> LossAnalysis:
    """Lost-to-competitor vs no-decision split and a loss-reason Pareto, shares with Wilson CIs."""
    lost = deals.closed[~deals.closed["is_won"]]
    has_reasons = "loss_reason" in lost and lost["loss_reason"].notna().any()
    reasons = lost["loss_reason"] if has_reasons else pd.Series(np.nan, index=lost.index, dtype="str")
    category = loss_category(reasons, lost.get("competitor"))
    order = [LOSS_COMPETITOR, LOSS_NO_DECISION, LOSS_OTHER, LOSS_UNKNOWN]
    split = _shares(category.value_counts().reindex(order, fill_value=0), len(lost), settings.confidence)
    split = split.rename(columns={"value": "kind"})
    labelled = reasons.fillna(LOSS_UNKNOWN)
    pareto = _shares(labelled.value_counts(), len(lost), settings.confidence)
    pareto = pareto.rename(columns={"value": "reason"})
    first = pd.Series(category.to_numpy(), index=labelled.to_numpy()).groupby(level=0).first()
    pareto.insert(1, "kind", pareto["reason"].map(first))
    pareto["cumulative_share"] = pareto["share"].cumsum()
    k_comp, k_nd = int(split["n"].iloc[0]), int(split["n"].iloc[1])
    test = no_test()
    if k_comp + k_nd > 0:
        res = sps.binomtest(k_comp, k_comp + k_nd, 0.5)
        test = TestResult(float(k_comp / (k_comp + k_nd)), float(res.pvalue), "exact binomial test")
    return LossAnalysis(len(lost), split, pareto, test, bool(has_reasons))


def _shares(counts: pd.Series, total: int, confidence: float) -> pd.DataFrame:
    out = counts.rename("n").rename_axis("value").reset_index()
    out["n"] = out["n"].astype(int)
    out["share"] = out["n"] / total if total else np.nan
    out["ci_low"], out["ci_high"] = stats.wilson_interval(out["n"], np.full(len(out), total), confidence)
    return out
