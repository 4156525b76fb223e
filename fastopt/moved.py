"""Old import paths: the modules that moved into subpackages, forwarded with a ``DeprecationWarning``.

Until 0.2 every module sat in one folder; now each lives in the subpackage of its axis (the engine,
the models, the API, the applications, input/output, figures, the command line).
``from fastopt.linear import mse`` still works: it warns and gives the object of
:mod:`fastopt.engine.linear`. So do the update rules of the old ``fastopt.update_rules`` (now one
file per method in :mod:`fastopt.methods`).

Each old path is a small module placed in ``sys.modules`` when fastopt is imported; it loads its new
module on the first attribute asked of it. Placing it there, instead of finding it on import, keeps
the import system from replacing ``fastopt.compare`` (the function) with the old module of that name.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
import warnings
from typing import Any

from .engine.status import __all__ as STATUS_NAMES
from .methods import METHODS

__all__ = ["MOVED", "MOVED_NAMES", "install"]

#: Old module under ``fastopt`` -> its new place.
MOVED = {
    "jit": "engine.jit",
    "kernels": "engine.kernels",
    "linear": "engine.linear",
    "network": "engine.network",
    "shuffle": "engine.shuffle",
    "chunks": "engine.chunks",
    "groups": "engine.groups",
    "losses": "models.losses",
    "objective": "models.objective",
    "scaling": "models.scaling",
    "matrix_form": "models.matrix_form",
    "closed_form": "models.closed_form",
    "optimize": "api.optimize",
    "sweep": "api.sweep",
    "cluster": "api.cluster",
    "minimize": "api.minimize",
    "result": "api.result",
    "validation": "api.validation",
    "checks": "api.checks",
    "compare": "apps.compare",
    "benchmark": "apps.benchmark",
    "peers": "apps.peers",
    "report": "apps.report",
    "gallery": "apps.gallery",
    "scenes": "apps.scenes",
    "study": "apps.study",
    "study_report": "apps.study_report",
    "output": "io.output",
    "tables": "io.tables",
    "extras": "io.extras",
    "plots": "figures.comparison",
    "gallery_plots": "figures.gallery",
    "study_plots": "figures.study",
    "fit_command": "cli.fit",
    "gallery_command": "cli.gallery",
    "study_command": "cli.study",
}

#: Names that left their module's new place: old module -> {name: its place}.
MOVED_NAMES = {
    "kernels": dict.fromkeys(STATUS_NAMES, "engine.status"),
    "plots": {"close_all": "figures.style"},
    "scenes": {"step_lengths": "figures.gallery"},
}

# fastopt.update_rules held every rule and the dispatch; each name forwards to its own new place.
_DISPATCH = ("apply_rule", "begin_epoch", "end_epoch", "rate_at", "LOOKAHEAD", "N_HYPERPARAMETERS")


def _update_rule(name: str) -> str:
    if name in _DISPATCH:
        return f"fastopt.methods.dispatch.{name}"
    if name in METHODS and name != "lookahead":
        return f"fastopt.methods.{name}.rule"
    raise AttributeError(f"module 'fastopt.update_rules' has no attribute {name!r}")


class _OldPath(types.ModuleType):
    """A moved module's old name: every attribute is looked up in the new module, with a warning."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # introspection (inspect, pickle, doctest) must not load or warn
            raise AttributeError(name)
        old = self.__name__
        if old == "fastopt.update_rules":
            where = _update_rule(name)
        else:
            short = old.removeprefix("fastopt.")
            where = f"fastopt.{MOVED_NAMES.get(short, {}).get(name, MOVED[short])}.{name}"
        module, _, attribute = where.rpartition(".")
        target = importlib.import_module(module)
        if not hasattr(target, attribute):
            raise AttributeError(f"module {old!r} (now {module!r}) has no attribute {name!r}")
        warnings.warn(f"{old}.{name} moved to {where}", DeprecationWarning, stacklevel=2)
        return getattr(target, attribute)

    def __dir__(self) -> list[str]:
        if self.__name__ == "fastopt.update_rules":
            return list(_DISPATCH)
        return dir(importlib.import_module("fastopt." + MOVED[self.__name__.removeprefix("fastopt.")]))


def install() -> None:
    """Put every old path in ``sys.modules`` (cheap: nothing is loaded until an attribute is asked for)."""
    for old in (*MOVED, "update_rules"):
        name = f"fastopt.{old}"
        if name not in sys.modules:
            module = _OldPath(name, f"Moved: see {__name__}.")
            module.__spec__ = importlib.machinery.ModuleSpec(name, None)
            sys.modules[name] = module
