"""Figures of a comparison: runtime and RMSE bars, loss curves, paths over the loss surface.

Each function returns a matplotlib Figure (drawn with the non-interactive
Agg backend, so no display is needed).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..api.validation import as_features
from ..models.architectures import Architecture, mean_squared_error
from ..models.closed_form import least_squares
from .style import pyplot

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from ..api.result import FitResult
    from ..datasets import TutorialSplit

__all__ = ["comparison", "loss_curves", "paths", "sweep_heatmap"]


def comparison(table: pd.DataFrame) -> Figure:
    """The tutorial's bar chart: runtime per method (log scale), and test RMSE per method.

    The RMSE panel shows how far each method's test RMSE is above closed-form
    least squares, on a linear scale from 0 (RMSE itself, from 0, when the
    table has no least-squares row): methods that all land within a fraction
    of a percent of the optimum look that close. Each bar is labelled with
    the RMSE, and each runtime bar with its seconds. Units: ``table.attrs["settings"]["units"]`` (dollars by default).
    """
    import pandas as pd

    units = table.attrs.get("settings", {}).get("units", "$")

    def money(value: float) -> str:
        return f"${value:,.2f}" if units == "$" else f"{value:,.2f} {units}".strip()

    plt, sns = pyplot()
    runs = table[table["implementation"] != "numpy.linalg.lstsq"]
    fastopt_rows = runs[runs["implementation"] == "fastopt"]
    # Peers share the label of fastopt's run of the same method on the same model.
    titles = {(r.method, r.model): r.label for r in fastopt_rows.itertuples()}
    runtime = [
        {
            "method": titles.get((r.method, r.model), r.label),
            "implementation": r.implementation + (" (estimate)" if r.runtime_is_estimate else ""),
            "seconds": r.runtime_s,
        }
        for r in runs.itertuples()
    ]
    runtime += [
        {"method": r.label, "implementation": "NumPy reference (estimate)", "seconds": r.reference_runtime_s}
        for r in fastopt_rows.itertuples()
        if r.reference_runtime_s == r.reference_runtime_s
    ]
    runtime_frame = pd.DataFrame(runtime)
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2))
    sns.barplot(runtime_frame, x="method", y="seconds", hue="implementation", ax=left)
    left.set_yscale("log")
    for container in left.containers:  # a log scale hides the values: say each one
        heights = [patch.get_height() for patch in container]
        left.bar_label(container, labels=[_seconds(h) for h in heights], fontsize=7, rotation=90, padding=2)
    left.margins(y=0.25)  # room above the tallest bar for its label
    left.set(
        xlabel="", ylabel="runtime (s, log scale)", title=f"Runtime for {int(fastopt_rows['epochs'].max())} epochs"
    )
    left.legend(title=None, loc="upper center", bbox_to_anchor=(0.5, -0.24), ncol=2, frameon=False)
    left.tick_params(axis="x", rotation=15)
    ols = table[table["implementation"] == "numpy.linalg.lstsq"]["test_rmse_dollars"]
    baseline = float(ols.iloc[0]) if len(ols) else 0.0
    rmse = fastopt_rows["test_rmse_dollars"].to_numpy(dtype=float)
    seeds = int(fastopt_rows["seeds"].max()) if "seeds" in fastopt_rows and len(fastopt_rows) else 1
    low = fastopt_rows.get("test_rmse_min", fastopt_rows["test_rmse_dollars"]).to_numpy(dtype=float) - baseline
    high = fastopt_rows.get("test_rmse_max", fastopt_rows["test_rmse_dollars"]).to_numpy(dtype=float) - baseline
    bars = fastopt_rows.assign(shown=rmse - baseline)
    sns.barplot(bars, x="label", y="shown", ax=right, color=sns.color_palette()[0])
    best = int(np.nanargmin(high)) if seeds > 1 else -1  # the method whose worst seed is best
    for i, (patch, value) in enumerate(zip(right.patches, rmse, strict=False)):
        centre = patch.get_x() + patch.get_width() / 2
        note = money(value) + (f"\n+{100 * (value / baseline - 1):.2f} %" if baseline else "")
        if seeds > 1:  # the spread over seeds: a bar whose range meets the best one's is no worse than it
            right.plot([centre, centre], [low[i], high[i]], color="black", linewidth=1.2)
            if i != best and low[i] <= high[best]:
                note += "\nwithin the spread\nof the best"
        right.annotate(note, (centre, max(patch.get_height(), high[i])), ha="center", va="bottom", fontsize=8,
                       xytext=(0, 2), textcoords="offset points")  # fmt: skip
    right.set_ylim(0, max(float(np.nanmax(np.maximum(bars["shown"], high))), 1e-12) * 1.45)
    if seeds == 1:
        spread = "one run per method: a difference this small may be its last epoch's noise (--seeds N)"
    else:
        spread = f"bars: the first seed's run; lines: min to max over {seeds} seeds"
    if baseline:
        right.set(ylabel=f"test RMSE above least squares ({units})" if units else "test RMSE above least squares",
                  title=f"Test RMSE (fastopt), above closed-form OLS's {money(baseline)}\n{spread}")  # fmt: skip
    else:
        right.set(ylabel=f"test RMSE ({units})" if units else "test RMSE", title=f"Test RMSE (fastopt)\n{spread}")
    right.set(xlabel="")
    right.tick_params(axis="x", rotation=15)
    figure.tight_layout()
    return figure


def _seconds(value: float) -> str:
    """A runtime bar's label: two significant digits below 10 s, whole seconds above; none for a missing bar."""
    if not np.isfinite(value):
        return ""
    return f"{value:.2g} s" if value < 10 else f"{value:,.0f} s"


def _panels(count: int, width: float, height: float, **subplots: Any) -> tuple[Figure, list[Any]]:
    """A figure with ``count`` panels, two per row; a spare last panel is hidden."""
    plt, _ = pyplot()
    columns = min(2, count)
    rows = -(-count // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows), squeeze=False, **subplots)
    panels = list(axes.flat)
    for axis in panels[count:]:
        axis.set_visible(False)
    return figure, panels[:count]


def _mse_surface(split: TutorialSplit) -> Callable[[Any, Any], Any]:
    """MSE(m, b) on the training data, from its sufficient statistics."""
    x, y = split.x_train, split.y_train
    sxx, sx, sxy, sy, syy = (x * x).mean(), x.mean(), (x * y).mean(), y.mean(), (y * y).mean()
    return lambda m, b: m**2 * sxx + 2 * m * b * sx + b**2 - 2 * m * sxy - 2 * b * sy + syy


#: Bins per decade of epochs in which :func:`loss_curves` takes medians.
_BINS_PER_DECADE = 12
_STYLES = ("-", "--", "-.", ":")


def loss_curves(
    results: Mapping[str, FitResult],
    split: TutorialSplit | None = None,
    ylabel: str = "training MSE (standardized, log scale)",
) -> Figure:
    """Training loss through every epoch, one line per run, log scales.

    With the ``split`` the runs trained on (the linear model, squared error)
    the curves show the excess over the least-squares training MSE, the
    lowest any run can reach, and start at epoch 0, the initial parameters.
    Each line is the median of the epochs in log-spaced bins (12 per decade)
    and the band around it their 10-90 % range, so that one method's
    epoch-to-epoch noise does not hide another's curve.
    """
    plt, sns = pyplot()
    figure, axis = plt.subplots(figsize=(8.4, 5))
    X = None if split is None else as_features(split.x_train)
    linear = all(isinstance(r.model, Architecture) and r.model.is_linear for r in results.values())
    optimum = 0.0
    if split is not None and X is not None and linear:
        optimum = float(np.mean((X @ (w := least_squares(X, split.y_train))[:-1] + w[-1] - split.y_train) ** 2))
    for (method, result), color, style in zip(results.items(), sns.color_palette(), _STYLES * 3, strict=False):
        start = []
        if split is not None and X is not None:
            assert isinstance(result.model, Architecture)
            start = [mean_squared_error(result.init, result.model, X, split.y_train)]
        losses = np.concatenate([start, result.loss_history]) - optimum
        epochs = np.arange(1 - len(start), result.epochs_run + 1)
        centres, low, middle, high = _binned(epochs, np.maximum(losses, 1e-300))
        axis.plot(centres, middle, style, color=color, label=method, linewidth=1.8)
        axis.fill_between(centres, low, high, color=color, alpha=0.15, linewidth=0)
    axis.set_xscale("symlog", linthresh=1)
    axis.set_yscale("log")
    if optimum:
        ylabel = ylabel.replace("training MSE", "training MSE - least squares'").replace(" scale", "")
    axis.set(
        xlabel="epoch (0 = start; log scale past 1)" if split is not None else "epoch (log scale past 1)",
        ylabel=ylabel,
        title=(f"Training loss above least squares' {optimum:.5g}" if optimum else "Training loss")
        + ": bin medians, 10-90 % band",
    )
    axis.legend()
    figure.tight_layout()
    return figure


def _binned(epochs: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Median and 10th/90th percentiles of ``values`` in log-spaced bins of ``epochs`` (epochs 0 and 1 alone)."""
    last = max(int(epochs[-1]), 1)
    edges = np.unique(
        np.concatenate(
            [[epochs[0], 1, 2], np.geomspace(2, last + 1, 1 + int(_BINS_PER_DECADE * np.log10(last + 1)))]
        ).astype(int)
    )
    centres, low, middle, high = [], [], [], []
    for a, b in itertools.pairwise(edges):
        inside = values[(epochs >= a) & (epochs < b)]
        if inside.size:
            centres.append(np.sqrt(max(a, 0.5) * max(b - 1, 0.5)) if a > 0 else a)
            low.append(np.percentile(inside, 10))
            middle.append(np.median(inside))
            high.append(np.percentile(inside, 90))
    return np.array(centres), np.array(low), np.array(middle), np.array(high)


#: Points of a path drawn at most (a longer one is thinned for the picture).
MAX_DRAWN = 5_000


def paths(results: Mapping[str, FitResult], split: TutorialSplit) -> Figure:
    """Each method's path through the (m, b) plane over contour lines of the training MSE.

    One panel per method; the path starts at the initial parameters (o) and
    has a point per recorded epoch or update (``FitResult.path_unit``) up to
    its last (*); + marks the least-squares optimum. A path of more than
    :data:`MAX_DRAWN` points is thinned for drawing (never in the data).
    For one-feature fits only.
    """
    _, sns = pyplot()
    tracks = {
        method: np.vstack([r.init[None, :], r.path if r.path is not None else r.params[None, :]])
        for method, r in results.items()
    }
    first = next(iter(results.values()))
    unit = "update" if first.path_unit == "steps" else "epoch"
    if any(track.shape[1] != 2 for track in tracks.values()):
        raise ValueError("paths() draws the (m, b) plane and needs one-feature fits")
    points = np.vstack(list(tracks.values()))
    points = points[np.isfinite(points).all(axis=1)]
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.15 * np.maximum(high - low, 0.5)
    mm, bb = np.meshgrid(
        np.linspace(low[0] - margin[0], high[0] + margin[0], 240),
        np.linspace(low[1] - margin[1], high[1] + margin[1], 240),
    )
    surface = _mse_surface(split)(mm, bb)
    levels = np.geomspace(surface.min() * 1.001, surface.max(), 16)
    optimum = least_squares(split.x_train, split.y_train)
    figure, axes = _panels(len(tracks), 6.2, 5, sharex=True, sharey=True)
    # The palette has more colours than there are methods.
    for axis, (method, track), color in zip(axes, tracks.items(), sns.color_palette(), strict=False):
        contours = axis.contour(mm, bb, surface, levels=levels, cmap="Greys", linewidths=0.7)
        axis.clabel(contours, fmt="%.2g", fontsize=7)
        drawn = track[:: max(1, -(-len(track) // MAX_DRAWN))]
        axis.plot(drawn[:, 0], drawn[:, 1], "-", color=color, linewidth=0.8, alpha=0.7)
        axis.plot(*track[0], "o", color=color, markersize=7)
        axis.plot(*track[-1], "*", color=color, markersize=14, markeredgecolor="black")
        axis.plot(*optimum, "+", color="black", markersize=14, markeredgewidth=2)
        axis.set(title=f"{method}: {track.shape[0] - 1} {unit}s", xlabel="m (slope)", ylabel="b (intercept)")
    span = f", the first {first.epochs_run} epochs" if unit == "update" else ""
    figure.suptitle(f"Paths over the training MSE (o start, * last, + least squares; one point per {unit}{span})")
    figure.tight_layout()
    return figure


def sweep_heatmap(table: pd.DataFrame, value: str, label: str) -> Figure:
    """Mean of ``value`` over seeds (and any other dimension) for learning rate x batch size, one panel per method."""
    _, sns = pyplot()
    methods = list(dict.fromkeys(table["method"]))
    figure, axes = _panels(len(methods), 6, 4.2)
    finite = table.assign(**{value: table[value].replace([np.inf, -np.inf], np.nan)})
    grids = {
        method: finite[finite["method"] == method].pivot_table(
            index="learning_rate", columns="batch_size", values=value, aggfunc="mean", dropna=False
        )
        for method in methods
    }
    from matplotlib.colors import Normalize
    from matplotlib.ticker import ScalarFormatter

    for axis, (method, grid) in zip(axes, grids.items(), strict=True):
        values = grid.to_numpy(dtype=float)
        if not np.isfinite(values).any():
            axis.text(0.5, 0.5, "every configuration diverged", ha="center", va="center", transform=axis.transAxes)
            axis.set(title=method, xticks=[], yticks=[])
            continue
        # Each panel its own scale, clipped at its 75th percentile: one diverging outlier would
        # otherwise give every other cell the same colour. The numbers in the cells are exact.
        finite_values = values[np.isfinite(values)]
        low, high = float(finite_values.min()), float(np.percentile(finite_values, 75))
        norm = Normalize(low, high if high > low else low + 1e-12, clip=True)
        sns.heatmap(grid, annot=True, fmt=",.2f", cmap="viridis_r", ax=axis, norm=norm,
                    cbar_kws={"format": ScalarFormatter(useOffset=False)}, annot_kws={"fontsize": 8})  # fmt: skip
        axis.set(title=method, xlabel="batch size", ylabel="learning rate")
    figure.suptitle(
        f"{label}, mean over seeds (blank: diverged)\nColours per panel, from its best cell to its 75th "
        "percentile: the worst quarter is darkest; the numbers are exact"
    )
    figure.tight_layout()
    return figure
