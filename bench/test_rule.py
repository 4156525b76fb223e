"""A user's Adam (a fastopt.Rule) against the built-in Adam: the tutorial's line and the tutorial's network.

Targets (issue 22): within 1.3x of the built-in per epoch on the line, 1.1x on
the network. ``test_*_round_by_round`` alternate the two in one process
(the host's load drifts within seconds) and print the median ratio of 12
rounds; the pytest-benchmark tests keep the absolute times.

    python -m pytest bench/test_rule.py -s
"""

from __future__ import annotations

import math
import time

import numba
import numpy as np
import pytest

import fastopt
from fastopt.apps.benchmark import TUTORIAL_BATCH_SIZE

ROWS, FEATURES, BATCH = 16_000, 10, 32
LINE_EPOCHS, NETWORK_EPOCHS = 2_000, 10


@numba.njit(cache=True, error_model="numpy")
def adam_step(params, grad, state, lr, hp, t):
    """Adam as a user would write it after the docs: b**t as running products in state[2], flushed to 0."""
    b1, b2, eps = hp[1], hp[2], hp[3]
    m, v, powers = state[0], state[1], state[2]
    if t == 1:
        powers[0], powers[1] = b1, b2
    else:
        powers[0] = powers[0] * b1 if powers[0] >= 2.0**-60 else 0.0
        powers[1] = powers[1] * b2 if powers[1] >= 2.0**-60 else 0.0
    step_size = lr / (1.0 - powers[0])
    root = math.sqrt(1.0 - powers[1])
    for i in range(params.shape[0]):
        g = grad[i]
        m[i] = b1 * m[i] + (1.0 - b1) * g
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        params[i] -= step_size * (m[i] / (math.sqrt(v[i]) / root + eps))


MY_ADAM = fastopt.Rule(
    "my_adam",
    adam_step,
    hyperparameters={"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    state=("exp_avg", "exp_avg_sq", "powers"),
)


@pytest.fixture(scope="module")
def line():
    split = fastopt.datasets.tutorial_split()
    return split.x_train, split.y_train


@pytest.fixture(scope="module")
def network_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(ROWS, FEATURES))
    return X, np.tanh(X @ rng.normal(size=FEATURES)) + 0.1 * rng.normal(size=ROWS)


def _line_fit(data, method):
    return fastopt.fit(*data, method, epochs=LINE_EPOCHS, batch_size=TUTORIAL_BATCH_SIZE, stopping_threshold=0,
                       seed=0, learning_rate=0.01)  # fmt: skip


def _network_fit(data, method):
    return fastopt.fit(*data, method, model=fastopt.MLP(hidden=(50,)), epochs=NETWORK_EPOCHS, batch_size=BATCH,
                       stopping_threshold=0, seed=0, learning_rate=0.001)  # fmt: skip


@pytest.mark.parametrize("method", ["adam", "my_adam"])
def test_line_per_epoch(benchmark, line, method):
    benchmark.group = f"a user's Adam: the line, {LINE_EPOCHS:,} epochs, batch 64"
    chosen = MY_ADAM if method == "my_adam" else method
    _line_fit(line, chosen)
    benchmark.pedantic(_line_fit, args=(line, chosen), rounds=5)


@pytest.mark.parametrize("method", ["adam", "my_adam"])
def test_network_per_epoch(benchmark, network_data, method):
    benchmark.group = f"a user's Adam: the network 10-50-1, {NETWORK_EPOCHS} epochs, batch 32"
    chosen = MY_ADAM if method == "my_adam" else method
    _network_fit(network_data, chosen)
    benchmark.pedantic(_network_fit, args=(network_data, chosen), rounds=5)


def _round_by_round(run, data, label, target):
    run(data, "adam"), run(data, MY_ADAM)  # compile or load, outside the timings
    ratios = []
    for _ in range(12):
        began = time.perf_counter()
        run(data, "adam")
        built_in = time.perf_counter() - began
        began = time.perf_counter()
        run(data, MY_ADAM)
        ratios.append((time.perf_counter() - began) / built_in)
    median = float(np.median(ratios))
    print(f"\n{label}: the user's Adam over the built-in, median of 12 rounds {median:.3f} "
          f"(range {min(ratios):.3f}-{max(ratios):.3f}; target <= {target})")  # fmt: skip
    a, b = run(data, "adam"), run(data, MY_ADAM)
    np.testing.assert_allclose(b.params, a.params, rtol=1e-10)  # the same algorithm, or the timing means nothing


def test_line_round_by_round(line):
    _round_by_round(_line_fit, line, "line", 1.3)


def test_network_round_by_round(network_data):
    _round_by_round(_network_fit, network_data, "network", 1.1)
