"""The whole ``fastopt compare`` command, and torch.optim side by side when installed.

Targets: ``fastopt compare --no-reference`` under 5 s with a warm Numba cache
and under 30 s on a first run that compiles; fastopt >= 1000x faster per
epoch than the torch.optim loop.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import fastopt
from fastopt.apps import peers
from fastopt.apps.benchmark import TUTORIAL_BATCH_SIZE, TUTORIAL_SETTINGS

from conftest import record_per_epoch

COMMAND = [sys.executable, "-m", "fastopt", "compare", "--no-reference", "--quiet"]


def test_compare_warm_cache(benchmark, tmp_path):
    benchmark.group = "fastopt compare --no-reference (whole command)"
    subprocess.run(COMMAND, check=True, capture_output=True)  # warm the cache
    benchmark.pedantic(subprocess.run, args=(COMMAND,), kwargs=dict(check=True, capture_output=True), rounds=3)


def test_compare_first_run_compiles(benchmark, tmp_path_factory):
    benchmark.group = "fastopt compare --no-reference (whole command)"

    def first_run():
        # An empty cache folder: Numba compiles every kernel, as on a fresh install.
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path_factory.mktemp("numba-cache")))
        subprocess.run(COMMAND, check=True, capture_output=True, env=env)

    benchmark.pedantic(first_run, rounds=2)


TORCH_EPOCHS = 10


@pytest.mark.skipif(not peers.installed("torch"), reason="torch is not installed (pip install torch==2.13.0)")
@pytest.mark.parametrize("method", list(TUTORIAL_SETTINGS))
def test_torch_per_epoch(benchmark, split, method):
    benchmark.group = f"torch.optim loop, {TORCH_EPOCHS} epochs"
    reference = fastopt.fit(split.x_train, split.y_train, method, epochs=0, seed=0, **TUTORIAL_SETTINGS[method])
    benchmark.pedantic(
        peers.torch_fit, args=(split.x_train, split.y_train, method, reference.hyperparameters),
        kwargs=dict(epochs=TORCH_EPOCHS, batch_size=TUTORIAL_BATCH_SIZE, init=reference.init, seed=0),
        rounds=3, warmup_rounds=1,
    )  # fmt: skip
    record_per_epoch(benchmark, "torch", method, TORCH_EPOCHS)
