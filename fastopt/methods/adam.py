"""Adam: momentum divided by a running root-mean-square, both corrected for their start at zero."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import flushed, gradient, replayed_power
from .rows import AMSGRAD, BETA1, BETA2, Hyperparameter, Method, epsilon, learning_rate, weight_decay


@jit(inline="always")  # a real call here costs Adam a third of its speed
def moments_step(
    params: np.ndarray,
    grad: np.ndarray,
    state: np.ndarray,
    lr: float,
    b1: float,
    b2: float,
    eps: float,
    l2: float,
    amsgrad: bool,
    corrected: float,
    t: int,
) -> None:
    """Adam's moments and step, shared by :func:`rule` (``l2`` = weight decay) and AdamW's rule (0)."""
    m = state[0]
    v = state[1]
    powers = state[2]
    v_max = state[3]
    # b1**t and b2**t as running products (see parts.running_power), written out:
    # through the helper LLVM no longer inlined Adam into the hot loop (+15 %).
    if t == 1:
        powers[0] = b1
        powers[1] = b2
    else:
        powers[0] = flushed(powers[0] * b1)
        powers[1] = flushed(powers[1] * b2)
    # Evaluated as torch.optim.Adam does (one division by a step constant
    # instead of two per parameter); equal to the formula to rounding.
    # corrected is 1.0 or 0.0 (bias_correction off): a multiplication, since a branch
    # here kept LLVM from inlining Adam into the hot loop (+40 %).
    step_size = lr / (1.0 - corrected * powers[0])
    root_correction2 = math.sqrt(1.0 - corrected * powers[1])
    for i in range(params.shape[0]):
        g = grad[i] + l2 * params[i]
        m[i] = b1 * m[i] + (1.0 - b1) * g
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        second = v[i]
        if amsgrad:
            if second > v_max[i]:
                v_max[i] = second
            second = v_max[i]
        params[i] -= step_size * (m[i] / (math.sqrt(second) / root_correction2 + eps))


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Adam with bias correction, as PyTorch's ``Adam``.

    Let b1, b2, eps, wd denote ``beta1``, ``beta2``, ``epsilon``,
    ``weight_decay`` (``hp[1:5]``), and ``amsgrad`` be ``hp[5]``::

        g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        v_max = max(v_max, v)                      # amsgrad only; then v_max replaces v below
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        p -= lr * m_hat / (sqrt(v_hat) + eps)

    epsilon is added outside the square root, as in PyTorch (TensorFlow's
    ``epsilon_hat`` differs). ``bias_correction`` (``hp[6]``) False leaves
    out both divisions by ``1 - b**t``: a teaching switch that shows what
    they do in the first steps (PyTorch has no such option).

    State: ``state[0]`` = m (first moment), ``state[1]`` = v (second
    moment), ``state[2, 0:2]`` = ``b1**t, b2**t`` (kept as running products;
    there are always at least two parameters), ``state[3]`` = v_max.
    """
    moments_step(params, grad, state, lr, hp[1], hp[2], hp[3], hp[4], hp[5] != 0.0, hp[6], t)


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    # state[2] is the kernel's cache of b1**t, b2**t; here they are computed.
    m, v, v_max = state[0], state[1], state[3]
    b1, b2 = h["beta1"], h["beta2"]
    g = gradient(p, g, h)
    m[:] = b1 * m + (1 - b1) * g
    v[:] = b2 * v + (1 - b2) * g**2
    if h["amsgrad"]:
        np.maximum(v_max, v, out=v_max)
    corrected = h.get("bias_correction", True)
    m_hat = m / (1 - b1**t) if corrected else m
    v_hat = (v_max if h["amsgrad"] else v) / (1 - b2**t if corrected else 1.0)
    p -= lr * m_hat / (np.sqrt(v_hat) + h["epsilon"])


def resume(state: np.ndarray, h: dict, t: int) -> None:
    """Rebuild the cached ``state[2, 0:2] = b1**t, b2**t`` for a run resumed after ``t`` updates.

    The running products :func:`moments_step` keeps (as :func:`~fastopt.methods.parts.running_power` does),
    replayed, so that a resumed run continues bit for bit.
    """
    state[2, 0] = replayed_power(h["beta1"], t)
    state[2, 1] = replayed_power(h["beta2"], t)


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.Adam``."""
    return torch.optim.Adam(parameters, lr=h["learning_rate"], betas=(h["beta1"], h["beta2"]), eps=h["epsilon"],
                            weight_decay=h["weight_decay"], amsgrad=h["amsgrad"])  # fmt: skip


ROW = Method(
    name="adam",
    title="Adam",
    hyperparameters=(
        learning_rate(0.001),
        BETA1,
        BETA2,
        epsilon(1e-8),
        weight_decay(),
        AMSGRAD,
        Hyperparameter(
            "bias_correction", True, None, "divide m and v by 1 - beta**t (False: a teaching switch, not torch)"
        ),
    ),
    state_names=("exp_avg", "exp_avg_sq", "beta_powers", "max_exp_avg_sq"),
    cached_rows=("beta_powers",),
    formula=rule.__doc__,
    torch="Adam(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, amsgrad)",
    peer="Adam",
    gallery_search=("beta1", (0.5, 0.9)),
    study_search=(("beta1", 0.5, 0.95, "linear"),),
    keeps_beta1_power=True,
)
