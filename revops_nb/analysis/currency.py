"""Moved to :mod:`revops_nb.reports._currency`; kept while the reports move into their packages."""

from revops_nb.reports._currency import *  # noqa: F403
from revops_nb.reports._currency import MONEY_COLUMNS, check_convertible, conversion_rates, to_reporting  # noqa: F401
