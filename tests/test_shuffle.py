"""The kernel-owned generator shuffles uniformly and reproducibly."""

from __future__ import annotations

import itertools
import math

import numpy as np

from fastopt.engine.shuffle import new_state, shuffle


def test_shuffle_is_a_permutation_and_deterministic():
    state_a = new_state(np.random.SeedSequence(1))
    state_b = state_a.copy()
    a = np.arange(1000, dtype=np.uint32)
    b = a.copy()
    shuffle(a, state_a)
    shuffle(b, state_b)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.sort(a), np.arange(1000))
    assert not np.array_equal(a, np.arange(1000))
    np.testing.assert_array_equal(state_a, state_b)


def test_different_seeds_give_different_streams():
    first = [new_state(np.random.SeedSequence(s)) for s in range(5)]
    assert len({tuple(s) for s in first}) == 5


def test_all_permutations_equally_likely():
    # 4 items: 24 permutations, 48,000 shuffles -> 2,000 expected per cell.
    state = new_state(np.random.SeedSequence(2024))
    cells = {p: 0 for p in itertools.permutations(range(4))}
    index = np.arange(4, dtype=np.uint32)
    draws = 48_000
    for _ in range(draws):
        shuffle(index, state)  # cumulative, as the kernel does: still uniform each time
        cells[tuple(int(i) for i in index)] += 1
    expected = draws / 24
    chi2 = sum((count - expected) ** 2 / expected for count in cells.values())
    # 23 degrees of freedom: P(chi2 > 49.7) = 0.001.
    assert chi2 < 49.7, chi2
    assert math.isclose(sum(cells.values()), draws)


def test_large_bounds_cover_the_range():
    state = new_state(np.random.SeedSequence(3))
    index = np.arange(100_003, dtype=np.uint32)
    shuffle(index, state)
    # Every position is equally likely to receive any element: the mean of the
    # first 1000 positions' values is near the middle.
    assert abs(index[:1000].mean() - 50_001) < 3 * 28_868 / math.sqrt(1000)
