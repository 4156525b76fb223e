"""Threads, long runs, extreme magnitudes and Numba's on-disk cache."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numba
import numpy as np
import pytest

import fastopt

from conftest import linear_problem

X, Y = linear_problem(2000, 3, seed=12)
CONFIGS = [
    dict(method=method, learning_rate=lr, seed=seed, epochs=25, batch_size=32, stopping_threshold=0)
    for method in fastopt.METHODS
    for lr, seed in [(1e-3, 1), (1e-2, 2)]
]  # 14 fits


def run(config):
    return fastopt.fit(X, Y, **config)


@pytest.mark.jit  # about the compiled, GIL-free kernels; slow as plain Python
def test_fit_from_eight_threads_equals_serial():
    serial = [run(c) for c in CONFIGS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            threaded = list(pool.map(run, CONFIGS + CONFIGS))
            for a, b in zip(serial + serial, threaded, strict=True):
                np.testing.assert_array_equal(a.params, b.params)
                np.testing.assert_array_equal(a.loss_history, b.loss_history)


@pytest.mark.jit
def test_sweep_from_two_threads_equals_serial():
    grid = {"method": ["sgd", "adam", "nesterov"], "learning_rate": [1e-3, 1e-2], "seed": range(3)}

    def go(_):
        return fastopt.sweep(X, Y, grid, epochs=15, n_jobs=2, progress=False)

    serial = go(None)
    with ThreadPoolExecutor(max_workers=2) as pool:
        tables = list(pool.map(go, range(2)))
    for table in tables:
        np.testing.assert_array_equal(np.stack(table["params"]), np.stack(serial["params"]))
        assert table.drop(columns=["params", "runtime_s"]).equals(serial.drop(columns=["params", "runtime_s"]))


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads resident memory from /proc (Linux)")
@pytest.mark.jit
def test_a_thousand_fits_do_not_grow_memory():
    x, y = linear_problem(500, 2, seed=1)
    for _ in range(200):  # warm up caches and allocator pools
        fastopt.fit(x, y, "adam", epochs=3, seed=0)
    before = rss_bytes()
    for i in range(1000):
        fastopt.fit(x, y, fastopt.METHODS[i % len(fastopt.METHODS)], epochs=3, seed=i, record_path=True)
    grown = rss_bytes() - before
    assert grown < 8 * 2**20, f"resident memory grew by {grown / 2**20:.1f} MiB over 1,000 fits"


@pytest.mark.parametrize("scale", [1e150, 1e160, 1e300])
@pytest.mark.parametrize("method", fastopt.METHODS)
def test_huge_magnitudes_that_overflow_are_reported_as_diverged(method, scale):
    x = np.linspace(-1, 1, 50) * scale
    y = 3 * x
    kwargs = {"clip_value": None} if "clip_value" in fastopt.methods.get_method(method).defaults else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fastopt.fit(x, y, method, learning_rate=0.1, epochs=50, seed=0, stopping_threshold=0, **kwargs)
    with np.errstate(over="ignore"):
        losses_overflow = not np.isfinite(np.mean((x * 3) ** 2))
    if result.status == "diverged":
        assert any("diverged" in str(w.message) for w in caught)
    else:
        # Not an overflow: the run stayed within float64 and says so with finite numbers.
        assert not losses_overflow and np.isfinite(result.params).all() and np.isfinite(result.loss_history).all()
    if losses_overflow or method in ("sgd", "momentum", "nesterov"):  # the unclipped SGD family blows up
        assert result.status == "diverged"


def test_tiny_magnitudes_stay_finite():
    x = np.linspace(-1, 1, 50) * 1e-150
    y = 3 * x + 1e-150
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow, no invalid value (the scale is warned about)
        for method in fastopt.METHODS:
            result = fastopt.fit(x, y, method, learning_rate=0.01, epochs=20, seed=0, stopping_threshold=0)
            assert result.status == "max_epochs"
            assert np.isfinite(result.params).all() and np.isfinite(result.loss_history).all()


def test_batch_larger_than_the_data_is_full_batch():
    x, y = linear_problem(30, 2, seed=2)
    a = fastopt.fit(x, y, "sgd", batch_size=31, epochs=5, seed=0)
    b = fastopt.fit(x, y, "sgd", batch_size=10**6, epochs=5, seed=0)
    np.testing.assert_array_equal(a.params, b.params)
    assert a.n_steps == 5


FIT_SCRIPT = """
import numpy as np, fastopt
x = np.linspace(-1, 1, 100)
print(repr(fastopt.fit(x, 2 * x + 1, "adam", epochs=20, seed=3).params.tolist()))
"""


def fit_in_new_process(env):
    result = subprocess.run([sys.executable, "-c", FIT_SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip(), result.stderr.strip()


@pytest.mark.slow
@pytest.mark.jit
def test_cache_folder_can_move_and_a_corrupted_cache_is_recompiled(tmp_path):
    """NUMBA_CACHE_DIR relocates the cache (read-only installs); garbage in it does not break a fit."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    first, notice = fit_in_new_process(env)
    assert "fastopt: compiling linear_epoch for first use" in notice  # an empty cache: a compile, announced
    cached = [p for p in tmp_path.rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert cached, "Numba wrote no cache files to NUMBA_CACHE_DIR"
    again, notice = fit_in_new_process(env)
    assert again == first and "compiling" not in notice  # loaded from the cache: no notice
    for path in cached:
        path.write_bytes(b"corrupted" * 10)
    assert fit_in_new_process(env)[0] == first


# A first fit in a new process whose cache misbehaves (set up by the prefix), recording every warning.
FIT_RECORDING_WARNINGS = """
import warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import numpy as np, fastopt
    r = fastopt.fit(np.linspace(-1, 1, 50), np.linspace(-1, 1, 50) * 2 + 1, "adam", epochs=5, seed=0,
                    stopping_threshold=0)
print(r.status, len(caught))
print(caught[0].message if caught else "")
"""
NO_LOCATOR = """
import numba.core.caching as caching
for cls in caching.CacheImpl._locator_classes:  # as on a read-only install with an unwritable home
    cls.from_function = classmethod(lambda cls, *args: None)
""" + FIT_RECORDING_WARNINGS
FULL_DISK = """
import errno
import numba.core.caching as caching
def full(self, *args):
    raise OSError(errno.ENOSPC, "No space left on device")
caching.IndexDataCacheFile._save_data = full
""" + FIT_RECORDING_WARNINGS


@pytest.mark.slow
@pytest.mark.jit
@pytest.mark.parametrize(
    "script, message",
    [
        (NO_LOCATOR, "Numba finds no writable folder for its cache"),
        (FULL_DISK, "could not save compiled code to Numba's cache (No space left on device)"),
    ],
    ids=["no-cache-folder", "full-disk"],
)
def test_fit_runs_with_one_warning_when_the_cache_cannot_be_written(tmp_path, script, message):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))  # empty: everything compiles, and is saved
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    status, warning = result.stdout.splitlines()
    assert status == "max_epochs 1" and message in warning


def test_fit_result_pickles_and_deep_copies():
    import copy
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    result = fastopt.fit(X, Y, "adamw", epochs=5, seed=0, record_path=True, schedule=fastopt.schedules.cosine(3))
    copies = [pickle.loads(pickle.dumps(result)), copy.deepcopy(result)]
    with ProcessPoolExecutor(1) as pool:
        copies.append(pool.submit(run, dict(method="adamw", epochs=5, seed=0, record_path=True,
                                            schedule=fastopt.schedules.cosine(3))).result())  # fmt: skip
    for other in copies:
        for field in ("method", "epochs_run", "n_steps", "status", "seed", "schedule", "model", "loss", "n_classes"):
            assert getattr(other, field) == getattr(result, field), field
        assert dict(other.hyperparameters) == dict(result.hyperparameters)
        for field in ("params", "loss_history", "init", "path"):
            np.testing.assert_array_equal(getattr(other, field), getattr(result, field))
            assert not getattr(other, field).flags.writeable
        with pytest.raises(TypeError):
            other.hyperparameters["learning_rate"] = 1.0  # type: ignore[index]


def test_sweep_history_memory_follows_the_epochs_run():
    """keep_history with a huge epoch budget and early stopping: memory for the epochs run, not the budget."""
    import tracemalloc

    tracemalloc.start()
    try:
        table = fastopt.sweep(X, Y, {"method": ["adam", "sgd"]}, epochs=10**8, stopping_threshold=1e-3,
                              keep_history=True, progress=False, n_jobs=1)  # fmt: skip
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (table["status"] == "stalled").all()
    assert peak < 50e6, f"peak {peak / 1e6:.0f} MB"  # 10**8 epochs of history would be 1.6 GB
    assert [len(h) for h in table["loss_history"]] == list(table["epochs_run"])


@pytest.mark.jit
def test_cache_entries_are_stamped_with_every_source_file(tmp_path):
    """An edit to any fastopt file (a rule inlined into a driver elsewhere) must recompile, not reuse stale code."""
    from fastopt.engine import jit
    from fastopt.engine.kernels import fit_kernel
    from fastopt.engine.linear import linear_epoch
    from fastopt.engine.specialise import compiled_variants

    fastopt.fit(np.linspace(0, 1, 20), np.linspace(0, 1, 20), "sgd", epochs=1)
    for dispatcher in (fit_kernel.dispatcher, next(iter(compiled_variants(linear_epoch).values()))):
        assert dispatcher._cache._cache_file._source_stamp[1] == jit._package_stamp()
    jit._package_stamp.cache_clear()
    try:
        copy = tmp_path / "fastopt"
        shutil.copytree(Path(jit.__file__).parents[1], copy, ignore=shutil.ignore_patterns("__pycache__"))
        jit_copy = importlib.util.spec_from_file_location("jit_copy", copy / "engine" / "jit.py")
        module = importlib.util.module_from_spec(jit_copy)
        jit_copy.loader.exec_module(module)
        original = jit._package_stamp()
        assert module._package_stamp() == original  # the copy's stamp covers the same files
        module._package_stamp.cache_clear()
        edited = copy / "methods" / "adam.py"  # a file in a subpackage
        edited.write_text(edited.read_text() + "\n# an edit\n")
        assert module._package_stamp() != original
    finally:
        jit._package_stamp.cache_clear()


@numba.njit(cache=True)
def _first_coordinate_only(params, X, y, rows, grad):
    """A user's gradient that writes grad[0] and leaves grad[1] as it finds it."""
    total = 0.0
    for r in rows:
        total += 2.0 * (params[0] * X[r, 0] - y[r]) * X[r, 0]
    grad[0] = total / len(rows)
    return 0.0


@numba.njit(cache=True)
def _first_coordinate_loss(params, X, y):
    return float(np.mean((params[0] * X[:, 0] - y) ** 2))


@numba.njit(cache=True)
def _first_coordinate_value(x, c):
    return (x[0] - 1.0) ** 2


@numba.njit(cache=True)
def _first_coordinate_gradient(x, c, grad):
    grad[0] = 2.0 * (x[0] - 1.0)
    return (x[0] - 1.0) ** 2


def test_a_gradient_that_leaves_entries_unwritten_sees_zeros_there():
    # The buffer is zeroed before every call: the unwritten coordinate never moves, in every run alike.
    X = np.linspace(-1, 1, 50).reshape(-1, 1)
    objective = fastopt.Objective(_first_coordinate_only, _first_coordinate_loss, n_params=2)
    runs = [fastopt.fit(X, 3 * X[:, 0], "adam", objective=objective, init=[0.0, 0.5], epochs=20, seed=4)
            for _ in range(6)]  # fmt: skip
    for fit in (runs[0], fastopt.reference.fit(X, 3 * X[:, 0], "adam", objective=objective, init=[0.0, 0.5],
                                               epochs=20, seed=4)):  # fmt: skip
        assert fit.params[1] == 0.5 and fit.params[0] != 0.0
    assert all(np.array_equal(run.params, runs[0].params) for run in runs)
    function = fastopt.functions.TestFunction("first", _first_coordinate_value, _first_coordinate_gradient, dim=2)
    path = fastopt.minimize(function, [0.0, 0.25], "adam", steps=50, learning_rate=0.1).path
    assert np.all(path[:, 1] == 0.25) and path[-1, 0] > 0.5


@numba.njit
def _writes_past_the_end(params, X, y, rows, grad):
    grad[params.shape[0]] = 1.0  # one past the end: the bug debug=True is for
    return 0.0


@numba.njit
def _reads_past_the_end(x, c):
    return x[x.shape[0]]


def test_debug_turns_an_index_out_of_range_into_an_index_error():
    X = np.linspace(-1, 1, 50).reshape(-1, 1)
    objective = fastopt.Objective(_writes_past_the_end, _first_coordinate_loss, n_params=2, debug=True)
    with pytest.raises(IndexError, match="out of bounds"):
        fastopt.fit(X, X[:, 0], "adam", objective=objective, epochs=2, seed=0)
    function = fastopt.functions.TestFunction("past", _reads_past_the_end, _first_coordinate_gradient, 2, debug=True)
    with pytest.raises(IndexError, match="out of bounds"):
        function([0.0, 0.0])
    # The user's own functions are untouched: the checked copies are separate, and not cached on disk.
    if not numba.config.DISABLE_JIT:  # as plain Python there is nothing to copy: Python checks indices
        assert objective.gradient is not _writes_past_the_end
        assert not _writes_past_the_end.targetoptions.get("boundscheck")


def test_centered_rmsprop_never_takes_the_square_root_of_a_rounding_negative_variance():
    # beta = 0: s = g**2 and a = a + (g - a), so s - a**2 is 0 up to rounding, and was once slightly negative
    # (NaN compiled, a ValueError as plain Python). Found by test_properties; this is its example.
    X = np.array([[0.34558419], [0.82161814], [0.33043708]])
    y = np.array([0.32125622, -0.43678525, -0.09169744])
    kwargs = dict(epochs=3, batch_size=1, stopping_threshold=0.0, seed=0, shuffle=False, learning_rate=0.0625,
                  beta=0.0, epsilon=1.0, weight_decay=0.0, momentum=0.0, centered=True)  # fmt: skip
    compiled = fastopt.fit(X, y, "rmsprop", **kwargs)
    reference = fastopt.reference.fit(X, y, "rmsprop", **kwargs)
    assert compiled.status == "max_epochs" and np.isfinite(compiled.params).all()
    # The reference updates a as beta * a + (1 - beta) * g, the kernel as torch does (a += (1 - beta)(g - a)):
    # the variance they cancel to is a few units of rounding of g**2, whose square root moves d = sqrt(.) + eps
    # by up to sqrt(4 u) |g| ~ 3e-8 |g| per step (|g| < 1 here): hence 1e-7, not the usual 1e-10.
    np.testing.assert_allclose(compiled.params, reference.params, rtol=1e-7)
