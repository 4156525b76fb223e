"""fastopt: first-order optimizers as Numba kernels on flat parameter arrays.

>>> import fastopt
>>> result = fastopt.fit(x, y, method="adam")          # doctest: +SKIP

See :func:`fastopt.fit` and :data:`fastopt.METHODS`; :func:`fastopt.compare`
runs the tutorial's benchmark; :mod:`fastopt.reference`
holds the plain NumPy versions of the same algorithms, :mod:`fastopt.datasets`
the diamonds data of the tutorial this library grew from.
"""

__version__ = "0.1.0"

from . import datasets, reference, schedules  # noqa: E402
from .closed_form import least_squares  # noqa: E402
from .compare import compare  # noqa: E402
from .methods import METHODS  # noqa: E402
from .optimize import fit  # noqa: E402
from .result import FitResult  # noqa: E402
from .sweep import sweep  # noqa: E402

__all__ = [
    "fit",
    "sweep",
    "compare",
    "least_squares",
    "FitResult",
    "METHODS",
    "datasets",
    "reference",
    "schedules",
    "__version__",
]
