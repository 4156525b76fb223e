"""Ctrl-C: every long run stops within a second, leaves no thread behind and no partial file.

Each test starts a child process, waits until its run is under way, sends
SIGINT and measures, in the child, how long ``KeyboardInterrupt`` took to
arrive (wall clock, shared by both processes).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = [
    pytest.mark.jit,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX"),
]

PRELUDE = """
import sys, threading, time, numpy as np, fastopt
x = np.linspace(-1, 1, 2000)
y = 2 * x + 1
def ready():
    print("ready", flush=True)
def report():
    # Non-daemon threads: the main one and any worker still running (tqdm's monitor is a daemon).
    threads = sum(not t.daemon for t in threading.enumerate())
    print(f"interrupted {time.time():.6f} threads {threads}", flush=True)
"""


def interrupt(body: str, delay: float = 0.5) -> tuple[float, int, str]:
    """Run ``body`` in a child; SIGINT ``delay`` s after it prints "ready"; return (latency, threads, stdout)."""
    child = subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "ready", line + child.stderr.read()
        time.sleep(delay)
        sent = time.time()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    words = [line for line in out.splitlines() if line.startswith("interrupted")]
    assert words, f"no KeyboardInterrupt reached the run:\n{out}\n{err}"
    _, caught, _, threads = words[0].split()
    return float(caught) - sent, int(threads), out


def test_fit_stops_within_a_second():
    latency, _, _ = interrupt("""
        fastopt.fit(x, y, "adam", epochs=3, seed=0)  # compiled, or loaded from the cache
        ready()
        try:
            fastopt.fit(x, y, "adam", epochs=10_000_000, stopping_threshold=0, seed=0)
        except KeyboardInterrupt:
            report()
    """)
    assert latency < 1.0


def test_network_fit_stops_within_a_second():
    latency, _, _ = interrupt("""
        X = np.random.default_rng(0).normal(size=(5000, 10))
        fastopt.fit(X, X[:, 0], "adam", model=fastopt.MLP((50,)), epochs=1, seed=0)
        ready()
        try:
            fastopt.fit(X, X[:, 0], "adam", model=fastopt.MLP((50,)), epochs=1_000_000, stopping_threshold=0, seed=0)
        except KeyboardInterrupt:
            report()
    """)
    assert latency < 1.0


def test_reference_fit_stops_within_a_second():
    latency, _, _ = interrupt("""
        # Its helpers are compiled (the shuffle): load them first, as a Ctrl-C that lands in Numba's loading
        # of cached code is swallowed by llvmlite's callback (CI once sent it there).
        fastopt.reference.fit(x, y, "adam", epochs=1, seed=0)
        ready()
        try:
            fastopt.reference.fit(x, y, "adam", epochs=10_000_000, stopping_threshold=0, seed=0)
        except KeyboardInterrupt:
            report()
    """)
    assert latency < 1.0


def test_threaded_sweep_stops_every_thread_within_a_second():
    latency, threads, _ = interrupt("""
        grid = {"method": ["adam", "sgd", "rmsprop", "momentum"], "seed": [0, 1, 2, 3]}
        fastopt.sweep(x, y, grid, epochs=2, n_jobs=2, progress=False)
        ready()
        try:
            fastopt.sweep(x, y, grid, epochs=10_000_000, stopping_threshold=0, n_jobs=2, progress=False)
        except KeyboardInterrupt:
            report()
    """)
    assert latency < 1.0
    assert threads == 1  # no worker thread still running


def test_dask_sweep_stops_within_a_second():
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    latency, _, out = interrupt(
        """
        import distributed
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
        client = distributed.Client(cluster)
        grid = {"method": ["adam", "sgd"], "seed": [0, 1]}
        fastopt.sweep(x, y, grid, epochs=2, client=client, progress=False)
        ready()
        try:
            fastopt.sweep(x, y, grid, epochs=10_000_000, stopping_threshold=0, client=client, progress=False)
        except KeyboardInterrupt:
            report()
        # The workers stopped between chunks: the client is free for the next sweep at once.
        start = time.perf_counter()
        again = fastopt.sweep(x, y, grid, epochs=5, client=client, progress=False)
        print(f"next sweep {time.perf_counter() - start:.3f} s, {len(again)} rows", flush=True)
        client.close(); cluster.close()
        """,
        delay=1.0,
    )
    assert latency < 1.0
    next_sweep = next(line for line in out.splitlines() if line.startswith("next sweep"))
    assert float(next_sweep.split()[2]) < 5.0 and next_sweep.endswith("4 rows")


@pytest.mark.parametrize(
    "command",
    [
        ["compare", "--methods", "adam", "--epochs", "100000000", "--no-reference"],
        ["compare", "--model", "mlp", "--methods", "adam", "--epochs", "1000000", "--no-reference"],
        ["sweep", "--method", "adam", "--seeds", "2", "--epochs", "100000000", "--stopping-threshold", "0"],
    ],
    ids=["compare", "compare-mlp", "sweep"],
)
def test_command_line_exits_130_with_one_line_and_no_files(tmp_path, command):
    # The same command for one epoch first, so that the compiled code is in the cache (a fresh install
    # has none, and a Ctrl-C inside Numba's compiler may be lost): the interrupt below then lands in the run.
    warm = [part if part not in ("100000000", "1000000") else "1" for part in command]
    subprocess.run([sys.executable, "-m", "fastopt", *warm, "--quiet"], capture_output=True, timeout=600,
                   cwd=tmp_path, check=True)  # fmt: skip
    out = tmp_path / "out"
    child = subprocess.Popen(
        [sys.executable, "-m", "fastopt", *command, "--quiet", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Past start-up (imports, data, compiled code from the cache) and into the run, which this test is about:
    # start-up takes about 4 s on a slow day of the 2-core machine. (A Ctrl-C during Numba's loading of cached
    # code, once lost there, is the test above's.)
    time.sleep(15.0)
    sent = time.perf_counter()
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    exited = time.perf_counter() - sent
    assert child.returncode == 130, err
    assert err.strip() == f"fastopt {command[0]}: interrupted"
    assert exited < 1.5  # the interrupt within 1 s, plus the interpreter's own exit
    assert list(out.iterdir()) == []  # nothing written, nothing half-written


# The callback's dropped KeyboardInterrupt is what the test stages: pytest reports it as unraisable.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_ctrl_c_dropped_while_numba_loads_code_is_raised_after_the_load():
    """Numba rebuilds cached code in llvmlite's ctypes callbacks, which print and drop an exception: a Ctrl-C
    landing there must not be lost (a ctypes callback that receives SIGINT stands in for llvmlite's)."""
    import ctypes

    from fastopt.engine import jit, kernels

    callback = ctypes.CFUNCTYPE(None)(lambda: signal.raise_signal(signal.SIGINT))
    with pytest.raises(KeyboardInterrupt), jit.keeping_ctrl_c():
        callback()  # prints "Exception ignored on calling ctypes callback function" and returns
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with jit.keeping_ctrl_c():  # no Ctrl-C, no KeyboardInterrupt
        pass
    # Every compiled function of fastopt loads from the cache that way.
    assert type(kernels.fit_kernel.dispatcher._cache) is jit._KeepsCtrlC
