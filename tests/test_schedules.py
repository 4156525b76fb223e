"""Learning-rate schedules: closed forms, PyTorch's recursive values, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastopt
from fastopt import schedules
from fastopt.methods import get_method
from fastopt.schedules import kernel_schedule, learning_rate_at

from conftest import linear_problem

pytestmark = pytest.mark.numerics  # compared with NumPy / BLAS results: run again in CI with other SIMD loops

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


def kernel_rates(schedule, base, epochs, method="sgd"):
    """The rate the kernel uses in each epoch (or, for ``per="step"``, at each step)."""
    encoded = kernel_schedule(schedule, get_method(method), base)
    hp = np.zeros(8)
    return [learning_rate_at(encoded, base, k, k, hp) for k in range(epochs)]


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
    assert kernel_rates(None, 0.3, 1001)[-1] == 0.3


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


def test_per_step_schedules_count_updates():
    rates = kernel_rates(schedules.linear(0.25, 1.0, 3, per="step"), 1.0, 5)
    assert rates == [0.25, 0.5, 0.75, 1.0, 1.0]  # k is the update count here
    # A fit: 4 updates per epoch, the rate rising every update.
    x = np.zeros(8)
    result = fastopt.fit(x, np.ones(8), "sgd", learning_rate=0.1, clip_value=None, epochs=2, batch_size=2, init=[0.0, 0.0],
                         shuffle=False, stopping_threshold=0, schedule=schedules.linear(0.5, 1.0, 4, per="step"))  # fmt: skip
    b = 0.0
    for k in range(8):
        b -= 0.1 * (0.5 + 0.5 * min(k, 4) / 4) * 2 * (b - 1.0)
    assert result.params[1] == pytest.approx(b, rel=1e-14)


def test_one_cycle_rates_follow_its_phases():
    cycle = schedules.one_cycle(total_steps=10, max_lr=1.0, pct_start=0.3, div_factor=10.0, final_div_factor=100.0)
    rates = kernel_rates(cycle, 0.5, 12)
    assert rates[0] == pytest.approx(0.1) and rates[2] == pytest.approx(1.0)  # warmup over pct_start * total - 1 steps
    assert rates[9] == pytest.approx(0.001) and rates[11] == rates[9]  # the final rate holds past total_steps
    assert all(a > b for a, b in zip(rates[2:9], rates[3:10]))
    assert kernel_rates(schedules.one_cycle(10, pct_start=0.3, div_factor=10.0), 0.5, 3)[2] == pytest.approx(0.5)


def test_one_cycle_cycles_the_momentum_and_refuses_methods_without_one():
    from fastopt.schedules import kernel_schedule, learning_rate_at

    encoded = kernel_schedule(schedules.one_cycle(10), get_method("adam"), 0.01)
    hp = np.array(list(get_method("adam").defaults.values()), dtype=float)
    learning_rate_at(encoded, 0.01, 0, 0, hp)
    assert hp[1] == pytest.approx(0.95)  # beta1 at max_momentum first
    learning_rate_at(encoded, 0.01, 0, 2, hp)
    assert hp[1] == pytest.approx(0.85)  # base_momentum at the peak of the rate
    with pytest.raises(ValueError, match=r"one_cycle\(cycle_momentum=True\) needs a method with a momentum or beta1"):
        fastopt.fit(np.ones(4), np.ones(4), "adagrad", schedule=schedules.one_cycle(10))
    fastopt.fit(np.ones(4), np.ones(4), "adagrad", schedule=schedules.one_cycle(10, cycle_momentum=False), epochs=1)


def test_reduce_on_plateau_state_carries_over_split_runs():
    from fastopt.api.optimize import Run
    from fastopt.api.validation import prepare

    x = np.linspace(-1, 1, 50)
    plateau = schedules.reduce_on_plateau(factor=0.5, patience=0, threshold=0.9)
    options = dict(learning_rate=0.05, epochs=12, batch_size=5, stopping_threshold=0, seed=1, schedule=plateau)
    whole = fastopt.fit(x, 2 * x + 1, "sgd", **options)
    problem = prepare(x, 2 * x + 1, "sgd", init=None, shuffle=True, hyperparameters={}, **options)
    run = Run(problem)
    for epochs in (1, 5, 6):
        run.advance(epochs)
    np.testing.assert_array_equal(run.result().params, whole.params)
    cut = fastopt.fit(x, 2 * x + 1, "sgd", **{**options, "schedule": None})
    assert not np.array_equal(cut.params, whole.params)  # the schedule did cut the rate
    np.testing.assert_allclose(fastopt.reference.fit(x, 2 * x + 1, "sgd", **options).params, whole.params, rtol=1e-12)


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: schedules.cosine(5, per="batch"), r"per must be 'epoch' or 'step'"),
        (lambda: schedules.one_cycle(1), r"total_steps must be >= 2"),
        (lambda: schedules.one_cycle(10, anneal_strategy="cosine"), r"anneal_strategy must be 'cos' or 'linear'"),
        (lambda: schedules.one_cycle(10, pct_start=1.5), r"pct_start must be in \[0, 1\]"),
        (lambda: schedules.sequential(schedules.cosine(5), milestones=[]), r"two or more schedules"),
        (lambda: schedules.sequential(schedules.cosine(5), schedules.step(2), milestones=[3, 4]), r"milestones must be 1"),
        (lambda: schedules.sequential(schedules.cosine(5), schedules.step(2, per="step"), milestones=[3]),
         r"stepped the same way"),
        (lambda: schedules.sequential(schedules.cosine(5), schedules.reduce_on_plateau(), milestones=[3]),
         r"cannot contain reduce_on_plateau"),
        (lambda: schedules.reduce_on_plateau(threshold_mode="relative"), r"threshold_mode must be 'rel' or 'abs'"),
        (lambda: schedules.reduce_on_plateau(factor=1.0), r"factor must be in \(0, 1\)"),
    ],
)
def test_new_schedules_check_their_arguments(make, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        make()


def test_schedule_reprs_read_like_the_calls():
    assert repr(schedules.cosine(5, per="step")) == "cosine(t_max=5, eta_min=0.0, per='step')"
    warm = schedules.sequential(schedules.linear(0.1, 1.0, 5), schedules.cosine(20), milestones=[5])
    assert repr(warm) == (
        "sequential(linear(start_factor=0.1, end_factor=1.0, total_iters=5), cosine(t_max=20, eta_min=0.0), "
        "milestones=[5])"
    )
    assert repr(schedules.reduce_on_plateau()).startswith("reduce_on_plateau(factor=0.1, patience=10")


@pytest.mark.parametrize(
    "arguments, phase",
    [(dict(total_steps=10, max_lr=0.1, pct_start=0.1), 1), (dict(total_steps=2, pct_start=0.5, three_phase=True), 1),
     (dict(total_steps=9, pct_start=5 / 9, three_phase=True), 3)],
)  # fmt: skip
def test_one_cycle_refuses_a_phase_without_steps(arguments, phase):
    # Such a phase begins and ends at the same step: its position in the phase would be 0 / 0.
    with pytest.raises(ValueError, match=rf"pct_start=.*total_steps=.*phase {phase} no steps"):
        schedules.one_cycle(**arguments)


def test_sequential_milestones_must_be_a_list():
    with pytest.raises(TypeError, match="milestones must be a list of step or epoch numbers, got int"):
        schedules.sequential(schedules.cosine(5), schedules.step(3), milestones=5)
