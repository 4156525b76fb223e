"""The statistics of a study: which methods are tied with the best on a problem, and which are worse.

On one problem and schedule every method's tuned reruns share their seeds,
so each method is compared with the best one (the lowest test median) seed
by seed: the Wilcoxon signed-rank test of the paired differences
``method - best`` of the test metric, one-sided (is the method worse?),
with Holm's correction across the methods compared on that problem. A
method is *tied with the best* unless its corrected p-value is below
:data:`ALPHA`. With ``s`` seeds the smallest possible p-value is ``2**-s``:
with fewer than 5 seeds nothing can be told apart, and the report says so
by calling every method tied.

Differences smaller than :data:`EQUIVALENCE` times the best's median
(in absolute value) count as no difference: a method 0.001 % above the best
on every seed (two runs settling in the same local minimum, apart by
rounding) is tied with it, however consistent the sign.

A seed on which a run diverged scores ``inf``; the test uses ranks, so it
counts as the largest difference. A seed on which both diverged is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..io.extras import require

__all__ = [
    "ALPHA",
    "EQUIVALENCE",
    "paired_p_value",
    "holm",
    "compare_with_best",
    "average_ranks",
    "friedman",
    "critical_difference",
    "performance_profile",
    "across_problems",
    "kendall_tau",
]

#: The significance level of "worse than the best" (after Holm's correction).
ALPHA = 0.05
#: Paired differences below this fraction of the best method's median test metric are practically none.
EQUIVALENCE = 1e-3


def paired_p_value(method: np.ndarray, best: np.ndarray, margin: float = 0.0) -> float:
    """One-sided Wilcoxon signed-rank p-value that ``method`` is worse (larger) than ``best``, seed by seed.

    ``method`` and ``best`` hold the test metric of the same seeds in the
    same order. Differences of 0 carry no sign and are dropped (Wilcoxon's
    own rule), and so are those of at most ``margin`` in absolute value; no
    difference left gives 1.
    """
    stats = require("scipy.stats", "the study's statistics", "study")
    with np.errstate(invalid="ignore"):
        difference = np.asarray(method, dtype=float) - np.asarray(best, dtype=float)
    difference = difference[~np.isnan(difference)]  # both diverged
    finite = difference[np.isfinite(difference)]
    largest = float(np.max(np.abs(finite))) if len(finite) else 1.0
    # Only the ranks matter: an infinite difference becomes the largest, with its sign.
    difference = np.where(np.isinf(difference), np.sign(difference) * (2 * largest + 1), difference)
    difference = difference[np.abs(difference) > margin]
    if len(difference) == 0:
        return 1.0
    return float(stats.wilcoxon(difference, alternative="greater").pvalue)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down correction of ``p_values`` (family-wise error rate), in their order."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def compare_with_best(tests: dict[str, dict[int, float]]) -> tuple[str | None, dict[str, float]]:
    """The best method and each method's Holm-corrected p-value of being worse than it.

    ``tests`` maps each method to its test metric by seed. The best is the
    lowest median (over finite-or-not values; ``inf`` for a diverged seed);
    it gets p-value NaN. Methods are paired on the seeds both have;
    differences within :data:`EQUIVALENCE` of the best's median are none.
    """
    medians = {m: float(np.median(list(by_seed.values()))) for m, by_seed in tests.items() if by_seed}
    finite = {m: v for m, v in medians.items() if np.isfinite(v)}
    if not finite:
        return None, {m: float("nan") for m in tests}
    best = min(finite, key=lambda m: (finite[m], m))
    others = [m for m in tests if m != best]
    margin = EQUIVALENCE * abs(finite[best])
    raw = []
    for m in others:
        seeds = sorted(set(tests[m]) & set(tests[best]))
        raw.append(paired_p_value(np.array([tests[m][s] for s in seeds]), np.array([tests[best][s] for s in seeds]),
                                  margin))  # fmt: skip
    adjusted = holm(raw) if raw else np.array([])
    return best, {best: float("nan"), **{m: float(p) for m, p in zip(others, adjusted, strict=True)}}


def average_ranks(table: np.ndarray) -> np.ndarray:
    """Each method's rank averaged over problems: ``table`` is problems x methods (lower is better; ties share)."""
    stats = require("scipy.stats", "the study's statistics", "study")
    return np.mean([stats.rankdata(row, method="average") for row in np.asarray(table, dtype=float)], axis=0)


def friedman(table: np.ndarray) -> float:
    """Friedman's test that every method ranks alike across the problems (rows of ``table``): its p-value.

    NaN with fewer than 3 methods or 2 problems, where the test is not defined.
    """
    stats = require("scipy.stats", "the study's statistics", "study")
    table = np.asarray(table, dtype=float)
    if table.ndim != 2 or table.shape[0] < 2 or table.shape[1] < 3:
        return float("nan")
    ranks = np.array([stats.rankdata(row, method="average") for row in table])
    if np.all(ranks == ranks[0]):  # every problem ranks the methods the same way: no variance to test
        return 0.0 if len(np.unique(ranks[0])) > 1 else 1.0
    return float(stats.friedmanchisquare(*ranks.T).pvalue)


def critical_difference(n_methods: int, n_problems: int, alpha: float = ALPHA) -> float:
    """Nemenyi's critical difference of average ranks (Demšar 2006): ``q_alpha * sqrt(k (k + 1) / (6 N))``.

    ``q_alpha`` is the studentized range statistic's upper ``alpha`` quantile
    for ``k`` methods and infinite degrees of freedom, divided by sqrt(2).
    Two methods whose average ranks differ by more are significantly
    different across the problems.
    """
    stats = require("scipy.stats", "the study's statistics", "study")
    if n_methods < 2 or n_problems < 1:
        return float("nan")
    q = float(stats.studentized_range.ppf(1 - alpha, n_methods, np.inf)) / np.sqrt(2)
    return q * float(np.sqrt(n_methods * (n_methods + 1) / (6 * n_problems)))


def performance_profile(table: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """Dolan and Moré's performance profiles: for each method, the fraction of problems within ``tau`` of the best.

    ``table`` is problems x methods of a metric where lower is better and
    0 is the floor; the ratio to the problem's best is ``inf`` for a method
    that diverged, and 1 where the best is 0 and the method is 0 too.
    Returns methods x taus.
    """
    table = np.asarray(table, dtype=float)
    best = np.min(np.where(np.isnan(table), np.inf, table), axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(table == best, 1.0, table / best)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    return np.array([[float(np.mean(ratio[:, m] <= tau)) for tau in taus] for m in range(table.shape[1])])


def across_problems(results: Any) -> dict[str, dict[str, Any]]:
    """Per schedule: the methods compared across every problem (rows of ``results``: problem, schedule,
    method, test_median).

    Each entry has ``methods``, ``problems``, ``test_medians`` (problems x
    methods, ``inf`` where every seed diverged), ``average_ranks`` (by
    method), ``friedman_p``, ``critical_difference`` and ``different`` (the
    pairs whose average ranks differ by more than it, best-ranked first).
    """
    summary: dict[str, dict[str, Any]] = {}
    for schedule, group in results.groupby("schedule", sort=False):
        table = group.pivot_table(index="problem", columns="method", values="test_median", sort=False)
        table = table.dropna()  # a problem a method has no result on cannot rank it
        methods, problems = list(table.columns), list(table.index)
        if not problems:
            continue
        values = np.where(np.isnan(table.to_numpy(dtype=float)), np.inf, table.to_numpy(dtype=float))
        ranks = average_ranks(values)
        cd = critical_difference(len(methods), len(problems))
        order = np.argsort(ranks, kind="stable")
        different = [(methods[a], methods[b]) for i, a in enumerate(order) for b in order[i + 1 :]
                     if ranks[b] - ranks[a] > cd]  # fmt: skip
        summary[str(schedule)] = dict(
            methods=methods, problems=problems, test_medians=values.tolist(),
            average_ranks=dict(zip(methods, ranks.tolist(), strict=True)),
            friedman_p=friedman(values), critical_difference=cd, different=different,
        )  # fmt: skip
    return summary


def kendall_tau(first: dict[str, float], again: dict[str, float]) -> float:
    """Kendall's tau-b between two rankings of the same methods by a metric (lower is better; ``inf`` for
    a method that diverged ranks last): 1 for the same order, -1 for the reverse; NaN with fewer than two
    methods in common or when either ranking is one tie."""
    stats = require("scipy.stats", "the study's statistics", "study")
    methods = sorted(set(first) & set(again))
    if len(methods) < 2:
        return float("nan")
    # Ranks first, so that inf (diverged) and NaN (no result) take the last places instead of breaking tau.
    a, b = (stats.rankdata(np.nan_to_num([d[m] for m in methods], nan=np.inf, posinf=np.finfo(float).max))
            for d in (first, again))  # fmt: skip
    if np.all(a == a[0]) or np.all(b == b[0]):
        return float("nan")
    return float(stats.kendalltau(a, b).statistic)
