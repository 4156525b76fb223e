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

from .methods import HyperValue
from .models import Architecture

__all__ = ["PeerRun", "installed", "torch_fit", "sklearn_fit", "TORCH_OPTIMIZERS"]

#: How each fastopt method is spelled in torch.optim (constant learning rate:
#: the tutorial's momentum form equals SGD(momentum, dampening=0) then).
TORCH_OPTIMIZERS = {
    "sgd": "SGD",
    "momentum": "SGD(momentum)",
    "nesterov": "SGD(nesterov)",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adam": "Adam",
    "adamw": "AdamW",
    "adamax": "Adamax",
    "nadam": "NAdam",
    "radam": "RAdam",
    "adadelta": "Adadelta",
    "rprop": "Rprop",
    "asgd": "ASGD",
}


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


def _torch_optimizer(torch: Any, method: str, parameters: list, hyper: Mapping[str, Any]) -> Any:
    lr, wd = hyper["learning_rate"], hyper.get("weight_decay", 0.0)
    optim = torch.optim
    if method in ("sgd", "momentum", "nesterov"):
        mu, tau = hyper.get("momentum", 0.0), hyper.get("dampening", 0.0)
        return optim.SGD(parameters, lr=lr, momentum=mu, dampening=tau, nesterov=method == "nesterov", weight_decay=wd)
    if method == "rmsprop":
        return optim.RMSprop(parameters, lr=lr, alpha=hyper["beta"], eps=hyper["epsilon"], weight_decay=wd,
                             momentum=hyper["momentum"], centered=hyper["centered"])  # fmt: skip
    if method == "asgd":
        return optim.ASGD(parameters, lr=lr, lambd=hyper["lambd"], alpha=hyper["alpha"], t0=hyper["t0"],
                          weight_decay=wd)  # fmt: skip
    if method == "adagrad":
        return optim.Adagrad(parameters, lr=lr, eps=hyper["epsilon"], weight_decay=wd)
    if method in ("adam", "adamw"):
        cls = optim.Adam if method == "adam" else optim.AdamW
        return cls(parameters, lr=lr, betas=(hyper["beta1"], hyper["beta2"]), eps=hyper["epsilon"],
                   weight_decay=wd, amsgrad=hyper["amsgrad"])  # fmt: skip
    if method in ("adamax", "nadam", "radam"):
        extra = {} if method == "adamax" else {"decoupled_weight_decay": hyper["decoupled_weight_decay"]}
        if method == "nadam":
            extra["momentum_decay"] = hyper["momentum_decay"]
        cls = {"adamax": optim.Adamax, "nadam": optim.NAdam, "radam": optim.RAdam}[method]
        return cls(parameters, lr=lr, betas=(hyper["beta1"], hyper["beta2"]), eps=hyper["epsilon"], weight_decay=wd,
                   **extra)  # fmt: skip
    if method == "rprop":
        return optim.Rprop(parameters, lr=lr, etas=hyper["etas"], step_sizes=hyper["step_sizes"])
    if method == "adadelta":
        return optim.Adadelta(parameters, lr=lr, rho=hyper["rho"], eps=hyper["epsilon"], weight_decay=wd)
    raise ValueError(f"no torch.optim equivalent for method {method!r}")


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
    optimizer = _torch_optimizer(torch, method, parameters, hyperparameters)
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
