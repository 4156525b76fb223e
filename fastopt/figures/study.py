"""Figures of a study: learning-rate sensitivity and the distribution of the test metric over seeds."""

from __future__ import annotations

import json
import math
import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

from ..problems import METRICS
from .style import pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..apps.study_report import Report

__all__ = ["sensitivity", "distributions", "loss_curves"]


def _grid(count: int, plt: Any) -> tuple[Figure, list[Any]]:
    columns = min(3, count)
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
    runs = report.runs[report.runs["stage"] == "tune"]
    colors = dict(zip(report.settings["methods"], sns.color_palette(), strict=False))
    for axis, problem in zip(panels, report.problems, strict=True):
        mine = runs[runs["problem"] == problem.name]
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
    figure.tight_layout()
    return figure


def distributions(report: Report) -> Figure:
    """Per problem: the test metric of the tuned setting over the fresh seeds, per method (and of the defaults)."""
    plt, sns = pyplot()
    figure, panels = _grid(len(report.problems), plt)
    final = report.runs[report.runs["stage"].isin(["best", "defaults"])].copy()
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
    figure.tight_layout()
    return figure


def loss_curves(report: Report) -> Figure:
    """Per problem: the tuned runs' training loss per epoch, median over the seeds and its range, per method."""
    plt, sns = pyplot()
    figure, panels = _grid(len(report.problems), plt)
    final = report.runs[report.runs["stage"] == "best"]
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
    figure.tight_layout()
    return figure


def _title(figure: Figure, text: str, fontsize: float = 12) -> None:
    """The figure's title, wrapped to its width (a one-panel figure is narrower than most titles)."""
    characters = int(figure.get_figwidth() * 110 / fontsize)  # about 0.55 em per character
    figure.suptitle(textwrap.fill(text, characters), fontsize=fontsize)


def _every_run_diverged(axis: Axes, title: str) -> None:
    """A panel with nothing finite to draw says so (a log scale of no data would fail)."""
    axis.text(0.5, 0.5, "every run diverged", ha="center", va="center", transform=axis.transAxes)
    axis.set(title=title, xticks=[], yticks=[])
