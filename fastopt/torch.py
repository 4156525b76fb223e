"""PyTorch interop: bring an ``nn.Sequential``, take it back trained.

fastopt's built-in models are PyTorch's ``nn.Sequential(Linear, act, ...,
Linear)`` with the parameters in ``parameters_to_vector`` order (see
:mod:`fastopt.models.architectures`), so a module maps to a model and a
parameter vector one to one::

    net = torch.nn.Sequential(torch.nn.Linear(10, 50), torch.nn.ReLU(), torch.nn.Linear(50, 1))
    result = fastopt.fit(X, y, "adam", model=net)      # starts from net's weights
    result.load_into(net)                              # net now holds the trained weights

A module is accepted wherever ``fit`` takes ``model`` (the architecture and,
when ``init`` is not given, the starting weights) or ``init`` (the weights).
Accepted modules: a single ``nn.Linear`` (the linear model) or an
``nn.Sequential`` of ``nn.Linear`` layers with biases, with one ``nn.ReLU``
or ``nn.Tanh`` between consecutive ones (the same activation throughout).

torch is an optional extra: this module imports it only when a function
here needs it, and fastopt never needs it otherwise.
"""

from __future__ import annotations

import importlib
import itertools
from typing import Any

import numpy as np

from .models.architectures import ACTIVATIONS, MLP, Architecture

__all__ = ["is_module", "architecture_of", "model_of", "load_into", "to_module"]

#: torch's activation class names -> fastopt's activation names.
_ACTIVATIONS = {"ReLU": "relu", "Tanh": "tanh"}


def _torch() -> Any:
    try:
        return importlib.import_module("torch")
    except ImportError as error:  # pragma: no cover - only without torch
        raise ImportError("fastopt.torch needs PyTorch: pip install torch") from error


def is_module(value: Any) -> bool:
    """Whether ``value`` is a ``torch.nn.Module``, without importing torch."""
    return any(cls.__name__ == "Module" and cls.__module__ == "torch.nn.modules.module" for cls in type(value).__mro__)


def _layers(module: Any) -> tuple[list[Any], str]:
    """The module's ``Linear`` layers and its activation name, or a ``ValueError`` naming what does not fit."""
    kind = type(module).__name__
    if kind == "Linear":
        return [module], ACTIVATIONS[0]
    if kind != "Sequential":
        raise ValueError(f"fastopt takes an nn.Sequential of Linear and ReLU/Tanh layers, or one nn.Linear; got {kind}")
    linears: list[Any] = []
    activations: set[str] = set()
    previous = None
    for position, layer in enumerate(module):
        name = type(layer).__name__
        if name == "Linear":
            if previous == "Linear":
                raise ValueError(f"layer {position} (Linear) follows a Linear: put a ReLU or Tanh between them")
            linears.append(layer)
        elif name in _ACTIVATIONS:
            if previous != "Linear":
                raise ValueError(f"layer {position} ({name}) must follow a Linear layer")
            activations.add(_ACTIVATIONS[name])
        else:
            raise ValueError(
                f"layer {position} is {name}: fastopt's models are Linear layers with ReLU or Tanh between them"
            )
        previous = name
    if previous != "Linear":
        raise ValueError("the last layer must be Linear (fastopt's losses take the raw outputs)")
    if len(activations) > 1:
        raise ValueError("every hidden layer must use the same activation, ReLU or Tanh; this module mixes them")
    return linears, activations.pop() if activations else ACTIVATIONS[0]


def architecture_of(module: Any) -> Architecture:
    """The :class:`~fastopt.models.architectures.Architecture` of ``module`` (see the module docstring)."""
    linears, activation = _layers(module)
    for position, layer in enumerate(linears):
        if layer.bias is None:
            raise ValueError(f"Linear layer {position} has no bias (bias=False): fastopt's layers all have one")
    for earlier, later in itertools.pairwise(linears):
        if later.in_features != earlier.out_features:
            raise ValueError(f"Linear({later.in_features}, ...) follows Linear(..., {earlier.out_features})")
    return Architecture((linears[0].in_features, *(layer.out_features for layer in linears)), activation)


def model_of(module: Any) -> tuple[MLP | str, np.ndarray]:
    """``(model, params)``: the fastopt model of ``module`` and its current weights as float64.

    ``model`` is ``"linear"`` for a single ``Linear`` layer, else an :class:`~fastopt.MLP`;
    ``params`` is ``parameters_to_vector(module.parameters())``, copied.
    """
    arch = architecture_of(module)
    model = "linear" if arch.is_linear else MLP(hidden=arch.sizes[1:-1], activation=arch.activation)
    torch = _torch()
    with torch.no_grad():
        vector = torch.nn.utils.parameters_to_vector(module.parameters())
        params = vector.detach().to(device="cpu", dtype=torch.float64).numpy().copy()
    return model, params


def load_into(params: np.ndarray, arch: Architecture, module: Any) -> Any:
    """Copy ``params`` (fastopt's layout of ``arch``) into ``module``'s weights, in place; returns ``module``.

    The weights keep the module's own dtype and device; the module must have
    the same layers as ``arch``.
    """
    found = architecture_of(module)
    if found != arch:
        raise ValueError(f"the module is {found.name} with layer sizes {found.sizes}, "
                         f"but the fit trained {arch.name} with layer sizes {arch.sizes}")  # fmt: skip
    torch = _torch()
    reference = next(module.parameters())
    with torch.no_grad():
        vector = torch.tensor(np.array(params), dtype=reference.dtype, device=reference.device)
        torch.nn.utils.vector_to_parameters(vector, module.parameters())
    return module


def to_module(params: np.ndarray, arch: Architecture, dtype: Any = None) -> Any:
    """A new ``nn.Sequential`` (``nn.Linear`` for the linear model) holding ``params``, in ``dtype``.

    ``dtype`` defaults to torch's default dtype (``torch.get_default_dtype()``, float32 unless changed).
    """
    torch = _torch()
    layers: list[Any] = []
    for n_in, n_out in itertools.pairwise(arch.sizes):
        if layers:
            layers.append(torch.nn.ReLU() if arch.activation == "relu" else torch.nn.Tanh())
        layers.append(torch.nn.Linear(n_in, n_out, dtype=dtype))
    module = layers[0] if arch.is_linear else torch.nn.Sequential(*layers)
    return load_into(params, arch, module)
