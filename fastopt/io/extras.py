"""Optional dependencies: imported where needed, with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require", "EXTRAS"]

#: The extras of ``pip install "fastopt[...]"`` (see pyproject.toml).
EXTRAS = ("plots", "data", "dask", "sklearn", "study", "all")


def require(module: str, purpose: str, extra: str) -> ModuleType:
    """Import ``module`` or raise an ``ImportError`` naming the ``extra`` that brings it and what it is for."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{purpose} needs {module.split('.')[0]}, which the core install leaves out: "
            f'pip install "fastopt[{extra}]" (or "fastopt[all]" for everything)'
        ) from error
