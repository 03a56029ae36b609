"""Report packages import their computation on first use, so reading a report's settings stays light.

The runner imports ``revops_nb.reports.<name>.settings`` to check parameters before any kernel
starts; that imports the package's ``__init__``, which must not pull in scipy or statsmodels.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_attributes(package: str, module_of: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package.<module_of[name]>`` the first time ``name`` is used."""

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # later uses skip this function
        return value

    return __getattr__
