"""The study's problems: what a problem is (:mod:`~fastopt.problems.problem`), the suite
(:mod:`~fastopt.problems.suite`) and one module per data source.

``fastopt study --list`` prints the suite with each problem's data source.
Data sets: the tutorial's diamonds (:mod:`~fastopt.problems.diamonds`);
digits, breast cancer, wine and diabetes as scikit-learn ships them
(:mod:`~fastopt.problems.sklearn_data`); mpg, penguins and txhousing as
plotnine ships them (:mod:`~fastopt.problems.plotnine_data`); noisy
Rosenbrock and Rastrigin (:mod:`~fastopt.problems.noisy`).
"""

from .noisy import RASTRIGIN_SHIFT
from .problem import METRICS, StudyData, StudyProblem, split
from .suite import PROBLEMS, VARIANTS, get_problem

__all__ = ["StudyProblem", "StudyData", "METRICS", "PROBLEMS", "VARIANTS", "get_problem", "split", "RASTRIGIN_SHIFT"]
