"""The package's one exception family.

Everything raised on purpose for a user derives from :class:`RevopsError` and
carries one clear sentence naming the file, table, column, key or value at fault;
the CLI prints that sentence and exits with :attr:`exit_code`, no traceback.
"""

from __future__ import annotations


class RevopsError(Exception):
    """Base class of every error meant for a user of revops-nb."""

    exit_code: int = 2


class ConfigError(RevopsError):
    """A data.yaml or params file is malformed or names something unknown."""


class DataError(RevopsError):
    """A data source cannot be read or does not meet the data contract."""


class ParamsError(RevopsError):
    """Report parameters do not match the notebook's parameters cell."""


class ReportError(RevopsError):
    """A report failed while executing."""

    exit_code = 1
