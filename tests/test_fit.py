"""Behaviour of fastopt.fit: results, determinism, divergence, edge cases."""

from __future__ import annotations

import dataclasses
import warnings

import numba
import numpy as np
import pytest

import fastopt
from fastopt.methods import ORDER, REGISTRY

from conftest import linear_problem


def test_methods_list_the_registry():
    assert fastopt.METHODS[:4] == ("sgd", "momentum", "rmsprop", "adam")  # the tutorial's four first
    assert [m.name for m in REGISTRY] == list(fastopt.METHODS)
    assert fastopt.METHODS[-1] == "lookahead"  # over any of the others
    assert len({m.code for m in REGISTRY}) == len(REGISTRY)
    # Each method's file is named for it, and its code is its place in ORDER.
    assert [module.ROW.name for module in ORDER] == list(fastopt.METHODS[:-1])
    assert all(module.__name__ == f"fastopt.methods.{module.ROW.name}" for module in ORDER)
    assert [m.code for m in REGISTRY[:-1]] == list(range(len(ORDER)))


@pytest.mark.parametrize("method", fastopt.METHODS)
def test_defaults_follow_the_spec(method):
    # An oracle, so written by hand from the references, not from the rows: SPEC.md for the tutorial's
    # four, PyTorch's documented defaults for torch.optim's, the reference packages' for the others.
    # A new method adds its reference's defaults here (CONTRIBUTING.md).
    spec = {
        "sgd": {"learning_rate": 0.01, "clip_value": 1.0, "weight_decay": 0.0, "momentum": 0.0, "dampening": 0.0},
        "momentum": {"learning_rate": 0.01, "momentum": 0.9, "clip_value": 1.0, "weight_decay": 0.0},
        "rmsprop": {"learning_rate": 0.01, "beta": 0.9, "epsilon": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
                    "centered": False},
        "adam": {
            "learning_rate": 0.001,
            "beta1": 0.9,
            "beta2": 0.999,
            "epsilon": 1e-8,
            "weight_decay": 0.0,
            "amsgrad": False,
            "bias_correction": True,
        },
        "nesterov": {"learning_rate": 0.01, "momentum": 0.9, "clip_value": None, "weight_decay": 0.0},
        "adagrad": {"learning_rate": 0.01, "epsilon": 1e-10, "weight_decay": 0.0, "lr_decay": 0.0,
                    "initial_accumulator_value": 0.0},
        "adamw": {
            "learning_rate": 0.001,
            "beta1": 0.9,
            "beta2": 0.999,
            "epsilon": 1e-8,
            "weight_decay": 0.01,
            "amsgrad": False,
        },
        "adamax": {"learning_rate": 0.002, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0},
        "nadam": {"learning_rate": 0.002, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0,
                  "momentum_decay": 0.004, "decoupled_weight_decay": False},
        "radam": {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0,
                  "decoupled_weight_decay": False},
        "adadelta": {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6, "weight_decay": 0.0},
        "rprop": {"learning_rate": 0.01, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50.0), "weight_decay": 0.0},
        "lion": {"learning_rate": 1e-4, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.0},
        "asgd": {"learning_rate": 0.01, "lambd": 1e-4, "alpha": 0.75, "t0": 1e6, "weight_decay": 0.0},
        # the reference packages' defaults: adabelief-pytorch 0.2, schedulefree 1.4, pytorch-optimizer's Lookahead
        "adabelief": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-16, "weight_decay": 0.0,
                      "decoupled_weight_decay": True, "rectify": True, "degenerated_to_sgd": True},
        "sgd_schedule_free": {"learning_rate": 1.0, "momentum": 0.9, "weight_decay": 0.0, "warmup_steps": 0,
                              "r": 0.0, "weight_lr_power": 2.0},
        "adamw_schedule_free": {"learning_rate": 0.0025, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                                "weight_decay": 0.0, "warmup_steps": 0, "r": 0.0, "weight_lr_power": 2.0},
        "yogi": {"learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-3, "weight_decay": 0.0,
                 "initial_accumulator": 1e-6},  # pytorch-optimizer's Yogi
        "lookahead": {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0,
                      "amsgrad": False, "bias_correction": True, "k": 5, "alpha": 0.5, "base": "adam"},
    }[method]  # fmt: skip
    X, y = linear_problem(64, 1)
    result = fastopt.fit(X, y, method, epochs=1, seed=0)
    assert dict(result.hyperparameters) == spec
    assert result.method == method


def test_result_fields_and_predict():
    X, y = linear_problem(300, 3, seed=4)
    r = fastopt.fit(X, y, "adam", learning_rate=0.05, epochs=50, batch_size=30, stopping_threshold=0, seed=0)
    assert r.params.dtype == np.float64 and r.params.shape == (4,)
    np.testing.assert_array_equal(r.coef, r.params[:3])
    assert r.intercept == r.params[3]
    assert r.loss_history.shape == (50,) and r.epochs_run == 50 and r.n_steps == 500
    assert r.status == "max_epochs" and r.path is None
    np.testing.assert_allclose(r.predict(X), X @ r.coef + r.intercept)
    assert r.loss_history[-1] == pytest.approx(np.mean((r.predict(X) - y) ** 2), rel=1e-12)
    with pytest.raises(ValueError, match="x has 2 feature"):
        r.predict(X[:, :2])
    assert "method='adam'" in repr(r) and "max_epochs" in repr(r)


def test_result_is_immutable():
    X, y = linear_problem(50, 1)
    r = fastopt.fit(X, y, epochs=2, seed=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.status = "stalled"  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        r.params[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        r.loss_history[0] = 1.0
    with pytest.raises(TypeError):
        r.hyperparameters["learning_rate"] = 1.0  # type: ignore[index]


def test_one_dimensional_x_equals_a_single_column():
    X, y = linear_problem(100, 1)
    a = fastopt.fit(X[:, 0], y, epochs=5, seed=3)
    b = fastopt.fit(X, y, epochs=5, seed=3)
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.predict(X[:, 0]), b.predict(X))


@pytest.mark.parametrize("method", fastopt.METHODS)
def test_same_seed_same_result_bit_for_bit(method):
    X, y = linear_problem(500, 2)
    a = fastopt.fit(X, y, method, epochs=20, seed=123)
    b = fastopt.fit(X, y, method, epochs=20, seed=123)
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.loss_history, b.loss_history)


def test_different_seeds_shuffle_differently():
    X, y = linear_problem(500, 2)
    init = np.zeros(3)
    a = fastopt.fit(X, y, "sgd", epochs=3, init=init, seed=1, stopping_threshold=0)
    b = fastopt.fit(X, y, "sgd", epochs=3, init=init, seed=2, stopping_threshold=0)
    assert not np.array_equal(a.params, b.params)
    # Without shuffling, the seed only draws the initial parameters.
    c = fastopt.fit(X, y, "sgd", epochs=3, init=init, seed=1, shuffle=False)
    d = fastopt.fit(X, y, "sgd", epochs=3, init=init, seed=2, shuffle=False)
    np.testing.assert_array_equal(c.params, d.params)


def test_seed_none_is_fresh_and_reproducible_from_result_seed():
    X, y = linear_problem(200, 1)
    a = fastopt.fit(X, y, epochs=3)
    b = fastopt.fit(X, y, epochs=3)
    assert a.seed != b.seed and not np.array_equal(a.params, b.params)
    again = fastopt.fit(X, y, epochs=3, seed=a.seed)
    np.testing.assert_array_equal(again.params, a.params)


def test_init_defaults_to_standard_normal_draws():
    X, y = linear_problem(50, 9)
    starts = np.array([fastopt.fit(X, y, epochs=0, seed=s).params for s in range(300)])
    assert abs(starts.mean()) < 0.05 and abs(starts.std() - 1) < 0.05


def test_epochs_zero_returns_init_and_empty_history():
    X, y = linear_problem(50, 2)
    r = fastopt.fit(X, y, epochs=0, init=[1.0, 2.0, 3.0], seed=0)
    np.testing.assert_array_equal(r.params, [1.0, 2.0, 3.0])
    assert r.loss_history.shape == (0,) and r.epochs_run == 0 and r.n_steps == 0
    assert r.status == "max_epochs"


@pytest.mark.parametrize("threshold", [0, None])
def test_zero_or_none_threshold_runs_every_epoch(threshold):
    X, y = linear_problem(100, 1, noise=0.0)
    r = fastopt.fit(X, y, "adam", learning_rate=0.05, epochs=300, stopping_threshold=threshold, seed=0)
    assert r.epochs_run == 300 and r.status == "max_epochs"


def test_record_path_keeps_parameters_after_each_epoch():
    X, y = linear_problem(100, 2)
    r = fastopt.fit(X, y, epochs=7, record_path=True, seed=0, stopping_threshold=0)
    assert r.path.shape == (7, 3)
    np.testing.assert_array_equal(r.path[-1], r.params)
    ref = fastopt.reference.fit(X, y, epochs=7, record_path=True, seed=0, stopping_threshold=0)
    np.testing.assert_allclose(r.path, ref.path, rtol=1e-10)


@pytest.mark.parametrize("fit", [fastopt.fit, fastopt.reference.fit], ids=["kernel", "reference"])
@pytest.mark.parametrize("method", [m.name for m in REGISTRY if m.exceptions.bounded_steps is None])
def test_divergence_is_reported_with_a_warning(fit, method):
    X, y = linear_problem(200, 2)
    huge = 1e12 * y
    settings = {"learning_rate": 1e3, "clip_value": None} if method in ("sgd", "momentum") else {"learning_rate": 1e200}
    with pytest.warns(RuntimeWarning, match=rf"{method} diverged at epoch \d+ .*smaller learning_rate") as caught:
        r = fit(X, huge, method, epochs=1000, seed=0, **settings)
    assert caught[0].filename == __file__  # the warning points at the caller
    assert r.status == "diverged"
    assert r.epochs_run < 1000 and r.epochs_run == len(r.loss_history)
    assert not (np.isfinite(r.loss_history[-1]) and np.isfinite(r.params).all())
    assert np.isfinite(r.loss_history[:-1]).all()


def test_converging_runs_do_not_warn():
    X, y = linear_problem(200, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = fastopt.fit(X, y, "adam", learning_rate=0.01, epochs=5000, seed=0)
    assert np.isfinite(r.params).all() and r.status == "stalled"


def test_single_row():
    r = fastopt.fit([[2.0]], [3.0], "sgd", learning_rate=0.1, clip_value=None, epochs=500, seed=0, stopping_threshold=0)
    assert r.predict([[2.0]])[0] == pytest.approx(3.0, abs=1e-9)


def test_constant_feature_column():
    X, y = linear_problem(200, 2)
    X[:, 1] = 1.0
    r = fastopt.fit(X, y, "adam", learning_rate=0.01, epochs=100, seed=0)
    assert r.status != "diverged" and np.isfinite(r.params).all()


@pytest.mark.jit
@pytest.mark.parametrize(
    "stopping_threshold, learning_rate, status",
    [(0, 0.01, "max_epochs"), (1e-8, 0.0003, "stalled"), (0, 1e200, "diverged")],
)
def test_progress_chunks_give_the_same_result(stopping_threshold, learning_rate, status):
    from fastopt.api.optimize import run_problem
    from fastopt.api.validation import prepare

    X, y = linear_problem(20_000, 3, seed=5)
    kwargs = dict(
        learning_rate=learning_rate,
        epochs=300,
        batch_size=64,
        stopping_threshold=stopping_threshold,
        seed=9,
        init=None,
        shuffle=True,
        record_path=True,
        hyperparameters={},
    )
    problem = prepare(X, y, "adam", **kwargs)
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        whole = run_problem(problem)
        chunked = run_problem(problem, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == chunked.epochs_run and chunked.status == status
    assert len(seen) > 1 or status == "diverged"
    assert (chunked.status, chunked.epochs_run, chunked.n_steps) == (whole.status, whole.epochs_run, whole.n_steps)
    np.testing.assert_array_equal(chunked.params, whole.params)
    np.testing.assert_array_equal(chunked.loss_history, whole.loss_history)
    np.testing.assert_array_equal(chunked.path, whole.path)


@numba.njit(error_model="numpy")
def _concave_gradient(params, X, y, rows, grad):
    for i in range(params.shape[0]):
        grad[i] = -2.0 * (params[i] - 1.0)  # of the reward -(p - 1)^2, largest at p = 1
    return 0.0


@numba.njit(error_model="numpy")
def _concave_reward(params, X, y):
    return -float(np.sum((params - 1.0) ** 2))


def test_maximize_ascends_every_model_and_says_so():
    reward = fastopt.Objective(_concave_gradient, _concave_reward, n_params=3, init=[0.0, 2.0, -1.0])
    up = fastopt.fit(np.zeros((8, 1)), np.zeros(8), "adam", objective=reward, maximize=True, learning_rate=0.1,
                     epochs=300, stopping_threshold=None)  # fmt: skip
    np.testing.assert_allclose(up.params, 1.0, atol=1e-3)
    assert up.loss_history[-1] > up.loss_history[0]
    X, y = np.random.default_rng(0).normal(size=(40, 2)), np.zeros(40)
    for model in ("linear", fastopt.MLP((4,))):
        down = fastopt.fit(X, y, "sgd", model=model, epochs=3, seed=0, learning_rate=0.01, clip_value=None)
        ascent = fastopt.fit(X, y, "sgd", model=model, epochs=3, seed=0, learning_rate=0.01, clip_value=None,
                             maximize=True)  # fmt: skip
        assert ascent.loss_history[-1] > ascent.loss_history[0] and down.loss_history[-1] < down.loss_history[0]
    with pytest.warns(fastopt.ConvergenceWarning, match=r"still rising \(maximize=True\)"):
        fastopt.fit(X, y, "sgd", epochs=3, seed=0, learning_rate=0.01, maximize=True)
    with pytest.raises(TypeError, match=r"maximize must be True or False, got str"):
        fastopt.fit(X, y, "sgd", maximize="yes")
    table = fastopt.sweep(X, y, {"method": ["sgd"], "maximize": [False, True]}, epochs=3, progress=False)
    assert table.maximize.tolist() == [False, True] and table.train_mse[1] > table.train_mse[0]


@numba.njit(error_model="numpy")
def _plane_gradient(params, X, y, rows, grad):
    for row in rows:
        r = X[row, 0] * params[0] + X[row, 1] * params[1] + params[2] - y[row]
        grad[0] += 2.0 * r * X[row, 0] / len(rows)
        grad[1] += 2.0 * r * X[row, 1] / len(rows)
        grad[2] += 2.0 * r / len(rows)
    return 0.0


@numba.njit(error_model="numpy")
def _plane_loss(params, X, y):
    return float(np.mean((X[:, 0] * params[0] + X[:, 1] * params[1] + params[2] - y) ** 2))


@pytest.mark.parametrize("model", ["linear", "mlp", "objective"])
def test_a_path_of_every_update_is_the_reference_one_and_holds_the_epochs_path(model):
    X = np.random.default_rng(3).normal(size=(50, 2))
    y = X @ [1.0, -2.0] + 0.5
    kw = dict(epochs=3, batch_size=8, seed=1, learning_rate=0.05)  # 7 updates an epoch, the last short
    kw.update({"mlp": dict(model=fastopt.MLP((4,))), "objective": dict(
        objective=fastopt.Objective(_plane_gradient, _plane_loss, n_params=3, init=[0.1, 0.2, 0.3]))}.get(model, {}))
    steps = fastopt.fit(X, y, "momentum", record_path="steps", **kw)
    assert steps.path.shape == (21, steps.params.shape[0]) and steps.path_unit == "steps"
    np.testing.assert_array_equal(steps.path[-1], steps.params)
    reference = fastopt.reference.fit(X, y, "momentum", record_path="steps", **kw)
    np.testing.assert_allclose(steps.path, reference.path, rtol=1e-12, atol=1e-14)
    epochs = fastopt.fit(X, y, "momentum", record_path=True, **kw)
    np.testing.assert_array_equal(steps.path[6::7], epochs.path)  # an epoch's end is its last update
    thinned = fastopt.fit(X, y, "momentum", record_path="steps", record_every=4, **kw)
    np.testing.assert_array_equal(thinned.path, steps.path[3::4])
    every_other = fastopt.fit(X, y, "momentum", record_path="epochs", record_every=2, **kw)
    np.testing.assert_array_equal(every_other.path, epochs.path[1::2])


def test_a_path_of_every_update_is_in_the_datas_units_and_bad_settings_are_named():
    x = np.linspace(0, 100, 40)
    result = fastopt.fit(x, 3 * x + 7, "adam", standardize=True, record_path="steps", epochs=2, batch_size=10, seed=0)
    np.testing.assert_allclose(result.path[-1], result.params, rtol=1e-12)
    with pytest.raises(ValueError, match=r"record_path must be True, False, 'epochs' or 'steps'"):
        fastopt.fit(x, x, "sgd", record_path="updates")
    with pytest.raises(ValueError, match=r"record_every must be >= 1"):
        fastopt.fit(x, x, "sgd", record_path="steps", record_every=0)
