"""The epoch loss: the O(p^2) quadratic form agrees with the direct pass or steps aside."""

from __future__ import annotations

import numpy as np
import pytest

from fastopt.engine.linear import LOSS_RTOL, epoch_loss, moments, mse, use_moments

from bounds import gamma
from conftest import linear_problem

pytestmark = pytest.mark.numerics  # compared with NumPy / BLAS results: run again in CI with other SIMD loops

EMPTY = np.empty((0, 0))


def direct(X, y, params):
    return float(np.mean((X @ params[:-1] + params[-1] - y) ** 2))


@pytest.mark.parametrize("d", [1, 3, 16])
def test_moments_match_numpy(d):
    X, y = linear_problem(1000, d, seed=d)
    M, M_abs = moments(X, y)
    A = np.column_stack([X, np.ones(len(y)), y])
    # Two sums of n products in different orders (the kernel's loop, BLAS): each within γ_(n+1) of
    # (|A|ᵀ|A|)_ij / n, whatever the order (bounds.py). Off-diagonal entries are small sums of large terms,
    # so a relative tolerance does not hold; this one does on any CPU.
    magnitude = np.abs(A).T @ np.abs(A) / len(y)
    assert np.all(np.abs(M - A.T @ A / len(y)) <= 2 * gamma(len(y) + 1) * magnitude)
    assert np.all(np.abs(M_abs - magnitude) <= 2 * gamma(len(y) + 1) * magnitude)


@pytest.mark.parametrize("d", [1, 3, 16])
def test_quadratic_form_equals_direct_loss(d):
    X, y = linear_problem(5000, d, seed=d)
    M, M_abs = moments(X, y)
    rng = np.random.default_rng(0)
    for _ in range(20):
        params = rng.normal(size=d + 1)
        expected = direct(X, y, params)
        # A mean of n squares (within γ_n relative in any order) of residuals r_i, each within
        # γ_(d+2) R_i (R_i the sum of its terms' magnitudes): the kernel's loop and NumPy's BLAS alike.
        residual = X @ params[:-1] + params[-1] - y
        terms = np.abs(X) @ np.abs(params[:-1]) + abs(params[-1]) + np.abs(y)
        bound = 2 * (gamma(len(y)) + 2 * gamma(d + 2) * np.sum(terms * np.abs(residual)) / np.sum(residual**2))
        assert mse(X, y, params) == pytest.approx(expected, rel=bound)
        assert epoch_loss(X, y, params, M, M_abs) == pytest.approx(expected, rel=LOSS_RTOL)
        assert epoch_loss(X, y, params, EMPTY, EMPTY) == mse(X, y, params)


def test_near_perfect_fit_falls_back_to_the_direct_pass():
    X, _ = linear_problem(1000, 2, seed=1)
    y = X @ np.array([2.0, -1.0]) + 0.5  # exact fit: the form cancels to rounding noise
    M, M_abs = moments(X, y)
    params = np.array([2.0, -1.0, 0.5 + 1e-9])
    assert epoch_loss(X, y, params, M, M_abs) == mse(X, y, params)
    assert epoch_loss(X, y, params, M, M_abs) == pytest.approx(1e-18, rel=1e-6)


def test_overflowing_moments_fall_back_to_the_direct_pass():
    X = np.array([[1e200], [2e200], [3e200]])
    y = np.array([1.0, 2.0, 3.0])
    M, M_abs = moments(X, y)
    assert not np.isfinite(M_abs).all()
    params = np.array([1e-200, 0.0])
    assert epoch_loss(X, y, params, M, M_abs) == mse(X, y, params)
    assert np.isfinite(mse(X, y, params))


def test_non_finite_parameters_give_a_non_finite_loss():
    X, y = linear_problem(100, 1)
    M, M_abs = moments(X, y)
    assert not np.isfinite(epoch_loss(X, y, np.array([np.nan, 0.0]), M, M_abs))
    assert not np.isfinite(epoch_loss(X, y, np.array([np.inf, 0.0]), M, M_abs))


def test_moments_are_used_only_when_they_pay():
    assert use_moments(16_000, 1, 10_000)
    assert not use_moments(16_000, 1, 5)  # setup would cost more than it saves
    assert not use_moments(10, 8, 10_000)  # (d+2)^2 > n: the form costs more than a pass
    assert not use_moments(10**7, 300, 10_000)  # the matrix would be large
