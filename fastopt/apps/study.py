"""``fastopt.study``: a tuned, seeded optimizer benchmark over a suite of small problems.

The protocol, for every problem, schedule and method:

1. **Tune**: the method's defaults (trial 0, always tried, so tuning never
   does worse than the defaults on validation) and ``budget`` settings
   drawn by random search from a fixed seed (the learning rate log-uniform
   in [1e-4, 1], and the method's other hyperparameters in
   :data:`SEARCH`), each run with ``trial_seeds`` seeds on the training
   rows and scored by the median validation metric. ``budget=0`` tries the
   defaults only (Schmidt et al. 2021's one-shot setting).
2. **Rerun** the best setting with ``seeds`` fresh seeds and report its test
   metric (median, interquartile range); also run the method's defaults.
   With ``seed_sets=2`` (or more) the best setting is rerun again on
   disjoint seeds, and the report says whether its ranking and findings
   survive (Kendall's tau). With ``held_out=True`` the reruns are on each
   problem's held-out variant (:attr:`~fastopt.problems.StudyProblem.variant`:
   tune on one, report on the other, as AlgoPerf does).
3. **Report** (:mod:`fastopt.apps.study_report`): tables, a ranking across
   problems, figures, in CSV, JSON, Markdown and LaTeX.

Every run goes through :func:`fastopt.sweep` (every core, or a Dask cluster
with ``client=``). With ``out``, finished runs are kept in ``runs.csv`` and
a rerun of the same study skips them.
"""

from __future__ import annotations

import math
import time
import warnings
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import problems as suite
from ..api.checks import check_integer
from ..api.optimize import fit
from ..api.sweep import sweep
from ..io.output import folder_lock, output_folder
from ..methods import REGISTRY, Rule, get_method
from ..problems import StudyProblem
from ..schedules import Schedule, cosine
from . import study_report
from .study_report import best_trials
from .study_runs import concat, load_runs, rerun_seeds, run_key, save_runs

__all__ = ["study", "SEARCH", "DEFAULT_METHODS", "SCHEDULES", "draw_settings"]

#: The default methods: the tutorial's four, AdamW and Nesterov.
DEFAULT_METHODS = ("sgd", "momentum", "rmsprop", "adam", "adamw", "nesterov")
LEARNING_RATE_RANGE = (1e-4, 1.0)
#: Each method's other tuned hyperparameters, from its row: name -> (low, high, "log" or "linear").
SEARCH: dict[str, dict[str, tuple[float, float, str]]] = {
    m.name: {name: (low, high, scale) for name, low, high, scale in m.study_search} for m in REGISTRY if m.study_search
}
#: Schedules a study can compare, by name: each a function of the run's epochs.
SCHEDULES: dict[str, Callable[[int], Schedule | None]] = {
    "constant": lambda epochs: None,
    "cosine": lambda epochs: cosine(epochs),
}
_NO_CLIPPING = {"clip_value": None}


def draw_settings(problem: str, method: str | Rule, schedule: str, budget: int, seed: int = 0) -> list[dict[str, Any]]:
    """The settings tuning tries for ``method``: its defaults, then ``budget`` drawn by random search (the same
    for the same names and seed).

    The defaults are written out for the searched names (so every trial has
    a learning rate) and leave the rest, gradient clipping included, at the
    method's defaults: the same run as the ``defaults`` stage's. Trial ``i``
    has the same learning rate for every method (common random numbers: a
    method cannot win by a luckier draw of the rate); the method's other
    hyperparameters come from a stream of its own. A user's :class:`~fastopt.Rule`
    is searched over its ``search`` space.
    """
    row = get_method(method)
    label = row.name if isinstance(method, Rule) else method
    rates = np.random.default_rng([seed, zlib.crc32(f"{problem}/{schedule}".encode())])
    rng = np.random.default_rng([seed, zlib.crc32(f"{problem}/{label}/{schedule}".encode())])
    space = dict(method.search) if isinstance(method, Rule) else SEARCH.get(method, {})
    fixed = {k: v for k, v in _NO_CLIPPING.items() if k in row.defaults}
    searched = ["learning_rate", *space]
    settings: list[dict[str, Any]] = [{name: row.defaults[name] for name in searched}]
    for _ in range(budget):
        drawn = {"learning_rate": _draw(rates, *LEARNING_RATE_RANGE, "log")}
        for name, (low, high, scale) in space.items():
            drawn[name] = _draw(rng, low, high, scale)
        settings.append({**drawn, **fixed})
    return settings


def _draw(rng: np.random.Generator, low: float, high: float, scale: str) -> float:
    if scale == "log":
        return float(np.exp(rng.uniform(np.log(low), np.log(high))))
    return float(rng.uniform(low, high))


def study(
    problems: Sequence[Any] | None = None,
    methods: Sequence[str | Rule] = DEFAULT_METHODS,
    *,
    budget: int = 20,
    seeds: int = 10,
    trial_seeds: int = 3,
    schedules: Sequence[str] = ("constant",),
    seed_sets: int = 1,
    held_out: bool = False,
    out: str | Path | None = None,
    client: Any = None,
    n_jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Any:
    """Run the protocol (module docstring) and return the report (:class:`fastopt.apps.study_report.Report`).

    Parameters
    ----------
    problems : names or StudyProblem, default every problem of :data:`fastopt.problems.PROBLEMS`
    methods : method names or users' :class:`~fastopt.Rule` objects, default :data:`DEFAULT_METHODS`
        A rule is tuned over its ``search`` space (besides the learning rate)
        and reported under its name; its runs in ``out`` are reused only while
        its :attr:`~fastopt.Rule.fingerprint` (its code) is the same.
    budget : int >= 0
        Settings drawn per method by random search, besides its defaults
        (which are always tried; 0: the defaults only).
    seeds : int >= 1
        Fresh seeds the best setting, and the defaults, are rerun with.
    trial_seeds : int >= 1
        Seeds per tried setting; its score is their median validation metric.
    schedules : names from :data:`SCHEDULES`
        A study dimension: every method is tuned under each.
    seed_sets : int >= 1
        Sets of ``seeds`` disjoint rerun seeds for the best settings. The
        tables read set 0; the report compares the other sets' rankings and
        findings with it (``Report.stability``).
    held_out : bool
        Tune on each problem that has a held-out variant and rerun (and
        report) on the variant; problems without one are left out.
    out : folder, optional
        Write the report there; runs already in its ``runs.csv`` are not run again.
    client : dask.distributed.Client, optional
        Run the sweeps on this cluster.
    """

    chosen = [suite.get_problem(p) for p in (problems if problems is not None else list(suite.PROBLEMS))]
    names = [p.name for p in chosen]
    if len(set(names)) != len(names):
        raise ValueError(f"problems must have different names, got {names}")
    if not isinstance(held_out, bool):
        raise TypeError(f"held_out must be True or False, got {held_out!r}")
    if held_out:
        chosen = [p for p in chosen if p.variant is not None]
        if not chosen:
            raise ValueError(
                f"held_out=True needs a problem with a held-out variant; none of {', '.join(names)} "
                f"has one (the suite's: {', '.join(p.name for p in suite.PROBLEMS.values() if p.variant)})"
            )
    rules = {m.name: m for m in methods if isinstance(m, Rule)}
    names = [m.name if isinstance(m, Rule) else m for m in methods]
    for method in methods:
        get_method(method)
    if len(set(names)) != len(names):
        raise ValueError(f"methods must have different names, got {names}")
    for name in schedules:
        if name not in SCHEDULES:
            raise ValueError(f"unknown schedule {name!r}; a study compares: {', '.join(SCHEDULES)}")
    budget = check_integer("budget", budget, 0, 10_000)
    seeds = check_integer("seeds", seeds, 1, 10_000)
    trial_seeds = check_integer("trial_seeds", trial_seeds, 1, 100)
    seed_sets = check_integer("seed_sets", seed_sets, 1, 100)
    reported = [p.variant if held_out and p.variant is not None else p for p in chosen]
    folder = output_folder(out)
    with folder_lock(folder, "study"):  # two studies on one folder would overwrite each other's runs
        done = load_runs(folder)
        settings = dict(methods=names, budget=budget, seeds=seeds, trial_seeds=trial_seeds,
                        schedules=list(schedules), problems=[p.name for p in reported], seed_sets=seed_sets,
                        held_out=held_out, tuned_on={v.name: p.name for p, v in zip(chosen, reported, strict=True)
                                                     if v is not p})  # fmt: skip
        runs = []
        for problem, target in zip(chosen, reported, strict=True):
            began = time.perf_counter()
            fingerprint = problem.fingerprint()  # hashes the data: once per problem
            tuning = _tuning_runs(problem, names, rules, schedules, budget, trial_seeds)
            tuned = _run(problem, fingerprint, tuning, done, client, n_jobs, rules)
            runs.append(tuned)
            finals = _final_runs(tuned, names, schedules, seeds, seed_sets)
            target_fingerprint = fingerprint if target is problem else target.fingerprint()
            runs.append(_run(target, target_fingerprint, finals, done, client, n_jobs, rules))
            if folder is not None:
                save_runs(folder, runs)
            if progress is not None:
                where = "" if target is problem else f" (reruns on {target.name})"
                progress(f"{problem.name}{where}: {len(tuned) + len(finals)} runs in "
                         f"{time.perf_counter() - began:.1f} s")  # fmt: skip
        report = study_report.build(reported, concat(runs), settings)
        if folder is not None:
            study_report.write(report, folder)
        return report


def _tuning_runs(problem: StudyProblem, methods: Sequence[str], rules: dict[str, Rule], schedules: Sequence[str],
                 budget: int, trial_seeds: int) -> list[dict[str, Any]]:  # fmt: skip
    """Every tuning run: method x schedule x trial x seed, with its keys (``rules``: the users' rules by name)."""
    runs = []
    for schedule in schedules:
        for method in methods:
            for trial, setting in enumerate(draw_settings(problem.name, rules.get(method, method), schedule, budget)):
                for seed in range(trial_seeds):
                    runs.append(dict(stage="tune", schedule=schedule, method=method, trial=trial, seed=seed,
                                     settings=setting))  # fmt: skip
    return runs


def _final_runs(tuned: Any, methods: Sequence[str], schedules: Sequence[str], seeds: int,
                seed_sets: int) -> list[dict[str, Any]]:  # fmt: skip
    """The best setting of every method and schedule with each seed set's fresh seeds, and its defaults with
    seed set 0's."""

    best = best_trials(tuned)
    runs: list[dict[str, Any]] = []
    for schedule in schedules:
        for method in methods:
            row = best[(schedule, method)]
            for stage, setting, sets in (("best", row["settings"], seed_sets), ("defaults", {}, 1)):
                for seed_set in range(sets):
                    for seed in rerun_seeds(seed_set, seeds):
                        runs.append(dict(stage=stage, schedule=schedule, method=method, seed=seed, settings=setting,
                                         trial=row["trial"] if stage == "best" else -1))  # fmt: skip
    return runs


def _run(problem: StudyProblem, fingerprint: str, runs: list[dict[str, Any]], done: Any, client: Any,
         n_jobs: int | None, rules: dict[str, Rule]) -> Any:  # fmt: skip
    """The runs' rows (problem, fingerprint, stage, schedule, method, trial, seed, settings, validation, test,
    ...), running through :func:`fastopt.sweep` only those not in ``done``."""
    import pandas as pd

    data = problem.built()
    # A rule's runs are found again only under the same code: their fingerprint is the problem's and the rule's.
    fingerprints = [f"{fingerprint}+{rules[r['method']].fingerprint}" if r["method"] in rules else fingerprint
                    for r in runs]  # fmt: skip
    keys = [run_key(problem.name, f, r) for f, r in zip(fingerprints, runs, strict=True)]
    todo = [(r, f) for r, f, key in zip(runs, fingerprints, keys, strict=True) if key not in done]
    rows = [done[key] for key in keys if key in done]
    if todo:
        fixed = problem.fit_arguments()
        grid = [
            {**fixed, "method": rules.get(r["method"], r["method"]), "seed": r["seed"], **r["settings"],
             "schedule": SCHEDULES[r["schedule"]](fixed["epochs"])}
            for r, _ in todo
        ]  # fmt: skip
        table = sweep(data.x_train, data.y_train, grid, progress=False, keep_history=True, client=client,
                      n_jobs=n_jobs, objective=problem.objective)  # fmt: skip
        for (r, run_fingerprint), (_, row) in zip(todo, table.iterrows(), strict=True):
            params = np.asarray(row["params"])
            epochs_to_target, seconds = _timed_to_target(problem, {**r, "method": rules.get(r["method"], r["method"])},
                                                         row)  # fmt: skip
            rows.append(
                dict(
                    problem=problem.name, fingerprint=run_fingerprint, stage=r["stage"], schedule=r["schedule"],
                    method=r["method"], trial=r["trial"], seed=r["seed"], settings=r["settings"],
                    validation=problem.score(params, data.x_valid, data.y_valid, data.scale),
                    test=problem.score(params, data.x_test, data.y_test, data.scale),
                    status=row["status"], runtime_s=seconds, epochs_to_target=epochs_to_target,
                    loss_history=list(row["loss_history"]) if r["stage"] == "best" else [],
                )
            )  # fmt: skip
    return pd.DataFrame(rows)


def _timed_to_target(problem: StudyProblem, run: dict[str, Any], row: Any) -> tuple[float, float]:
    """``(epochs to target, seconds)``: the first epoch whose test metric reaches the target, and the run's
    wall time, for the tuned reruns (the runs the report times); NaN epochs if never reached.

    The test metric per epoch needs the parameters per epoch: the run is
    repeated alone with ``record_path=True`` (the same run, bit for bit),
    and that repeat is timed, so a run's seconds are its own. Other runs
    (and diverged reruns) keep their share of their sweep group's time,
    which is the group's time split evenly and says nothing of one run.
    """
    if run["stage"] != "best" or row["status"] == "diverged":
        return math.nan, float(row["runtime_s"])

    data = problem.built()
    fixed = problem.fit_arguments()
    arguments = dict(seed=run["seed"], schedule=SCHEDULES[run["schedule"]](fixed["epochs"]),
                     objective=problem.objective, **{**fixed, **run["settings"]})  # fmt: skip
    # One epoch first: the method's compiled code loads (or compiles) outside the timing.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a one-epoch run warns that it stopped early
        fit(data.x_train, data.y_train, run["method"], **{**arguments, "epochs": 1})
    began = time.perf_counter()
    result = fit(data.x_train, data.y_train, run["method"], record_path=True, **arguments)
    seconds = time.perf_counter() - began
    assert result.path is not None
    for epoch, params in enumerate(result.path, start=1):
        if problem.score(params, data.x_test, data.y_test, data.scale) <= problem.target:
            return float(epoch), seconds
    return math.nan, seconds
