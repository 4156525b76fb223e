"""``dtype="float32"``: the float64 algorithm in float32, within float32's rounding of the float64 run.

The oracles are float64 runs on the same float32 numbers (data and starting
point rounded to float32 first, so only the arithmetic differs), with
Higham's bounds (``tests/bounds.py``) for the rounding a float32 run adds.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from bounds import U32, gamma

import fastopt
from fastopt.engine import network
from fastopt.engine.kernels import scratch
from fastopt.estimators import FastoptRegressor


def _rounded(*arrays):
    """The arrays rounded to float32, as float64: the numbers a float32 run starts from, exactly."""
    return [np.asarray(a, dtype=np.float32).astype(np.float64) for a in arrays]


def test_a_float32_line_fit_stays_within_the_rounding_it_adds():
    """SGD on the line: the float32 run's parameters are within the sum of its steps' rounding errors.

    The error e_t = p32_t - p64_t follows e_(t+1) = (I - lr H_t) e_t + delta_t with H_t the batch's
    Hessian; ||I - lr H_t|| <= 1 while lr * lambda_max(H_t) <= 2 (here lr 0.01, standardized x: lambda_max < 20),
    so ||e_T|| <= sum of ||delta_t||. A step's rounding: the batch gradient, a sum of B + 2 rounded terms
    of (2 / B) |r_i| |x_i| (gamma_(B+4) of their sum), times lr, and the new parameter (u |p|).
    """
    rng = np.random.default_rng(0)
    x, y = _rounded(rng.normal(size=2000), 3.0 * rng.normal(size=2000) + 1.0)
    y = _rounded(2.0 * x - 0.5 + 0.1 * y)[0]
    kwargs = dict(epochs=5, batch_size=32, seed=0, init=_rounded([0.3, -0.2])[0], learning_rate=0.01,
                  stopping_threshold=0, record_path="steps")  # fmt: skip
    r64 = fastopt.fit(x, y, "sgd", **kwargs)
    r32 = fastopt.fit(x, y, "sgd", dtype="float32", **kwargs)
    assert r64.path.shape == r32.path.shape == (5 * 63, 2) and r32.params.dtype == np.float64
    D = np.column_stack([x, np.ones_like(x)])
    residuals = np.abs(r64.path @ D.T - y)  # every step's point, every row
    gradient_terms = 2.0 * np.max(residuals, axis=1) * np.max(np.abs(D))  # >= (2/B) sum |r_i| |x_i|
    steps = U32 * np.max(np.abs(r64.path), axis=1) + 0.01 * gamma(32 + 4, U32) * gradient_terms
    bound = 1.01 * np.sum(steps)  # 1 %: first-order terms only above
    assert 0 < np.max(np.abs(r32.params - r64.params)) <= bound
    assert bound < 1e-3  # the bound says something: float32 stays close


@pytest.fixture(scope="module")
def network_case():
    rng = np.random.default_rng(1)
    X, y = _rounded(rng.normal(size=(300, 10)), rng.normal(size=300))
    problem = fastopt.api.validation.prepare(
        X, y, "adam", learning_rate=None, epochs=1, batch_size=32, stopping_threshold=None, seed=0, init=None,
        shuffle=True, hyperparameters={}, model=fastopt.MLP((50,)),
    )  # fmt: skip
    params = _rounded(problem.init)[0]
    return X, y, problem.spec, params


def _loss(X, y, spec, params, dtype):
    grad, work, capacity, order, _ = scratch([spec], X.shape[0], [32], params.shape[0], dtype)
    X, y = (np.ascontiguousarray(a, dtype=dtype) for a in (X, y))
    return network.network_loss(X, y, spec, params.astype(dtype), work, capacity, order)


def test_a_float32_network_loss_is_within_its_forward_passs_rounding(network_case):
    """The MLP 10-50-1's mean squared error in float32 against float64 on the same numbers.

    Each unit is a sum of n_in + 1 rounded terms (bias first), within gamma_(n_in+1) of their absolute sum;
    the ReLU is 1-Lipschitz, and an error E in the hidden units reaches the output as |W2| E. The residual
    r = z - y adds one rounding, its square another.
    """
    X, y, spec, params = network_case
    W1, b1 = params[:500].reshape(50, 10), params[500:550]
    W2, b2 = params[550:600].reshape(1, 50), params[600:]
    A1 = np.maximum(X @ W1.T + b1, 0.0)
    E1 = gamma(11, U32) * (np.abs(X) @ np.abs(W1).T + np.abs(b1))
    r = (A1 @ W2.T + b2)[:, 0] - y
    E2 = (gamma(51, U32) * (A1 @ np.abs(W2).T + np.abs(b2)) + E1 @ np.abs(W2).T)[:, 0]
    D = E2 + U32 * (np.abs(r) + E2)  # the computed residual's error
    per_row = (2 * np.abs(r) + D) * D + U32 * (np.abs(r) + D) ** 2
    bound = 1.01 * np.mean(per_row) + gamma(len(y)) * np.mean(r * r)  # the float64 sum of the rows
    loss64, loss32 = _loss(X, y, spec, params, "float64"), _loss(X, y, spec, params, "float32")
    assert loss64 == pytest.approx(np.mean(r * r), rel=1e-12)
    assert 0 < abs(loss32 - loss64) <= bound
    assert bound < 1e-5 * loss64


@pytest.mark.parametrize("method", fastopt.METHODS)
def test_every_method_runs_in_float32_close_to_float64(network_case, method):
    """A smoke test of every rule compiled for float32 arrays (the bounds are checked above): two epochs of
    the MLP end within 1e-3 of the float64 run's loss, and the float32 run's state is float32."""
    X, y, _, params = network_case
    kwargs = dict(model=fastopt.MLP((50,)), init=params, epochs=2, seed=0, stopping_threshold=None)
    r64 = fastopt.fit(X, y, method, **kwargs)
    r32 = fastopt.fit(X, y, method, dtype="float32", **kwargs)
    assert r32.status == r64.status == "max_epochs"
    np.testing.assert_allclose(r32.loss_history, r64.loss_history, rtol=1e-3)
    assert r32.params.dtype == np.float64 and not np.array_equal(r32.params, r64.params)


def test_a_float32_sweep_repeats_its_fits_bit_for_bit():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=400)
    grid = {"method": ["sgd", "adam"], "model": ["linear", fastopt.MLP((8,))]}
    table = fastopt.sweep(X, y, grid, epochs=3, dtype="float32", progress=False, n_jobs=2)
    float64 = fastopt.sweep(X, y, grid, epochs=3, progress=False, n_jobs=2)
    for i, configuration in enumerate(table.attrs["configurations"]):
        assert configuration["dtype"] == "float32"
        result = fastopt.fit(X, y, **configuration)
        np.testing.assert_array_equal(result.params, table.params[i])
        assert not np.array_equal(table.params[i], float64.params[i])


def test_an_estimator_trains_in_float32():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=300)
    fitted = {
        dtype: FastoptRegressor(hidden_layer_sizes=(8,), epochs=5, random_state=0, dtype=dtype).fit(X, y)
        for dtype in ("float64", "float32")
    }
    assert fitted["float32"].get_params()["dtype"] == "float32"
    assert fitted["float32"].predict(X).dtype == np.float64
    assert fitted["float32"].score(X, y) == pytest.approx(fitted["float64"].score(X, y), abs=1e-4)
    stepped = FastoptRegressor(epochs=3, random_state=0, dtype="float32", early_stopping=False)
    for _ in range(3):
        stepped.partial_fit(X, y)
    whole = FastoptRegressor(epochs=3, random_state=0, dtype="float32", early_stopping=False)
    np.testing.assert_array_equal(stepped.coef_, whole.fit(X, y).coef_)


@pytest.mark.parametrize("dtype", ["float16", "int32", "single precision", 32, True])
def test_an_unknown_dtype_is_refused_by_name(dtype):
    X = np.linspace(-1, 1, 20)
    with pytest.raises(ValueError, match="dtype must be 'float64' or 'float32'"):
        fastopt.fit(X, X, dtype=dtype)
    with pytest.raises(ValueError, match="dtype must be 'float64' or 'float32'"):
        fastopt.sweep(X, X, {"method": ["sgd"]}, dtype=dtype, progress=False)


@numba.njit(error_model="numpy")
def _constant_gradient(params, X, y, rows, grad):
    return 0.0


@numba.njit(error_model="numpy")
def _constant_loss(params, X, y):
    return 1.0


def test_float32_is_for_the_built_in_models_and_methods():
    X = np.linspace(-1, 1, 20)
    with pytest.raises(ValueError, match="dtype='float32' is for the built-in models and methods; the Rule 'mine'"):
        fastopt.fit(X, X, fastopt.Rule.from_method("adam", name="mine"), dtype="float32")
    objective = fastopt.Objective(_constant_gradient, _constant_loss, n_params=2)
    with pytest.raises(ValueError, match="an objective runs in float64"):
        fastopt.fit(X, X, objective=objective, dtype="float32")


def test_float32_data_is_not_copied_to_float64_and_values_beyond_its_range_are_refused():
    X = np.linspace(-1, 1, 50, dtype=np.float32)
    result = fastopt.fit(X, 2 * X, "sgd", epochs=2, dtype="float32", seed=0)
    assert result.status in ("max_epochs", "stalled")
    problem = fastopt.api.validation.prepare(
        X, 2 * X, "sgd", learning_rate=None, epochs=1, batch_size=8, stopping_threshold=None, seed=0, init=None,
        shuffle=True, hyperparameters={}, dtype="float32",
    )  # fmt: skip
    assert problem.X.dtype == np.float32 and np.shares_memory(problem.X, X)
    huge = np.linspace(-1, 1, 50) * 1e39
    with pytest.raises(ValueError, match=r"x has 34 value\(s\) beyond float32's range .*use dtype='float64'"):
        fastopt.fit(huge, X, dtype="float32")
    with pytest.raises(ValueError, match=r"y contains 1 NaN or infinite"):
        fastopt.fit(X, np.where(X > 0.99, np.nan, X), dtype="float32")
    with pytest.raises(ValueError, match=r"x has 34 value\(s\) beyond float32's range"):
        fastopt.sweep(huge, X, {"method": ["sgd"]}, dtype="float32", progress=False)
    fastopt.fit(huge, np.linspace(0, 1, 50), epochs=1, standardize=True, dtype="float32")  # scaled in float64
    fastopt.sweep(huge, np.linspace(0, 1, 50), {"method": ["sgd"]}, epochs=1, standardize=True, dtype="float32",
                  progress=False)  # fmt: skip


def test_a_float32_run_resumes_bit_for_bit():
    """The result's float64 arrays hold the float32 values exactly: resuming from them continues the run."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(256, 3))
    y = X @ [1.0, -2.0, 0.5]
    kwargs = dict(model=fastopt.MLP((8,)), batch_size=256, shuffle=False, seed=0, stopping_threshold=None,
                  dtype="float32")  # fmt: skip
    whole = fastopt.fit(X, y, "adam", epochs=6, **kwargs)
    first = fastopt.fit(X, y, "adam", epochs=3, **kwargs)
    second = fastopt.fit(X, y, "adam", epochs=3, init=first.params, optimizer_state=first.optimizer_state, **kwargs)
    np.testing.assert_array_equal(second.params, whole.params)
    np.testing.assert_array_equal(second.loss_history, whole.loss_history[3:])


def test_float32_runs_whatever_the_process_compiled_before(monkeypatch):
    """A process past its variants' limit uses the whole float64 functions; float32 runs keep their variants
    (the whole functions have float64-only pieces), with two parameter groups and several architectures too."""
    monkeypatch.setattr(fastopt.engine.specialise, "MAX_COMPILED_VARIANTS", 0)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5]
    for kwargs in (dict(model="linear"), dict(model=fastopt.MLP((8,)), decay_biases=False, weight_decay=0.1)):
        r64 = fastopt.fit(X, y, "adamw", epochs=3, seed=0, **kwargs)
        r32 = fastopt.fit(X, y, "adamw", epochs=3, seed=0, dtype="float32", **kwargs)
        np.testing.assert_allclose(r32.loss_history, r64.loss_history, rtol=1e-4)
    grid = {"method": ["sgd", "adam"], "model": [fastopt.MLP((8,)), fastopt.MLP((4, 4))]}
    table = fastopt.sweep(X, y, grid, epochs=2, dtype="float32", progress=False, n_jobs=1)
    float64 = fastopt.sweep(X, y, grid, epochs=2, progress=False, n_jobs=1)
    np.testing.assert_allclose(table.train_mse, float64.train_mse, rtol=1e-4)
