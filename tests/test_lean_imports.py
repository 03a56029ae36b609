"""Processes that run reports skip jsonschema's slow optional import and still validate notebooks."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT

PROBE = """
import sys
import revops_nb.report.runner, revops_nb.report.execute, papermill, nbformat
from revops_nb.report.registry import discover
nb = nbformat.read(sys.argv[1], as_version=4)
nbformat.validate(nb)
broken = nbformat.from_dict({**nb, "cells": [{"cell_type": "code", "source": "1"}]})
try:
    nbformat.validate(broken)
except nbformat.ValidationError:
    print("invalid notebook refused")
print(sorted(discover()))
print("rfc3987_syntax loaded" if sys.modules.get("rfc3987_syntax") else "rfc3987_syntax skipped")
"""


def test_report_processes_skip_rfc3987_syntax_and_still_validate_notebooks():
    notebook = ROOT / "notebooks" / "win_loss.ipynb"
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(notebook)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "invalid notebook refused" in out.stdout
    assert "'win_loss'" in out.stdout
    assert out.stdout.strip().endswith("rfc3987_syntax skipped")
