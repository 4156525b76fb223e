"""A study's report in words and tables: ``report.md`` (Markdown) and ``report.tex`` (LaTeX tabulars).

Per problem a table of every method (the tuned setting, test median and
spread, the defaults, time to target, trials to 1 %, rank, and the paired
test against the best) and the sentences that say which methods are worse;
then the comparison across problems, the budget, the stability over seed
sets and the ranking.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from ..problems import METRICS
from .study_stats import ALPHA

if TYPE_CHECKING:
    from .study_report import Report

__all__ = ["markdown", "latex"]


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


def _budget(report: Report) -> list[str]:
    """Per problem and method: the best validation metric with the defaults alone (budget 0) and after every
    trial (the ends of ``budget_curves.png``)."""
    methods = report.settings["methods"]
    lines = [
        "Best validation metric with the defaults alone (budget 0) -> after all "
        f"{report.settings['budget'] + 1} settings; `budget_curves.png` draws every step between.",
        "",
        "| problem | schedule | " + " | ".join(methods) + " |",
        "|" + "---|" * (len(methods) + 2),
    ]
    for problem, by_schedule in report.budget_curves.items():
        for schedule, curves in by_schedule.items():
            cells = [f"{_cell(curves[m][0], 3)} -> {_cell(curves[m][-1], 3)}" if m in curves else "-" for m in methods]
            lines.append(f"| {problem} | {schedule} | " + " | ".join(cells) + " |")
    return lines


def _stability(report: Report) -> list[str]:
    """Seed set 0 against each further seed set: Kendall's tau of the rankings and whether the findings hold."""
    if not report.stability:
        return []
    lines = ["", "## Stability over seed sets", "",
             "The tuned settings rerun on disjoint seeds (seed set 0 is the tables'): Kendall's tau between the "
             "two rankings by test median, the best method and those worse than it (paired test) in each set.", "",
             "| set | problem | schedule | Kendall's tau | best | best again | worse | worse again |",
             "|" + "---|" * 8]  # fmt: skip
    for row in report.stability:
        if row["problem"] is None:
            continue
        lines.append(f"| {row['seed_set']} | {row['problem']} | {row['schedule']} | {_cell(row['kendall_tau'], 2)} "
                     f"| {row['best']} | {row['best_again']} | {', '.join(row['worse']) or 'none'} | "
                     f"{', '.join(row['worse_again']) or 'none'} |")  # fmt: skip
    for row in report.stability:
        if row["problem"] is not None:
            continue
        pairs, again = (
            ", ".join(f"{a} over {b}" for a, b in row[k]) or "none" for k in ("different", "different_again")
        )
        kept = sum(1 for pair in row["different"] if list(pair) in [list(q) for q in row["different_again"]])
        lines += ["", f"Across problems ({row['schedule']}, seed set {row['seed_set']}): Kendall's tau between the "
                  f"average ranks {_cell(row['kendall_tau'], 2)}; Friedman's p {_cell(row['friedman_p'], 2)} "
                  f"-> {_cell(row['friedman_p_again'], 2)}; pairs beyond the critical difference: {pairs} -> "
                  f"{again} ({kept} of {len(row['different'])} kept)."]  # fmt: skip
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
        tuned_on = s.get("tuned_on", {}).get(problem.name)
        where = f" Settings tuned on {tuned_on}, rerun here (held out)." if tuned_on else ""
        lines += ["", f"## {problem.name}", "", f"{problem.description}. Metric: {METRICS[problem.metric]}; "
                  f"target {problem.target:g}; {problem.epochs} epochs, batch {problem.batch_size}. "
                  f"Data: {problem.source}.{where}", ""]  # fmt: skip
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
    lines += ["", "## Budget", "", *_budget(report)]
    lines += _stability(report)
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
