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
