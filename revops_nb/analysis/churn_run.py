"""The churn report in one call: settings from the notebook's parameters, then every result it shows.

``settings = make_settings(...)`` checks the parameters (one-sentence
:class:`~revops_nb.errors.ParamsError` naming the parameter), ``analyze(tables, settings)``
builds the modelling table, fits and evaluates the models and returns a
:class:`ChurnReport` whose :meth:`~ChurnReport.key_figures` and
:meth:`~ChurnReport.tables` are what the notebook records.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from revops_nb.analysis import churn_results as results
from revops_nb.analysis.churn import ChurnModel, choose_mode, fit_models, parse_as_of
from revops_nb.analysis.churn_features import (
    KEY,
    ModelTable,
    history_table,
    select_features,
    snapshot_table,
)
from revops_nb.analysis.churn_reasons import ReasonsBreakdown, churn_reasons
from revops_nb.analysis.parameters import CHURN

HISTORY_INPUTS = ("subscriptions", "usage", "nps_responses", "support_tickets", "accounts", "fx_rates")
INPUT_TABLES = (*HISTORY_INPUTS, "customers", "churn_events")


@dataclass(frozen=True)
class ChurnSettings:
    """Validated parameters of the churn report."""

    mode: str = "auto"
    horizon_days: int = 90
    step_days: int = 30
    as_of: pd.Timestamp | None = None
    features: list[str] | None = None
    baseline_feature: str | None = None
    test_share: float = 0.25
    min_n: int = 30
    n_bootstrap: int = 1000
    top_n: int = 25
    seed: int = 42
    reporting_currency: str = "USD"


def make_settings(
    mode: str = "auto",
    horizon_days: int = 90,
    step_days: int = 30,
    as_of: str | None = None,
    features: list[str] | None = None,
    baseline_feature: str | None = None,
    test_share: float = 0.25,
    min_n: int = 30,
    n_bootstrap: int = 1000,
    top_n: int = 25,
    seed: int = 42,
    reporting_currency: str = "USD",
) -> ChurnSettings:
    """Check the notebook's parameters and return them as :class:`ChurnSettings`."""
    CHURN.check(
        {
            "mode": mode,
            "horizon_days": horizon_days,
            "step_days": step_days,
            "as_of": as_of,
            "test_share": test_share,
            "min_n": min_n,
            "n_bootstrap": n_bootstrap,
            "top_n": top_n,
            "reporting_currency": reporting_currency,
        }
    )
    mode = mode.strip().lower()
    currency = str(reporting_currency).strip().upper()
    return ChurnSettings(
        mode, horizon_days, step_days, parse_as_of(as_of), features, baseline_feature, test_share, min_n,
        n_bootstrap, top_n, seed, currency,
    )  # fmt: skip


@dataclass
class ChurnReport:
    """Everything the churn report shows, computed once."""

    settings: ChurnSettings
    table: ModelTable
    model: ChurnModel
    rates: pd.DataFrame
    lift: pd.DataFrame
    calibration: pd.DataFrame
    drivers: pd.DataFrame
    scores: pd.DataFrame
    risk: results.ArrAtRisk
    survival: pd.DataFrame | None
    reasons: ReasonsBreakdown | None = None

    @property
    def mode(self) -> str:
        return self.table.mode

    @property
    def better_than_chance(self) -> bool:
        """Whether the chosen model's test ROC AUC interval lies above 0.5 (a coin flip).

        When it does not, the probabilities do not tell riskier customers from safer ones,
        so ARR at risk and the scored list are shown with that caveat in words.
        """
        return bool(self.model.chosen_metrics["roc_auc_ci_low"] > 0.5)

    def key_figures(self) -> dict[str, object]:
        """Headline numbers for ``record()``; each equals a value in :meth:`tables`."""
        m = self.model.chosen_metrics
        return {
            "mode": self.mode,
            "churn_rate": float(self.rates["churn_rate"].iloc[-1]),
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
            "model_better_than_chance": self.better_than_chance,
        }

    def key_figure_labels(self) -> dict[str, str]:
        """Labels for ``record(..., label=...)`` where a figure needs words next to it in the index."""
        if self.better_than_chance:
            return {}
        return {"arr_at_risk": "ARR at risk (model no better than chance)"}

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tables saved with the run: the scored customers, lift, calibration, drivers, metrics, rates."""
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


def model_table(tables: dict[str, pd.DataFrame | None], settings: ChurnSettings) -> ModelTable:
    """The modelling table of the chosen mode from the loaded tables (absent tables as None)."""
    available = {name for name, frame in tables.items() if frame is not None}
    mode = choose_mode(settings.mode, available)
    if mode == "history":
        inputs = {name: tables.get(name) for name in HISTORY_INPUTS}
        table = history_table(
            inputs, settings.horizon_days, settings.step_days, settings.as_of, settings.reporting_currency
        )
        return select_features(table, settings.features)
    return snapshot_table(
        tables["customers"], settings.features, tables.get("fx_rates"), settings.reporting_currency
    )


def analyze(tables: dict[str, pd.DataFrame | None], settings: ChurnSettings) -> ChurnReport:
    """Build the modelling table, fit and evaluate the models, and compute every section's result."""
    table = model_table(tables, settings)
    model = fit_models(
        table, settings.horizon_days, settings.test_share, settings.baseline_feature, settings.n_bootstrap,
        settings.seed,
    )  # fmt: skip
    scores = results.score_current(model)
    return ChurnReport(
        settings=settings,
        table=table,
        model=model,
        rates=results.churn_rates(table),
        lift=results.lift_table(model, settings.min_n),
        calibration=results.calibration_table(model, min_n=settings.min_n),
        drivers=results.drivers(model, seed=settings.seed),
        scores=scores,
        risk=results.arr_at_risk(scores, seed=settings.seed),
        survival=results.tenure_survival(table, tables.get("subscriptions")),
        reasons=_reasons(tables, settings, table),
    )


def _reasons(
    tables: dict[str, pd.DataFrame | None], settings: ChurnSettings, table: ModelTable
) -> ReasonsBreakdown | None:
    """Churn reasons up to the as-of date when a churn_events table is loaded, else None."""
    events = tables.get("churn_events")
    if events is None or events.empty:
        return None
    return churn_reasons(
        events, tables.get("subscriptions"), tables.get("customers"), tables.get("support_tickets"),
        tables.get("fx_rates"), settings.reporting_currency, table.as_of, settings.n_bootstrap, settings.seed,
    )  # fmt: skip
