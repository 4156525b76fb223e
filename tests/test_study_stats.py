"""The study's statistics: the paired test against the best, Holm's correction, ties."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy", reason="the study extra is not installed")

from fastopt.apps.study_stats import ALPHA, compare_with_best, holm, paired_p_value  # noqa: E402

SEEDS = range(10)


def test_a_method_worse_on_every_seed_is_worse_and_one_equal_to_the_best_is_tied():
    rng = np.random.default_rng(0)
    best = rng.normal(size=10)
    assert paired_p_value(best + 0.1, best) == pytest.approx(2.0**-10)  # all ten differences positive: exact
    assert paired_p_value(best, best) == 1.0  # no difference has a sign
    assert paired_p_value(best - 0.1, best) == pytest.approx(1.0)  # better, not worse
    noise = paired_p_value(best + 0.1 * rng.normal(size=10), best)
    assert 0.05 < noise < 0.95  # differences of either sign: no evidence either way


def test_a_diverged_seed_counts_as_the_largest_difference():
    best = np.arange(8.0)
    worse = best + 1.0
    worse[3] = np.inf  # diverged there
    assert paired_p_value(worse, best) == pytest.approx(2.0**-8)
    both = np.full(8, np.inf)
    assert paired_p_value(both, both) == 1.0  # every seed diverged for both: left out


def test_holm_multiplies_the_smallest_p_value_by_the_family_size_and_stays_monotone():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(holm([0.5, 0.9]), [1.0, 1.0])
    assert holm([]).shape == (0,)


def test_compare_with_best_names_the_leader_and_ties():
    rng = np.random.default_rng(1)
    base = rng.normal(10, 1, size=10)
    tests = {
        "a": dict(zip(SEEDS, base, strict=True)),
        "b": dict(zip(SEEDS, base + 1.0, strict=True)),  # worse on every seed
        "c": dict(zip(SEEDS, base + rng.normal(0, 0.05, size=10), strict=True)),  # noise around a
    }
    best, p = compare_with_best(tests)
    assert best in ("a", "c") and np.isnan(p[best])
    assert p["b"] < ALPHA  # worse, after Holm's factor of 2
    other = "c" if best == "a" else "a"
    assert p[other] >= ALPHA  # tied
    nothing, p = compare_with_best({"a": {0: np.inf}, "b": {0: np.inf}})
    assert nothing is None and all(np.isnan(v) for v in p.values())


def test_across_problems_ranks_tests_and_names_the_pairs_beyond_the_critical_difference():
    import pandas as pd

    from fastopt.apps.study_stats import across_problems, critical_difference, friedman

    rows = [dict(problem=f"p{i}", schedule="constant", method=m, test_median=value + i)
            for i in range(6) for m, value in (("a", 1.0), ("b", 2.0), ("c", 3.0))]  # fmt: skip
    summary = across_problems(pd.DataFrame(rows))["constant"]
    assert summary["average_ranks"] == {"a": 1.0, "b": 2.0, "c": 3.0}
    # Demšar's table: q_0.05 = 2.343 for 3 methods, so CD = 2.343 sqrt(3 * 4 / (6 * 6)) = 1.353
    assert summary["critical_difference"] == pytest.approx(2.343 * np.sqrt(12 / 36), rel=1e-3)
    assert critical_difference(6, 1) == pytest.approx(2.850 * np.sqrt(42 / 6), rel=1e-3)
    assert summary["different"] == [("a", "c")]  # a-b and b-c are 1 apart: within the CD
    assert summary["friedman_p"] == 0.0  # every problem ranks them alike
    assert np.isnan(friedman(np.ones((4, 2))))  # two methods: the test needs three
    rng = np.random.default_rng(0)
    assert friedman(rng.normal(size=(8, 4))) > ALPHA  # noise: no difference


def test_differences_within_the_equivalence_margin_are_ties_however_consistent():
    """Two methods in the same local minimum (Rastrigin's 7.96), apart by rounding on every seed: tied."""
    from fastopt.apps.study_stats import EQUIVALENCE

    best = 7.9597 + 1e-6 * np.arange(10)
    tests = {"a": dict(zip(SEEDS, best)), "b": dict(zip(SEEDS, best + 2e-5)),
             "c": dict(zip(SEEDS, best * (1 + 3 * EQUIVALENCE)))}  # fmt: skip
    leader, p = compare_with_best(tests)
    assert leader == "a" and p["b"] == 1.0 and p["c"] < ALPHA  # 2e-5 is within the margin, 0.3 % is not
    assert paired_p_value(best + 2e-5, best) < ALPHA  # without the margin the test calls it worse
