"""fastopt: first-order optimizers as Numba kernels on flat parameter arrays.

>>> import fastopt
>>> result = fastopt.fit(x, y, method="adam")          # doctest: +SKIP

See :func:`fastopt.fit` and :data:`fastopt.METHODS`; :mod:`fastopt.reference`
holds the plain NumPy versions of the same algorithms, :mod:`fastopt.datasets`
the diamonds data of the tutorial this library grew from.
"""

from . import datasets, reference
from .methods import METHODS
from .optimize import fit
from .result import FitResult

__all__ = ["fit", "FitResult", "METHODS", "datasets", "reference", "__version__"]
__version__ = "0.1.0"
