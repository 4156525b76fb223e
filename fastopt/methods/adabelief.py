"""AdaBelief: Adam that divides by the spread of the gradient around its mean instead of its size."""

from __future__ import annotations

import math

import numpy as np

from ..engine.jit import jit
from .parts import penalized, penalty, running_power
from .rows import BETA1, BETA2, Hyperparameter, Method, epsilon, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """AdaBelief, as the ``adabelief-pytorch`` package (0.2) computes it.

    Let b1, b2, eps, wd denote ``beta1``, ``beta2``, ``epsilon``,
    ``weight_decay`` (``hp[1:5]``), and ``decoupled_weight_decay``,
    ``rectify``, ``degenerated_to_sgd`` be ``hp[5:8]``::

        p *= 1 - lr * wd                 if decoupled, else g = g + wd * p
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * (g - m)**2 + eps      (the "belief": variance around m)
        not rectify:  p -= lr / (1 - b1**t) * m / (sqrt(s) / sqrt(1 - b2**t) + eps)
        rectify (RAdam's rule, N = rho_t):
            N >= 5:   p -= lr * r_t * m / (sqrt(s) + eps),  r_t = sqrt((1 - b2**t)(N - 4)(N - 2) N_inf
                                                               / ((N_inf - 4)(N_inf - 2) N)) / (1 - b1**t)
            else:     p -= lr * m / (1 - b1**t)          if degenerated_to_sgd, else no step

    State: ``state[0]`` = m, ``state[1]`` = s, ``state[2, 0:2]`` = b1**t, b2**t (running products).
    """
    b1, b2, eps, wd = hp[1], hp[2], hp[3], hp[4]
    decoupled, rectify, to_sgd = hp[5] != 0.0, hp[6] != 0.0, hp[7] != 0.0
    m = state[0]
    s = state[1]
    correction1 = 1.0 - running_power(state[2], 0, b1, t)
    power2 = running_power(state[2], 1, b2, t)
    correction2 = 1.0 - power2
    l2 = penalty(params, lr, wd, decoupled)
    step = lr / correction1
    rectified = False
    if rectify:
        n_inf = 2.0 / (1.0 - b2) - 1.0
        n_sma = n_inf - 2.0 * t * power2 / correction2
        rectified = n_sma >= 5.0
        if rectified:
            ratio = correction2 * (n_sma - 4.0) / (n_inf - 4.0) * (n_sma - 2.0) / n_sma * n_inf / (n_inf - 2.0)
            step = lr * math.sqrt(ratio) / correction1
        elif not to_sgd:
            step = 0.0
    root2 = math.sqrt(correction2)
    for i in range(params.shape[0]):
        g = grad[i] + l2 * params[i]
        m[i] = b1 * m[i] + (1.0 - b1) * g
        r = g - m[i]
        s[i] = b2 * s[i] + (1.0 - b2) * r * r + eps
        if rectified:
            params[i] -= step * (m[i] / (math.sqrt(s[i]) + eps))
        elif rectify:
            params[i] -= step * m[i]
        else:
            params[i] -= step * (m[i] / (math.sqrt(s[i]) / root2 + eps))


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    m, s = state[0], state[1]
    b1, b2, eps = h["beta1"], h["beta2"], h["epsilon"]
    g = penalized(p, g, lr, h)
    m[:] = b1 * m + (1 - b1) * g
    s[:] = b2 * s + (1 - b2) * (g - m) ** 2 + eps
    c1, c2 = 1 - b1**t, 1 - b2**t
    if not h["rectify"]:
        p -= lr / c1 * m / (np.sqrt(s) / np.sqrt(c2) + eps)
        return
    n_inf = 2 / (1 - b2) - 1
    n_sma = n_inf - 2 * t * b2**t / c2
    if n_sma >= 5:
        r = np.sqrt(c2 * (n_sma - 4) / (n_inf - 4) * (n_sma - 2) / n_sma * n_inf / (n_inf - 2)) / c1
        p -= lr * r * m / (np.sqrt(s) + eps)
    elif h["degenerated_to_sgd"]:
        p -= lr / c1 * m


ROW = Method(
    name="adabelief",
    title="AdaBelief",
    hyperparameters=(
        learning_rate(1e-3),
        BETA1,
        BETA2,
        epsilon(1e-16),
        weight_decay(),
        Hyperparameter("decoupled_weight_decay", True, None, "decay the parameters instead of L2"),
        Hyperparameter("rectify", True, None, "RAdam's rectification of the early steps"),
        Hyperparameter("degenerated_to_sgd", True, None, "while rectification is undefined, take SGD steps"),
    ),
    state_names=("exp_avg", "exp_avg_var", "beta_powers"),
    cached_rows=("beta_powers",),
    formula=rule.__doc__,
    torch="adabelief_pytorch.AdaBelief(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, "
    "weight_decouple=decoupled_weight_decay, rectify, degenerated_to_sgd) (not in torch.optim)",
    gallery_search=("beta1", (0.5, 0.9)),
    study_search=(("beta1", 0.5, 0.95, "linear"),),
    keeps_beta1_power=True,
)
