"""Learning-rate schedules: closed forms, PyTorch's recursive values, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastopt
from fastopt import schedules
from fastopt.schedules import NO_SCHEDULE_ARGS, learning_rate_at

from conftest import linear_problem

SCHEDULES = {
    "step": schedules.step(3, 0.5),
    "step default gamma": schedules.step(30),
    "exponential": schedules.exponential(0.9),
    "cosine": schedules.cosine(10, eta_min=0.001),
    "cosine to zero": schedules.cosine(7),
}


def pytorch_rates(schedule, base, epochs, dtype=np.float64):
    """Learning rate of each epoch, computed the way PyTorch's schedulers do: recursively.

    The kernel and the reference evaluate closed forms (``learning_rate_at``),
    so this is an independent check of them. ``dtype=np.longdouble`` runs
    the recursion in extended precision, so that its own rounding does not
    pile up over thousands of epochs.
    """
    pi, one, base = (
        np.pi if dtype is np.float64 else dtype("3.14159265358979323846264338327950288"),
        dtype(1),
        dtype(base),
    )
    rates, lr = [], base
    for k in range(epochs):
        if schedule is not None and k > 0:
            if schedule.name == "step":
                step_size, gamma = schedule.args
                lr = lr * dtype(gamma) if k % int(step_size) == 0 else lr
            elif schedule.name == "exponential":
                lr = lr * dtype(schedule.args[0])
            else:  # cosine, as CosineAnnealingLR.get_lr
                t_max, eta_min = (dtype(a) for a in schedule.args)
                if (k - 1 - t_max) % (2 * t_max) == 0:
                    lr = lr + (base - eta_min) * (one - np.cos(pi / t_max)) / 2
                else:
                    lr = (one + np.cos(pi * k / t_max)) / (one + np.cos(pi * (k - 1) / t_max)) * (
                        lr - eta_min
                    ) + eta_min
        rates.append(float(lr))
    return rates


def kernel_rates(schedule, base, epochs):
    return [learning_rate_at(schedule.code, schedule.kernel_args(), base, k) for k in range(epochs)]


@pytest.mark.parametrize("name", SCHEDULES)
def test_closed_forms_match_pytorch_recursions(name):
    schedule = SCHEDULES[name]
    closed = kernel_rates(schedule, 0.1, 10_000)  # past cosine's t_max many times, where it is periodic
    # The recursion in extended precision: the closed forms are right to 1e-12 of the base rate over
    # 10,000 epochs (measured: 1.3e-13; relative to a rate near cosine's minimum, 2e-12).
    np.testing.assert_allclose(closed, pytorch_rates(schedule, 0.1, 10_000, np.longdouble), rtol=0, atol=1e-12 * 0.1)
    # PyTorch's own float64 recursion drifts (3e-12 of the base rate by epoch 10,000 for cosine).
    np.testing.assert_allclose(closed, pytorch_rates(schedule, 0.1, 10_000), rtol=0, atol=5e-12 * 0.1)


def test_newer_schedules_closed_form_values():
    assert kernel_rates(schedules.linear(0.25, 1.0, 3), 1.0, 5) == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert kernel_rates(schedules.polynomial(4, 2.0), 1.0, 6) == [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    restarts = kernel_rates(schedules.cosine_warm_restarts(2, 2), 1.0, 8)  # cycles of 2, 4, 8 epochs
    np.testing.assert_allclose(restarts, [1, 0.5, 1, 0.5 + 0.5 * math.cos(math.pi / 4), 0.5,
                                          0.5 - 0.5 * math.cos(math.pi / 4), 1, 0.5 + 0.5 * math.cos(math.pi / 8)],
                               atol=1e-15)  # fmt: skip
    assert kernel_rates(schedules.cosine_warm_restarts(3), 1.0, 7)[::3] == [1.0, 1.0, 1.0]
    assert repr(schedules.linear()) == "linear(start_factor=0.3333333333333333, end_factor=1.0, total_iters=5)"


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: schedules.linear(start_factor=0), r"start_factor must be in \(0, 1\]"),
        (lambda: schedules.linear(end_factor=1.5), r"end_factor must be in \[0, 1\]"),
        (lambda: schedules.polynomial(total_iters=0), r"total_iters must be >= 1"),
        (lambda: schedules.cosine_warm_restarts(0), r"t_0 must be >= 1"),
        (lambda: schedules.cosine_warm_restarts(2, t_mult=1.5), r"t_mult must be an integer"),
    ],
)
def test_newer_schedules_check_their_arguments(make, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        make()


def test_a_sweep_mixes_schedules_with_different_arguments():
    x = np.linspace(-1, 1, 100)
    grid = {"method": ["adam"], "schedule": [None, schedules.linear(), schedules.cosine_warm_restarts(3, 2, 1e-3)]}
    table = fastopt.sweep(x, 2 * x, grid, epochs=12, stopping_threshold=0, progress=False)
    for i, config in enumerate(table.attrs["configurations"]):
        np.testing.assert_array_equal(table["params"][i], fastopt.fit(x, 2 * x, **config).params)


def test_closed_form_values():
    assert kernel_rates(schedules.step(3, 0.5), 1.0, 7) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert kernel_rates(schedules.exponential(0.5), 2.0, 3) == [2.0, 1.0, 0.5]
    cosine = kernel_rates(schedules.cosine(4, eta_min=0.1), 1.1, 9)
    np.testing.assert_allclose(
        cosine,
        [
            1.1,
            0.1 + 0.5 * (1 + math.cos(math.pi / 4)),
            0.6,
            0.1 + 0.5 * (1 - math.cos(math.pi / 4)),
            0.1,
            0.1 + 0.5 * (1 - math.cos(math.pi / 4)),
            0.6,
            0.1 + 0.5 * (1 + math.cos(math.pi / 4)),
            1.1,
        ],
        rtol=1e-14,
    )
    assert learning_rate_at(0, NO_SCHEDULE_ARGS, 0.3, 1000) == 0.3


def test_sgd_under_a_schedule_takes_the_scheduled_steps():
    # One row, x = 0: the bias alone moves by lr_k * clip(2 (b - y)) each epoch.
    result = fastopt.fit(
        [[0.0]],
        [0.0],
        "sgd",
        learning_rate=0.1,
        clip_value=None,
        epochs=4,
        batch_size=1,
        init=[0.0, 1.0],
        stopping_threshold=0,
        schedule=schedules.step(2, 0.5),
        record_path=True,
    )
    b = 1.0
    for lr in [0.1, 0.1, 0.05, 0.05]:
        b -= lr * 2 * b
    assert result.intercept == pytest.approx(b, rel=1e-15)


def test_momentum_keeps_the_tutorial_form_under_a_schedule():
    # v = mu v + lr g carries earlier learning rates; PyTorch's buf = mu buf + g does not.
    result = fastopt.fit(
        [[0.0]],
        [0.0],
        "momentum",
        learning_rate=0.1,
        momentum=0.5,
        clip_value=None,
        epochs=2,
        batch_size=1,
        init=[0.0, 1.0],
        stopping_threshold=0,
        schedule=schedules.step(1, 0.1),
    )
    b, v = 1.0, 0.0
    for lr in [0.1, 0.01]:
        v = 0.5 * v + lr * 2 * b
        b -= v
    assert result.intercept == pytest.approx(b, rel=1e-15)


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("method", fastopt.METHODS)
def test_schedule_parity_with_reference(name, method):
    X, y = linear_problem(120, 3, seed=4)
    kwargs = dict(epochs=25, batch_size=16, stopping_threshold=0, seed=1, schedule=SCHEDULES[name], record_path=True)
    fast = fastopt.fit(X, y, method, **kwargs)
    ref = fastopt.reference.fit(X, y, method, **kwargs)
    np.testing.assert_allclose(fast.path, ref.path, rtol=1e-10)
    np.testing.assert_allclose(fast.loss_history, ref.loss_history, rtol=1e-10)
    assert fast.schedule is SCHEDULES[name]


@pytest.mark.parametrize(
    "build, exception, pattern",
    [
        (lambda: schedules.step(0), ValueError, "step_size must be >= 1, got 0"),
        (lambda: schedules.step(2.5), TypeError, "step_size must be an integer"),
        (lambda: schedules.step(3, gamma=0), ValueError, "gamma must be (a finite number|> 0)"),
        (lambda: schedules.step(3, gamma=float("nan")), ValueError, "gamma must be (a finite number|> 0)"),
        (lambda: schedules.exponential(-0.5), ValueError, "gamma must be (a finite number|> 0)"),
        (lambda: schedules.exponential("0.5"), TypeError, "gamma must be a real number"),
        (lambda: schedules.cosine(0), ValueError, "t_max must be >= 1"),
        (lambda: schedules.cosine(10, eta_min=-1e-3), ValueError, "eta_min must be >= 0"),
        (lambda: schedules.cosine(True), TypeError, "t_max must be an integer"),
    ],
)
def test_bad_schedule_arguments(build, exception, pattern):
    with pytest.raises(exception, match=pattern):
        build()


def test_schedule_repr():
    assert repr(schedules.step(30, 0.1)) == "step(step_size=30, gamma=0.1)"
    assert repr(schedules.cosine(5)) == "cosine(t_max=5, eta_min=0.0)"
