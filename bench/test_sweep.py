"""Sweeps: 64 configurations x 1,000 epochs on the diamonds training split, and tiny-problem overhead.

Targets (2 cores): the sweep at least 1.8x faster than the same 64 fits one
after another; under 1 ms of overhead per configuration on a 100-row,
1-epoch problem. Also measured: what sharing each epoch's permutation
between configurations with the same seed gains (one thread, sharing on and
off).
"""

from __future__ import annotations

import pytest

import fastopt
from fastopt.api.sweep import expand_grid

from conftest import SWEEP

GRID = {
    "method": ["sgd", "momentum", "rmsprop", "adam"],
    "learning_rate": [1e-3, 3e-3, 1e-2, 3e-2],
    "batch_size": [32, 64],
    "seed": [0, 1],
}  # 64 configurations
EPOCHS = 1000


def sequential(split):
    for config in expand_grid(GRID):
        fastopt.fit(split.x_train, split.y_train, epochs=EPOCHS, stopping_threshold=0, **{"seed": 0, **config})


def run_sweep(split, **kwargs):
    return fastopt.sweep(split.x_train, split.y_train, GRID, epochs=EPOCHS, stopping_threshold=0, progress=False,
                         **kwargs)  # fmt: skip


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("sweep, 2 threads", dict(n_jobs=2)),
        ("sweep, 1 thread", dict(n_jobs=1)),
        ("sweep, 1 thread, no permutation sharing", dict(n_jobs=1, share_permutations=False)),
    ],
)
def test_sweep_64_configurations(benchmark, split, name, kwargs):
    benchmark.group = "64 configurations x 1,000 epochs (diamonds)"
    run_sweep(split, **kwargs)  # compile
    benchmark.pedantic(run_sweep, args=(split,), kwargs=kwargs, rounds=3)
    if benchmark.stats is not None:
        SWEEP[name] = benchmark.stats.stats.median


def test_same_64_fits_one_after_another(benchmark, split):
    benchmark.group = "64 configurations x 1,000 epochs (diamonds)"
    benchmark.pedantic(sequential, args=(split,), rounds=3, warmup_rounds=1)
    if benchmark.stats is not None:
        SWEEP["64 fits one after another"] = benchmark.stats.stats.median


def test_overhead_per_configuration(benchmark, split):
    benchmark.group = "overhead: 1,000 configurations, 100 rows, 1 epoch"
    grid = {"method": ["sgd", "adam"], "learning_rate": [1e-3 * (i + 1) for i in range(50)], "seed": range(10)}
    x, y = split.x_train[:100], split.y_train[:100]
    fastopt.sweep(x, y, grid, epochs=1, progress=False)
    benchmark.pedantic(fastopt.sweep, args=(x, y, grid), kwargs=dict(epochs=1, progress=False), rounds=5)
    if benchmark.stats is not None:
        SWEEP["per-configuration overhead (ms)"] = benchmark.stats.stats.median / 1000 * 1e3
