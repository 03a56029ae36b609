"""One loaded table and the account of what happened to its rows (read, excluded, pulled into Python)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class TableLoad:
    """One loaded table and the account of what happened to its rows."""

    name: str
    source: str
    frame: pd.DataFrame
    rows_read: int
    excluded: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rows_kept: int | None = None  # rows that passed the contract, when ``frame`` is their aggregate
    rows_pulled: int | None = None  # rows that reached pandas; None: every row read
    engine: str = "pandas"  # where the contract and any aggregation ran

    @property
    def rows_loaded(self) -> int:
        """Rows that passed the data contract (raw rows, also when ``frame`` holds their aggregate)."""
        return self.rows_kept if self.rows_kept is not None else len(self.frame)

    @property
    def pulled(self) -> int:
        """Rows brought into Python: the aggregate's rows for a table aggregated in its engine."""
        return self.rows_pulled if self.rows_pulled is not None else self.rows_read

    @property
    def fingerprint(self) -> str:
        """A short hash of the loaded rows: equal data, equal fingerprint."""
        hashed = pd.util.hash_pandas_object(self.frame, index=False).to_numpy()
        digest = hashlib.sha256(hashed.tobytes())
        digest.update(",".join(map(str, self.frame.columns)).encode())
        return digest.hexdigest()[:16]

    def summary(self) -> dict:
        """JSON-friendly description for run.json and ``revops-nb check``."""
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "excluded": dict(self.excluded),
            "warnings": list(self.warnings),
            "rows_pulled": self.pulled,
            "engine": self.engine,
            "fingerprint": self.fingerprint,
        }
