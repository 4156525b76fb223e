"""Update rules: one compiled function per method, on flat float64 arrays.

Every rule has the signature ``rule(params, grad, state, lr, hp, t)``:

``params`` : float64[p]
    Parameters ``[w_1 .. w_d, b]``, updated in place.
``grad`` : float64[p]
    Gradient of the minibatch mean squared error with respect to ``params``.
``state`` : float64[k, p]
    The rule's state vectors, one row each, in the order of the registry
    row's ``state_names`` (see :mod:`fastopt.methods`); zero at the start.
``lr`` : float
    Learning rate of the current epoch (the schedule applied to ``hp[0]``).
``hp`` : float64[h]
    The method's hyperparameters in registry order; ``hp[0]`` is the base
    learning rate, optional ones switched off are ``+inf``, flags are 1.0
    or 0.0.
``t`` : int
    Global step counter, 1 for the first update.

In every formula ``g`` is the gradient after clipping (``clip(g, -c, c)``,
for the methods that take ``clip_value``) with ``weight_decay * p`` added
(L2, PyTorch's meaning; AdamW decays the parameters instead). The kernel
(:func:`fastopt.kernels.fit_kernel`) dispatches on the registry's integer
code. Rules are plain module-level functions so that the kernel that calls
them stays in Numba's on-disk cache (functions passed as arguments would
not).
"""

from __future__ import annotations

import math

import numpy as np

from .jit import jit
from .methods import REGISTRY

# The kernel compares against these; they must equal the registry's codes.
_CODES = {m.name: m.code for m in REGISTRY}
SGD = _CODES["sgd"]
MOMENTUM = _CODES["momentum"]
NESTEROV = _CODES["nesterov"]
RMSPROP = _CODES["rmsprop"]
ADAGRAD = _CODES["adagrad"]
ADAM = _CODES["adam"]
ADAMW = _CODES["adamw"]
ADAMAX = _CODES["adamax"]
NADAM = _CODES["nadam"]
RADAM = _CODES["radam"]
ADADELTA = _CODES["adadelta"]
RPROP = _CODES["rprop"]
LION = _CODES["lion"]


@jit
def _clip(g: float, c: float) -> float:
    # Written as comparisons so that NaN passes through (and is caught as divergence).
    if g > c:
        return c
    if g < -c:
        return -c
    return g


@jit
def sgd(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Plain SGD with element-wise clipping and L2 weight decay.

    Let c, wd denote ``clip_value``, ``weight_decay`` (``hp[1:3]``)::

        g = clip(g, -c, c) + wd * p
        p -= lr * g

    State: none.
    """
    c = hp[1]
    wd = hp[2]
    for i in range(params.shape[0]):
        params[i] -= lr * (_clip(grad[i], c) + wd * params[i])


@jit
def momentum(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """SGD with momentum in the tutorial's form.

    Let mu, c, wd denote ``momentum``, ``clip_value``, ``weight_decay``
    (``hp[1:4]``)::

        g = clip(g, -c, c) + wd * p
        v = mu * v + lr * g
        p -= v

    While ``lr`` is constant this equals PyTorch's ``SGD(momentum=mu,
    dampening=0)``, whose buffer is ``v / lr``; under a schedule it does not
    (``v`` keeps earlier learning rates).

    State: ``state[0]`` = v (velocity, in parameter units).
    """
    mu = hp[1]
    c = hp[2]
    wd = hp[3]
    v = state[0]
    for i in range(params.shape[0]):
        v[i] = mu * v[i] + lr * (_clip(grad[i], c) + wd * params[i])
        params[i] -= v[i]


@jit
def nesterov(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """SGD with Nesterov momentum, as PyTorch's ``SGD(nesterov=True, dampening=0)``.

    Let mu, c, wd denote ``momentum``, ``clip_value``, ``weight_decay``
    (``hp[1:4]``)::

        g = clip(g, -c, c) + wd * p
        buf = mu * buf + g
        p -= lr * (g + mu * buf)

    (PyTorch starts ``buf`` at the first gradient; from zero, the first step
    gives the same.)

    State: ``state[0]`` = buf (momentum buffer, in gradient units).
    """
    mu = hp[1]
    c = hp[2]
    wd = hp[3]
    buf = state[0]
    for i in range(params.shape[0]):
        g = _clip(grad[i], c) + wd * params[i]
        buf[i] = mu * buf[i] + g
        params[i] -= lr * (g + mu * buf[i])


@jit
def rmsprop(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """RMSprop, as PyTorch's ``RMSprop(alpha=beta, centered=False, momentum=0)``.

    Let beta, eps, wd denote ``beta``, ``epsilon``, ``weight_decay``
    (``hp[1:4]``)::

        g = g + wd * p
        s = beta * s + (1 - beta) * g**2
        p -= lr * g / (sqrt(s) + eps)

    State: ``state[0]`` = s (running mean of squared gradients).
    """
    beta = hp[1]
    eps = hp[2]
    wd = hp[3]
    s = state[0]
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        s[i] = beta * s[i] + (1.0 - beta) * g * g
        params[i] -= lr * (g / (math.sqrt(s[i]) + eps))


@jit
def adagrad(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Adagrad, as PyTorch's ``Adagrad(lr_decay=0, initial_accumulator_value=0)``.

    Let eps, wd denote ``epsilon``, ``weight_decay`` (``hp[1:3]``)::

        g = g + wd * p
        s = s + g**2
        p -= lr * g / (sqrt(s) + eps)

    State: ``state[0]`` = s (sum of squared gradients).
    """
    eps = hp[1]
    wd = hp[2]
    s = state[0]
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        s[i] += g * g
        params[i] -= lr * (g / (math.sqrt(s[i]) + eps))


@jit(inline="always")  # a real call here costs Adam a third of its speed
def _adam_step(
    params: np.ndarray,
    grad: np.ndarray,
    state: np.ndarray,
    lr: float,
    b1: float,
    b2: float,
    eps: float,
    l2: float,
    amsgrad: bool,
    t: int,
) -> None:
    """Adam's moments and step, shared by :func:`adam` (``l2`` = weight decay) and :func:`adamw` (0)."""
    m = state[0]
    v = state[1]
    powers = state[2]
    v_max = state[3]
    # b1**t and b2**t as running products: two pow calls per step cost more
    # than the rest of the update; the products differ from b**t by at most
    # t rounding errors, far below 1e-10 of the result.
    if t == 1:
        powers[0] = b1
        powers[1] = b2
    else:
        powers[0] *= b1
        powers[1] *= b2
    # Evaluated as torch.optim.Adam does (one division by a step constant
    # instead of two per parameter); equal to the formula to rounding.
    step_size = lr / (1.0 - powers[0])
    root_correction2 = math.sqrt(1.0 - powers[1])
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
def adam(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
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
    ``epsilon_hat`` differs).

    State: ``state[0]`` = m (first moment), ``state[1]`` = v (second
    moment), ``state[2, 0:2]`` = ``b1**t, b2**t`` (kept as running products;
    there are always at least two parameters), ``state[3]`` = v_max.
    """
    _adam_step(params, grad, state, lr, hp[1], hp[2], hp[3], hp[4], hp[5] != 0.0, t)


@jit
def adamw(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """AdamW (decoupled weight decay), as PyTorch's ``AdamW``.

    With the names of :func:`adam`::

        p *= 1 - lr * wd
        then Adam's update with the unpenalized gradient (wd = 0 there)

    State: as :func:`adam`.
    """
    _penalty(params, lr, hp[4], True)
    _adam_step(params, grad, state, lr, hp[1], hp[2], hp[3], 0.0, hp[5] != 0.0, t)


@jit(inline="always")
def _penalty(params: np.ndarray, lr: float, wd: float, decoupled: bool) -> float:
    """Decoupled decay (``p *= 1 - lr * wd``, returning 0) or the L2 coefficient to add to ``g`` (``wd``)."""
    if not decoupled:
        return wd
    decay = 1.0 - lr * wd
    for i in range(params.shape[0]):
        params[i] *= decay
    return 0.0


@jit(inline="always")
def _running_power(state: np.ndarray, slot: int, base: float, t: int) -> float:
    """``base**t`` kept as a running product in ``state[-1, slot]`` (a pow call per step costs more than the update)."""
    row = state[state.shape[0] - 1]
    row[slot] = base if t == 1 else row[slot] * base
    return row[slot]


@jit
def adamax(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Adamax (Adam with the infinity norm), as PyTorch's ``Adamax``.

    Let b1, b2, eps, wd denote ``beta1``, ``beta2``, ``epsilon``,
    ``weight_decay`` (``hp[1:5]``)::

        g = g + wd * p
        m = m + (1 - b1) * (g - m)
        u = max(b2 * u, |g| + eps)
        p -= lr / (1 - b1**t) * m / u

    State: ``state[0]`` = m, ``state[1]`` = u (exponentially weighted
    infinity norm), ``state[2, 0]`` = b1**t (a running product).
    """
    b1, b2, eps, wd = hp[1], hp[2], hp[3], hp[4]
    m = state[0]
    u = state[1]
    step = lr / (1.0 - _running_power(state, 0, b1, t))
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        m[i] += (1.0 - b1) * (g - m[i])
        u[i] = max(b2 * u[i], abs(g) + eps)
        params[i] -= step * (m[i] / u[i])


@jit
def nadam(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """NAdam (Adam with Nesterov momentum and momentum decay), as PyTorch's ``NAdam``.

    Let b1, b2, eps, wd, psi denote ``beta1``, ``beta2``, ``epsilon``,
    ``weight_decay``, ``momentum_decay`` (``hp[1:6]``), and
    ``decoupled_weight_decay`` be ``hp[6]``::

        p *= 1 - lr * wd                 if decoupled, else g = g + wd * p
        mu_t = b1 * (1 - 0.5 * 0.96**(t * psi)); mu_next = b1 * (1 - 0.5 * 0.96**((t + 1) * psi))
        M = M * mu_t                     (M = mu_1 ... mu_t)
        m = m + (1 - b1) * (g - m); v = b2 * v + (1 - b2) * g**2
        d = sqrt(v / (1 - b2**t)) + eps
        p -= lr * (1 - mu_t) / (1 - M) * g / d + lr * mu_next / (1 - M * mu_next) * m / d

    State: ``state[0]`` = m, ``state[1]`` = v, ``state[2, 0]`` = M,
    ``state[3, 0:2]`` = b2**t and 0.96**(t psi) (running products; a row
    holds at least two numbers).
    """
    b1, b2, eps, wd, psi = hp[1], hp[2], hp[3], hp[4], hp[5]
    decoupled = hp[6] != 0.0
    m = state[0]
    v = state[1]
    decay = 0.96**psi
    schedule = _running_power(state, 1, decay, t)
    mu = b1 * (1.0 - 0.5 * schedule)
    mu_next = b1 * (1.0 - 0.5 * schedule * decay)
    state[2, 0] = mu if t == 1 else state[2, 0] * mu
    product = state[2, 0]
    correction2 = 1.0 - _running_power(state, 0, b2, t)
    grad_step = -lr * (1.0 - mu) / (1.0 - product)
    momentum_step = -lr * mu_next / (1.0 - product * mu_next)
    l2 = _penalty(params, lr, wd, decoupled)
    for i in range(params.shape[0]):
        g = grad[i] + l2 * params[i]
        m[i] += (1.0 - b1) * (g - m[i])
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        d = math.sqrt(v[i] / correction2) + eps
        params[i] += grad_step * (g / d)
        params[i] += momentum_step * (m[i] / d)


@jit
def radam(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """RAdam (rectified Adam), as PyTorch's ``RAdam``.

    Let b1, b2, eps, wd denote ``beta1``, ``beta2``, ``epsilon``,
    ``weight_decay`` (``hp[1:5]``), and ``decoupled_weight_decay`` be ``hp[5]``::

        p *= 1 - lr * wd                 if decoupled, else g = g + wd * p
        m = m + (1 - b1) * (g - m); v = b2 * v + (1 - b2) * g**2
        rho_inf = 2 / (1 - b2) - 1; rho_t = rho_inf - 2 t b2**t / (1 - b2**t)
        if rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                       p -= lr * m / (1 - b1**t) * sqrt(1 - b2**t) / (sqrt(v) + eps) * r
        else:          p -= lr * m / (1 - b1**t)

    State: ``state[0]`` = m, ``state[1]`` = v, ``state[2, 0:2]`` = b1**t, b2**t (running products).
    """
    b1, b2, eps, wd = hp[1], hp[2], hp[3], hp[4]
    decoupled = hp[5] != 0.0
    m = state[0]
    v = state[1]
    correction1 = 1.0 - _running_power(state, 0, b1, t)
    power2 = _running_power(state, 1, b2, t)
    correction2 = 1.0 - power2
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    rho_t = rho_inf - 2.0 * t * power2 / correction2
    rect = 0.0
    root2 = math.sqrt(correction2)
    if rho_t > 5.0:
        rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
    l2 = _penalty(params, lr, wd, decoupled)
    for i in range(params.shape[0]):
        g = grad[i] + l2 * params[i]
        m[i] += (1.0 - b1) * (g - m[i])
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        corrected = m[i] / correction1
        if rho_t > 5.0:
            params[i] -= corrected * lr * (root2 / (math.sqrt(v[i]) + eps)) * rect
        else:
            params[i] -= corrected * lr


@jit
def adadelta(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Adadelta, as PyTorch's ``Adadelta``.

    Let rho, eps, wd denote ``rho``, ``epsilon``, ``weight_decay`` (``hp[1:4]``)::

        g = g + wd * p
        s = rho * s + (1 - rho) * g**2
        delta = sqrt(a + eps) / sqrt(s + eps) * g
        a = rho * a + (1 - rho) * delta**2
        p -= lr * delta

    State: ``state[0]`` = s (mean squared gradient), ``state[1]`` = a (mean squared update).
    """
    rho, eps, wd = hp[1], hp[2], hp[3]
    s = state[0]
    a = state[1]
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        s[i] = rho * s[i] + (1.0 - rho) * g * g
        delta = math.sqrt(a[i] + eps) / math.sqrt(s[i] + eps) * g
        a[i] = rho * a[i] + (1.0 - rho) * delta * delta
        params[i] -= lr * delta


@jit
def rprop(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Rprop (resilient backpropagation), as PyTorch's ``Rprop``: only the gradient's sign is used.

    Let eta-, eta+, s_min, s_max, wd denote ``etaminus``, ``etaplus``,
    ``step_size_min``, ``step_size_max``, ``weight_decay`` (``hp[1:6]``;
    torch's Rprop has no weight decay, 0 matches it); every step size starts
    at the learning rate (later schedule changes do not reach it)::

        g = g + wd * p
        f = eta+ if g * g_prev > 0, eta- if g * g_prev < 0, else 1
        s = clip(s * f, s_min, s_max)
        g = 0 where f == eta-
        p -= sign(g) * s; g_prev = g

    State: ``state[0]`` = g_prev, ``state[1]`` = s (per-parameter step sizes).
    """
    etaminus, etaplus, smin, smax, wd = hp[1], hp[2], hp[3], hp[4], hp[5]
    prev = state[0]
    size = state[1]
    if t == 1:
        for i in range(params.shape[0]):
            size[i] = lr
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        product = g * prev[i]
        factor = etaplus if product > 0.0 else (etaminus if product < 0.0 else 1.0)
        size[i] = min(max(size[i] * factor, smin), smax)
        if factor == etaminus:
            g = 0.0
        if g > 0.0:
            params[i] -= size[i]
        elif g < 0.0:
            params[i] += size[i]
        prev[i] = g


@jit
def lion(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Lion (evolved sign momentum), as the ``lion-pytorch`` package computes it.

    Let b1, b2, wd denote ``beta1``, ``beta2``, ``weight_decay`` (``hp[1:4]``)::

        p *= 1 - lr * wd
        p -= lr * sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g

    State: ``state[0]`` = m.
    """
    b1, b2, wd = hp[1], hp[2], hp[3]
    m = state[0]
    _penalty(params, lr, wd, True)
    for i in range(params.shape[0]):
        direction = b1 * m[i] + (1.0 - b1) * grad[i]
        if direction > 0.0:
            params[i] -= lr
        elif direction < 0.0:
            params[i] += lr
        m[i] = b2 * m[i] + (1.0 - b2) * grad[i]


@jit
def apply_rule(code: int, params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray,
               t: int) -> None:  # fmt: skip
    """Apply the update rule with registry ``code``, for the network and objective epochs.

    The linear model's epoch (:func:`fastopt.linear.linear_epoch`) writes the
    same dispatch inline, where a call costs more than its whole update.
    """
    if code == SGD:
        sgd(params, grad, state, lr, hp, t)
    elif code == MOMENTUM:
        momentum(params, grad, state, lr, hp, t)
    elif code == NESTEROV:
        nesterov(params, grad, state, lr, hp, t)
    elif code == RMSPROP:
        rmsprop(params, grad, state, lr, hp, t)
    elif code == ADAGRAD:
        adagrad(params, grad, state, lr, hp, t)
    elif code == ADAM:
        adam(params, grad, state, lr, hp, t)
    elif code == ADAMW:
        adamw(params, grad, state, lr, hp, t)
    elif code == ADAMAX:
        adamax(params, grad, state, lr, hp, t)
    elif code == NADAM:
        nadam(params, grad, state, lr, hp, t)
    elif code == RADAM:
        radam(params, grad, state, lr, hp, t)
    elif code == ADADELTA:
        adadelta(params, grad, state, lr, hp, t)
    elif code == RPROP:
        rprop(params, grad, state, lr, hp, t)
    elif code == LION:
        lion(params, grad, state, lr, hp, t)
