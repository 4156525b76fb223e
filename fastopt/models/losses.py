"""The loss axis: one row per loss, orthogonal to the model.

A model maps a row ``x`` to outputs ``z`` (one per output unit); a loss
compares ``z`` with the row's target and enters the backward pass only
through ``dL/dz``. The training objective is the mean of ``L`` over the rows
of a batch (or, for the epoch loss, over all rows).

- ``squared_error`` (alias ``mse``): ``L = (z - y)**2``, ``dL/dz = 2 (z - y)``;
  PyTorch ``MSELoss``.
- ``huber``: ``L = (z - y)**2 / 2`` where ``|z - y| <= 1``, else ``|z - y| - 1/2``;
  ``dL/dz = clip(z - y, -1, 1)``; PyTorch ``HuberLoss(delta=1)``.
- ``log_loss``: ``L = max(z, 0) - z y + log(1 + exp(-|z|))`` with y in {0, 1};
  ``dL/dz = sigmoid(z) - y``; PyTorch ``BCEWithLogitsLoss``.
- ``cross_entropy``: ``L = logsumexp(z) - z_y`` over K outputs, y in {0 .. K-1};
  ``dL/dz = softmax(z) - onehot(y)``; PyTorch ``CrossEntropyLoss``.

``log_loss`` takes the logit ``z`` (the model has one output) and is exact
for any finite logit; ``cross_entropy`` subtracts ``max(z)`` before the
exponentials. Classification targets are stored as float64 class indices
(0.0, 1.0, ...), checked by :func:`check_targets`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.jit import jit

__all__ = ["Loss", "REGISTRY", "LOSSES", "get_loss", "check_targets", "loss_values", "output_gradients"]

SQUARED_ERROR, HUBER, LOG_LOSS, CROSS_ENTROPY = range(4)
#: Losses whose targets are numbers (``standardize=True`` scales them), not class labels.
REGRESSION_LOSSES = (SQUARED_ERROR, HUBER)


@dataclass(frozen=True)
class Loss:
    """One loss as the kernels and the API see it.

    ``classification`` losses take class labels; ``n_outputs(K)`` is the
    number of model outputs for K classes (1 for regression and log loss).
    """

    name: str
    code: int
    title: str
    classification: bool
    torch: str
    formula: str
    aliases: tuple[str, ...] = ()

    def n_outputs(self, n_classes: int) -> int:
        return n_classes if self.code == CROSS_ENTROPY else 1


REGISTRY: tuple[Loss, ...] = (
    Loss("squared_error", SQUARED_ERROR, "squared error", False, "MSELoss", "(z - y)**2", aliases=("mse",)),
    Loss("huber", HUBER, "Huber (delta 1)", False, "HuberLoss(delta=1.0)", "(z-y)**2/2 if |z-y| <= 1 else |z-y| - 1/2"),
    Loss("log_loss", LOG_LOSS, "log loss", True, "BCEWithLogitsLoss", "max(z,0) - z*y + log(1 + exp(-|z|))"),
    Loss("cross_entropy", CROSS_ENTROPY, "cross-entropy", True, "CrossEntropyLoss", "logsumexp(z) - z[y]"),
)
LOSSES: tuple[str, ...] = tuple(loss.name for loss in REGISTRY)
_BY_NAME = {name: loss for loss in REGISTRY for name in (loss.name, *loss.aliases)}


def get_loss(name: object) -> Loss:
    """Return the registry row for ``name`` (or an alias); a clear error for anything else."""
    if not isinstance(name, str):
        raise TypeError(f"loss must be a string, one of {', '.join(LOSSES)}; got {type(name).__name__} {name!r}")
    try:
        return _BY_NAME[name.lower()]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; valid losses are: {', '.join(LOSSES)} (alias 'mse')") from None


def check_targets(loss: Loss, y: np.ndarray, n_classes: Any = None) -> int:
    """Check ``y`` (float64, finite) for ``loss`` and return the number of classes (1 for regression).

    ``log_loss`` needs labels 0 and 1; ``cross_entropy`` integers 0..K-1,
    with K inferred as ``max(y) + 1`` unless ``n_classes`` is given; an
    inferred K must have a sample of every label (labels 1 and 2 alone
    would train a third, empty class 0), so other labels are refused with
    the way to encode them.
    """
    if not loss.classification:
        if n_classes is not None:
            raise ValueError(f"n_classes is for classification losses, not loss={loss.name!r}")
        return 1
    if np.any(y != np.round(y)) or np.any(y < 0):
        bad = y[(y != np.round(y)) | (y < 0)][:3]
        raise ValueError(
            f"y must hold class labels (integers from 0) for loss={loss.name!r}, got values such as {bad.tolist()}"
        )
    largest = int(y.max())
    labels = np.unique(y)
    encode = (
        "encode them as 0..K-1 first (classes, y = np.unique(y, return_inverse=True)), "
        "or use FastoptClassifier, which takes any labels"
    )
    if loss.code == LOG_LOSS:
        if len(labels) > 2:
            raise ValueError(
                f"loss='log_loss' is binary and needs labels 0 and 1, got {len(labels)} labels; "
                "use loss='cross_entropy' for more than two classes"
            )
        if largest > 1:
            raise ValueError(f"loss='log_loss' needs labels 0 and 1, got labels {_shown(labels)}; {encode}")
        if n_classes not in (None, 2):
            raise ValueError(f"loss='log_loss' has two classes, got n_classes={n_classes!r}")
        return 2
    if n_classes is None:
        if len(labels) < largest + 1:  # K = max + 1 would include classes with no sample
            present = set(labels.tolist())
            absent = np.array([k for k in range(min(largest + 1, len(labels) + 6)) if k not in present][:5])
            count = largest + 1 - len(labels)
            raise ValueError(
                f"loss='cross_entropy' takes labels 0..K-1 and infers K = max(y) + 1 = {largest + 1}, but "
                f"{'label' if count == 1 else f'{count} labels, e.g.'} {_shown(absent)} "
                f"{'has' if count == 1 else 'have'} no sample (y has {_shown(labels)}); {encode}; "
                "or pass n_classes if those classes exist and this data has none of them"
            )
        return max(largest + 1, 2)
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    if largest >= n_classes:
        raise ValueError(f"y has label {largest} but n_classes={n_classes} allows 0..{n_classes - 1}")
    return int(n_classes)


def _shown(values: np.ndarray, limit: int = 6) -> str:
    """Integer labels as ``[1, 2]``, the first ``limit`` of them and a count if there are more."""
    shown = ", ".join(str(int(v)) for v in values[:limit])
    return f"[{shown}{f', ... ({len(values)} in all)' if len(values) > limit else ''}]"


@jit(inline="always")  # the losses' helpers and row_loss: inlined where the networks call them
def _log1p_exp(z: float) -> float:
    """``log(1 + exp(z))`` without overflow."""
    if z > 0.0:
        return z + math.log1p(math.exp(-z))
    return math.log1p(math.exp(z))


@jit(inline="always")
def _sigmoid(z: float) -> float:
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@jit(inline="always")
def row_loss(code: int, Z: np.ndarray, dZ: np.ndarray, b: int, target: float, scale: float) -> float:
    """Loss of row ``b`` of a batch; writes ``scale * dL/dz`` into ``dZ[:, b]``.

    ``Z`` and ``dZ`` are (outputs, batch) views: the batch-major layout of
    :mod:`fastopt.engine.network`. ``scale`` is ``1 / batch size`` (0 skips the
    gradient, for epoch losses).
    """
    z = Z[0, b]
    if code == SQUARED_ERROR:
        r = z - target
        dZ[0, b] = scale * 2.0 * r
        return r * r
    if code == HUBER:
        r = z - target
        if abs(r) <= 1.0:
            dZ[0, b] = scale * r
            return 0.5 * r * r
        dZ[0, b] = scale if r > 0.0 else -scale
        return abs(r) - 0.5
    if code == LOG_LOSS:
        dZ[0, b] = scale * (_sigmoid(z) - target)
        return _log1p_exp(z) - z * target
    # cross-entropy over Z[:, b]
    K = Z.shape[0]
    top = Z[0, b]
    for k in range(1, K):
        top = max(top, Z[k, b])
    total = 0.0
    for k in range(K):
        total += math.exp(Z[k, b] - top)
    label = int(target)
    for k in range(K):
        dZ[k, b] = scale * (math.exp(Z[k, b] - top) / total - (1.0 if k == label else 0.0))
    return top + math.log(total) - Z[label, b]


# NumPy versions for the reference (independent: whole-array expressions, rows by outputs).


def loss_values(code: int, Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-row loss for outputs ``Z`` of shape (n, outputs) and targets ``y`` (n,)."""
    if code == SQUARED_ERROR:
        return (Z[:, 0] - y) ** 2
    if code == HUBER:
        r = np.abs(Z[:, 0] - y)
        return np.where(r <= 1.0, 0.5 * r**2, r - 0.5)
    if code == LOG_LOSS:
        z = Z[:, 0]
        return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    top = Z.max(axis=1, keepdims=True)
    log_total = top[:, 0] + np.log(np.exp(Z - top).sum(axis=1))
    return log_total - Z[np.arange(len(y)), y.astype(np.int64)]


def output_gradients(code: int, Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-row ``dL/dz``, shape (n, outputs)."""
    if code == SQUARED_ERROR:
        return 2 * (Z - y[:, None])
    if code == HUBER:
        return np.clip(Z - y[:, None], -1.0, 1.0)
    if code == LOG_LOSS:
        return 1 / (1 + np.exp(-Z)) - y[:, None]
    top = Z.max(axis=1, keepdims=True)
    softmax = np.exp(Z - top)
    softmax /= softmax.sum(axis=1, keepdims=True)
    softmax[np.arange(len(y)), y.astype(np.int64)] -= 1
    return softmax
