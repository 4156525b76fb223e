"""Figures of a study: learning-rate sensitivity and the distribution of the test metric over seeds."""

from __future__ import annotations

import json
import math
import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

from ..apps.study_runs import seed_set_of
from ..apps.study_stats import performance_profile
from ..problems import METRICS
from .style import pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..apps.study_report import Report

__all__ = [
    "sensitivity",
    "distributions",
    "loss_curves",
    "critical_differences",
    "performance_profiles",
    "budget_curves",
]


def _grid(count: int, plt: Any) -> tuple[Figure, list[Any]]:
    columns = min(4, count)
    rows = math.ceil(count / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 4.0 * rows), squeeze=False)
    panels = list(axes.flat)
    for axis in panels[count:]:
        axis.set_visible(False)
    return figure, panels[:count]


def sensitivity(report: Report) -> Figure:
    """Per problem: each tried setting's validation metric against its learning rate, per method.

    A point is the median over the tuning seeds, its bar their range; the
    best setting is circled. Diverged settings are left out.
    """
    plt, sns = pyplot()
    figure, panels = _grid(len(report.problems), plt)
    colors = dict(zip(report.settings["methods"], sns.color_palette(), strict=False))
    for axis, problem in zip(panels, report.problems, strict=True):
        mine = report.tuning_runs(problem.name)
        if not np.isfinite(mine["validation"]).any():
            _every_run_diverged(axis, problem.name)
            continue
        for (method, schedule), group in mine.groupby(["method", "schedule"], sort=False):
            trials = group.groupby("trial")
            rate = trials["settings"].first().map(lambda s: s["learning_rate"] if isinstance(s, dict)
                                                  else json.loads(s)["learning_rate"])  # fmt: skip
            median, low, high = trials["validation"].median(), trials["validation"].min(), trials["validation"].max()
            keep = np.isfinite(median.to_numpy())
            order = np.argsort(rate.to_numpy()[keep])
            x, y = rate.to_numpy()[keep][order], median.to_numpy()[keep][order]
            spread = np.vstack([y - low.to_numpy()[keep][order], high.to_numpy()[keep][order] - y])
            label = method if len(report.settings["schedules"]) == 1 else f"{method} ({schedule})"
            axis.errorbar(x, y, yerr=np.clip(spread, 0, None), fmt="o-", markersize=3, linewidth=1, capsize=2,
                          color=colors.get(method), label=label, alpha=0.8)  # fmt: skip
            if len(y):
                axis.plot(x[np.argmin(y)], y.min(), "o", markersize=10, markerfacecolor="none",
                          markeredgecolor=colors.get(method))  # fmt: skip
        axis.set_xscale("log")
        finite = mine["validation"][np.isfinite(mine["validation"])]
        if (finite > 0).all():
            axis.set_yscale("log")
        axis.set(title=problem.name, xlabel="learning rate", ylabel=f"validation {problem.metric}")
    if panels[0].get_legend_handles_labels()[0]:  # nothing to name when every run diverged
        panels[0].legend(fontsize=7)
    _title(figure, "Learning-rate sensitivity: every tried setting (median over tuning seeds, bar: their range; "
                   "circle: the best)")  # fmt: skip
    return figure


def distributions(report: Report) -> Figure:
    """Per problem: the test metric of the tuned setting over the fresh seeds, per method (and of the defaults)."""
    plt, sns = pyplot()
    figure, panels = _grid(len(report.problems), plt)
    final = _seed_set_0(report)
    final = final[final["stage"].isin(["best", "defaults"])].copy()
    final["run"] = final["stage"].map({"best": "tuned", "defaults": "defaults"})
    for axis, problem in zip(panels, report.problems, strict=True):
        mine = final[(final["problem"] == problem.name) & np.isfinite(final["test"])]
        if mine.empty:
            _every_run_diverged(axis, problem.name)
            continue
        # One point per seed: with ten seeds the points say more than a box.
        sns.stripplot(mine, x="method", y="test", hue="run", ax=axis, dodge=True, size=4, alpha=0.8, jitter=0.2)
        if (mine["test"] > 0).all() and mine["test"].max() / mine["test"].min() > 20:
            axis.set_yscale("log")
        axis.set(title=problem.name, xlabel="", ylabel=f"test {problem.metric}")
        axis.tick_params(axis="x", rotation=30)
        axis.legend(fontsize=7)
    metrics = ", ".join(f"{name}: {text}" for name, text in METRICS.items())
    seeds = report.settings["seeds"]
    _title(figure, f"Test metric over {seeds} seeds, tuned vs defaults (lower is better; {metrics})", fontsize=10)
    return figure


def loss_curves(report: Report) -> Figure:
    """Per problem: the tuned runs' training loss per epoch, median over the seeds and its range, per method."""
    plt, sns = pyplot()
    figure, panels = _grid(len(report.problems), plt)
    final = _seed_set_0(report)
    final = final[final["stage"] == "best"]
    colors = dict(zip(report.settings["methods"], sns.color_palette(), strict=False))
    for axis, problem in zip(panels, report.problems, strict=True):
        drawn = False
        for (method, schedule), group in final[final["problem"] == problem.name].groupby(["method", "schedule"]):
            histories = [np.asarray(h, dtype=float) for h in group["loss_history"] if len(h)]
            if not any(np.isfinite(h).any() for h in histories):
                continue
            drawn = True
            length = min(len(h) for h in histories)
            stack = np.vstack([h[:length] for h in histories])
            epochs = np.arange(1, length + 1)
            label = method if len(report.settings["schedules"]) == 1 else f"{method} ({schedule})"
            with np.errstate(invalid="ignore"):
                axis.plot(epochs, np.nanmedian(stack, axis=0), color=colors.get(method), label=label, linewidth=1.5)
                axis.fill_between(epochs, np.nanmin(stack, axis=0), np.nanmax(stack, axis=0), color=colors.get(method),
                                  alpha=0.15, linewidth=0)  # fmt: skip
        if not drawn:
            _every_run_diverged(axis, problem.name)
            continue
        axis.set_yscale("log")
        axis.set(title=problem.name, xlabel="epoch", ylabel="training loss")
    if panels[0].get_legend_handles_labels()[0]:  # nothing to name when every run diverged
        panels[0].legend(fontsize=7)
    _title(figure, "The tuned runs' training loss: median over the seeds, band: their range")
    return figure


def budget_curves(report: Report) -> Figure:
    """Per problem: each method's best validation metric against the settings tried so far (1: its defaults
    alone, Schmidt et al.'s one-shot budget), the curve random search draws as the budget grows."""
    plt, sns = pyplot()
    figure, panels = _grid(len(report.problems), plt)
    colors = dict(zip(report.settings["methods"], sns.color_palette(), strict=False))
    for axis, problem in zip(panels, report.problems, strict=True):
        drawn = False
        for schedule, curves in report.budget_curves.get(problem.name, {}).items():
            for method, curve in curves.items():
                values = np.asarray(curve, dtype=float)
                if not np.isfinite(values).any():
                    continue
                drawn = True
                label = method if len(report.settings["schedules"]) == 1 else f"{method} ({schedule})"
                axis.step(np.arange(1, len(values) + 1), values, where="post", color=colors.get(method), label=label,
                          linewidth=1.5)  # fmt: skip
        if not drawn:
            _every_run_diverged(axis, problem.name)
            continue
        by_schedule = report.budget_curves[problem.name].values()
        finite = np.concatenate([np.asarray(curve, dtype=float) for curves in by_schedule for curve in curves.values()])
        finite = finite[np.isfinite(finite)]
        if (finite > 0).all() and finite.max() / finite.min() > 20:
            axis.set_yscale("log")
        axis.set(
            title=problem.name, xlabel="settings tried (1 = the defaults)", ylabel=f"best validation {problem.metric}"
        )
    if panels[0].get_legend_handles_labels()[0]:
        panels[0].legend(fontsize=7)
    _title(figure, "Budget curves: the best validation metric (median over the tuning seeds) after each setting tried")
    return figure


def _seed_set_0(report: Report) -> Any:
    """The runs of seed set 0 and the tuning runs: the ones the tables read."""
    return report.runs[seed_set_of(report.runs["seed"].to_numpy()) <= 0]


def _title(figure: Figure, text: str, fontsize: float = 12) -> None:
    """The figure's title, wrapped to its width (a one-panel figure is narrower than most titles), and the
    panels laid out below it (``tight_layout`` alone lets the title overlap the top row's titles)."""
    characters = int(figure.get_figwidth() * 110 / fontsize)  # about 0.55 em per character
    wrapped = textwrap.fill(text, characters)
    figure.suptitle(wrapped, fontsize=fontsize)
    height = (wrapped.count("\n") + 1) * fontsize * 1.3 / 72 + 0.1  # inches: lines of text and a margin
    figure.tight_layout(rect=(0.0, 0.0, 1.0, 1.0 - height / figure.get_figheight()))


def _every_run_diverged(axis: Axes, title: str) -> None:
    """A panel with nothing finite to draw says so (a log scale of no data would fail)."""
    axis.text(0.5, 0.5, "every run diverged", ha="center", va="center", transform=axis.transAxes)
    axis.set(title=title, xticks=[], yticks=[])


def critical_differences(report: Report) -> Figure:
    """Per schedule: each method's average rank over the problems, and bars joining the methods whose ranks
    differ by less than Nemenyi's critical difference (not significantly different; Demšar 2006)."""
    plt, _ = pyplot()
    summaries = report.across
    figure, axes = plt.subplots(max(1, len(summaries)), 1, figsize=(8.0, 3.2 * max(1, len(summaries))),
                                squeeze=False)  # fmt: skip
    panels = list(axes.flat)
    if not summaries:
        _every_run_diverged(panels[0], "no method has a result on every problem")
    for axis, (schedule, summary) in zip(panels, summaries.items(), strict=False):
        ranks = summary["average_ranks"]
        order = sorted(ranks, key=lambda m: (ranks[m], m))
        k, cd = len(order), summary["critical_difference"]
        axis.hlines(0, 1, k, color="black", linewidth=1)
        for r in range(1, k + 1):
            axis.vlines(r, 0, 0.06, color="black", linewidth=1)
            axis.text(r, 0.1, str(r), ha="center", va="bottom", fontsize=8)
        half = math.ceil(k / 2)
        for i, method in enumerate(order):
            right = i >= half
            depth = -0.35 * ((k - 1 - i) if right else i) - 0.45
            end = k + 0.2 if right else 0.8
            axis.plot([ranks[method], ranks[method], end], [0, depth, depth], color="black", linewidth=0.8)
            axis.text(end + (0.05 if right else -0.05), depth, f"{method} ({ranks[method]:.2f})", va="center",
                      ha="left" if right else "right", fontsize=9)  # fmt: skip
        # Maximal groups whose rank span is within the critical difference: drawn as bars under the axis.
        groups = [(i, j) for i in range(k) for j in range(k - 1, i, -1) if ranks[order[j]] - ranks[order[i]] <= cd]
        maximal = [g for g in groups if not any(o != g and o[0] <= g[0] and g[1] <= o[1] for o in groups)]
        for level, (i, j) in enumerate(sorted(set(maximal))):
            y = -0.15 - 0.08 * level
            axis.hlines(y, ranks[order[i]] - 0.03, ranks[order[j]] + 0.03, color="black", linewidth=3)
        if math.isfinite(cd) and cd < k - 1:
            axis.hlines(0.45, 1, 1 + cd, color="black", linewidth=1.5)
            axis.text(1 + cd / 2, 0.5, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=8)
        axis.set_xlim(-1.2, k + 2.2)
        axis.set_ylim(-0.35 * half - 0.6, 0.9)
        axis.axis("off")
        p = summary["friedman_p"]
        where = "" if len(summaries) == 1 else f"{schedule}: "
        axis.set_title(f"{where}average rank over {len(summary['problems'])} problems (1 = best); Friedman "
                       f"p = {p:.2g}; a bar joins methods not significantly different", fontsize=10)  # fmt: skip
    figure.tight_layout()
    return figure


def performance_profiles(report: Report) -> Figure:
    """Per schedule: for each method, the fraction of problems on which its test median is within a factor
    tau of the best method's (Dolan and Moré 2002; AlgoPerf scores methods this way)."""
    plt, sns = pyplot()
    summaries = report.across
    figure, panels = _grid(max(1, len(summaries)), plt)
    if not summaries:
        _every_run_diverged(panels[0], "performance profiles")
    colors = dict(zip(report.settings["methods"], sns.color_palette(), strict=False))
    for axis, (schedule, summary) in zip(panels, summaries.items(), strict=False):
        table = np.array(summary["test_medians"], dtype=float)
        best = np.min(table, axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = table / best
        finite = ratios[np.isfinite(ratios)]
        top = max(2.0, float(np.max(finite)) * 1.2) if len(finite) else 2.0
        taus = np.geomspace(1.0, top, 200)
        profile = performance_profile(table, taus)
        for method, row in zip(summary["methods"], profile, strict=True):
            axis.step(taus, row, where="post", label=method, color=colors.get(method), linewidth=1.5)
        axis.set_xscale("log")
        axis.set(xlabel="tau: within this factor of the best test median", ylabel="fraction of problems",
                 ylim=(-0.02, 1.02), title=schedule)  # fmt: skip
        axis.legend(fontsize=7)
    _title(figure, "Performance profiles: higher and further left is better")
    return figure
