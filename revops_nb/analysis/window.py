"""Moved to :mod:`revops_nb.reports._window`; kept while the reports move into their packages."""

from revops_nb.reports._window import closed_deals_window, window_dates  # noqa: F401
