"""Shared pieces of the benchmark suite: data and a side-by-side ratio report.

Run with ``python -m pytest bench --benchmark-enable`` (the default test run
disables benchmarks). Benchmarks record their per-epoch medians here, and the
terminal summary prints the speed-up over the NumPy reference measured in the
same run.
"""

from __future__ import annotations

import pytest

from fastopt.datasets import tutorial_split

PER_EPOCH: dict[tuple[str, str], float] = {}  # (implementation, method) -> median seconds per epoch
SCALING: list[tuple[str, int, int, float]] = []  # (kind, rows, features, median seconds per epoch)
SWEEP: dict[str, float] = {}  # name -> median seconds (or ms per configuration)
FIXED_COST: dict[str, float] = {}  # case -> median seconds of a fit call that runs no epoch


@pytest.fixture(scope="session")
def split():
    return tutorial_split()


def record_per_epoch(benchmark, implementation: str, method: str, epochs: int) -> None:
    """Keep the median seconds per epoch of the benchmark that just ran."""
    if benchmark.stats is None:  # --benchmark-disable
        return
    per_epoch = benchmark.stats.stats.median / epochs
    benchmark.extra_info["seconds_per_epoch"] = per_epoch
    PER_EPOCH[implementation, method] = per_epoch


def pytest_terminal_summary(terminalreporter):
    methods = sorted({method for _, method in PER_EPOCH})
    rows = []
    for method in methods:
        fast = PER_EPOCH.get(("fastopt", method))
        if not fast:
            continue
        cells = [f"{method:<10}", f"{fast * 1e6:>10.1f} us"]
        for other in ("reference", "torch", "jax"):
            slow = PER_EPOCH.get((other, method))
            cells.append(f"{slow * 1e3:>10.2f} ms {slow / fast:>7.2f}x" if slow else f"{'-':>21}")
        rows.append(" ".join(cells))
    if rows:
        terminalreporter.section("per epoch, medians of this run: fastopt, NumPy reference, torch.optim, JAX + optax")
        terminalreporter.write_line(
            f"{'method':<10} {'fastopt':>13} {'reference (speed-up)':>21} {'torch (speed-up)':>21} {'JAX (speed-up)':>21}"
        )
        for row in rows:
            terminalreporter.write_line(row)
    sgd = PER_EPOCH.get(("every method", "sgd"))
    if sgd:
        terminalreporter.section("every method per epoch at its defaults, over SGD's (same run)")
        for (implementation, method), seconds in PER_EPOCH.items():
            if implementation == "every method":
                terminalreporter.write_line(f"{method:<22} {seconds * 1e6:8.1f} us {seconds / sgd:6.2f}x")
    if FIXED_COST:
        terminalreporter.section("fixed cost of one fit call (epochs=0, medians)")
        for case, seconds in FIXED_COST.items():
            terminalreporter.write_line(f"{case:<14} {seconds * 1e3:8.3f} ms")
    if SCALING:
        terminalreporter.section("scaling: seconds per epoch (adam, batch 64)")
        terminalreporter.write_line(f"{'rows':>10} {'features':>8} {'per epoch':>12} {'ns per row x (d+1)':>19}")
        for kind, n, d, per_epoch in SCALING:
            terminalreporter.write_line(
                f"{n:>10,} {d:>8} {per_epoch * 1e3:>9.3f} ms {per_epoch / (n * (d + 1)) * 1e9:>19.3f}"
            )
    if SWEEP:
        terminalreporter.section("sweeps (medians)")
        for name, value in SWEEP.items():
            unit = "ms" if "(ms)" in name else "s"
            terminalreporter.write_line(f"{name:<45} {value:>9.3f} {unit}")
        sequential = SWEEP.get("64 fits one after another")
        for name in ("sweep, 2 threads", "sweep, 1 thread"):
            if sequential and name in SWEEP:
                terminalreporter.write_line(
                    f"speed-up of '{name}' over the 64 fits one after another: {sequential / SWEEP[name]:.2f}x"
                )
        alone = SWEEP.get("sweep, 1 thread, no permutation sharing")
        if alone and "sweep, 1 thread" in SWEEP:
            terminalreporter.write_line(
                f"permutation sharing gains (1 thread): {alone / SWEEP['sweep, 1 thread']:.2f}x"
            )
