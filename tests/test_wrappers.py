"""Lookahead (a wrapper over any rule) and the schedule-free methods (an average returned), beyond the golden runs."""

from __future__ import annotations

import numpy as np
import pytest

import fastopt
from fastopt import schedules
from fastopt.methods import get_method

from conftest import linear_problem

X, Y = linear_problem(120, 3, seed=5)


@pytest.mark.parametrize("base", ["sgd", "rmsprop", "adam", "nadam", "adamw_schedule_free"])
def test_lookahead_with_k_1_and_alpha_1_is_its_base(base):
    # alpha = 1 keeps the fast weights at every synchronization: the base rule's run, bit for bit.
    options = dict(epochs=5, batch_size=16, seed=3, stopping_threshold=0, learning_rate=0.01)
    wrapped = fastopt.fit(X, Y, "lookahead", base=base, k=1, alpha=1.0, **options)
    plain = fastopt.fit(X, Y, base, **options)
    np.testing.assert_array_equal(wrapped.params, plain.params)
    np.testing.assert_array_equal(wrapped.loss_history, plain.loss_history)


def test_lookahead_pulls_back_every_k_steps():
    # alpha = 0: every k-th step returns to the slow weights, which never move from the start.
    result = fastopt.fit(X, Y, "lookahead", base="sgd", k=4, alpha=0.0, epochs=2, batch_size=30, seed=0,
                         stopping_threshold=0, learning_rate=0.01)  # fmt: skip
    np.testing.assert_array_equal(result.params, result.init)  # 8 steps, synchronized at 4 and 8
    assert result.hyperparameters["base"] == "sgd" and result.hyperparameters["k"] == 4


def test_lookahead_configuration_reproduces_the_run():
    first = fastopt.fit(X, Y, "lookahead", base="rmsprop", beta=0.95, k=3, epochs=4, seed=1)
    again = fastopt.fit(X, Y, "lookahead", epochs=4, seed=1, **dict(first.hyperparameters))
    np.testing.assert_array_equal(first.params, again.params)
    assert get_method("lookahead", "rmsprop").title == "Lookahead (RMSprop)"


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(method="adam", base="sgd"), ValueError, r"base='sgd' is for method='lookahead'"),
        (dict(method="lookahead", base="lbfgs"), ValueError, r"base must name the method Lookahead wraps"),
        (dict(method="lookahead", base="lookahead"), ValueError, r"base must name the method Lookahead wraps"),
        (dict(method="lookahead", base=3), ValueError, r"base must name"),
        (dict(method="lookahead", base="asgd"), ValueError, r"ASGD's alpha"),
        (dict(method="lookahead", k=0), ValueError, r"k must be >= 1"),
        (dict(method="lookahead", k=2.5), TypeError, r"k must be an integer"),
        (dict(method="lookahead", alpha=1.5), ValueError, r"alpha must be in \[0, 1\]"),
        (dict(method="lookahead", base="sgd", beta1=0.9), ValueError, r"'lookahead' does not take 'beta1'"),
        (dict(method="sgd_schedule_free", momentum=1.0), ValueError, r"momentum must be in \(0, 1\)"),
        (dict(method="adamw_schedule_free", warmup_steps=-1), ValueError, r"warmup_steps must be >= 0"),
    ],
)
def test_bad_wrapper_arguments_are_named(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        fastopt.fit(X, Y, epochs=1, **kwargs)


@pytest.mark.parametrize("method", ["sgd_schedule_free", "adamw_schedule_free"])
def test_schedule_free_results_are_at_the_average(method):
    result = fastopt.fit(X, Y, method, learning_rate=0.05, epochs=6, seed=0, stopping_threshold=0, record_path=True)
    assert result.params_point == "average" and "params_point='average'" in repr(result)
    np.testing.assert_array_equal(result.path[-1], result.params)
    # The loss history is measured where params are: the last entry is the loss of the returned params.
    assert result.loss_history[-1] == pytest.approx(np.mean((result.predict(X) - Y) ** 2), rel=1e-12)
    assert fastopt.fit(X, Y, "adam", epochs=1, seed=0).params_point == "iterate"
    # No step taken: the parameters are the start (y, z and x all begin there).
    np.testing.assert_array_equal(fastopt.fit(X, Y, method, epochs=0, seed=0).params, result.init)


@pytest.mark.parametrize("method", ["sgd_schedule_free", "lookahead", "asgd"])
def test_split_runs_equal_one_run(method):
    # Everything the wrappers carry between epochs (z, the slow weights, eta) lives in the run's arrays.
    from fastopt.api.optimize import Run
    from fastopt.api.validation import prepare

    problem = prepare(X, Y, method, learning_rate=0.01, epochs=9, batch_size=7, stopping_threshold=0, seed=2,
                      init=None, shuffle=True, hyperparameters={})  # fmt: skip
    split = Run(problem)
    for epochs in (2, 3, 4):
        split.advance(epochs)
    whole = fastopt.fit(X, Y, method, learning_rate=0.01, epochs=9, batch_size=7, stopping_threshold=0, seed=2)
    np.testing.assert_array_equal(split.result().params, whole.params)
    np.testing.assert_array_equal(split.result().loss_history, whole.loss_history)


@pytest.mark.jit  # 2 minutes of network epochs as plain Python
def test_new_methods_train_the_tutorial_mlp():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 10))
    y = np.tanh(x[:, 0]) + 0.5 * x[:, 1] ** 2 + 0.1 * rng.normal(size=300)
    runs = {
        "adabelief": dict(learning_rate=0.01),
        "lookahead": dict(base="adam", learning_rate=0.01),
        "adamw_schedule_free": dict(learning_rate=0.01),
        "rmsprop": dict(learning_rate=0.003, centered=True, momentum=0.5),
        "asgd": dict(learning_rate=0.05, t0=100),
    }
    for method, settings in runs.items():
        common = dict(model=fastopt.MLP((50,)), epochs=60, batch_size=32, seed=0, stopping_threshold=0)
        fast = fastopt.fit(x, y, method, **common, **settings)
        ref = fastopt.reference.fit(x, y, method, **common, **settings)
        assert fast.loss_history[-1] < 0.5 * fast.loss_history[0], method
        np.testing.assert_allclose(fast.params, ref.params, rtol=1e-7, atol=1e-9, err_msg=method)


NEW = [
    {"method": "lookahead", "base": "sgd", "momentum": 0.9, "learning_rate": 0.02},
    {"method": "sgd_schedule_free", "learning_rate": 0.2},
    {"method": "adamw_schedule_free", "learning_rate": 0.02, "warmup_steps": 10},
    {"method": "asgd", "learning_rate": 0.02, "t0": 20},
    {"method": "adabelief", "learning_rate": 0.02},
    {"method": "adam", "schedule": schedules.one_cycle(total_steps=200, max_lr=0.05)},
    {"method": "sgd", "momentum": 0.9, "schedule": schedules.reduce_on_plateau(patience=1, threshold=0.05)},
    {"method": "rmsprop", "centered": True, "momentum": 0.5, "schedule": schedules.sequential(
        schedules.linear(0.1, 1.0, 20, per="step"), schedules.cosine(180, per="step"), milestones=[20])},
]  # fmt: skip


def test_sweep_runs_every_new_method_and_schedule_as_fit_does():
    grid = [{**config, "seed": 4} for config in NEW]
    table = fastopt.sweep(X, Y, grid, epochs=12, batch_size=16, stopping_threshold=0, progress=False)
    for i, config in enumerate(table.attrs["configurations"]):
        np.testing.assert_array_equal(table["params"][i], fastopt.fit(X, Y, **config).params, err_msg=str(config))


def test_dask_runs_them_the_same():
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    grid = [{**config, "seed": 4} for config in NEW]
    local = fastopt.sweep(X, Y, grid, epochs=12, batch_size=16, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        with distributed.Client(c) as client:
            remote = fastopt.sweep(X, Y, grid, epochs=12, batch_size=16, progress=False, client=client)
    np.testing.assert_array_equal(np.stack(local["params"]), np.stack(remote["params"]))
