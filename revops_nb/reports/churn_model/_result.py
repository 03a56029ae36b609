"""Everything the churn report shows, computed once: :class:`ChurnResult`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from revops_nb.reports.churn_model._table import KEY

if TYPE_CHECKING:
    from revops_nb.reports.churn_model._at_risk import ArrAtRisk
    from revops_nb.reports.churn_model._models import ChurnModel
    from revops_nb.reports.churn_model._reasons import ReasonsBreakdown
    from revops_nb.reports.churn_model._table import ModelTable
    from revops_nb.reports.churn_model.settings import Settings

CONFIDENCE = 0.95  # every interval the report shows: Wilson, bootstrap, Kaplan–Meier and logistic
CHANCE_LABEL = "ARR at risk (model no better than chance)"


@dataclass
class ChurnResult:
    """The modelling table, the fitted models and every number the report's sections show."""

    settings: Settings
    table: ModelTable
    model: ChurnModel
    rates: pd.DataFrame
    lift: pd.DataFrame
    calibration: pd.DataFrame
    drivers: pd.DataFrame
    scores: pd.DataFrame
    risk: ArrAtRisk
    survival: pd.DataFrame | None
    survival_points: pd.DataFrame | None
    better_than_chance: bool
    """Whether the chosen model's test ROC AUC interval lies above 0.5 (a coin flip).

    When it does not, the probabilities do not tell riskier customers from safer ones,
    so ARR at risk and the scored list are shown with that caveat in words.
    """
    n_rows: int  # modelling rows: customer observations (history) or customers (snapshot)
    observed_from: pd.Timestamp | None  # first and last labelled observation date (history mode)
    observed_to: pd.Timestamp | None
    calibration_bins: int
    calibration_within_ci: int  # bins whose mean predicted probability lies inside the observed rate's CI
    n_scored: int  # current customers scored
    n_listed: int  # of those, listed in the report (top_n at most)
    reasons: ReasonsBreakdown | None = None
    confidence: float = CONFIDENCE

    @property
    def mode(self) -> str:
        return self.table.mode

    @property
    def latest_rate(self) -> pd.Series:
        """The churn rate the summary quotes: the latest labelled observation date, or the whole snapshot."""
        return self.rates.iloc[-1]

    def key_figures(self) -> dict[str, object]:
        """Headline numbers for ``record_result``; each equals a value in :meth:`tables`."""
        m = self.model.chosen_metrics
        return {
            "mode": self.mode,
            "churn_rate": float(self.latest_rate["churn_rate"]),
            "n_train": len(self.model.split.fit),
            "n_validation": len(self.model.split.validation),
            "n_test": len(self.model.split.test),
            "roc_auc": float(m["roc_auc"]),
            "roc_auc_ci_low": float(m["roc_auc_ci_low"]),
            "roc_auc_ci_high": float(m["roc_auc_ci_high"]),
            "pr_auc": float(m["pr_auc"]),
            "brier": float(m["brier"]),
            "top_decile_lift": float(self.lift["lift"].iloc[0]),
            "arr_at_risk": float(self.scores["arr_at_risk"].sum()),
            "model": self.model.chosen,
            "calibrated": bool(self.model.calibrator.applied),
            "model_better_than_chance": bool(self.better_than_chance),
        }

    def figure_meta(self) -> dict[str, dict[str, str]]:
        """Labels for the index where a figure needs words next to it: ARR at risk of a model no better than chance."""
        if self.better_than_chance:
            return {}
        return {"arr_at_risk": {"label": CHANCE_LABEL}}

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tables saved with the run: the scored customers, lift, calibration, drivers, metrics, rates, reasons."""
        return {
            "churn_scores": self.scores[[KEY, "churn_probability", "arr", "arr_at_risk", "top_drivers"]],
            "lift_by_decile": self.lift,
            "calibration": self.calibration,
            "drivers": self.drivers,
            "model_metrics": self.model.metrics,
            "churn_rates": self.rates,
            **self._reason_tables(),
        }

    def _reason_tables(self) -> dict[str, pd.DataFrame]:
        if self.reasons is None or not self.reasons.accounts:
            return {}
        out = {"churn_reasons": self.reasons.table}
        if self.reasons.by_support is not None:
            out["churn_reasons_by_support"] = self.reasons.by_support
        return out
