"""The reports, one package each, all of the same shape.

```
revops_nb/reports/<name>/__init__.py   public API with __all__: TABLES, Settings, analyze, the Result class
                         settings.py   the parameters as a dataclass with their value rules (the runner
                                       checks the rules before any kernel starts; keep it light to import)
                         _<topic>.py   computation: every number the report shows is a field of Result
                         view.py       sentences, tables and charts built from Result only
```

A notebook does the same in every report::

    settings = report.Settings.from_params(min_n=min_n, ...)   # keyword arguments, checked
                                                                 # (or .from_namespace(globals()))
    ds = data.load(report.TABLES)
    record_data(ds)
    result = report.analyze(ds, settings)
    record_result(result)                                        # key_figures() and tables()

Computation modules import no matplotlib, IPython or display code; view modules import
no scipy, statsmodels, scikit-learn or statistics (``tests/test_layering.py``). Helpers
shared by several reports live beside the packages: ``_settings`` (date parameters, common
rules), ``_currency`` (the one currency policy), ``_window`` (the window in words).
"""

from __future__ import annotations

from importlib import import_module

from revops_nb.param_rules import ReportRules

NAMES = (
    "market_analysis",
    "win_loss",
    "nps_retention",
    "churn_model",
    "revenue_retention",
    "pipeline_forecast",
)

# Which parameter names the reporting currency, and which tables' amounts each report adds up.
CURRENCY_PARAMETER = {
    "market_analysis": "currency",
    "win_loss": "reporting_currency",
    "nps_retention": "reporting_currency",
    "churn_model": "reporting_currency",
    "revenue_retention": "reporting_currency",
    "pipeline_forecast": "reporting_currency",
}
MONEY_TABLES: dict[str, tuple[str, ...]] = {
    "market_analysis": ("opportunities", "subscriptions"),
    "win_loss": ("opportunities",),
    "nps_retention": ("subscriptions", "customers"),
    "churn_model": ("subscriptions", "customers"),
    "revenue_retention": ("subscriptions", "marketing_spend"),
    "pipeline_forecast": ("opportunities",),
}


def rules(name: str) -> ReportRules | None:
    """The value rules of report ``name`` (None for a notebook that is not a package report)."""
    if name not in NAMES:
        return None
    return import_module(f"revops_nb.reports.{name}.settings").Settings.RULES
