"""The report of a :func:`fastopt.apps.study.study`: tables, ranking, files and figures.

Files written to the study's folder:

- ``runs.csv``: every run (problem, stage: tune/best/defaults, schedule,
  method, trial, seed, settings as JSON, validation and test metric, status,
  runtime, epochs to the target); a rerun of the study skips these; a
  tuned rerun's runtime is its own (timed alone), any other run's is its
  share of its sweep group's time;
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
  ``fastopt.fit`` arguments that rerun any cell;
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

from ..engine.status import STATUSES
from ..figures.study import critical_differences, distributions, loss_curves, performance_profiles, sensitivity
from ..figures.style import write_png
from ..io.output import write_file
from ..io.tables import read_table
from ..problems import METRICS, StudyProblem
from .report import machine_info
from .study_stats import ALPHA, across_problems, compare_with_best

__all__ = ["Report", "build", "write", "best_trials", "run_key", "load_runs", "save_runs", "concat"]

_RUN_COLUMNS = ["problem", "fingerprint", "stage", "schedule", "method", "trial", "seed", "settings", "validation",
                "test", "status", "runtime_s", "epochs_to_target", "loss_history"]  # fmt: skip

# Read as text, whatever they look like; the last two are JSON.
_TEXT_COLUMNS = ("problem", "fingerprint", "stage", "schedule", "method", "status", "settings", "loss_history")


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

    def markdown(self) -> str:
        return markdown(self)


def run_key(problem: str, fingerprint: str, run: dict[str, Any]) -> str:
    """What identifies a run across invocations: its problem and the problem's definition
    (:meth:`~fastopt.problems.StudyProblem.fingerprint`), stage, schedule, method, trial, seed and settings."""
    settings = json.dumps(run["settings"], sort_keys=True)
    stage = f"{run['stage']}|{run['schedule']}|{run['method']}|{run['trial']}|{run['seed']}"
    return f"{problem}|{fingerprint}|{stage}|{settings}"


def load_runs(folder: Path | None) -> dict[str, dict[str, Any]]:
    """The runs in ``folder/runs.csv`` (empty without one), by :func:`run_key`.

    Raises ``ValueError`` in one line naming the file, the column or line at
    fault and what to do, before any run starts: a damaged file (cut short,
    a garbage row, text in a number's cell, broken JSON, not text at all) or
    one without the columns this version writes.
    """
    if folder is None or not (folder / "runs.csv").is_file():
        return {}
    path = folder / "runs.csv"
    advice = "or delete the file to start the study over (its runs are then run again)"
    table = read_table(path, advice, text=_TEXT_COLUMNS)
    # A file from before fingerprints has none: its runs match nothing and are run again.
    missing = [c for c in _RUN_COLUMNS if c != "fingerprint" and c not in table.columns]
    if missing:
        raise ValueError(
            f"{path} has no column(s) {', '.join(missing)}: another program or an older fastopt wrote it; {advice}"
        )
    rows = {}
    for line, row in enumerate(table.to_dict("records"), start=2):
        try:
            row = _checked_run(row)
        except ValueError as error:
            raise ValueError(f"{path} line {line}: {error}; {advice}") from None
        rows[run_key(row["problem"], str(row.get("fingerprint", "")), row)] = row
    return rows


def _checked_run(row: dict[str, Any]) -> dict[str, Any]:
    """One row of ``runs.csv`` with its JSON cells parsed; ``ValueError`` names the cell at fault."""
    for column in _TEXT_COLUMNS[:-2]:
        if column in row and not isinstance(row[column], str):  # an older file has no fingerprint
            raise ValueError(f"{column} is empty")
    if row["status"] not in STATUSES:
        raise ValueError(f"status is {row['status']!r}, not one of {', '.join(STATUSES)}")
    for column in ("trial", "seed", "validation", "test", "runtime_s", "epochs_to_target"):
        try:
            row[column] = float(row[column])
        except (TypeError, ValueError):
            raise ValueError(f"{column} is {row[column]!r}, not a number") from None
    for column in ("trial", "seed"):
        if not float(row[column]).is_integer():
            raise ValueError(f"{column} is {row[column]!r}, not an integer")
        row[column] = int(row[column])
    for column, kind in (("settings", dict), ("loss_history", list)):
        try:
            row[column] = json.loads(row[column])
        except (TypeError, ValueError):
            raise ValueError(f"{column} is not valid JSON: {str(row[column])[:40]!r}") from None
        if not isinstance(row[column], kind):
            raise ValueError(f"{column} is not a JSON {'object' if kind is dict else 'list'}")
    return row


def concat(parts: Sequence[Any]) -> Any:
    import pandas as pd

    frames = [p for p in parts if len(p)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_RUN_COLUMNS)


def save_runs(folder: Path, parts: Sequence[Any]) -> None:
    """Write every run so far to ``folder/runs.csv`` (whole or not at all)."""

    table = concat(parts)[_RUN_COLUMNS].copy()
    table["settings"] = [json.dumps(s, sort_keys=True) for s in table["settings"]]
    table["loss_history"] = [json.dumps([float(v) for v in h]) for h in table["loss_history"]]
    write_file(folder / "runs.csv", lambda path: table.to_csv(path, index=False))


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
    """Tables and ranking from every run of a study."""
    import pandas as pd

    rows = []
    for problem in problems:
        mine = runs[runs["problem"] == problem.name]
        best = best_trials(mine)
        for (schedule, method), chosen in best.items():
            runs_of = mine[(mine["schedule"] == schedule) & (mine["method"] == method)]
            final = runs_of[runs_of["stage"] == "best"]
            defaults = runs_of[runs_of["stage"] == "defaults"]
            tuned = runs_of[runs_of["stage"] == "tune"]
            scores = [float(np.median(g["validation"])) for _, g in tuned.groupby("trial", sort=True)]
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
        final = runs[(runs["problem"] == problem_name) & (runs["schedule"] == schedule) & (runs["stage"] == "best")]
        tests = {m: dict(zip(g["seed"], g["test"].astype(float), strict=True)) for m, g in final.groupby("method")}
        leader, p_values = compare_with_best(tests)
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
    return Report(results, ranking, runs, settings, machine_info(), tuple(problems), across_problems(results))


def _median(values: Any) -> float:
    return float(np.median(values)) if len(values) else math.nan


def _cell(value: float, digits: int = 4) -> str:
    return "-" if value != value else f"{value:.{digits}g}"


def _table_rows(report: Report, problem: str) -> list[list[str]]:
    out = []
    for row in report.results[report.results["problem"] == problem].itertuples():
        tuned = ", ".join(f"{k}={v:.3g}" for k, v in json.loads(row.tuned).items() if v is not None)
        out.append([
            row.method, row.schedule, tuned, f"{_cell(row.test_median)} [{_cell(row.test_iqr, 2)}]",
            _cell(row.defaults_test_median), f"{_cell(row.epochs_to_target, 3)} ({row.reached_target}/{row.seeds})",
            _cell(row.seconds_to_target, 2), str(row.trials_to_within_1pct), _cell(row.rank, 2), _versus(row),
        ])  # fmt: skip
    return out


_HEADER = ["method", "schedule", "tuned setting", "test median [IQR]", "defaults", "epochs to target (seeds)",
           "seconds to target", "trials to 1 %", "rank", "vs best"]  # fmt: skip


def _versus(row: Any) -> str:
    """The method against the problem's best: ``best``, ``tied (p=…)`` or ``worse (p=…)``."""
    if row.p_vs_best != row.p_vs_best:
        return "best" if row.tied_with_best else "-"
    return f"{'tied' if row.tied_with_best else 'worse'} (p={row.p_vs_best:.2g})"


def _across(report: Report) -> list[str]:
    """In words: per schedule, Friedman's test and which methods differ by more than the critical difference."""
    lines = []
    for schedule, s in report.across.items():
        ranks = ", ".join(f"{m} {r:.2f}" for m, r in sorted(s["average_ranks"].items(), key=lambda mr: mr[1]))
        where = "" if len(report.across) == 1 else f" ({schedule})"
        p = s["friedman_p"]
        verdict = (
            "needs 3 or more methods and 2 or more problems" if p != p
            else f"the methods {'differ' if p < ALPHA else 'do not differ significantly'} (p = {p:.2g})"
        )  # fmt: skip
        pairs = "; ".join(f"{a} over {b}" for a, b in s["different"]) or "none"
        lines.append(
            f"Average ranks over {len(s['problems'])} problems{where}: {ranks}. Friedman's test: {verdict}. "
            f"Nemenyi's critical difference at {ALPHA:g} is "
            f"{s['critical_difference']:.2f}; pairs further apart: {pairs} (`critical_difference.png`; "
            "`performance_profile.png` shows on what fraction of problems each method is within a factor "
            "of the best)."
        )
    return lines or ["No method has a result on every problem: nothing to compare across problems."]


def _significance(report: Report, problem: str) -> list[str]:
    """In words: per schedule, which methods are worse than the best (paired test), and which are tied."""
    lines = []
    for schedule, group in report.results[report.results["problem"] == problem].groupby("schedule", sort=False):
        best = group[group["tied_with_best"] & group["p_vs_best"].isna()]["method"].tolist()
        if not best:
            continue
        worse = group[~group["tied_with_best"] & group["p_vs_best"].notna()]["method"].tolist()
        tied = group[group["tied_with_best"] & group["p_vs_best"].notna()]["method"].tolist()
        where = "" if len(report.settings["schedules"]) == 1 else f" ({schedule})"
        text = f"Best{where}: {best[0]}. "
        text += f"Worse than it (paired Wilcoxon over the seeds, Holm-corrected, p < {ALPHA:g}): "
        text += f"{', '.join(worse) if worse else 'none'}; tied with it: {', '.join(tied) if tied else 'none'}."
        if int(group["seeds"].max()) < 5:
            text += f" With {int(group['seeds'].max())} seeds no difference can reach p < {ALPHA:g}."
        lines.append(text)
    return lines


def markdown(report: Report) -> str:
    """The report as Markdown: the settings, a table per problem, the ranking."""
    s = report.settings
    lines = [
        "# fastopt study",
        "",
        f"Each method's defaults and {s['budget']} settings of random search per method (learning rate "
        f"log-uniform in [1e-4, 1], plus the method's own ranges), each scored by the median validation "
        f"metric over {s['trial_seeds']} seeds; the best setting and the defaults rerun with {s['seeds']} "
        f"fresh seeds on the test rows. Lower is better. "
        f"Machine: {report.machine.get('cpu')}, {report.machine.get('cores')} cores; fastopt "
        f"{report.machine.get('fastopt')}.",
    ]
    for problem in report.problems:
        lines += ["", f"## {problem.name}", "", f"{problem.description}. Metric: {METRICS[problem.metric]}; "
                  f"target {problem.target:g}; {problem.epochs} epochs, batch {problem.batch_size}.", ""]  # fmt: skip
        lines += ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
        lines += ["| " + " | ".join(row) + " |" for row in _table_rows(report, problem.name)]
        lines += ["", *_significance(report, problem.name)]
        runs = report.runs[report.runs["problem"] == problem.name]
        if len(runs) and not np.isfinite(runs["test"].to_numpy(dtype=float)).any():
            lines += ["", f"Every run diverged ({len(runs)} runs): no method is ranked on {problem.name}."]
    if report.ranking.empty:
        lines += ["", "## Ranking", "", "No method has a finite test metric on any problem: nothing to rank."]
        return "\n".join(lines) + "\n"
    lines += ["", "## Across problems", "", *_across(report)]
    lines += ["", "## Ranking", "", "Rank by test median per problem (1 = best), and the median over problems.", ""]
    columns = list(report.ranking.columns)
    lines += ["| " + " | ".join(map(str, columns)) + " |", "|" + "---|" * len(columns)]
    for row in report.ranking.itertuples(index=False):
        lines.append("| " + " | ".join(v if isinstance(v, str) else _cell(v, 3) for v in row) + " |")
    return "\n".join(lines) + "\n"


def latex(report: Report) -> str:
    """One ``tabular`` per problem and one for the ranking, for a paper."""

    def escape(text: str) -> str:
        return text.replace("_", r"\_").replace("%", r"\%")

    parts = []
    for problem in report.problems:
        parts += [f"% {problem.name}: {escape(problem.description)}", r"\begin{tabular}{" + "l" * len(_HEADER) + "}",
                  r"\hline", " & ".join(escape(h) for h in _HEADER) + r" \\", r"\hline"]  # fmt: skip
        parts += [" & ".join(escape(c) for c in row) + r" \\" for row in _table_rows(report, problem.name)]
        parts += [r"\hline", r"\end{tabular}", ""]
    columns = list(report.ranking.columns)
    parts += [r"\begin{tabular}{" + "l" * len(columns) + "}", r"\hline", " & ".join(escape(str(c)) for c in columns)
              + r" \\", r"\hline"]  # fmt: skip
    for row in report.ranking.itertuples(index=False):
        parts.append(" & ".join(escape(v) if isinstance(v, str) else _cell(v, 3) for v in row) + r" \\")
    parts += [r"\hline", r"\end{tabular}", ""]
    return "\n".join(parts)


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
        "rerun": "fastopt.fit(data.x_train, data.y_train, method, seed=seed, **problem.fit_arguments(), **settings)",
    }
    figures = {"sensitivity.png": sensitivity(report), "distributions.png": distributions(report),
               "loss_curves.png": loss_curves(report), "critical_difference.png": critical_differences(report),
               "performance_profile.png": performance_profiles(report)}  # fmt: skip
    texts = {"report.md": markdown(report), "report.tex": latex(report), "study.json": json.dumps(payload, indent=2)}
    write_file(folder / "results.csv", lambda path: report.results.to_csv(path, index=False))
    write_file(folder / "ranking.csv", lambda path: report.ranking.to_csv(path, index=False))
    for name, text in texts.items():
        write_file(folder / name, functools.partial(_write_text, text))
    for name, figure in figures.items():
        write_png(figure, folder / name)
    return ["runs.csv", "results.csv", "ranking.csv", *texts, *figures]
