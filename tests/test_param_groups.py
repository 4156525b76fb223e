"""decay_biases=False: the weights and the biases as two parameter groups, the biases without weight decay.

The golden runs from torch with two param groups are in tests/test_models.py (every method torch or a
reference package has); here: the NumPy reference for every method, a closed form, resuming, sweeps,
the estimators, the study and the errors.
"""

from __future__ import annotations

import warnings

import numba
import numpy as np
import pytest

import fastopt
from fastopt.methods import REGISTRY
from fastopt.problems import StudyData, StudyProblem

from conftest import linear_problem

X, Y = linear_problem(120, 3, seed=11)
MLP = fastopt.MLP((4,), "tanh")
DECAYING = [m.name for m in REGISTRY if "weight_decay" in m.defaults]


def _fit(fit, method, model, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short runs: ConvergenceWarning
        settings = dict(model=model, epochs=4, batch_size=16, seed=2, learning_rate=0.01, weight_decay=0.2,
                        stopping_threshold=None, decay_biases=False)  # fmt: skip
        return fit(X, Y, method, **{**settings, **options})


@pytest.mark.numerics
@pytest.mark.parametrize("model", ["linear", MLP], ids=["linear", "mlp"])
@pytest.mark.parametrize("method", DECAYING)
def test_the_kernel_equals_the_numpy_reference_and_differs_from_one_group(method, model):
    """The two groups through the kernels and through the NumPy reference, which steps each group's copy of its
    parameters with its own state. A few dozen updates of O(1) values: a relative 1e-12 is ~4,500 roundings."""
    kernel, reference = _fit(fastopt.fit, method, model), _fit(fastopt.reference.fit, method, model)
    np.testing.assert_allclose(kernel.params, reference.params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(kernel.loss_history, reference.loss_history, rtol=1e-12)
    one_group = _fit(fastopt.fit, method, model, **{"decay_biases": True})
    if method != "rprop" or model != "linear":  # Rprop's steps follow signs, which this decay of b never flips
        assert np.max(np.abs(one_group.params - kernel.params)) > 1e-6
    assert kernel.decay_biases is False and one_group.decay_biases is True


@pytest.mark.numerics
def test_full_batch_gradient_descent_reaches_ridge_with_a_free_intercept():
    """Full-batch GD on MSE + L2 on the weights only stops where (2/n) Xc^T (Xc w - yc) + wd w = 0 with the
    intercept b = mean(y - X w): ridge on centered data. The iteration contracts by at least 1 - lr * (wd + 2
    lambda_min(Xc^T Xc / n)) per step (about 0.8 here), so 3,000 steps leave rounding only."""
    wd, n = 0.7, X.shape[0]
    result = fastopt.fit(X, Y, "sgd", learning_rate=0.1, clip_value=None, weight_decay=wd, decay_biases=False,
                         epochs=3000, batch_size=n, shuffle=False, stopping_threshold=None)  # fmt: skip
    Xc, yc = X - X.mean(axis=0), Y - Y.mean()
    w = np.linalg.solve(Xc.T @ Xc + n * wd / 2 * np.eye(X.shape[1]), Xc.T @ yc)
    b = np.mean(Y - X @ w)
    np.testing.assert_allclose(result.params, [*w, b], rtol=1e-10, atol=1e-10)
    decayed = fastopt.fit(X, Y, "sgd", learning_rate=0.1, clip_value=None, weight_decay=wd, epochs=3000,
                          batch_size=n, shuffle=False, stopping_threshold=None)  # fmt: skip
    assert abs(decayed.params[-1] - b) > 0.1 * abs(b)  # the intercept pulled toward 0 there


@pytest.mark.parametrize("model", ["linear", MLP], ids=["linear", "mlp"])
@pytest.mark.parametrize("method", ["adamw", "sgd", "rmsprop", "adagrad"])
def test_a_resumed_run_continues_bit_for_bit(method, model):
    options = dict(model=model, weight_decay=0.2, decay_biases=False, batch_size=len(Y), shuffle=False, seed=3,
                   stopping_threshold=None, learning_rate=0.01, **({"momentum": 0.5} if method == "sgd" else {}))
    whole = fastopt.fit(X, Y, method, epochs=6, **options)
    first = fastopt.fit(X, Y, method, epochs=3, **options)
    state = first.optimizer_state
    assert all(np.shape(v) == (len(first.params),) for k, v in state.items() if k != "step")
    rest = fastopt.fit(X, Y, method, epochs=3, init=first.params, optimizer_state=state, **options)
    np.testing.assert_array_equal(rest.params, whole.params)
    again = fastopt.reference.fit(X, Y, method, epochs=3, init=first.params, optimizer_state=state, **options)
    np.testing.assert_allclose(again.params, whole.params, rtol=1e-12, atol=1e-14)


def test_weight_decay_zero_leaves_one_group_bit_for_bit():
    a = fastopt.fit(X, Y, "adamw", model=MLP, weight_decay=0.0, decay_biases=False, epochs=3, seed=1)
    b = fastopt.fit(X, Y, "adamw", model=MLP, weight_decay=0.0, epochs=3, seed=1)
    np.testing.assert_array_equal(a.params, b.params)


def test_a_users_rule_with_weight_decay_takes_two_groups_as_the_built_in():
    rule = fastopt.Rule.from_method("adamw")
    mine = _fit(fastopt.fit, rule, MLP)
    np.testing.assert_array_equal(mine.params, _fit(fastopt.fit, "adamw", MLP).params)
    np.testing.assert_allclose(mine.params, _fit(fastopt.reference.fit, rule, MLP).params, rtol=1e-12, atol=1e-14)


def test_sweep_rows_mix_one_and_two_groups_and_equal_fit():
    grid = {"method": ["adamw", "sgd", "adam"], "decay_biases": [True, False], "model": ["linear", MLP],
            "weight_decay": [0.0, 0.3]}  # fmt: skip
    table = fastopt.sweep(X, Y, grid, epochs=4, batch_size=16, progress=False)
    assert "decay_biases" in table.columns and set(table["decay_biases"]) == {True, False}
    for i, config in enumerate(table.attrs["configurations"]):
        np.testing.assert_array_equal(fastopt.fit(X, Y, **config).params, table["params"][i])
    assert "decay_biases" not in fastopt.sweep(X, Y, {"method": ["adamw"]}, epochs=2, progress=False).columns


def test_the_estimators_take_decay_biases():
    pytest.importorskip("sklearn", reason="the sklearn extra is not installed")
    from sklearn.base import clone

    from fastopt.estimators import FastoptRegressor

    kept = FastoptRegressor("adamw", hidden_layer_sizes=(4,), epochs=5, random_state=0,
                                    hyperparameters={"weight_decay": 0.5}, early_stopping=False)  # fmt: skip
    free = clone(kept).set_params(decay_biases=False)
    kept.fit(X, Y)
    free.fit(X, Y)
    assert free.result_.decay_biases is False and kept.result_.decay_biases is True
    assert np.max(np.abs(free.result_.params - kept.result_.params)) > 1e-6
    partial = clone(free)
    for _ in range(5):
        partial.partial_fit(X, Y)
    np.testing.assert_array_equal(partial.result_.params, free.result_.params)


def _plane() -> StudyData:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    y = x @ [1.0, -2.0] + 3.0 + 0.1 * rng.normal(size=300)
    return StudyData(x[:180], y[:180], x[180:240], y[180:240], x[240:], y[240:])


def test_the_study_runs_a_problem_whose_biases_are_not_decayed():
    pytest.importorskip("matplotlib", reason="the plots extra is not installed")
    options = dict(metric="rmse", epochs=10, target=0.2, batch_size=16)
    free = StudyProblem("free", "a plane, intercept not decayed", _plane,
                        fit_options={"decay_biases": False}, **options)  # fmt: skip
    report = fastopt.study([free], methods=["adamw"], budget=0, seeds=2, trial_seeds=1)
    assert set(report.runs["status"]) <= {"max_epochs", "stalled"}
    data = _plane()
    run = report.runs[report.runs["stage"] == "best"].iloc[0]
    again = fastopt.fit(data.x_train, data.y_train, "adamw", seed=int(run["seed"]),
                        **{**free.fit_arguments(), **run["settings"]})  # the study's settings over the problem's
    assert free.score(again.params, data.x_test, data.y_test, data.scale) == pytest.approx(run["test"], rel=1e-12)
    assert again.decay_biases is False


@numba.njit(error_model="numpy")
def _plain_step(params, grad, state, lr, hp, t):
    for i in range(params.shape[0]):
        params[i] -= lr * grad[i]


@numba.njit(error_model="numpy")
def _bowl_gradient(params, X, y, rows, grad):
    for i in range(params.shape[0]):
        grad[i] = 2.0 * params[i]
    return 0.0


@numba.njit(error_model="numpy")
def _bowl(params, X, y):
    return float(np.sum(params**2))


def test_errors_name_the_argument():
    with pytest.raises(TypeError, match="decay_biases"):
        fastopt.fit(X, Y, "adamw", decay_biases="no")
    bowl = fastopt.Objective(_bowl_gradient, _bowl, n_params=3, init=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="decay_biases=False is for the built-in models"):
        fastopt.fit(X, Y, "adamw", objective=bowl, decay_biases=False)
    plain = fastopt.Rule("plain", _plain_step, {"learning_rate": 0.1})
    with pytest.raises(ValueError, match="decay_biases=False is for a method with weight_decay, and plain has none"):
        fastopt.fit(X, Y, plain, decay_biases=False, epochs=1)
    with pytest.raises(ValueError, match=r"configuration 0 .*decay_biases=False is for a method with weight_decay"):
        fastopt.sweep(X, Y, {"method": [plain], "decay_biases": [False]}, progress=False)
