"""The study's default suite: every problem of the data-source modules, by name, and its held-out variants.

Adding a problem is one :class:`~fastopt.problems.problem.StudyProblem` in
the module of its data source (:mod:`~fastopt.problems.diamonds`,
:mod:`~fastopt.problems.sklearn_data`, :mod:`~fastopt.problems.plotnine_data`,
:mod:`~fastopt.problems.noisy`), or a new module listed here.
"""

from __future__ import annotations

from typing import Any

from . import diamonds, noisy, plotnine_data, sklearn_data
from .problem import StudyProblem

__all__ = ["PROBLEMS", "VARIANTS", "get_problem"]

#: The suite, by name, in the order studies run and report it.
PROBLEMS: dict[str, StudyProblem] = {
    p.name: p for module in (diamonds, sklearn_data, plotnine_data, noisy) for p in module.PROBLEMS
}
#: The held-out variants, by name (each the ``variant`` of a problem of the suite).
VARIANTS: dict[str, StudyProblem] = {p.variant.name: p.variant for p in PROBLEMS.values() if p.variant is not None}


def get_problem(problem: Any) -> StudyProblem:
    """A problem of the suite (or a held-out variant) by name, or ``problem`` itself when it is a
    :class:`StudyProblem`."""
    if isinstance(problem, StudyProblem):
        return problem
    known = {**PROBLEMS, **VARIANTS}
    if not isinstance(problem, str) or problem not in known:
        raise ValueError(f"unknown problem {problem!r}; the suite has: {', '.join(PROBLEMS)}")
    return known[problem]
