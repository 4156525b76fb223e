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
        reference = PER_EPOCH.get(("reference", method))
        if fast and reference:
            rows.append(
                f"{method:<10} {fast * 1e6:>10.1f} us {reference * 1e3:>10.2f} ms {reference / fast:>9.0f}x"
            )
    if rows:
        terminalreporter.section("fastopt vs NumPy reference, per epoch (medians of this run)")
        terminalreporter.write_line(f"{'method':<10} {'fastopt':>13} {'reference':>13} {'speed-up':>10}")
        for row in rows:
            terminalreporter.write_line(row)
