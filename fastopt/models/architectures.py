"""The built-in architectures: the linear model and multilayer perceptrons on one flat parameter array.

Every built-in model is a stack of fully connected layers ``z_l = W_l a_{l-1}
+ b_l``, with an activation (ReLU or tanh) after every layer but the last:
the linear model is the stack with no hidden layer. Parameters are laid out
as ``torch.nn.utils.parameters_to_vector`` lays out ``nn.Sequential(Linear,
act, ..., Linear)``: for each layer, its weight (shape ``(out, in)``,
row-major), then its bias (``out``). For the linear model with one output
that is ``[w_1 .. w_d, b]``.

Initialisation: the linear model draws every parameter from N(0, 1) (the
tutorial's init); an MLP draws each layer's weight, then its bias, from
U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default ``nn.Linear`` init.
"""

from __future__ import annotations

import importlib
import itertools
import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "MLP", "Architecture", "ACTIVATIONS", "architecture", "forward", "backward", "layer_views", "mean_squared_error",
]  # fmt: skip

#: Hidden-layer activations; the kernel receives the index.
ACTIVATIONS = ("relu", "tanh")
RELU, TANH = range(2)


@dataclass(frozen=True)
class MLP:
    """A multilayer perceptron: ``hidden`` layer sizes and their activation.

    The input size comes from the data, the output size from the loss (1,
    or K for ``loss="cross_entropy"`` with K classes).

    Parameters
    ----------
    hidden : tuple of int >= 1
        Units of each hidden layer, e.g. ``(50,)`` for the tutorial's
        ``Linear(10, 50), ReLU(), Linear(50, 1)``.
    activation : {"relu", "tanh"}
        Applied after every hidden layer.

    Examples
    --------
    >>> MLP(hidden=(50,))
    MLP(hidden=(50,), activation='relu')
    """

    hidden: tuple[int, ...] = (50,)
    activation: str = "relu"

    def __post_init__(self) -> None:
        hidden = self.hidden
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
            raise TypeError(f"hidden must be a tuple of layer sizes, e.g. (50,), got {hidden!r}")
        hidden = tuple(hidden)
        if not hidden:
            raise ValueError("hidden must name at least one hidden layer, e.g. (50,); use model='linear' for none")
        for size in hidden:
            if isinstance(size, bool) or not isinstance(size, numbers.Integral):
                raise TypeError(f"hidden layer sizes must be integers, got {size!r} in hidden={self.hidden!r}")
            if size < 1:
                raise ValueError(f"hidden layer sizes must be >= 1, got {size} in hidden={self.hidden!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; valid activations are: {', '.join(ACTIVATIONS)}")
        object.__setattr__(self, "hidden", tuple(int(size) for size in hidden))

    @classmethod
    def from_torch(cls, module: Any) -> MLP:
        """The MLP of a torch ``nn.Sequential`` of ``Linear`` layers with ReLU or Tanh between them.

        Layers of any other kind are refused, naming the layer. To start
        from the module's weights too, pass ``model=module`` to :func:`fastopt.fit`.
        """
        model, _ = importlib.import_module("fastopt.torch").model_of(module)
        if not isinstance(model, MLP):
            raise ValueError("the module is a single Linear layer, which is model='linear' (no hidden layer)")
        return model


@dataclass(frozen=True)
class Architecture:
    """A resolved model: layer sizes ``[n_in, h_1, .., n_out]`` and the hidden activation."""

    sizes: tuple[int, ...]
    activation: str = "relu"

    @property
    def is_linear(self) -> bool:
        return len(self.sizes) == 2

    @property
    def activation_code(self) -> int:
        return ACTIVATIONS.index(self.activation)

    @property
    def n_params(self) -> int:
        return sum((n_in + 1) * n_out for n_in, n_out in itertools.pairwise(self.sizes))

    @property
    def name(self) -> str:
        if self.is_linear:
            return "linear"
        return f"MLP(hidden={self.sizes[1:-1]}, activation={self.activation!r})"

    def init(self, rng: np.random.Generator) -> np.ndarray:
        """Initial parameters drawn from ``rng`` (see module docstring)."""
        if self.is_linear:
            return rng.standard_normal(self.n_params)
        parts = []
        for n_in, n_out in itertools.pairwise(self.sizes):
            bound = 1.0 / math.sqrt(n_in)
            parts.append(rng.uniform(-bound, bound, n_out * n_in))
            parts.append(rng.uniform(-bound, bound, n_out))
        return np.concatenate(parts)


def architecture(model: Any, n_features: int, n_outputs: int) -> Architecture:
    """Resolve ``model`` ("linear" or an :class:`MLP`) for the data's input and the loss's output size."""
    if isinstance(model, str):
        if model == "linear":
            return Architecture((n_features, n_outputs))
        if model == "mlp":
            raise ValueError("model='mlp' needs layer sizes: pass model=fastopt.MLP(hidden=(50,))")
        raise ValueError(f"unknown model {model!r}; use 'linear' or fastopt.MLP(hidden=(...))")
    if isinstance(model, MLP):
        return Architecture((n_features, *model.hidden, n_outputs), model.activation)
    raise TypeError(f"model must be 'linear' or a fastopt.MLP, got {type(model).__name__} {model!r}")


def layer_views(params: np.ndarray, sizes: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(weight, bias), ...]`` views into ``params``; weight of shape ``(out, in)`` as in torch."""
    layers, offset = [], 0
    for n_in, n_out in itertools.pairwise(sizes):
        weight = params[offset : offset + n_out * n_in].reshape(n_out, n_in)
        offset += n_out * n_in
        layers.append((weight, params[offset : offset + n_out]))
        offset += n_out
    return layers


def _activate(Z: np.ndarray, activation: str) -> np.ndarray:
    return np.maximum(Z, 0.0) if activation == "relu" else np.tanh(Z)


def forward(params: np.ndarray, arch: Architecture, X: np.ndarray) -> list[np.ndarray]:
    """Activations of every layer for rows ``X`` (n, d), in matrix form: ``[X, a_1, .., z_out]``.

    The last entry is the output layer's pre-activation (the model's output).
    """
    outputs = [X]
    layers = layer_views(params, arch.sizes)
    for i, (weight, bias) in enumerate(layers):
        Z = outputs[-1] @ weight.T + bias
        outputs.append(Z if i == len(layers) - 1 else _activate(Z, arch.activation))
    return outputs


def mean_squared_error(params: np.ndarray, arch: Architecture, X: np.ndarray, y: np.ndarray) -> float:
    """Mean of ``(f(x) - y)**2`` over the rows of ``X`` (n, d) for a one-output model, in NumPy."""
    return float(np.mean((forward(params, arch, X)[-1][:, 0] - y) ** 2))


def backward(params: np.ndarray, arch: Architecture, outputs: list[np.ndarray], dZ: np.ndarray) -> np.ndarray:
    """Gradient of ``sum over rows of L`` w.r.t. ``params``, given ``dZ = dL/dz_out`` per row (n, out)."""
    layers = layer_views(params, arch.sizes)
    grads: list[np.ndarray] = []
    for i in range(len(layers) - 1, -1, -1):
        weight, _ = layers[i]
        A_in = outputs[i]
        grads = [(dZ.T @ A_in).ravel(), dZ.sum(axis=0), *grads]
        if i > 0:
            dA = dZ @ weight
            dZ = dA * (A_in > 0) if arch.activation == "relu" else dA * (1 - A_in**2)
    return np.concatenate(grads)
