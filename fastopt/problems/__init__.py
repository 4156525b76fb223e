"""The study's problems: what a problem is (:mod:`~fastopt.problems.problem`), the suite
(:mod:`~fastopt.problems.suite`) and one module per data source.

``fastopt study --list`` prints the suite with each problem's data source.
Data sets: the tutorial's diamonds (:mod:`~fastopt.problems.diamonds`);
digits, breast cancer, wine and diabetes as scikit-learn ships them
(:mod:`~fastopt.problems.sklearn_data`); mpg, penguins and txhousing as
plotnine ships them (:mod:`~fastopt.problems.plotnine_data`); noisy
Rosenbrock and Rastrigin (:mod:`~fastopt.problems.noisy`).

The suite (``PROBLEMS``, ``VARIANTS``, ``get_problem``) loads on first use:
it imports pandas and loads the noisy problems' compiled objectives, about a
second that the command line's other sub-commands should not pay for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .problem import METRICS, StudyData, StudyProblem, split

if TYPE_CHECKING:
    from .noisy import RASTRIGIN_SHIFT
    from .suite import PROBLEMS, VARIANTS, get_problem

__all__ = ["StudyProblem", "StudyData", "METRICS", "PROBLEMS", "VARIANTS", "get_problem", "split", "RASTRIGIN_SHIFT"]

#: The names loaded on first use, by the module that defines them.
_LOADED_LATER = {"PROBLEMS": "suite", "VARIANTS": "suite", "get_problem": "suite", "RASTRIGIN_SHIFT": "noisy"}


def __getattr__(name: str) -> Any:
    if name not in _LOADED_LATER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LOADED_LATER[name]}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
