"""fastopt: first-order optimizers as Numba kernels on flat parameter arrays.

>>> import fastopt
>>> result = fastopt.fit(x, y, method="adam")          # doctest: +SKIP

See :func:`fastopt.fit`, :data:`fastopt.METHODS`, :data:`fastopt.LOSSES`,
:class:`fastopt.MLP` and :class:`fastopt.Objective`; :func:`fastopt.minimize`
runs the same methods on the test functions of :mod:`fastopt.functions`; :func:`fastopt.compare`
runs the tutorial's benchmark; :mod:`fastopt.reference`
holds the plain NumPy versions of the same algorithms, :mod:`fastopt.datasets`
the diamonds data of the tutorial this library grew from.
"""

__version__ = "0.2.0"

from . import datasets, functions, reference, schedules
from .closed_form import least_squares
from .compare import compare
from .gallery import gallery
from .losses import LOSSES
from .methods import METHODS
from .minimize import MinimizeResult, minimize
from .models import MLP
from .objective import Objective
from .optimize import fit
from .result import ConvergenceWarning, FitResult
from .study import study
from .sweep import sweep
from .validation import UnscaledDataWarning

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
    "METHODS",
    "LOSSES",
    "datasets",
    "functions",
    "reference",
    "schedules",
    "__version__",
]
