"""The report packages keep one shape: computation apart from words and charts, one way.

In ``revops_nb/reports/<name>/``, computation modules (``_*.py``, ``settings.py``) import no
matplotlib, IPython or display code, and ``view.py`` imports no statistics (scipy,
statsmodels, scikit-learn, ``revops_nb.stats``/``regression``): it builds sentences, tables
and charts from the Result only. ``settings.py`` stays light, because the runner imports it
to check parameters before any kernel starts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

REPORTS = ROOT / "revops_nb" / "reports"
DISPLAY = (
    "matplotlib",
    "IPython",
    "seaborn",
    "revops_nb.charts",
    "revops_nb.display",
    "revops_nb.formatting",
)
STATISTICS = ("scipy", "statsmodels", "sklearn", "revops_nb.stats", "revops_nb.regression")
HEAVY = ("scipy", "statsmodels", "sklearn", "matplotlib", "seaborn", "IPython")


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; relative imports resolved in its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _hits(names: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == b or n.startswith(b + ".") for b in banned))


def report_packages() -> list[Path]:
    return sorted(p for p in REPORTS.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def test_there_are_report_packages():
    assert report_packages() or not REPORTS.exists()


@pytest.mark.parametrize("package", report_packages(), ids=lambda p: p.name)
def test_a_report_package_has_the_shape(package):
    names = {p.name for p in package.glob("*.py")}
    assert {"__init__.py", "settings.py", "view.py"} <= names, names
    public = [n for n in names if not n.startswith("_") and n not in ("settings.py", "view.py")]
    assert public == [], f"computation modules are private (_topic.py): {public}"
    init = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    assert any(
        isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets)
        for node in init.body
    ), "__init__.py declares __all__"


@pytest.mark.parametrize("package", report_packages(), ids=lambda p: p.name)
def test_computation_imports_no_display_and_views_no_statistics(package):
    for module in sorted(package.glob("*.py")):
        found = imports(module)
        if module.name == "view.py":
            assert _hits(found, STATISTICS) == [], f"{module.name} computes: {_hits(found, STATISTICS)}"
        else:
            assert _hits(found, DISPLAY) == [], f"{module.name} displays: {_hits(found, DISPLAY)}"
        if module.name == "settings.py":
            assert _hits(found, HEAVY) == [], f"settings.py must stay light: {_hits(found, HEAVY)}"


def test_shared_report_helpers_compute_nothing_visual():
    for module in sorted(REPORTS.glob("_*.py")):
        assert _hits(imports(module), DISPLAY) == [], module.name


def test_formatting_is_pure_text_and_charts_only_plot():
    assert _hits(imports(ROOT / "revops_nb" / "formatting.py"), ("matplotlib", "IPython", "seaborn")) == []
    charts = ast.parse((ROOT / "revops_nb" / "charts.py").read_text(encoding="utf-8"))
    defined = {n.name for n in charts.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    text_helpers = {n for n in defined if n.startswith(("fmt_", "escape"))} | {
        "say",
        "table",
        "notice",
        "bullets",
    }
    assert defined.isdisjoint(text_helpers), defined & text_helpers


@pytest.mark.parametrize("package", report_packages(), ids=lambda p: p.name)
def test_reading_a_reports_rules_loads_no_statistics_or_plotting(package):
    """The runner reads every report's rules before any kernel: that import must stay light."""
    import subprocess
    import sys

    code = (
        f"import sys; import revops_nb.reports.{package.name}.settings; "
        "print(sorted(m for m in ('scipy', 'statsmodels', 'sklearn', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
