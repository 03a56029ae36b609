"""revops-nb: the helper package behind the Revenue Operations report notebooks.

A notebook imports ``data`` (load tables), ``analysis`` (the logic), ``charts``
(one look) and ``record`` (headline figures for run.json).
"""

from __future__ import annotations

from revops_nb.errors import ConfigError, DataError, ParamsError, ReportError, RevopsError
from revops_nb.record import record, save_table

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "ParamsError",
    "ReportError",
    "RevopsError",
    "__version__",
    "record",
    "save_table",
]
