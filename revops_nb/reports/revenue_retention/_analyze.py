"""The whole revenue retention analysis on the loaded tables, each step once, into one :class:`RetentionResult`."""

from __future__ import annotations

from revops_nb.data import Dataset
from revops_nb.reports.revenue_retention._book import prepare_book
from revops_nb.reports.revenue_retention._cac import acquisition
from revops_nb.reports.revenue_retention._clv import ALL, customer_value
from revops_nb.reports.revenue_retention._cohorts import cohort_retention
from revops_nb.reports.revenue_retention._result import RetentionResult
from revops_nb.reports.revenue_retention._survival import cohort_survival
from revops_nb.reports.revenue_retention._ttm import ttm_retention
from revops_nb.reports.revenue_retention._waterfall import arr_waterfall
from revops_nb.reports.revenue_retention.settings import Settings


def analyze(data: Dataset, settings: Settings) -> RetentionResult:
    """Every section from ``subscriptions`` (with accounts, opportunities, marketing_spend, fx_rates when
    loaded); what the data cannot support steps aside in one sentence (see each part's ``aside``)."""
    book = prepare_book(
        data["subscriptions"], data.get("accounts"), data.get("opportunities"), data.get("fx_rates"), settings
    )
    notes = list(book.notes)
    waterfall = arr_waterfall(book, settings)
    clv = customer_value(book, settings)
    fit = clv.fits.get(ALL) if clv.aside is None else None
    spend = acquisition(
        book, data.get("marketing_spend"), data.get("fx_rates"), fit, waterfall.table, settings, notes
    )
    return RetentionResult(
        settings=settings,
        book=book,
        waterfall=waterfall,
        ttm=ttm_retention(book, settings),
        cohorts=cohort_retention(book, settings),
        survival=cohort_survival(book, settings),
        clv=clv,
        acquisition=spend,
        notes=notes,
    )
