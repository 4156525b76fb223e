"""A fairly tuned gallery of optimizer paths on the test functions.

For every function and method: each setting of a small grid (the learning
rate on a log scale, and the method's main other hyperparameter) runs
:func:`fastopt.minimize` from several starting points with the same step
budget; a setting's score is the median over the starts of the final
excess value ``f(x) - f(x*)`` (infinite if it diverges from any start);
the best setting is kept. Every tuned
setting, the budget and the score go to ``gallery.csv``, with the exact
``minimize`` arguments, so anyone can rerun any panel and get the same
picture; then the figures are drawn (:mod:`fastopt.figures.gallery`).
"""

from __future__ import annotations

import itertools
import json
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..api.checks import check_integer
from ..api.minimize import MinimizeResult, minimize
from ..figures.gallery import animate_function, function_panels, summary_heatmap
from ..figures.style import write_png
from ..functions import TestFunction, get_function
from ..io.output import output_folder, write_file
from ..methods import REGISTRY, Rule, get_method

__all__ = ["gallery", "tune", "GALLERY_FUNCTIONS", "GALLERY_METHODS", "SEARCH", "Tuned"]

#: The default functions: the built-in ones with a minimum (the saddle has none: see the scenes), but two on
#: which every tuned method draws the same straight line from the start (six identical panels that say nothing
#: about the methods): Styblinski-Tang, to the same local minimum, and the plateau, to its minimum, where the
#: methods differ only in speed. ``gallery(functions=["plateau"])`` draws them.
GALLERY_FUNCTIONS = ("rosenbrock", "beale", "himmelblau", "rastrigin", "ackley", "ravine")
#: The default methods: the tutorial's four, Nesterov and Adagrad.
GALLERY_METHODS = ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam")
#: Learning rates tried: 13 points, 1e-4 to 1, evenly spaced in log10.
LEARNING_RATES = tuple(float(v) for v in np.round(np.logspace(-4, 0, 13), 12))
#: Each method's second tuned hyperparameter and its values, from its row (methods not listed tune the rate alone).
SEARCH: dict[str, tuple[str, tuple[float, ...]]] = {
    m.name: m.gallery_search for m in REGISTRY if m.gallery_search is not None
}
#: The gradient is not clipped in the gallery (the tutorial's sgd and momentum clip at 1 by default).
NO_CLIPPING = {"clip_value": None}


@dataclass(frozen=True)
class Tuned:
    """The best setting of one method on one function, with its score and its run from the first start."""

    function: TestFunction
    method: str | Rule  # a method name, or a user's rule
    settings: dict[str, Any]  # the tuned hyperparameters
    score: float  # median over the starts of the final excess value
    scores: tuple[float, ...]  # one per start
    starts: tuple[tuple[float, ...], ...]
    steps: int
    trials: int
    run: MinimizeResult  # from starts[0]

    @property
    def label(self) -> str:
        """The method's name, as the tables and figures print it."""
        return get_method(self.method).name if isinstance(self.method, Rule) else self.method

    def minimize_arguments(self, start: int = 0) -> dict[str, Any]:
        """The exact :func:`fastopt.minimize` call of start ``start``: rerun it to get the same path."""
        return dict(function=self.function.name, x0=list(self.starts[start]), method=self.method, steps=self.steps,
                    **self.settings)  # fmt: skip


def starting_points(f: TestFunction, n: int, seed: int = 0) -> tuple[tuple[float, ...], ...]:
    """The function's own start, then ``n - 1`` points around it (10 % of the window, from ``seed``)."""
    rng = np.random.default_rng(seed)
    width = np.resize([high - low for low, high in f.bounds], f.dim)
    points: list[tuple[float, ...]] = [f.start]
    for _ in range(n - 1):
        points.append(tuple(float(v) for v in np.array(f.start) + 0.1 * width * rng.normal(size=f.dim)))
    return tuple(points)


def _excess(run: MinimizeResult) -> float:
    f = run.function
    if run.status == "diverged" or not math.isfinite(run.value):
        return math.inf
    return max(run.value - f.minimum_value, 0.0)


def settings_grid(method: str) -> list[dict[str, Any]]:
    """Every setting tried for ``method``: learning rates crossed with its second hyperparameter's values."""
    row = get_method(method)
    fixed = {k: v for k, v in NO_CLIPPING.items() if k in row.defaults}
    if method not in SEARCH:
        return [{"learning_rate": lr, **fixed} for lr in LEARNING_RATES]
    name, values = SEARCH[method]
    return [{"learning_rate": lr, name: v, **fixed} for lr, v in itertools.product(LEARNING_RATES, values)]


def tune(function: Any, method: str, *, steps: int = 300, starts: int = 3, seed: int = 0) -> Tuned:
    """The best setting of ``method`` on ``function`` by the median final excess value over ``starts`` starts.

    Ties (within 1e-12) go to the first setting in grid order, the smallest learning rate.
    """
    f = get_function(function)
    points = starting_points(f, starts, seed)
    best: tuple[float, dict[str, Any], list[float]] | None = None
    grid = settings_grid(method)
    for settings in grid:
        with warnings.catch_warnings():  # a diverging setting is scored (inf), not reported
            warnings.simplefilter("ignore", RuntimeWarning)
            scores = [_excess(minimize(f, p, method, steps=steps, record_path=False, **settings)) for p in points]
        # A setting that diverges from any start is out: its median could hide it.
        score = math.inf if math.inf in scores else float(np.median(scores))
        if best is None or score < best[0] - 1e-12:
            best = (score, settings, scores)
    assert best is not None
    score, settings, scores = best
    run = minimize(f, points[0], method, steps=steps, **settings)
    return Tuned(f, method, settings, score, tuple(scores), points, steps, len(grid), run)


def gallery(
    out: str | Path,
    *,
    functions: Sequence[str] = GALLERY_FUNCTIONS,
    methods: Sequence[str] = GALLERY_METHODS,
    steps: int = 300,
    starts: int = 3,
    frame_every: int = 10,
    animate: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[Tuned]:
    """Tune every method on every function, write ``gallery.csv`` and the figures to ``out``; return the results.

    Files: ``gallery.csv`` (one row per function and method: tuned settings,
    budget, score, the ``minimize`` arguments as JSON), ``<function>.png``
    (one panel per method: its tuned path over the contours, start and
    minima marked, settings in the title), ``summary.png`` (a heatmap of the
    scores) and, with ``animate``, ``<function>.gif`` (the methods moving
    together, one frame every ``frame_every`` steps).
    """

    steps = check_integer("steps", steps, 1, 100_000)
    starts = check_integer("starts", starts, 1, 100)
    frame_every = check_integer("frame_every", frame_every, 1)
    names = [get_function(name).name for name in functions]
    for method in methods:
        get_method(method)
    folder = output_folder(out)
    assert folder is not None
    results: list[Tuned] = []
    for name in names:
        began = time.perf_counter()
        tuned = [tune(name, method, steps=steps, starts=starts) for method in methods]
        results += tuned
        write_png(function_panels(tuned), folder / f"{name}.png")
        if animate:
            animate_function(tuned, folder / f"{name}.gif", frame_every=frame_every)
        if progress is not None:
            progress(f"{name}: {len(methods)} methods tuned and drawn in {time.perf_counter() - began:.1f} s")
    write_png(summary_heatmap(results), folder / "summary.png")
    frame = table(results)
    write_file(folder / "gallery.csv", lambda partial: frame.to_csv(partial, index=False))
    return results


def table(results: Sequence[Tuned]) -> Any:
    """The gallery as a DataFrame: one row per function and method."""
    import pandas as pd

    rows = []
    for r in results:
        rows.append(
            dict(
                function=r.function.name,
                method=r.label,
                **{f"tuned_{k}": v for k, v in r.settings.items() if k != "clip_value"},
                steps=r.steps,
                starts=len(r.starts),
                trials=r.trials,
                median_excess=r.score,
                excess_per_start=json.dumps(list(r.scores)),
                final_value=r.run.value,
                minimum_value=r.function.minimum_value,
                minimize_arguments=json.dumps({**r.minimize_arguments(), "method": r.label}),
            )
        )
    return pd.DataFrame(rows)
