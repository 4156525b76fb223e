"""fastopt.minimize: against the NumPy reference loop (same noise stream), determinism, state, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastopt
from fastopt import schedules

pytestmark = pytest.mark.numerics  # compared with NumPy / BLAS results: run again in CI with other SIMD loops

RUNS = [
    ("rosenbrock", "adam", dict(learning_rate=0.02)),
    ("beale", "adagrad", dict(learning_rate=0.1)),
    ("himmelblau", "rmsprop", dict(learning_rate=0.01, momentum=0.5, centered=True)),
    ("beale", "nesterov", dict(learning_rate=0.002)),
    ("rastrigin", "momentum", dict(learning_rate=0.001, clip_value=None)),
    ("ackley", "adamw_schedule_free", dict(learning_rate=0.05, warmup_steps=20)),
    ("double_well", "sgd", dict(learning_rate=0.05, clip_value=None, noise=2.0)),
    ("plateau", "lookahead", dict(base="adam", learning_rate=0.05, noise=0.01)),
    ("ravine", "nadam", dict(learning_rate=0.05, schedule=schedules.one_cycle(300, max_lr=0.1))),
    ("saddle", "adabelief", dict(learning_rate=0.01, schedule=schedules.cosine(300))),
    ("styblinski_tang", "lion", dict(learning_rate=0.01)),
    ("ravine", "adam", dict(learning_rate=0.05, bias_correction=False)),
]


@pytest.mark.parametrize("function, method, options", RUNS, ids=[f"{f}-{m}" for f, m, _ in RUNS])
def test_kernel_matches_the_numpy_reference(function, method, options):
    fast = fastopt.minimize(function, None, method, steps=300, seed=7, record_state=True, **options)
    ref = fastopt.reference.minimize(function, None, method, steps=300, seed=7, record_state=True, **options)
    assert fast.status == ref.status == "max_steps" and fast.steps_run == 300
    scale = max(1.0, float(np.abs(ref.path).max()))
    np.testing.assert_allclose(fast.path, ref.path, rtol=1e-10, atol=1e-12 * scale)
    np.testing.assert_allclose(fast.values, ref.values, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(ref.values).max()))
    np.testing.assert_allclose(fast.gradients, ref.gradients, rtol=1e-9, atol=1e-10 * scale)
    assert fast.values[0] == fastopt.functions.get_function(function)(fast.path[0])


def test_noise_is_seeded_and_changes_the_path():
    runs = [fastopt.minimize("double_well", method="sgd", learning_rate=0.05, clip_value=None, noise=1.0, seed=s,
                             steps=200) for s in (1, 1, 2)]  # fmt: skip
    np.testing.assert_array_equal(runs[0].path, runs[1].path)
    assert not np.array_equal(runs[0].path, runs[2].path)
    quiet = fastopt.minimize("double_well", method="sgd", learning_rate=0.05, clip_value=None, steps=200, seed=1)
    assert quiet.x[0] > 0 and quiet.noise == 0.0  # without noise it stays in the shallow well it starts in
    again = fastopt.minimize("double_well", method="sgd", learning_rate=0.05, clip_value=None, noise=1.0,
                             seed=runs[2].seed, steps=200)  # fmt: skip
    np.testing.assert_array_equal(again.x, runs[2].x)


def test_state_and_effective_step_size():
    r = fastopt.minimize("ravine", [1.0, 1.0], "adam", learning_rate=0.1, steps=50, record_state=True)
    assert r.state_names == ("exp_avg", "exp_avg_sq", "beta_powers", "max_exp_avg_sq")
    assert r.states.shape == (50, 4, 2) and r.gradients.shape == (50, 2)
    m, v = r.states[-1, 0], r.states[-1, 1]
    t = 50
    expected = 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8) / r.gradients[-1]
    np.testing.assert_allclose(r.effective_step_size[-1], expected, rtol=1e-9)
    sgd = fastopt.minimize("ravine", [1.0, 1.0], "sgd", learning_rate=0.1, clip_value=None, steps=5, record_state=True)
    np.testing.assert_allclose(sgd.effective_step_size, 0.1, rtol=1e-12)
    with pytest.raises(ValueError, match="record_state=True"):
        _ = fastopt.minimize("ravine", steps=3).effective_step_size
    assert fastopt.minimize("ravine", steps=3, record_path=False).path is None


def test_divergence_is_reported_and_stops_the_run():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = fastopt.minimize("rosenbrock", method="sgd", learning_rate=1.0, clip_value=None, steps=1000)
    assert r.status == "diverged" and r.steps_run < 1000
    assert any("diverged at step" in str(w.message) for w in caught)
    assert len(r.values) == r.steps_run + 1 and not np.isfinite(r.value)


def test_steps_zero_and_the_default_start():
    r = fastopt.minimize("beale", steps=0)
    np.testing.assert_array_equal(r.x, fastopt.functions.get_function("beale").start)
    assert r.steps_run == 0 and r.values.shape == (1,)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(x0=[1.0, 2.0, 3.0]), ValueError, r"x0 must have 2 numbers for rosenbrock"),
        (dict(x0=[np.nan, 1.0]), ValueError, r"x0 contains 1 NaN"),
        (dict(steps=-1), ValueError, r"steps must be >= 0"),
        (dict(noise=-0.1), ValueError, r"noise must be >= 0"),
        (dict(method="lbfgs"), ValueError, r"unknown method 'lbfgs'"),
        (dict(beta=0.9), ValueError, r"'adam' does not take 'beta'"),
        (dict(schedule="cosine"), TypeError, r"schedule must be None or made by fastopt.schedules"),
        (dict(function="sphere"), ValueError, r"unknown function 'sphere'"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, pattern):
    kwargs = {"function": "rosenbrock", **kwargs}
    with pytest.raises(error, match=pattern):
        fastopt.minimize(**kwargs)
