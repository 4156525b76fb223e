"""Every method reaches the closed-form least-squares answer."""

from __future__ import annotations

import numpy as np
import pytest

import fastopt
from fastopt import schedules
from fastopt.methods import get_method
from fastopt.apps.benchmark import TUTORIAL_BATCH_SIZE, TUTORIAL_EPOCHS, TUTORIAL_SETTINGS

from conftest import least_squares, linear_problem

pytestmark = pytest.mark.numerics  # compared with NumPy / BLAS results: run again in CI with other SIMD loops


def test_tutorial_table_covers_the_tutorial_methods():
    assert set(TUTORIAL_SETTINGS) == {"sgd", "momentum", "rmsprop", "adam"}


@pytest.mark.jit
@pytest.mark.parametrize("method", sorted(TUTORIAL_SETTINGS))
def test_tutorial_settings_reach_least_squares_rmse(split, method):
    ols = least_squares(split.x_train, split.y_train)
    ols_rmse = split.rmse_dollars(split.x_test * ols[0] + ols[1])
    assert ols_rmse == pytest.approx(1569.81, abs=0.01)  # SPEC.md's figure

    result = fastopt.fit(
        split.x_train,
        split.y_train,
        method=method,
        epochs=TUTORIAL_EPOCHS,
        batch_size=TUTORIAL_BATCH_SIZE,
        seed=0,
        **TUTORIAL_SETTINGS[method],
    )
    assert result.status in ("stalled", "max_epochs")
    assert split.rmse_dollars(result) == pytest.approx(ols_rmse, rel=0.02)


@pytest.mark.jit
@pytest.mark.parametrize("method", fastopt.METHODS)
@pytest.mark.parametrize("d", [1, 5, 16])
def test_multi_feature_converges_to_lstsq(method, d):
    # Settings from the registry alone: ten times the default learning rate,
    # annealed to zero, no weight decay (it would pull away from least squares).
    # The schedule-free methods take their own rate and no schedule (that is their design), and
    # twice the epochs: their average starts at the initial point and forgets it as 1/t.
    X, y = linear_problem(2000, d, seed=d)
    expected = least_squares(X, y)
    row = get_method(method)
    extra = {"weight_decay": 0.0} if "weight_decay" in row.defaults else {}
    free = "warmup_steps" in row.defaults
    result = fastopt.fit(
        X, y, method, learning_rate=(1 if free else 10) * row.defaults["learning_rate"], epochs=2000 if free else 1000,
        batch_size=2000 if row.exceptions.full_batch else 200,
        stopping_threshold=0, seed=1, schedule=None if free else schedules.cosine(1000), **extra,
    )  # fmt: skip
    assert result.status == "max_epochs"
    np.testing.assert_allclose(result.params, expected, atol=1e-3)
    best_loss = np.mean((X @ expected[:-1] + expected[-1] - y) ** 2)
    assert best_loss <= result.loss_history[-1] < best_loss * (1 + 1e-5)


def test_full_batch_gradient_descent_matches_closed_form_exactly_enough():
    # Features near standard normal: H = 2 XᵀX / n has eigenvalues near 2, so lr 0.1 contracts the error by
    # about 0.8 per step and 2000 steps leave only the rounding floor, δg / λ_min (~1e-15 here, bounds.py);
    # least squares on this design (κ near 1) is as accurate. 1e-9 holds on any CPU by 5 orders.
    X, y = linear_problem(300, 3, seed=7, noise=0.5)
    result = fastopt.fit(
        X, y, "sgd", learning_rate=0.1, clip_value=None, epochs=2000, batch_size=10_000, stopping_threshold=0, seed=0
    )
    np.testing.assert_allclose(result.params, least_squares(X, y), rtol=1e-9, atol=1e-12)
