"""The compiled kernels agree with the plain NumPy reference, epoch by epoch."""

from __future__ import annotations

import numpy as np
import pytest

import fastopt
from fastopt.methods import REGISTRY, get_method
from fastopt.api.optimize import Run
from fastopt.api.validation import prepare

from conftest import linear_problem

pytestmark = pytest.mark.numerics  # compared with NumPy / BLAS results: run again in CI with other SIMD loops

CLIPPED = [m.name for m in REGISTRY if "clip_value" in m.defaults]


def both(X, y, method, **kwargs):
    return fastopt.fit(X, y, method, **kwargs), fastopt.reference.fit(X, y, method, **kwargs)


def assert_same_run(fast, ref):
    assert (fast.status, fast.epochs_run, fast.n_steps) == (ref.status, ref.epochs_run, ref.n_steps)
    assert fast.method == ref.method and dict(fast.hyperparameters) == dict(ref.hyperparameters)
    np.testing.assert_allclose(fast.params, ref.params, rtol=1e-10, atol=0)
    np.testing.assert_allclose(fast.loss_history, ref.loss_history, rtol=1e-10, atol=0)


# n = 203 with batch 16 leaves a short last batch of 11 rows.
CASES = {
    "one feature": dict(n=203, d=1, batch_size=16),
    "five features": dict(n=203, d=5, batch_size=16),
    "batch larger than n": dict(n=50, d=2, batch_size=64),
    "single-row batches": dict(n=40, d=3, batch_size=1),
}


@pytest.mark.parametrize("method", fastopt.METHODS)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("shuffle", [False, True])
def test_kernel_matches_reference(method, case, shuffle):
    spec = CASES[case]
    X, y = linear_problem(spec["n"], spec["d"], seed=spec["d"])
    init = np.linspace(-1, 1, spec["d"] + 1)
    fast, ref = both(
        X, y, method, batch_size=spec["batch_size"], epochs=30, stopping_threshold=0, init=init, shuffle=shuffle, seed=5
    )
    assert fast.n_steps == 30 * -(-spec["n"] // spec["batch_size"])
    assert_same_run(fast, ref)


@pytest.mark.parametrize("method", CLIPPED)
@pytest.mark.parametrize("clip_value", [None, 0.05])
def test_clipping_parity(method, clip_value):
    X, y = linear_problem(203, 5, seed=3)
    y = 20 * y  # gradients well above the clip bound
    kwargs = dict(batch_size=16, epochs=20, stopping_threshold=0, init=np.zeros(6), shuffle=False, seed=0)
    fast, ref = both(X, y, method, learning_rate=0.01, clip_value=clip_value, **kwargs)
    assert_same_run(fast, ref)
    other = fastopt.fit(X, y, method, learning_rate=0.01, clip_value=0.05 if clip_value is None else None, **kwargs)
    assert not np.allclose(other.params, fast.params)  # the case really exercises clipping


@pytest.mark.parametrize("method", fastopt.METHODS)
def test_stopping_rule_parity(method):
    X, y = linear_problem(500, 2, seed=11)
    fast, ref = both(X, y, method, epochs=5000, stopping_threshold=1e-6, seed=2)  # default learning rates
    assert fast.status == "stalled" and fast.epochs_run < 5000
    assert abs(fast.loss_history[-2] - fast.loss_history[-1]) < 1e-6
    assert np.all(np.abs(np.diff(fast.loss_history[:-1])) >= 1e-6)
    assert_same_run(fast, ref)


def test_reference_has_the_same_signature_as_fit():
    import inspect

    assert inspect.signature(fastopt.reference.fit) == inspect.signature(fastopt.fit)


def variants(method):
    """Every non-default switch of a registry row: flags on, weight decay on."""
    row = get_method(method)
    settings = {h.name: True for h in row.hyperparameters if h.is_flag}
    if "weight_decay" in row.defaults:
        settings["weight_decay"] = 0.05
    return settings


@pytest.mark.parametrize("method", [m for m in fastopt.METHODS if variants(m)])
def test_weight_decay_and_flags_parity(method):
    X, y = linear_problem(203, 4, seed=8)
    kwargs = dict(batch_size=16, epochs=30, stopping_threshold=0, seed=6, **variants(method))
    fast, ref = both(X, y, method, **kwargs)
    assert_same_run(fast, ref)
    plain = fastopt.fit(X, y, method, batch_size=16, epochs=30, stopping_threshold=0, seed=6)
    assert not np.allclose(plain.params, fast.params, rtol=1e-6)  # the switches change the run


def test_chaotic_schedule_settings_agree_epoch_by_epoch():
    """Kernel and reference take each epoch's rate from the same closed form: chaotic dynamics cannot part them."""
    x, y = linear_problem(40, 1, seed=5)
    kwargs = dict(learning_rate=0.5, momentum=0.9, clip_value=0.1, batch_size=1, epochs=28, stopping_threshold=0,
                  seed=1, schedule=fastopt.schedules.cosine(7, 1e-4))  # fmt: skip
    kernel, reference = fastopt.fit(x, y, "momentum", **kwargs), fastopt.reference.fit(x, y, "momentum", **kwargs)
    np.testing.assert_allclose(kernel.loss_history, reference.loss_history, rtol=1e-10)
    np.testing.assert_allclose(kernel.params, reference.params, rtol=1e-10)


@pytest.mark.parametrize("method", ["adam", "adamw", "adamax", "nadam", "radam", "adabelief"])
def test_running_powers_flush_to_zero_without_changing_the_run(method):
    # beta2 0.99: beta2**t falls below 2**-60 at update ~4,140 and would be subnormal from ~70,000 on; the
    # kernel flushes its running products to 0 there, the reference computes b**t with pow. Same numbers.
    X, y = linear_problem(20, 2, seed=5)
    kwargs = dict(learning_rate=0.001, beta2=0.99, epochs=300, batch_size=1, stopping_threshold=0, seed=0)
    assert_same_run(*both(X, y, method, **kwargs))
    run = Run(prepare(X, y, method, init=None, shuffle=True, hyperparameters={"beta2": 0.99},
                      **{k: v for k, v in kwargs.items() if k != "beta2"}))  # fmt: skip
    run.advance(300)
    # The running products (each rule's docstring): b1**t and b2**t; Adamax b1**t; NAdam mu_1..mu_t and b2**t.
    slots = {"adamax": [(2, 0)], "nadam": [(2, 0), (3, 0)]}.get(method, [(2, 0), (2, 1)])
    assert run.n_steps == 6000 and all(run.state[slot] == 0.0 for slot in slots)
    assert not np.any((run.state != 0) & (np.abs(run.state) < np.finfo(np.float64).tiny))  # nothing subnormal
