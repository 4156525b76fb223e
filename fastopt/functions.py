"""Test functions for :func:`fastopt.minimize`: compiled values and gradients on flat parameters.

Each function is a :class:`TestFunction`: two ``@numba.njit`` functions,

``value(x, c) -> float`` and ``gradient(x, c, grad) -> float``

(``x`` float64[n], ``c`` read-only float64[k] constants such as a condition
number, ``grad`` float64[n] written with the gradient; ``gradient`` also
returns the value), its known minima and a window to draw it in. Build one
by name, with its dimension and constants: ``get_function("rosenbrock",
dim=5)``, or write your own: ``TestFunction("bowl", value, gradient,
dim=2, minima=((0.0, 0.0),), minimum_value=0.0)``.

===================  ===========================================  ======================  ========
name                 f(x)                                         minimum                 dims
===================  ===========================================  ======================  ========
``rosenbrock``       sum 100 (x[i+1] - x[i]**2)**2 + (1 - x[i])**2  0 at (1, ..., 1)        n >= 2
``beale``            (1.5 - x + xy)**2 + (2.25 - x + xy**2)**2      0 at (3, 0.5)           2
                     + (2.625 - x + xy**3)**2
``himmelblau``       (x**2 + y - 11)**2 + (x + y**2 - 7)**2         0 at four points        2
``rastrigin``        10 n + sum x**2 - 10 cos(2 pi x)             0 at 0                  n >= 1
``ackley``           -20 exp(-0.2 sqrt(mean x**2))                0 at 0                  n >= 1
                     - exp(mean cos(2 pi x)) + 20 + e
``styblinski_tang``  sum (x**4 - 16 x**2 + 5 x) / 2               -39.166 n at x = -2.9035 n >= 1
``saddle``           x**2 - y**2                                  none (a saddle at 0)    2
``ravine``           sum lambda_i x_i**2 / 2, lambda from 1 to    0 at 0                  n >= 2
                     ``condition`` (log-spaced)
``plateau``          1 - exp(-|x|**2 / (2 width**2))              0 at 0; flat far out    n >= 1
``double_well``      (x**2 - 1)**2 + tilt x + y**2                -tilt - ... at x ~ -1;  2
                                                                  a local one at x ~ +1
===================  ===========================================  ======================  ========
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import types

from .api.checks import check_integer, check_real
from .engine.jit import check_compiled, jit, one_signature
from .methods import POSITIVE
from .models.objective import bounds_checked

__all__ = ["TestFunction", "FUNCTIONS", "get_function", "grid_values", "VALUE_SIGNATURE", "GRADIENT_SIGNATURE"]

_VECTOR = types.float64[::1]
_CONSTANTS = types.Array(types.float64, 1, "C", readonly=True)
#: ``value(x, c) -> float``
VALUE_SIGNATURE = types.float64(_VECTOR, _CONSTANTS)
#: ``gradient(x, c, grad) -> float``: writes the gradient into ``grad``, returns the value.
GRADIENT_SIGNATURE = types.float64(_VECTOR, _CONSTANTS, _VECTOR)
VALUE_TYPE = types.FunctionType(VALUE_SIGNATURE)
GRADIENT_TYPE = types.FunctionType(GRADIENT_SIGNATURE)
_ARGS = "x float64[n], c read-only float64[k], grad float64[n]"


@dataclass(frozen=True, eq=False)
class TestFunction:
    """A function to minimize: compiled value and gradient, known minima, a window to draw it in.

    Parameters
    ----------
    name : str
    value, gradient : numba.njit functions ``value(x, c) -> float`` and ``gradient(x, c, grad) -> float``
    dim : int
        Number of parameters.
    constants : array_like, optional
        ``c``, passed to both functions (read-only).
    minima : tuple of points, optional
        Known global minimizers (empty for a function without one).
    minimum_value : float, optional
        The value at them (NaN when unknown or unbounded below).
    start : point, optional
        Default starting point of :func:`fastopt.minimize` (default: ones).
    bounds : ((x_low, x_high), (y_low, y_high)), optional
        Window of the figures (2-D functions).
    local_minima : tuple of points, optional
        Other stationary points worth marking (a saddle, a local minimum).
    debug : bool, default False
        Compile ``value`` and ``gradient`` again with bounds checks, so an
        index out of range raises ``IndexError`` instead of corrupting
        memory or crashing Python (see :func:`fastopt.models.objective.bounds_checked`).
    """

    __test__ = False  # not a pytest test class, despite the name

    name: str
    value: Any
    gradient: Any
    dim: int
    constants: Any = field(default_factory=lambda: np.zeros(0))  # array_like; stored as a read-only array
    minima: tuple[tuple[float, ...], ...] = ()
    minimum_value: float = math.nan
    start: Any = None  # a point; stored as a tuple of floats
    bounds: tuple[tuple[float, float], tuple[float, float]] = ((-2.0, 2.0), (-2.0, 2.0))
    local_minima: tuple[tuple[float, ...], ...] = ()
    description: str = ""
    debug: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "dim", check_integer("dim", self.dim, 1))
        if self.debug:
            object.__setattr__(self, "value", bounds_checked(self.value))
            object.__setattr__(self, "gradient", bounds_checked(self.gradient))
        constants = np.array(self.constants, dtype=np.float64).reshape(-1)
        constants.flags.writeable = False
        object.__setattr__(self, "constants", constants)
        check_compiled("TestFunction value", self.value, VALUE_SIGNATURE, "value(x, c) -> float", _ARGS)
        check_compiled(
            "TestFunction gradient", self.gradient, GRADIENT_SIGNATURE, "gradient(x, c, grad) -> float", _ARGS
        )
        start = (1.0,) * self.dim if self.start is None else tuple(float(v) for v in self.start)
        if len(start) != self.dim:
            raise ValueError(f"start has {len(start)} numbers, the function has dim={self.dim}")
        object.__setattr__(self, "start", start)

    def __call__(self, x: Any) -> float:
        """The value at ``x``."""
        return float(self.value(np.ascontiguousarray(x, dtype=np.float64), self.constants))

    def grad(self, x: Any) -> np.ndarray:
        """The gradient at ``x`` (a new array)."""
        out = np.zeros(self.dim)
        self.gradient(np.array(x, dtype=np.float64), self.constants, out)
        return out

    def __repr__(self) -> str:
        return f"TestFunction({self.name!r}, dim={self.dim})"


# --- the functions: value and gradient, written out for Numba -------------------------------------------------


@jit
def _rosenbrock(x: np.ndarray, c: np.ndarray) -> float:
    total = 0.0
    for i in range(x.shape[0] - 1):
        total += 100.0 * (x[i + 1] - x[i] * x[i]) ** 2 + (1.0 - x[i]) ** 2
    return total


@jit
def _rosenbrock_gradient(x: np.ndarray, c: np.ndarray, grad: np.ndarray) -> float:
    grad[:] = 0.0
    for i in range(x.shape[0] - 1):
        inner = x[i + 1] - x[i] * x[i]
        grad[i] += -400.0 * x[i] * inner - 2.0 * (1.0 - x[i])
        grad[i + 1] += 200.0 * inner
    return _rosenbrock(x, c)


_BEALE = ((1.5, 1), (2.25, 2), (2.625, 3))


@jit
def _beale(x: np.ndarray, c: np.ndarray) -> float:
    total = 0.0
    for a, k in _BEALE:
        total += (a - x[0] + x[0] * x[1] ** k) ** 2
    return total


@jit
def _beale_gradient(x: np.ndarray, c: np.ndarray, grad: np.ndarray) -> float:
    grad[:] = 0.0
    for a, k in _BEALE:
        r = a - x[0] + x[0] * x[1] ** k
        grad[0] += 2.0 * r * (x[1] ** k - 1.0)
        grad[1] += 2.0 * r * x[0] * k * x[1] ** (k - 1)
    return _beale(x, c)


@jit
def _himmelblau(x: np.ndarray, c: np.ndarray) -> float:
    return (x[0] ** 2 + x[1] - 11.0) ** 2 + (x[0] + x[1] ** 2 - 7.0) ** 2


@jit
def _himmelblau_gradient(x: np.ndarray, c: np.ndarray, grad: np.ndarray) -> float:
    a = x[0] ** 2 + x[1] - 11.0
    b = x[0] + x[1] ** 2 - 7.0
    grad[0] = 4.0 * a * x[0] + 2.0 * b
    grad[1] = 2.0 * a + 4.0 * b * x[1]
    return a * a + b * b


@jit
def _rastrigin(x: np.ndarray, c: np.ndarray) -> float:
    total = 10.0 * x.shape[0]
    for v in x:
        total += v * v - 10.0 * math.cos(2.0 * math.pi * v)
    return total


@jit
def _rastrigin_gradient(x: np.ndarray, c: np.ndarray, grad: np.ndarray) -> float:
    for i in range(x.shape[0]):
        grad[i] = 2.0 * x[i] + 20.0 * math.pi * math.sin(2.0 * math.pi * x[i])
    return _rastrigin(x, c)


@jit
def _ackley_terms(x: np.ndarray) -> tuple[float, float, float]:
    """``(r, exp(-0.2 r), exp(mean cos(2 pi x)))`` with ``r`` the root mean square of ``x``."""
    squares = 0.0
    cosines = 0.0
    for v in x:
        squares += v * v
        cosines += math.cos(2.0 * math.pi * v)
    root = math.sqrt(squares / x.shape[0])
    return root, math.exp(-0.2 * root), math.exp(cosines / x.shape[0])


@jit
def _ackley(x: np.ndarray, c: np.ndarray) -> float:
    _, first, second = _ackley_terms(x)
    return -20.0 * first - second + 20.0 + math.e


@jit
def _ackley_gradient(x: np.ndarray, c: np.ndarray, grad: np.ndarray) -> float:
    n = x.shape[0]
    root, first, second = _ackley_terms(x)
    for i in range(n):
        # d/dx of -20 exp(-0.2 r) is 4 exp(-0.2 r) x / (n r); at r = 0 the cone's tip, taken as 0.
        radial = 4.0 * first * x[i] / (n * root) if root > 0.0 else 0.0
        grad[i] = radial + second * 2.0 * math.pi * math.sin(2.0 * math.pi * x[i]) / n
    return -20.0 * first - second + 20.0 + math.e


@jit
def _styblinski_tang(x: np.ndarray, c: np.ndarray) -> float:
    total = 0.0
    for v in x:
        total += v**4 - 16.0 * v * v + 5.0 * v
    return total / 2.0


@jit
def _styblinski_tang_gradient(x: np.ndarray, c: np.ndarray, grad: np.ndarray) -> float:
    for i in range(x.shape[0]):
        grad[i] = (4.0 * x[i] ** 3 - 32.0 * x[i] + 5.0) / 2.0
    return _styblinski_tang(x, c)


@jit
def _saddle(x: np.ndarray, c: np.ndarray) -> float:
    return x[0] * x[0] - x[1] * x[1]


@jit
def _saddle_gradient(x: np.ndarray, c: np.ndarray, grad: np.ndarray) -> float:
    grad[0] = 2.0 * x[0]
    grad[1] = -2.0 * x[1]
    return _saddle(x, c)


@jit
def _curvature(i: int, n: int, condition: float) -> float:
    return condition ** (i / (n - 1)) if n > 1 else 1.0


@jit
def _ravine(x: np.ndarray, c: np.ndarray) -> float:
    n = x.shape[0]
    total = 0.0
    for i in range(n):
        total += _curvature(i, n, c[0]) * x[i] * x[i] / 2.0
    return total


@jit
def _ravine_gradient(x: np.ndarray, c: np.ndarray, grad: np.ndarray) -> float:
    n = x.shape[0]
    for i in range(n):
        grad[i] = _curvature(i, n, c[0]) * x[i]
    return _ravine(x, c)


@jit
def _plateau(x: np.ndarray, c: np.ndarray) -> float:
    squares = 0.0
    for v in x:
        squares += v * v
    return 1.0 - math.exp(-squares / (2.0 * c[0] * c[0]))


@jit
def _plateau_gradient(x: np.ndarray, c: np.ndarray, grad: np.ndarray) -> float:
    squares = 0.0
    for v in x:
        squares += v * v
    well = math.exp(-squares / (2.0 * c[0] * c[0]))
    for i in range(x.shape[0]):
        grad[i] = well * x[i] / (c[0] * c[0])
    return 1.0 - well


@jit
def _double_well(x: np.ndarray, c: np.ndarray) -> float:
    return (x[0] * x[0] - 1.0) ** 2 + c[0] * x[0] + x[1] * x[1]


@jit
def _double_well_gradient(x: np.ndarray, c: np.ndarray, grad: np.ndarray) -> float:
    grad[0] = 4.0 * x[0] * (x[0] * x[0] - 1.0) + c[0]
    grad[1] = 2.0 * x[1]
    return _double_well(x, c)


def _cubic_roots(tilt: float) -> list[float]:
    """Stationary points of the double well along x: roots of 4x^3 - 4x + tilt."""
    roots = np.roots([4.0, 0.0, -4.0, tilt])
    return sorted(float(r.real) for r in roots if abs(r.imag) < 1e-12)


# --- constructors ---------------------------------------------------------------------------------------------


def _dim(dim: Any, default: int, low: int, fixed: bool = False) -> int:
    if dim is None:
        return default
    if fixed and dim != default:
        raise ValueError(f"this function is defined in {default} dimensions, got dim={dim!r}")
    return check_integer("dim", dim, low)


def rosenbrock(dim: int | None = None) -> TestFunction:
    n = _dim(dim, 2, 2)
    return TestFunction("rosenbrock", _rosenbrock, _rosenbrock_gradient, n, minima=((1.0,) * n,), minimum_value=0.0,
                        start=(-1.5,) + (2.0,) * (n - 1), bounds=((-2.0, 2.0), (-1.0, 3.0)),
                        description="a curved valley: easy to find, slow to follow")  # fmt: skip


def beale(dim: int | None = None) -> TestFunction:
    _dim(dim, 2, 2, fixed=True)
    return TestFunction("beale", _beale, _beale_gradient, 2, minima=((3.0, 0.5),), minimum_value=0.0,
                        start=(1.0, 1.5), bounds=((-4.5, 4.5), (-4.5, 4.5)),
                        description="flat plains and steep ridges around a narrow valley")  # fmt: skip


HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.2831859912861696),
    (3.5844283403304917, -1.8481265269644036),
)


def himmelblau(dim: int | None = None) -> TestFunction:
    _dim(dim, 2, 2, fixed=True)
    return TestFunction("himmelblau", _himmelblau, _himmelblau_gradient, 2, minima=HIMMELBLAU_MINIMA,
                        minimum_value=0.0, start=(-0.3, -0.9), bounds=((-5.0, 5.0), (-5.0, 5.0)),
                        description="four equal minima: which one a method finds depends on its path")  # fmt: skip


def rastrigin(dim: int | None = None) -> TestFunction:
    n = _dim(dim, 2, 1)
    return TestFunction("rastrigin", _rastrigin, _rastrigin_gradient, n, minima=((0.0,) * n,), minimum_value=0.0,
                        start=(2.2,) * n, bounds=((-3.0, 3.0), (-3.0, 3.0)),
                        description="a bowl covered with local minima")  # fmt: skip


def ackley(dim: int | None = None) -> TestFunction:
    n = _dim(dim, 2, 1)
    return TestFunction("ackley", _ackley, _ackley_gradient, n, minima=((0.0,) * n,), minimum_value=0.0,
                        start=(2.5,) * n, bounds=((-4.0, 4.0), (-4.0, 4.0)),
                        description="a nearly flat, bumpy plain around one deep hole")  # fmt: skip


# The roots of 4x**3 - 32x + 5: the global and the local minimum of each coordinate.
STYBLINSKI_TANG_X, STYBLINSKI_TANG_LOCAL = -2.9035340277711783, 2.7468027709908376


def styblinski_tang(dim: int | None = None) -> TestFunction:
    n = _dim(dim, 2, 1)
    return TestFunction("styblinski_tang", _styblinski_tang, _styblinski_tang_gradient, n,
                        minima=((STYBLINSKI_TANG_X,) * n,), minimum_value=_styblinski_value(n),
                        start=(0.5,) * n, bounds=((-5.0, 5.0), (-5.0, 5.0)),
                        local_minima=((STYBLINSKI_TANG_LOCAL,) * n,),
                        description="four basins of different depths")  # fmt: skip


def _styblinski_value(n: int) -> float:
    v = STYBLINSKI_TANG_X
    return n * (v**4 - 16 * v * v + 5 * v) / 2


def saddle(dim: int | None = None) -> TestFunction:
    _dim(dim, 2, 2, fixed=True)
    return TestFunction("saddle", _saddle, _saddle_gradient, 2, start=(1.0, 1e-3), bounds=((-1.5, 1.5), (-1.5, 1.5)),
                        local_minima=((0.0, 0.0),),
                        description="x**2 - y**2: no minimum; gradient descent lingers at the saddle")  # fmt: skip


def ravine(dim: int | None = None, condition: float = 50.0) -> TestFunction:
    n = _dim(dim, 2, 2)
    kappa = check_real("condition", condition, POSITIVE)
    return TestFunction("ravine", _ravine, _ravine_gradient, n, constants=[kappa], minima=((0.0,) * n,),
                        minimum_value=0.0, start=(-1.8,) + (0.5,) * (n - 1), bounds=((-2.0, 2.0), (-1.0, 1.0)),
                        description=f"a quadratic, condition number {kappa:g}: steep walls, flat floor")  # fmt: skip


def plateau(dim: int | None = None, width: float = 1.0) -> TestFunction:
    n = _dim(dim, 2, 1)
    w = check_real("width", width, POSITIVE)
    return TestFunction("plateau", _plateau, _plateau_gradient, n, constants=[w], minima=((0.0,) * n,),
                        minimum_value=0.0, start=(2.5 * w,) * n, bounds=((-4.0 * w, 4.0 * w),) * 2,
                        description="a flat plateau (tiny gradients) before a drop into the minimum")  # fmt: skip


def double_well(dim: int | None = None, tilt: float = 0.5) -> TestFunction:
    _dim(dim, 2, 2, fixed=True)
    a = check_real("tilt", tilt, POSITIVE)
    roots = _cubic_roots(a)
    low, high = roots[0], roots[-1]
    value = (low * low - 1) ** 2 + a * low
    return TestFunction("double_well", _double_well, _double_well_gradient, 2, constants=[a], minima=((low, 0.0),),
                        minimum_value=value, start=(high, 0.0), local_minima=((high, 0.0),),
                        bounds=((-1.8, 1.8), (-1.2, 1.2)),
                        description="two valleys: the deeper one on the left, a start in the shallow one")  # fmt: skip


#: Every built-in test function: name -> constructor ``(dim=None, **constants) -> TestFunction``.
FUNCTIONS: dict[str, Callable[..., TestFunction]] = {
    "rosenbrock": rosenbrock,
    "beale": beale,
    "himmelblau": himmelblau,
    "rastrigin": rastrigin,
    "ackley": ackley,
    "styblinski_tang": styblinski_tang,
    "saddle": saddle,
    "ravine": ravine,
    "plateau": plateau,
    "double_well": double_well,
}


def get_function(function: Any, dim: int | None = None, **constants: float) -> TestFunction:
    """A :class:`TestFunction` by name (``dim`` and constants such as ``condition`` as its constructor takes), or
    ``function`` itself when it already is one."""
    if isinstance(function, TestFunction):
        if dim is not None or constants:
            raise ValueError("dim and constants are for a function given by name")
        return function
    if not isinstance(function, str) or function.lower() not in FUNCTIONS:
        raise ValueError(f"unknown function {function!r}; the built-in ones are: {', '.join(FUNCTIONS)}")
    try:
        return FUNCTIONS[function.lower()](dim, **constants)
    except TypeError as error:
        raise TypeError(f"{function}: {error}") from None


@one_signature(types.void(VALUE_TYPE, _CONSTANTS, _VECTOR, _VECTOR, types.float64[:, ::1]))
def _grid(value: Any, constants: np.ndarray, xs: np.ndarray, ys: np.ndarray, out: np.ndarray) -> None:
    point = np.empty(2)
    for i in range(ys.shape[0]):
        for j in range(xs.shape[0]):
            point[0] = xs[j]
            point[1] = ys[i]
            out[i, j] = value(point, constants)


def grid_values(f: TestFunction, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """``f`` on the grid ``xs`` x ``ys`` of a 2-D function: ``Z[i, j] = f(xs[j], ys[i])``, as contour plots take it."""
    if f.dim != 2:
        raise ValueError(f"grid_values draws 2-D functions; {f.name} has dim={f.dim}")
    out = np.empty((len(ys), len(xs)))
    _grid(f.value, f.constants, np.ascontiguousarray(xs, dtype=np.float64), np.ascontiguousarray(ys, dtype=np.float64),
          out)  # fmt: skip
    return out
