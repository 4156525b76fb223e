"""How the cost of an epoch grows with rows (10^3 .. 10^6) and features (1 .. 64).

Each benchmark records seconds per epoch and per row-feature in extra_info;
the summary prints them, so linear growth shows as a flat last column.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastopt

from conftest import SCALING

ROWS = [1_000, 10_000, 100_000, 1_000_000]
FEATURES = [1, 2, 4, 8, 16, 32, 64]


def problem(n: int, d: int):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    return X, X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)


def timed_fit(benchmark, n: int, d: int, kind: str):
    X, y = problem(n, d)
    epochs = max(3, int(3e7 // (n * (d + 1))))  # about a tenth of a second per run
    result = benchmark.pedantic(
        fastopt.fit, args=(X, y, "adam"),
        kwargs=dict(learning_rate=1e-3, epochs=epochs, batch_size=64, stopping_threshold=0, seed=0),
        rounds=3, warmup_rounds=1,
    )  # fmt: skip
    assert result.epochs_run == epochs
    if benchmark.stats is not None:
        per_epoch = benchmark.stats.stats.median / epochs
        benchmark.extra_info.update(seconds_per_epoch=per_epoch, ns_per_row_feature=per_epoch / (n * (d + 1)) * 1e9)
        SCALING.append((kind, n, d, per_epoch))


@pytest.mark.parametrize("n", ROWS)
def test_rows(benchmark, n):
    benchmark.group = "scaling: rows (1 feature, adam, batch 64)"
    timed_fit(benchmark, n, 1, "rows")


@pytest.mark.parametrize("d", FEATURES)
def test_features(benchmark, d):
    benchmark.group = "scaling: features (16,000 rows, adam, batch 64)"
    timed_fit(benchmark, 16_000, d, "features")
