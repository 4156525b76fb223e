"""fastopt: first-order optimizers as Numba kernels on flat parameter arrays.

>>> import fastopt
>>> result = fastopt.fit(x, y, method="adam")          # doctest: +SKIP

See :func:`fastopt.fit`, :data:`fastopt.METHODS`, :data:`fastopt.LOSSES`,
:class:`fastopt.MLP`, :class:`fastopt.Objective` and :class:`fastopt.Rule` (an optimizer
of your own, checked by :func:`fastopt.check_rule`); :func:`fastopt.minimize` runs the same
methods on the test functions of :mod:`fastopt.functions`; :func:`fastopt.compare` runs the
tutorial's benchmark; :mod:`fastopt.reference`
holds the plain NumPy versions of the same algorithms, :mod:`fastopt.datasets`
the diamonds data of the tutorial this library grew from.
"""

import importlib
import sys
from typing import Any

from . import datasets, functions, moved, reference, schedules
from .api.check import RuleCheck, check_rule
from .api.minimize import MinimizeResult, minimize
from .api.optimize import fit
from .api.result import ConvergenceWarning, FitResult
from .api.sweep import sweep
from .api.unscaled import UnscaledDataWarning
from .apps.compare import compare
from .apps.gallery import gallery
from .methods import METHODS
from .methods.rule import Rule
from .models.architectures import MLP
from .models.closed_form import least_squares
from .models.losses import LOSSES
from .models.objective import Objective
from .version import __version__

moved.install()

__all__ = [
    "fit",
    "minimize",
    "MinimizeResult",
    "sweep",
    "study",
    "compare",
    "gallery",
    "least_squares",
    "FitResult",
    "ConvergenceWarning",
    "UnscaledDataWarning",
    "MLP",
    "Objective",
    "Rule",
    "check_rule",
    "RuleCheck",
    "METHODS",
    "LOSSES",
    "datasets",
    "functions",
    "reference",
    "schedules",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """:func:`study`, loaded on first use; ``fastopt.linear`` and other old module paths (:mod:`fastopt.moved`)."""
    if name == "study":  # its problems bring pandas and compile test functions: 0.65 s of every import
        study = importlib.import_module(f"{__name__}.apps.study").study
        globals()["study"] = study
        return study
    if name in moved.MOVED or name == "update_rules":
        return sys.modules[f"{__name__}.{name}"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
