"""Hand the tables ``revops-nb run`` checked to its report kernels: read and conform each once per run.

The runner loads every configured table through the data contract before any kernel starts (bad
data must stop the run with nothing executed). Without a handoff each kernel would then read,
coerce and validate the same tables again: at 100x the sample that is 10-14 s per report. The
runner keeps each checked load, exactly as :func:`~revops_nb.data.loader.load_table` returned it,
in a folder of its own for the run (created private, removed when the run ends); a kernel told
that folder by ``REVOPS_NB_CHECKED_TABLES`` takes a table from it when the runner loaded it from
the same source with the same settings, and loads it itself otherwise. The reports therefore see
the very rows the check passed, even when a file changes while the run is under way.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from revops_nb.data.config import DataConfig, TableSource
from revops_nb.data.table_load import TableLoad

ENV = "REVOPS_NB_CHECKED_TABLES"


def _file_name(source: TableSource, config: DataConfig) -> str:
    """One file per table and everything that decides how it loads (a hash: no secret in a file name)."""
    settings = repr((source, str(config.base_dir), config.connection))
    return f"{source.name}-{hashlib.sha256(settings.encode()).hexdigest()[:24]}.pickle"


class CheckedTables:
    """A run's folder of checked table loads; a context manager that removes it at the end."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="revops-checked-"))  # mode 0700: this user only

    def keep(self, source: TableSource, config: DataConfig, load: TableLoad) -> None:
        """Store ``load`` of ``source`` as it is now (later additions to it are not kept)."""
        target = self.folder / _file_name(source, config)
        partial = target.with_suffix(".partial")
        with partial.open("wb") as out:
            pickle.dump(load, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, target)  # a kernel never sees half a file

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> CheckedTables:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def checked_load(source: TableSource, config: DataConfig) -> TableLoad | None:
    """The runner's checked load of ``source``, or None when this process was not handed one."""
    folder = os.environ.get(ENV)
    if not folder:
        return None
    path = Path(folder) / _file_name(source, config)
    try:
        with path.open("rb") as kept:
            load = pickle.load(kept)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None  # not handed over (or unreadable): the kernel loads the table itself
    return load if isinstance(load, TableLoad) and load.name == source.name else None
