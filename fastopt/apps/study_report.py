"""The report of a :func:`fastopt.apps.study.study`: tables, ranking, files and figures.

Files written to the study's folder:

- ``runs.csv`` (:mod:`fastopt.apps.study_runs`): every run; a rerun of the
  study skips these; a tuned rerun's runtime is its own (timed alone), any
  other run's is its share of its sweep group's time;
- ``results.csv`` and ``report.md`` / ``report.tex``: per problem, schedule
  and method: the tuned setting, its validation median (``validation_median``)
  and the defaults' (``defaults_validation_median``), the test metric's
  median and interquartile range over the seeds (``test_median``,
  ``test_iqr``) and the defaults' (``defaults_test_median``), the epochs
  and seconds to the problem's target, the trials random search needed to
  come within 1 % of its best, the rank, and whether the method is tied
  with the problem's best (``tied_with_best``; ``p_vs_best``: the
  Holm-corrected p-value of a paired Wilcoxon test that it is worse, see
  :mod:`fastopt.apps.study_stats`); the report says in words which
  methods are worse;
- ``ranking.csv``: each method's rank per problem (by test median) and its
  median rank over the problems;
- ``study.json``: the machine, the settings and every row above, with the
  ``fastopt.fit`` arguments that rerun any cell, the budget curves, the
  stability over seed sets, and every run (seed, settings, metrics) of
  ``runs.csv`` but its loss history;
- ``budget_curves.png``: each method's best validation metric after 1, 2, ...
  settings tried (1: its defaults);
- ``sensitivity.png``, ``distributions.png`` and ``loss_curves.png`` (the
  tuned runs' training loss per epoch: median over the seeds, and their range);
- ``critical_difference.png`` (each method's average rank over the problems,
  bars joining those within Nemenyi's critical difference) and
  ``performance_profile.png`` (the fraction of problems on which each method
  is within a factor tau of the best); ``study.json`` and ``report.md`` give
  the Friedman test and the pairs that differ.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..figures.study import (
    budget_curves,
    critical_differences,
    distributions,
    loss_curves,
    performance_profiles,
    sensitivity,
)
from ..figures.style import write_png
from ..io.output import write_file
from ..problems import StudyProblem
from .report import machine_info
from .study_runs import RUN_COLUMNS, seed_set_of
from .study_stats import ALPHA, across_problems, compare_with_best, kendall_tau
from .study_text import latex, markdown

__all__ = ["Report", "build", "write", "best_trials"]


@dataclass(frozen=True)
class Report:
    """A finished study: ``results`` (one row per problem, schedule, method), ``ranking``, ``runs``."""

    results: Any  # pandas.DataFrame
    ranking: Any  # pandas.DataFrame
    runs: Any  # pandas.DataFrame
    settings: dict[str, Any]
    machine: dict[str, Any]
    problems: tuple[StudyProblem, ...]
    across: dict[str, dict[str, Any]] = field(default_factory=dict)  # per schedule: study_stats.across_problems
    #: problem -> schedule -> method -> the best validation metric after 1, 2, ... trials (trial 1: the defaults)
    budget_curves: dict[str, dict[str, dict[str, list[float]]]] = field(default_factory=dict)
    #: seed set 0's findings against each further seed set's (see :func:`build`)
    stability: list[dict[str, Any]] = field(default_factory=list)

    def markdown(self) -> str:
        return markdown(self)

    def tuning_runs(self, problem: str) -> Any:
        """The tuning runs that chose ``problem``'s settings: its own, or for a held-out variant its problem's."""
        tuned_on = str(self.settings.get("tuned_on", {}).get(problem, problem))
        return self.runs[(self.runs["problem"] == tuned_on) & (self.runs["stage"] == "tune")]


def best_trials(runs: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (schedule, method): the trial with the lowest median validation metric (ties: the first trial)."""
    tuned = runs[runs["stage"] == "tune"]
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for (schedule, method, trial), group in tuned.groupby(["schedule", "method", "trial"], sort=True):
        score = float(np.median(group["validation"]))
        key = (schedule, method)
        if key not in best or score < best[key]["score"]:
            best[key] = {"trial": int(trial), "settings": group["settings"].iloc[0], "score": score}
    return best


def _trials_to_within(scores: list[float], tolerance: float = 0.01) -> int:
    """1 + the first trial whose score is within ``tolerance`` (relative) of the best score."""
    best = min(scores)
    for i, score in enumerate(scores):
        if score <= best + tolerance * abs(best):
            return i + 1
    return len(scores)


def build(problems: Sequence[StudyProblem], runs: Any, settings: dict[str, Any]) -> Report:
    """Tables and ranking from every run of a study.

    The tables read seed set 0's reruns; further seed sets (``seed_sets`` in
    ``settings``) are ranked apart and compared with it (:attr:`Report.stability`).
    With held-out variants (``settings["tuned_on"]``: variant -> problem),
    a variant's setting is the one tuned on its problem.
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    curves: dict[str, dict[str, dict[str, list[float]]]] = {}
    sets = seed_set_of(runs["seed"].to_numpy()) if len(runs) else np.zeros(0, dtype=int)
    for problem in problems:
        tuned_on = settings.get("tuned_on", {}).get(problem.name, problem.name)
        tuning = runs[(runs["problem"] == tuned_on) & (runs["stage"] == "tune")]
        mine = runs[(runs["problem"] == problem.name) & (runs["stage"] != "tune") & (sets == 0)]
        for (schedule, method), chosen in best_trials(tuning).items():
            runs_of = mine[(mine["schedule"] == schedule) & (mine["method"] == method)]
            final = runs_of[runs_of["stage"] == "best"]
            defaults = runs_of[runs_of["stage"] == "defaults"]
            tuned = tuning[(tuning["schedule"] == schedule) & (tuning["method"] == method)]
            scores = [float(np.median(g["validation"])) for _, g in tuned.groupby("trial", sort=True)]
            curves.setdefault(problem.name, {}).setdefault(schedule, {})[method] = [
                float(v) for v in np.minimum.accumulate(scores)
            ]
            with np.errstate(invalid="ignore"):  # diverged seeds score inf: inf - inf is a NaN spread
                q25, q50, q75 = np.percentile(final["test"], [25, 50, 75]) if len(final) else (math.nan,) * 3
                spread = float(q75 - q25)
            epochs = (
                float(np.nanmedian(final["epochs_to_target"])) if final["epochs_to_target"].notna().any() else math.nan
            )
            # Each timed rerun's own seconds per epoch run (its loss history has one value per epoch).
            timed = final[final["status"] != "diverged"]
            per_run = [s / max(1, len(h)) for s, h in zip(timed["runtime_s"], timed["loss_history"], strict=True)]
            per_epoch = float(np.median(per_run)) if per_run else math.nan
            rows.append(
                dict(
                    problem=problem.name, metric=problem.metric, schedule=schedule, method=method,
                    tuned=json.dumps(chosen["settings"], sort_keys=True), validation_median=chosen["score"],
                    defaults_validation_median=_median(defaults["validation"]), test_median=float(q50),
                    test_iqr=spread, defaults_test_median=_median(defaults["test"]),
                    target=problem.target, epochs_to_target=epochs, seconds_to_target=epochs * per_epoch,
                    reached_target=int(final["epochs_to_target"].notna().sum()), seeds=len(final),
                    trials_to_within_1pct=_trials_to_within(scores),
                )
            )  # fmt: skip
    results = pd.DataFrame(rows)
    results["rank"] = results.groupby(["problem", "schedule"])["test_median"].rank(method="min")
    results["p_vs_best"], results["tied_with_best"] = math.nan, False
    for (problem_name, schedule), group in results.groupby(["problem", "schedule"], sort=False):
        leader, p_values = compare_with_best(_rerun_tests(runs, sets, problem_name, schedule, 0))
        for i in group.index:
            method = results.at[i, "method"]
            results.at[i, "p_vs_best"] = p_values.get(method, math.nan)
            results.at[i, "tied_with_best"] = leader is not None and not p_values.get(method, 0.0) < ALPHA
    ranking = (
        results.pivot_table(index=["schedule", "method"], columns="problem", values="rank")
        .assign(median_rank=lambda t: t.median(axis=1))
        .sort_values("median_rank")
        .reset_index()
    )
    across = across_problems(results)
    stability = _stability(runs, sets, results, across, int(settings.get("seed_sets", 1)))
    return Report(results, ranking, runs, settings, machine_info(), tuple(problems), across, curves, stability)


def _rerun_tests(runs: Any, sets: np.ndarray, problem: str, schedule: str, seed_set: int) -> dict[str, dict]:
    """Per method: seed -> test metric of the tuned reruns of one seed set."""
    final = runs[(runs["problem"] == problem) & (runs["schedule"] == schedule) & (runs["stage"] == "best")
                 & (sets == seed_set)]  # fmt: skip
    return {m: dict(zip(g["seed"], g["test"].astype(float), strict=True)) for m, g in final.groupby("method")}


def _stability(runs: Any, sets: np.ndarray, results: Any, across: dict[str, Any], seed_sets: int) -> list[dict]:
    """Seed set 0's findings against each further set's: per problem, Kendall's tau between the rankings by
    test median, the best method and the methods worse than it; across problems, tau between the average
    ranks, and Friedman's p-value and the pairs beyond the critical difference of each. The tuned settings
    are the same in every set; only the rerun seeds differ."""
    import pandas as pd

    out: list[dict[str, Any]] = []
    for seed_set in range(1, seed_sets):
        medians = []
        for (problem, schedule), group in results.groupby(["problem", "schedule"], sort=False):
            tests = _rerun_tests(runs, sets, problem, schedule, seed_set)
            if not tests:
                continue
            again = {m: _median(list(t.values())) for m, t in tests.items()}
            medians += [dict(problem=problem, schedule=schedule, method=m, test_median=v) for m, v in again.items()]
            leader, p_values = compare_with_best(tests)
            out.append(dict(
                seed_set=seed_set, problem=problem, schedule=schedule,
                kendall_tau=kendall_tau(dict(zip(group["method"], group["test_median"], strict=True)), again),
                best=str(group.loc[group["rank"].idxmin(), "method"]), best_again=leader,
                worse=sorted(group.loc[~group["tied_with_best"], "method"]),
                worse_again=sorted(m for m, p in p_values.items() if p < ALPHA),
            ))  # fmt: skip
        for schedule, summary in across_problems(pd.DataFrame(medians)).items() if medians else ():
            first = across.get(schedule)
            if first is None:
                continue
            out.append(dict(
                seed_set=seed_set, problem=None, schedule=schedule,
                kendall_tau=kendall_tau(first["average_ranks"], summary["average_ranks"]),
                friedman_p=first["friedman_p"], friedman_p_again=summary["friedman_p"],
                different=first["different"], different_again=summary["different"],
            ))  # fmt: skip
    return out


def _median(values: Any) -> float:
    return float(np.median(values)) if len(values) else math.nan


_JSON_RUN_COLUMNS = [c for c in RUN_COLUMNS if c != "loss_history"]


def _json_runs(runs: Any) -> list[list[Any]]:
    """Each run as a list in :data:`_JSON_RUN_COLUMNS`' order; a non-finite metric as null (JSON has no inf)."""

    def cell(value: Any) -> Any:
        if isinstance(value, (float, np.floating)):
            return float(value) if math.isfinite(value) else None
        return value.item() if isinstance(value, np.generic) else value

    return [[cell(v) for v in row] for row in runs[_JSON_RUN_COLUMNS].itertuples(index=False)]


def _study_json(payload: dict[str, Any]) -> str:
    """``payload`` as indented JSON, but each run on one line (indented, the runs would take 20 lines each)."""
    runs = payload["runs"]
    head = json.dumps({k: v for k, v in payload.items() if k != "runs"}, indent=2)[: -len("\n}")]
    rows = ",\n".join("      " + json.dumps(row) for row in runs["rows"])
    return (f'{head},\n  "runs": {{\n    "columns": {json.dumps(runs["columns"])},\n    "rows": [\n{rows}\n    ]\n'
            "  }\n}\n")  # fmt: skip


def _write_text(text: str, path: Path) -> None:
    path.write_text(text, encoding="utf-8")


def write(report: Report, folder: Path) -> list[str]:
    """Write every file of the report (see the module docstring); return their names."""

    payload = {
        "machine": report.machine,
        "settings": report.settings,
        "results": json.loads(report.results.to_json(orient="records")),
        "ranking": json.loads(report.ranking.to_json(orient="records")),
        "across_problems": report.across,
        "budget_curves": report.budget_curves,
        "stability": report.stability,
        # every run: problem, stage, schedule, method, trial, seed, settings, metrics (loss histories in runs.csv)
        "runs": {"columns": _JSON_RUN_COLUMNS, "rows": _json_runs(report.runs)},
        "rerun": "fastopt.fit(data.x_train, data.y_train, method, seed=seed, **problem.fit_arguments(), **settings)",
    }
    figures = {"sensitivity.png": sensitivity(report), "distributions.png": distributions(report),
               "loss_curves.png": loss_curves(report), "critical_difference.png": critical_differences(report),
               "performance_profile.png": performance_profiles(report),
               "budget_curves.png": budget_curves(report)}  # fmt: skip
    texts = {"report.md": markdown(report), "report.tex": latex(report), "study.json": _study_json(payload)}
    write_file(folder / "results.csv", lambda path: report.results.to_csv(path, index=False))
    write_file(folder / "ranking.csv", lambda path: report.ranking.to_csv(path, index=False))
    for name, text in texts.items():
        write_file(folder / name, functools.partial(_write_text, text))
    for name, figure in figures.items():
        write_png(figure, folder / name)
    return ["runs.csv", "results.csv", "ranking.csv", *texts, *figures]
