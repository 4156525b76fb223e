"""AdamW: Adam with the weight decay applied to the parameters instead of the gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.jit import jit
from . import adam
from .adam import resume  # noqa: F401 (the same cached powers)
from .parts import penalty
from .rows import AMSGRAD, BETA1, BETA2, Method, epsilon, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """AdamW (decoupled weight decay), as PyTorch's ``AdamW``.

    With the names of Adam's rule::

        p *= 1 - lr * wd
        then Adam's update with the unpenalized gradient (wd = 0 there)

    State: as Adam's.
    """
    penalty(params, lr, hp[4], True)
    adam.moments_step(params, grad, state, lr, hp[1], hp[2], hp[3], 0.0, hp[5] != 0.0, 1.0, t)


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    p *= 1 - lr * h["weight_decay"]
    adam.reference(p, g, state, lr, {**h, "weight_decay": 0.0}, t)


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.AdamW``."""
    return torch.optim.AdamW(parameters, lr=h["learning_rate"], betas=(h["beta1"], h["beta2"]), eps=h["epsilon"],
                             weight_decay=h["weight_decay"], amsgrad=h["amsgrad"])  # fmt: skip


ROW = Method(
    name="adamw",
    title="AdamW",
    hyperparameters=(learning_rate(0.001), BETA1, BETA2, epsilon(1e-8), weight_decay(0.01, decoupled=True), AMSGRAD),
    state_names=("exp_avg", "exp_avg_sq", "beta_powers", "max_exp_avg_sq"),
    cached_rows=("beta_powers",),
    formula=rule.__doc__,
    torch="AdamW(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, amsgrad)",
    peer="AdamW",
    gallery_search=("beta1", (0.5, 0.9)),
    study_search=(("beta1", 0.5, 0.95, "linear"), ("weight_decay", 1e-4, 0.1, "log")),
    keeps_beta1_power=True,
)
