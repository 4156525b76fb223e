"""First use: a new process with an empty Numba cache imports fastopt and makes its first call.

Target (issue 21, item 4): at most 5 s each for the line with Adam, the
tutorial's MLP with Adam and ``minimize("rosenbrock", ..., "adam")``; the
driver compiles only the model kind and the rule the call uses (see
``fastopt/engine/variants.py``). Each round gets a fresh, empty cache folder.
The cached cold start (the same process, cache filled) is in
``test_core.py::test_cold_start_with_warm_cache``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CALLS = {
    "line, adam": "x = np.linspace(-1, 1, 1000); fastopt.fit(x, 2 * x + 1, 'adam', epochs=5, seed=0)",
    "MLP 10-50-1, adam": (
        "X = np.random.default_rng(0).normal(size=(1000, 10)); "
        "fastopt.fit(X, X[:, 0], 'adam', model=fastopt.MLP((50,)), epochs=2, seed=0)"
    ),
    "minimize rosenbrock, adam": "fastopt.minimize('rosenbrock', [-1.0, 1.0], 'adam', steps=100)",
}


@pytest.mark.parametrize("case", list(CALLS))
def test_first_use_with_an_empty_cache(benchmark, tmp_path_factory, case):
    benchmark.group = "first use, empty Numba cache"
    command = [sys.executable, "-W", "ignore", "-c", f"import numpy as np, fastopt; {CALLS[case]}"]

    def fresh_cache():
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path_factory.mktemp("numba-cache")))
        return (command,), {"check": True, "env": env, "capture_output": True}

    benchmark.pedantic(subprocess.run, setup=fresh_cache, rounds=3)
