"""Figures of the gallery: tuned paths over contours, the score heatmap, and the animation.

Contours are drawn on ``log10(f - f_min + 1e-3 * range)`` so that the floor
of a valley shows as clearly as its walls.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..functions import TestFunction, grid_values
from ..io.output import write_file
from .style import pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..api.minimize import MinimizeResult
    from ..apps.gallery import Tuned

__all__ = ["contours", "exit_of", "function_panels", "summary_heatmap", "animate_function", "describe", "step_lengths"]

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def describe(settings: dict[str, Any]) -> str:
    """``lr=0.01, beta1=0.9``: the tuned settings, briefly."""
    shown = [f"{'lr' if k == 'learning_rate' else k}={v:.3g}" for k, v in settings.items() if v is not None]
    return ", ".join(shown)


def contours(ax: Axes, f: TestFunction, resolution: int = 160) -> None:
    """Filled contours of ``f`` over its window, minima as white stars and other stationary points as crosses."""
    import matplotlib

    (x0, x1), (y0, y1) = f.bounds
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    z = grid_values(f, xs, ys)
    if math.isnan(f.minimum_value):  # no minimum (the saddle): plain levels
        shown = z
    else:
        excess = z - min(f.minimum_value, float(z.min()))
        shown = np.log10(excess + 1e-3 * (float(excess.max()) or 1.0))
    # An image and a few lines: an animation redraws them every frame, filled contours cost 10x more.
    # 20 colour bands: the picture reads like filled contours and compresses well in a GIF.
    bands = matplotlib.colormaps["viridis"].resampled(20)
    ax.imshow(shown, extent=(x0, x1, y0, y1), origin="lower", cmap=bands, aspect="auto", interpolation="nearest")
    ax.contour(xs, ys, shown, levels=12, colors="white", linewidths=0.4, alpha=0.5)
    for point in f.minima:
        ax.plot(*point, marker="*", color="white", markersize=14, markeredgecolor="black", zorder=5)
    for point in f.local_minima:
        ax.plot(*point, marker="X", color="white", markersize=8, markeredgecolor="black", zorder=5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.grid(False)


def _path(ax: Axes, path: np.ndarray | None, color: str, bounds: Any, label: str | None = None) -> str:
    """Draw a path (clipped to the window ``bounds``); mark where it first leaves it. Returns a note of the exit."""
    assert path is not None, "the gallery's runs record their paths"
    ax.plot(path[:, 0], path[:, 1], color=color, linewidth=1.6, label=label, zorder=3)
    # Above the minima's markers: a run that starts or ends at one (noiseless GD in a valley) stays visible.
    ax.plot(*path[0], marker="o", color=color, markersize=7, markeredgecolor="black", zorder=6)
    ax.plot(*path[-1], marker="s", color=color, markersize=6, markeredgecolor="black", zorder=6)
    crossing = exit_of(path, bounds)
    if crossing is None:
        return ""
    step, point, outside = crossing
    ax.plot(*point, marker="X", color="white", markersize=11, markeredgecolor=color, markeredgewidth=2.0, zorder=7,
            clip_on=False)  # fmt: skip
    return f"\nleaves the frame at step {step} (X); {outside} of {len(path) - 1} steps outside"


def exit_of(path: np.ndarray, bounds: Any) -> tuple[int, np.ndarray, int] | None:
    """``(the first step outside the window, where its segment crosses the border, steps outside)``, or None.

    ``path[k]`` is the point after step k (row 0 the start, inside the window).
    """
    low, high = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    outside = np.any((path[:, :2] < low) | (path[:, :2] > high), axis=1)
    if not outside.any():
        return None
    k = int(np.argmax(outside))
    before, after = path[k - 1, :2], path[k, :2]
    move = after - before
    with np.errstate(divide="ignore", invalid="ignore"):  # the fraction of the segment inside, per coordinate
        fraction = np.where(move > 0, (high - before) / move, np.where(move < 0, (low - before) / move, np.inf))
    return k, before + min(1.0, float(fraction.min())) * move, int(outside.sum())


def function_panels(tuned: Sequence[Tuned]) -> Figure:
    """One panel per method: its tuned path (from the function's own start) over the contours."""
    plt, _ = pyplot()
    f = tuned[0].function
    columns = min(3, len(tuned))
    rows = math.ceil(len(tuned) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 4.0 * rows + 0.8), squeeze=False)
    for ax, t, color in zip(axes.flat, tuned, _COLORS, strict=False):
        contours(ax, f)
        left_frame = _path(ax, t.run.path, color, f.bounds)
        ax.set_title(f"{t.label}: {describe({**t.settings, 'clip_value': None})}\n"
                     f"median excess {t.score:.2g} (best of {t.trials} settings){left_frame}", fontsize=10)  # fmt: skip
    for ax in list(axes.flat)[len(tuned) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"{f.name}: each method's path with its tuned settings ({tuned[0].steps} steps; tuned by the median "
        f"final excess over {len(tuned[0].starts)} starts)\n"
        "circle: start, square: end, star: minimum, cross: another stationary point, X: where a path leaves the "
        "frame. Shading: log10 of f - f(x*)",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def summary_heatmap(results: Sequence[Tuned]) -> Figure:
    """Functions x methods, coloured by log10 of the median final excess value (lower is better)."""
    plt, sns = pyplot()
    functions = list(dict.fromkeys(r.function.name for r in results))
    methods = list(dict.fromkeys(r.label for r in results))
    score = np.full((len(functions), len(methods)), np.nan)
    for r in results:
        score[functions.index(r.function.name), methods.index(r.label)] = r.score
    shown = np.log10(np.clip(score, 1e-16, 1e16))
    labels = np.vectorize(lambda v: "diverged" if not np.isfinite(v) else f"{v:.1e}")(score)
    fig, ax = plt.subplots(figsize=(1.3 * len(methods) + 3, 0.55 * len(functions) + 2))
    sns.heatmap(shown, annot=labels, fmt="", cmap="viridis_r", xticklabels=methods, yticklabels=functions, ax=ax,
                cbar_kws={"label": "log10 median excess over the minimum (clipped to 1e-16)"},
                annot_kws={"fontsize": 8})  # fmt: skip
    steps = results[0].steps
    ax.set_title(f"Tuned methods after {steps} steps: median excess f(x) - f(x*) over the starts")
    fig.tight_layout()
    return fig


def animate_function(tuned: Sequence[Tuned], path: Path, *, frame_every: int = 6, fps: int = 12) -> int:
    """Write a GIF of every method moving together over the contours; return the number of frames.

    Frame k shows the first ``k * frame_every`` steps; the last frame shows them all.
    """
    from matplotlib import animation

    plt, _ = pyplot()
    f = tuned[0].function
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    contours(ax, f, resolution=120)
    lines, heads = [], []
    for t, color in zip(tuned, _COLORS, strict=False):
        (line,) = ax.plot([], [], color=color, linewidth=1.6, label=t.label)
        (head,) = ax.plot([], [], marker="o", color=color, markersize=7, markeredgecolor="black")
        lines.append(line)
        heads.append(head)
    ax.plot(*tuned[0].starts[0], marker="o", color="white", markersize=8, markeredgecolor="black")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.85)
    steps = max(t.run.steps_run for t in tuned)
    n_frames = frames(steps, frame_every)
    title = ax.set_title("")

    def draw(k: int) -> list[Any]:
        shown = min(k * frame_every, steps)
        for t, line, head in zip(tuned, lines, heads, strict=True):
            assert t.run.path is not None
            p = t.run.path[: shown + 1]
            line.set_data(p[:, 0], p[:, 1])
            head.set_data([p[-1, 0]], [p[-1, 1]])
        title.set_text(f"{f.name}, tuned settings: step {shown} of {steps}")
        return [*lines, *heads, title]

    movie = animation.FuncAnimation(fig, draw, frames=n_frames, blit=False)

    def write(partial: Path) -> None:  # the partial name ends in .gif, from which Pillow takes the format
        movie.save(partial, writer=animation.PillowWriter(fps=fps), dpi=80)

    write_file(path, write)
    plt.close(fig)
    return n_frames


def frames(steps: int, frame_every: int) -> int:
    """Frames of an animation of ``steps`` steps: the start, one per ``frame_every`` steps, and the end."""
    return math.ceil(steps / frame_every) + 1


def scene_figure(scene: Any, runs: Sequence[tuple[str, Any]]) -> Figure:
    """A scene: the paths over the contours, a curve per run (value, or step length), and the caption."""

    plt, _ = pyplot()
    f = runs[0][1].function
    fig, (left, right) = plt.subplots(1, 2, figsize=(12.5, 5.6), gridspec_kw={"width_ratios": [1.1, 1]})
    contours(left, f)
    exits = False
    for (label, run), color in zip(runs, _COLORS, strict=False):
        exits |= bool(_path(left, run.path, color, f.bounds, label))
        if scene.curve == "step":
            right.plot(np.arange(1, run.steps_run + 1), step_lengths(run), color=color, label=label, marker=".")
        elif scene.curve == "escape":
            assert run.path is not None
            right.plot(np.arange(run.steps_run + 1), np.abs(run.path[:, 1]), color=color, label=label)
        elif scene.curve == "side":
            assert run.path is not None
            right.plot(np.arange(run.steps_run + 1), run.path[:, 0], color=color, label=label, linewidth=1)
        else:
            excess = run.values - (f.minimum_value if np.isfinite(f.minimum_value) else 0.0)
            right.plot(np.arange(run.steps_run + 1), excess, color=color, label=label)
    left.legend(loc="lower right", fontsize=8, framealpha=0.85)
    left.set_title(f"{f.name}: paths (circle: start, square: end{', X: leaves the frame' if exits else ''})")
    right.set_xlabel("step")
    if scene.curve == "step":
        lr = runs[0][1].hyperparameters["learning_rate"]
        right.axhline(lr, color="grey", linestyle="--", linewidth=1, label=f"learning rate {lr:g}")
        right.set_ylabel("largest coordinate of the step, |dx_i|")
        right.set_title("How far each step goes, per coordinate")
    elif scene.curve == "side":
        right.axhline(0.0, color="grey", linestyle="--", linewidth=1, label="the ridge, x = 0")
        right.set_ylabel("x (below 0: the deep valley)")
        right.set_title("Which valley each step is in")
    elif scene.curve == "escape":
        right.set_yscale("log")
        right.set_ylabel("|y|, distance from the ridge line (log scale)")
        right.set_title("Escaping the saddle")
    elif np.isfinite(f.minimum_value):
        right.set_yscale("log")
        right.set_ylabel("f(x) - f(x*)  (log scale)")
        right.set_title("Distance to the minimum, in value")
    else:
        right.set_ylabel("f(x)")
        right.set_title("Value")
    right.legend(fontsize=8)
    fig.suptitle(scene.title, fontsize=14, fontweight="bold")
    caption = textwrap.fill(scene.caption, 150)
    # The figure grows by the caption's lines (about 0.17 in each at 10 pt), so that the axes keep their height
    # and the x labels stay clear of it.
    height = 5.6 + 0.17 * (caption.count("\n") + 1)
    fig.set_size_inches(12.5, height)
    fig.text(0.5, 0.1 / height, caption, ha="center", va="bottom", fontsize=10)
    fig.tight_layout(rect=(0, (0.1 + 0.17 * (caption.count("\n") + 1)) / height, 1, 1 - 0.3 / height))
    return fig


def step_lengths(run: MinimizeResult) -> np.ndarray:
    """How far every step of ``run`` moves its largest coordinate (``max_i |dx_i|``): per coordinate, as a
    learning rate is."""
    assert run.path is not None
    return np.abs(np.diff(run.path, axis=0)).max(axis=1)
