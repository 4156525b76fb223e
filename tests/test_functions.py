"""The test functions: gradients against finite differences, values and gradients at their known minima."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import fastopt
from fastopt.functions import FUNCTIONS, TestFunction, get_function

VARIABLE_DIM = [name for name in FUNCTIONS if name not in ("beale", "himmelblau", "saddle", "double_well")]
CASES = [(name, None) for name in FUNCTIONS] + [(name, 5) for name in VARIABLE_DIM]


def finite_differences(f: TestFunction, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (f(x + e) - f(x - e)) / (2 * h)
    return out


@pytest.mark.parametrize("name, dim", CASES, ids=[f"{n}-{d or 2}d" for n, d in CASES])
def test_gradient_matches_finite_differences(name, dim):
    f = get_function(name, dim)
    rng = np.random.default_rng(len(name))
    (x_low, x_high), _ = f.bounds
    for _ in range(5):
        x = rng.uniform(0.8 * x_low, 0.8 * x_high, size=f.dim)
        grad = np.zeros(f.dim)
        returned = f.gradient(x, f.constants, grad)
        assert returned == pytest.approx(f(x), rel=1e-14, abs=1e-14)
        np.testing.assert_allclose(grad, finite_differences(f, x), rtol=1e-5, atol=1e-5 * max(1.0, abs(f(x))))


@pytest.mark.parametrize("name, dim", CASES, ids=[f"{n}-{d or 2}d" for n, d in CASES])
def test_known_minima_are_minima(name, dim):
    f = get_function(name, dim)
    for point in f.minima:
        assert f(point) == pytest.approx(f.minimum_value, abs=1e-9)
        np.testing.assert_allclose(f.grad(point), 0.0, atol=2e-5)
        rng = np.random.default_rng(0)
        for _ in range(20):  # nothing nearby is lower
            assert f(np.array(point) + rng.normal(scale=1e-3, size=f.dim)) >= f.minimum_value - 1e-12
    for point in f.local_minima:  # saddles and local minima are stationary
        np.testing.assert_allclose(f.grad(point), 0.0, atol=2e-5)
    assert len(f.start) == f.dim


def test_minimum_records():
    assert len(get_function("himmelblau").minima) == 4
    assert get_function("styblinski_tang", 3).minimum_value == pytest.approx(-39.16616570377142 * 3)
    assert get_function("saddle").minima == () and np.isnan(get_function("saddle").minimum_value)
    ravine = get_function("ravine", condition=100.0)
    assert ravine(np.array([0.0, 1.0])) == pytest.approx(50.0)
    well = get_function("double_well")
    assert well.minima[0][0] < 0 < well.local_minima[0][0] and well(well.minima[0]) < well(well.local_minima[0])


@numba.njit(cache=True)
def _bowl(x, c):
    return c[0] * (x[0] ** 2 + x[1] ** 2)


@numba.njit(cache=True)
def _bowl_gradient(x, c, grad):
    grad[0] = 2 * c[0] * x[0]
    grad[1] = 2 * c[0] * x[1]
    return c[0] * (x[0] ** 2 + x[1] ** 2)


def test_a_function_of_your_own():
    bowl = TestFunction("bowl", _bowl, _bowl_gradient, dim=2, constants=[0.5], minima=((0.0, 0.0),), minimum_value=0)
    result = fastopt.minimize(bowl, [1.0, -2.0], "sgd", learning_rate=0.1, clip_value=None, steps=100)
    np.testing.assert_allclose(result.x, np.array([1.0, -2.0]) * 0.9**100, rtol=1e-12)  # x *= 1 - lr per step


@pytest.mark.parametrize(
    "make, error, pattern",
    [
        (lambda: get_function("sphere"), ValueError, r"unknown function 'sphere'; the built-in ones are: rosenbrock"),
        (lambda: get_function("beale", 3), ValueError, r"defined in 2 dimensions"),
        (lambda: get_function("rosenbrock", 1), ValueError, r"dim must be >= 2"),
        (lambda: get_function("ravine", condition=-1), ValueError, r"condition must be > 0"),
        (lambda: get_function("ravine", kappa=3), TypeError, r"ravine: .*kappa"),
        (lambda: TestFunction("f", lambda x, c: 0.0, _bowl_gradient, 2), TypeError,
         r"TestFunction value must be compiled with @numba.njit"),
        (lambda: TestFunction("f", _bowl, _bowl, 2), TypeError,
         r"TestFunction gradient '_bowl' does not compile as gradient\(x, c, grad\)"),
        (lambda: TestFunction("f", _bowl, _bowl_gradient, 2, start=(1.0,)), ValueError, r"start has 1 numbers"),
    ],
)
def test_bad_functions_are_named(make, error, pattern):
    if numba.config.DISABLE_JIT and ("numba.njit" in pattern or "compile" in pattern):
        pytest.skip("without the JIT every function is plain Python")
    with pytest.raises(error, match=pattern):
        make()
