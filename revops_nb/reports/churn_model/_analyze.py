"""The churn report in one call: the modelling table, the fitted models and every section's result."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from revops_nb.data import Dataset
from revops_nb.reports.churn_model import TABLES
from revops_nb.reports.churn_model._at_risk import arr_at_risk, score_current
from revops_nb.reports.churn_model._drivers import drivers
from revops_nb.reports.churn_model._history import history_table
from revops_nb.reports.churn_model._models import choose_mode, fit_models
from revops_nb.reports.churn_model._rates import calibration_table, churn_rates, lift_table
from revops_nb.reports.churn_model._reasons import ReasonsBreakdown, churn_reasons
from revops_nb.reports.churn_model._result import ChurnResult
from revops_nb.reports.churn_model._snapshot import snapshot_table
from revops_nb.reports.churn_model._survival import survival_points, tenure_survival
from revops_nb.reports.churn_model._table import DATE, ModelTable, select_features
from revops_nb.reports.churn_model.settings import Settings

HISTORY_INPUTS = ("subscriptions", "usage", "nps_responses", "support_tickets", "accounts", "fx_rates")

Frames = Mapping[str, pd.DataFrame | None]


def model_table(frames: Frames, settings: Settings) -> ModelTable:
    """The modelling table of the chosen mode from the loaded tables (absent tables missing or None)."""
    available = {name for name, frame in frames.items() if frame is not None}
    mode = choose_mode(settings.mode, available)
    if mode == "history":
        inputs = {name: frames.get(name) for name in HISTORY_INPUTS}
        table = history_table(
            inputs, settings.horizon_days, settings.step_days, settings.as_of, settings.reporting_currency
        )
        return select_features(table, settings.features)
    return snapshot_table(
        frames["customers"], settings.features, frames.get("fx_rates"), settings.reporting_currency
    )


def analyze(data: Dataset | Frames, settings: Settings) -> ChurnResult:
    """Build the modelling table, fit and evaluate the models, and compute every section's result.

    ``data`` is the loaded :class:`~revops_nb.data.Dataset` (or any mapping of table name to
    frame): only ``data.get(name)`` is used, so an absent table is None.
    """
    frames = {name: data.get(name) for name in TABLES}
    table = model_table(frames, settings)
    model = fit_models(
        table, settings.horizon_days, settings.test_share, settings.baseline_feature, settings.n_bootstrap,
        settings.seed,
    )  # fmt: skip
    scores = score_current(model)
    calibration = calibration_table(model, min_n=settings.min_n)
    survival = tenure_survival(table, frames.get("subscriptions"))
    dates = table.frame[DATE] if table.mode == "history" else None
    return ChurnResult(
        settings=settings,
        table=table,
        model=model,
        rates=churn_rates(table),
        lift=lift_table(model, settings.min_n),
        calibration=calibration,
        drivers=drivers(model, seed=settings.seed),
        scores=scores,
        risk=arr_at_risk(scores, seed=settings.seed),
        survival=survival,
        survival_points=survival_points(survival) if survival is not None and not survival.empty else None,
        better_than_chance=bool(model.chosen_metrics["roc_auc_ci_low"] > 0.5),
        n_rows=len(table.frame),
        observed_from=dates.min() if dates is not None else None,
        observed_to=dates.max() if dates is not None else None,
        calibration_bins=len(calibration),
        calibration_within_ci=int(calibration["within_ci"].sum()),
        n_scored=len(scores),
        n_listed=min(settings.top_n, len(scores)),
        reasons=_reasons(frames, settings, table),
    )


def _reasons(frames: Frames, settings: Settings, table: ModelTable) -> ReasonsBreakdown | None:
    """Churn reasons up to the as-of date when a churn_events table is loaded, else None."""
    events = frames.get("churn_events")
    if events is None or events.empty:
        return None
    return churn_reasons(
        events, frames.get("subscriptions"), frames.get("customers"), frames.get("support_tickets"),
        frames.get("fx_rates"), settings.reporting_currency, table.as_of, settings.n_bootstrap, settings.seed,
    )  # fmt: skip
