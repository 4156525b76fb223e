"""The same benchmark in other libraries, when they are installed.

``torch_fit`` runs the tutorial's minibatch loop with ``torch.optim`` (the
way the tutorial closes); ``sklearn_fit`` runs scikit-learn's
``SGDRegressor``, which updates after every row (batch size 1) with its own
loss scaling (``0.5 * (y - f(x))**2``). Neither library is a dependency of
fastopt: both are imported only here, only when asked for.
"""

from __future__ import annotations

import importlib.util
import itertools
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ..methods import TORCH_OPTIMIZERS, HyperValue, torch_optimizer
from ..models.architectures import Architecture

__all__ = ["PeerRun", "installed", "torch_fit", "sklearn_fit", "TORCH_OPTIMIZERS"]


@dataclass(frozen=True)
class PeerRun:
    """A timed run of another library: final flat parameters (fastopt's layout) and seconds for ``epochs``."""

    label: str
    implementation: str
    params: np.ndarray
    epochs: int
    seconds: float


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it."""
    return importlib.util.find_spec(module) is not None


def _torch_network(torch: Any, arch: Architecture, init: np.ndarray) -> Any:
    """``nn.Sequential(Linear, act, ..., Linear)`` in float64 with ``init`` as its parameter vector."""
    layers: list[Any] = []
    for n_in, n_out in itertools.pairwise(arch.sizes):
        if layers:
            layers.append(torch.nn.ReLU() if arch.activation == "relu" else torch.nn.Tanh())
        layers.append(torch.nn.Linear(n_in, n_out, dtype=torch.float64))
    network = torch.nn.Sequential(*layers)
    torch.nn.utils.vector_to_parameters(torch.tensor(init, dtype=torch.float64), network.parameters())
    return network


def torch_fit(
    x: np.ndarray,
    y: np.ndarray,
    method: str,
    hyperparameters: Mapping[str, HyperValue],
    *,
    epochs: int,
    batch_size: int,
    init: np.ndarray,
    seed: int,
    model: Architecture | None = None,
    progress: Callable[[int], None] | None = None,
) -> PeerRun:
    """Run ``epochs`` epochs of the tutorial's minibatch loop with ``torch.optim`` (float64, CPU).

    The model is ``nn.Sequential`` of ``nn.Linear`` layers for ``model``'s
    layer sizes (default: the linear model, one ``nn.Linear(d, 1)``),
    starting from the flat ``init`` in fastopt's (and
    ``parameters_to_vector``'s) order; the loss is the mean squared error.
    ``hyperparameters`` are fastopt's resolved ones for ``method``;
    clipping (``clip_value``) clamps each gradient element before the
    step, as the tutorial does for sgd and momentum.
    """
    import torch

    X = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64).reshape(len(y), -1))
    Y = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float64))
    arch = Architecture((X.shape[1], 1)) if model is None else model
    network = _torch_network(torch, arch, init)
    parameters = list(network.parameters())
    optimizer = torch_optimizer(method, torch, parameters, hyperparameters)
    clip = cast("float | None", hyperparameters.get("clip_value"))
    generator = torch.Generator().manual_seed(seed)
    n = len(Y)
    start = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator)
        for first in range(0, n, batch_size):
            rows = order[first : first + batch_size]
            optimizer.zero_grad()
            loss = ((network(X[rows])[:, 0] - Y[rows]) ** 2).mean()
            loss.backward()
            if clip is not None:
                for tensor in parameters:
                    tensor.grad.clamp_(-clip, clip)
            optimizer.step()
        if progress is not None:
            progress(epoch + 1)
    seconds = time.perf_counter() - start
    params = torch.nn.utils.parameters_to_vector(network.parameters()).detach().numpy().copy()
    return PeerRun(f"torch.optim.{TORCH_OPTIMIZERS[method]}", "torch", params, epochs, seconds)


def sklearn_fit(x: np.ndarray, y: np.ndarray, *, learning_rate: float, epochs: int, seed: int) -> PeerRun:
    """Run scikit-learn's ``SGDRegressor`` for ``epochs`` passes (constant learning rate, no penalty)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDRegressor

    model = SGDRegressor(
        loss="squared_error",
        penalty=None,
        learning_rate="constant",
        eta0=learning_rate,
        max_iter=epochs,
        tol=None,
        shuffle=True,
        random_state=seed,
    )
    X = np.asarray(x, dtype=np.float64).reshape(len(y), -1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    seconds = time.perf_counter() - start
    params = np.concatenate([model.coef_, np.atleast_1d(model.intercept_)])
    return PeerRun("scikit-learn SGDRegressor (batch 1)", "scikit-learn", params, epochs, seconds)
