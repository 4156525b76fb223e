"""optimizer_state: a run resumed from a result's state continues it bit for bit, in the kernels and the reference."""

from __future__ import annotations

import numpy as np
import pytest

import fastopt
from fastopt.methods import REGISTRY

X = np.random.default_rng(0).normal(size=(60, 3))
Y = X @ np.array([1.0, -2.0, 0.5]) + 1.0 + 0.1 * np.random.default_rng(1).normal(size=60)
RUN = dict(batch_size=8, shuffle=False, stopping_threshold=0, seed=3)  # no shuffle: the row order is the same


def _split(fit, method, first, then, **kwargs):
    whole = fit(X, Y, method, epochs=first + then, **RUN, **kwargs)
    start = fit(X, Y, method, epochs=first, **RUN, **kwargs)
    rest = fit(X, Y, method, epochs=then, init=start.params, optimizer_state=start.optimizer_state, **RUN, **kwargs)
    return whole, rest


RESUMABLE = [row.name for row in REGISTRY if not row.cached_rows or row.name in ("adam", "adamw")]


@pytest.mark.parametrize("method", RESUMABLE)
def test_a_resumed_run_is_the_unbroken_run(method):
    whole, rest = _split(fastopt.fit, method, 3, 2)
    np.testing.assert_array_equal(rest.params, whole.params)
    np.testing.assert_array_equal(rest.loss_history, whole.loss_history[3:])
    assert rest.n_steps == whole.n_steps == rest.optimizer_state["step"]


@pytest.mark.parametrize("method", ["adam", "rmsprop", "sgd"])
def test_the_reference_resumes_alike(method):
    whole, rest = _split(fastopt.reference.fit, method, 3, 2, learning_rate=0.01)
    np.testing.assert_allclose(rest.params, whole.params, rtol=1e-13, atol=1e-15)


def test_adam_resumed_late_rebuilds_its_flushed_powers():
    """beta1**t falls below 2**-60 and is flushed to 0 after about 400 updates: the resumed run's rebuilt powers
    (7,400 updates in) must be the unbroken run's, flushed at the same update."""
    x = np.random.default_rng(2).normal(size=(200, 1))
    y = 2 * x[:, 0] + 1
    kwargs = dict(batch_size=1, shuffle=False, stopping_threshold=0, seed=0, learning_rate=1e-4)
    whole = fastopt.fit(x, y, "adam", epochs=40, **kwargs)  # 8,000 updates
    start = fastopt.fit(x, y, "adam", epochs=37, **kwargs)
    rest = fastopt.fit(x, y, "adam", epochs=3, init=start.params, optimizer_state=start.optimizer_state, **kwargs)
    np.testing.assert_array_equal(rest.params, whole.params)


def test_the_state_names_the_methods_rows_and_is_read_only():
    result = fastopt.fit(X, Y, "adam", epochs=1, **RUN)
    state = result.optimizer_state
    assert list(state) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]  # beta_powers: derived from step
    assert state["exp_avg"].shape == (4,) and not state["exp_avg"].flags.writeable
    assert state["step"] == result.n_steps == 8


@pytest.mark.parametrize(
    "state, error, message",
    [
        ({"exp_avg": np.zeros(4), "velocity": np.zeros(4)}, ValueError, r"'velocity', which adam does not keep"),
        ({"beta_powers": np.zeros(4)}, ValueError, "does not keep"),
        ({"exp_avg": np.zeros(3)}, ValueError, r"optimizer_state\['exp_avg'\] must have shape \(4,\)"),
        ({"exp_avg": [np.nan, 0, 0, 0]}, ValueError, "NaN"),
        ({"step": -1}, ValueError, "step"),
        ([1, 2], TypeError, "mapping or a torch.optim optimizer"),
    ],
)
def test_bad_states_are_refused_naming_the_entry(state, error, message):
    with pytest.raises(error, match=message):
        fastopt.fit(X, Y, "adam", epochs=1, optimizer_state=state)


def test_a_state_of_the_runs_history_cannot_resume():
    start = fastopt.fit(X, Y, "sgd_schedule_free", epochs=1, **RUN)
    with pytest.raises(ValueError, match="sgd_schedule_free cannot resume after 8 updates"):
        fastopt.fit(X, Y, "sgd_schedule_free", epochs=1, optimizer_state=start.optimizer_state)
    with pytest.raises(ValueError, match="standardize=False"):
        fastopt.fit(X, Y, "adam", epochs=1, standardize=True, optimizer_state={"step": 0})
