"""Shared fixtures; notebook items collected by nbval are marked slow."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.__class__.__module__.startswith("nbval"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def chromium_path() -> str:
    """Debian's chromium, or a skip with the reason (a failure in CI, where it must exist)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("REVOPS_NB_CI"):
            pytest.fail("chromium is not installed but REVOPS_NB_CI is set: .ci/run must install it")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server (Debian's binaries) for the session: its SQLAlchemy URL.

    Skipped with the reason where the server is not installed; a failure in CI, where
    .ci/run must install it. The server is stopped and its folder deleted at the end.
    """
    from tests.pg_server import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer(database="revops")
    except PostgresUnavailable as exc:
        if os.environ.get("REVOPS_NB_CI"):
            pytest.fail(f"{exc}, but REVOPS_NB_CI is set: .ci/run must install postgresql")
        pytest.skip(f"{exc}")
    server.start()
    try:
        yield server.url()
    finally:
        server.stop()
