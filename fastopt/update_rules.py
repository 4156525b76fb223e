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
from .methods import LOOKAHEAD_OFFSET, REGISTRY
from .schedules import learning_rate_at

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
ASGD = _CODES["asgd"]
ADABELIEF = _CODES["adabelief"]
SGD_SCHEDULE_FREE = _CODES["sgd_schedule_free"]
ADAMW_SCHEDULE_FREE = _CODES["adamw_schedule_free"]
#: ``LOOKAHEAD + code`` is Lookahead over the rule ``code`` (see :func:`fastopt.methods.resolve_method`).
LOOKAHEAD = LOOKAHEAD_OFFSET
#: Hyperparameters of each rule, by code: where Lookahead's k and alpha follow them in ``hp``.
N_HYPERPARAMETERS = np.zeros(LOOKAHEAD, dtype=np.int64)
for _m in REGISTRY:
    if _m.code < LOOKAHEAD:
        N_HYPERPARAMETERS[_m.code] = sum(2 if h.second is not None else 1 for h in _m.hyperparameters)


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
    """SGD with element-wise clipping and L2 weight decay; with momentum, PyTorch's form.

    Let c, wd, mu, tau denote ``clip_value``, ``weight_decay``, ``momentum``,
    ``dampening`` (``hp[1:5]``)::

        g = clip(g, -c, c) + wd * p
        p -= lr * g                                   if mu == 0
        buf = g (first step), else mu * buf + (1 - tau) * g
        p -= lr * buf                                 otherwise

    State: ``state[0]`` = buf (momentum buffer, in gradient units; unused when mu == 0).
    """
    c = hp[1]
    wd = hp[2]
    mu = hp[3]
    keep = 1.0 - hp[4]
    first = t == 1
    buf = state[0]
    for i in range(params.shape[0]):
        g = _clip(grad[i], c) + wd * params[i]
        if mu != 0.0:
            buf[i] = g if first else mu * buf[i] + keep * g
            g = buf[i]
        params[i] -= lr * g


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
    """RMSprop, as PyTorch's ``RMSprop(alpha=beta, momentum, centered)``.

    Let beta, eps, wd, mu denote ``beta``, ``epsilon``, ``weight_decay``,
    ``momentum`` (``hp[1:5]``), and ``centered`` be ``hp[5]``::

        g = g + wd * p
        s = beta * s + (1 - beta) * g**2
        a = a + (1 - beta) * (g - a)                  centered only
        d = sqrt(s - a**2) + eps if centered, else sqrt(s) + eps
        p -= lr * g / d                               if mu == 0
        buf = mu * buf + g / d; p -= lr * buf         otherwise

    State: ``state[0]`` = s (running mean of squared gradients),
    ``state[1]`` = buf (momentum buffer), ``state[2]`` = a (running mean of
    gradients, centered only).
    """
    beta = hp[1]
    eps = hp[2]
    wd = hp[3]
    mu = hp[4]
    centered = hp[5] != 0.0
    s = state[0]
    buf = state[1]
    a = state[2]
    # One loop with the options as branches: an early return for the plain form kept
    # LLVM from inlining this rule into the hot loop (the tutorial's RMSprop then ran 25 % slower).
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        s[i] = beta * s[i] + (1.0 - beta) * g * g
        if centered:
            a[i] += (1.0 - beta) * (g - a[i])
            d = math.sqrt(s[i] - a[i] * a[i]) + eps
        else:
            d = math.sqrt(s[i]) + eps
        if mu == 0.0:
            params[i] -= lr * (g / d)
        else:
            buf[i] = mu * buf[i] + g / d
            params[i] -= lr * buf[i]


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


#: Running products below this are set to 0: there ``1 - x`` is exactly 1.0 (x < 2**-54 suffices), so no
#: result changes, and the product never reaches the subnormal range, where a running product stays for
#: good (a few units of the smallest subnormal times beta round back to themselves) and every update does
#: subnormal arithmetic, which Intel Xeons do very slowly (+35 % per epoch measured for Adam once
#: beta2**t is subnormal, from update ~708,000). RAdam's and AdaBelief's rho_t = rho_inf - 2 t x / (1 - x)
#: is unchanged too: at the flush, 2 t x < half an ulp of rho_inf for every beta2 > 2/3, and for smaller
#: beta2 rho_inf < 5, where rho_t is only compared with 5.
FLUSH_BELOW = 2.0**-60


@jit(inline="always")
def _flushed(x: float) -> float:
    """``x``, or 0.0 below :data:`FLUSH_BELOW` (a select, not a branch, so rules stay inlined)."""
    return x * (x >= FLUSH_BELOW)


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
    corrected: float,
    t: int,
) -> None:
    """Adam's moments and step, shared by :func:`adam` (``l2`` = weight decay) and :func:`adamw` (0)."""
    m = state[0]
    v = state[1]
    powers = state[2]
    v_max = state[3]
    # b1**t and b2**t as running products (see _running_power), written out:
    # through the helper LLVM no longer inlined Adam into the hot loop (+15 %).
    if t == 1:
        powers[0] = b1
        powers[1] = b2
    else:
        powers[0] = _flushed(powers[0] * b1)
        powers[1] = _flushed(powers[1] * b2)
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
    ``epsilon_hat`` differs). ``bias_correction`` (``hp[6]``) False leaves
    out both divisions by ``1 - b**t``: a teaching switch that shows what
    they do in the first steps (PyTorch has no such option).

    State: ``state[0]`` = m (first moment), ``state[1]`` = v (second
    moment), ``state[2, 0:2]`` = ``b1**t, b2**t`` (kept as running products;
    there are always at least two parameters), ``state[3]`` = v_max.
    """
    _adam_step(params, grad, state, lr, hp[1], hp[2], hp[3], hp[4], hp[5] != 0.0, hp[6], t)


@jit
def adamw(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """AdamW (decoupled weight decay), as PyTorch's ``AdamW``.

    With the names of :func:`adam`::

        p *= 1 - lr * wd
        then Adam's update with the unpenalized gradient (wd = 0 there)

    State: as :func:`adam`.
    """
    _penalty(params, lr, hp[4], True)
    _adam_step(params, grad, state, lr, hp[1], hp[2], hp[3], 0.0, hp[5] != 0.0, 1.0, t)


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
def _running_power(row: np.ndarray, slot: int, base: float, t: int) -> float:
    """``base**t`` kept as a running product in ``row[slot]`` (a pow call per step costs more than the update).

    The product differs from ``base**t`` by at most t rounding errors, far
    below 1e-10 of the result, and is flushed to 0 below
    :data:`FLUSH_BELOW`. When a schedule changes the base (``one_cycle``
    cycles beta1), :func:`rate_at` recomputes it.
    """
    row[slot] = _flushed(base if t == 1 else row[slot] * base)
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
    step = lr / (1.0 - _running_power(state[2], 0, b1, t))
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
    schedule = _running_power(state[3], 1, decay, t)
    mu = b1 * (1.0 - 0.5 * schedule)
    mu_next = b1 * (1.0 - 0.5 * schedule * decay)
    state[2, 0] = mu if t == 1 else _flushed(state[2, 0] * mu)
    product = state[2, 0]
    correction2 = 1.0 - _running_power(state[3], 0, b2, t)
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
    correction1 = 1.0 - _running_power(state[2], 0, b1, t)
    power2 = _running_power(state[2], 1, b2, t)
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

    Let (eta-, eta+), (s_min, s_max), wd denote ``etas``, ``step_sizes``,
    ``weight_decay`` (``hp[1:6]``, each pair as two numbers;
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
def asgd(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Averaged SGD, as PyTorch's ``ASGD``.

    Let lambd, alpha, t0, wd denote ``lambd``, ``alpha``, ``t0``,
    ``weight_decay`` (``hp[1:5]``); eta starts at the learning rate and mu at 1::

        g = g + wd * p
        p *= 1 - lambd * eta; p -= eta * g
        ax = p if mu == 1, else ax + mu * (p - ax)
        eta = lr / (1 + lambd * lr * t)**alpha; mu = 1 / max(1, t - t0)

    The parameters trained are ``p``; ``ax``, their average since step t0,
    is kept in the state as PyTorch keeps it (not returned).

    State: ``state[0]`` = ax, ``state[1, 0:2]`` = eta, mu.
    """
    lambd, alpha, t0, wd = hp[1], hp[2], hp[3], hp[4]
    ax = state[0]
    scalars = state[1]
    if t == 1:
        scalars[0] = lr
        scalars[1] = 1.0
    eta = scalars[0]
    mu = scalars[1]
    decay = 1.0 - lambd * eta
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        params[i] *= decay
        params[i] -= eta * g
        ax[i] = params[i] if mu == 1.0 else ax[i] + (params[i] - ax[i]) * mu
    scalars[0] = lr / (1.0 + lambd * lr * t) ** alpha
    scalars[1] = 1.0 / max(1.0, t - t0)


@jit
def adabelief(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
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
    correction1 = 1.0 - _running_power(state[2], 0, b1, t)
    power2 = _running_power(state[2], 1, b2, t)
    correction2 = 1.0 - power2
    l2 = _penalty(params, lr, wd, decoupled)
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


@jit(inline="always")
def _average_weight(scalars: np.ndarray, lr: float, hp_r: float, hp_power: float, hp_warmup: float,
                    t: int) -> tuple[float, float]:  # fmt: skip
    """Schedule-free's warmed-up rate and averaging weight ``c``; ``scalars`` = [lr_max, weight_sum]."""
    k = t - 1
    rate = lr * (k + 1) / hp_warmup if k < hp_warmup else lr
    scalars[0] = max(rate, scalars[0])
    weight = (k + 1) ** hp_r * scalars[0] ** hp_power
    scalars[1] += weight
    c = weight / scalars[1] if scalars[1] != 0.0 else 0.0
    return rate, c


@jit(inline="always")
def _lerp(start: float, end: float, weight: float) -> float:
    """``start + weight * (end - start)``, rounded as ``torch.lerp`` rounds it."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


@jit
def sgd_schedule_free(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray,
                      t: int) -> None:  # fmt: skip
    """Schedule-free SGD, as the ``schedulefree`` package's ``SGDScheduleFree``.

    Let beta, wd, W, r, q denote ``momentum``, ``weight_decay``,
    ``warmup_steps``, ``r``, ``weight_lr_power`` (``hp[1:6]``); the gradient
    is taken at ``p = y``, the interpolation point; ``z`` starts at the
    initial parameters::

        lr_t = lr * min(1, t / W); lr_max = max(lr_max, lr_t)
        w_t = t**r * lr_max**q; c = w_t / (w_1 + ... + w_t)
        g = g + wd * y
        y = (1 - c) * y + c * z; y += lr_t * (beta * (1 - c) - 1) * g; z -= lr_t * g

    Between epochs the parameters are the average ``x = y + (1 - 1/beta) (z - y)``
    (the package's ``eval()``), where the epoch's loss is measured and which
    ``fit`` returns; training resumes from ``y = x + (1 - beta) (z - x)``.

    State: ``state[0]`` = z, ``state[1, 0:2]`` = lr_max, sum of the weights.
    """
    beta, wd = hp[1], hp[2]
    z = state[0]
    rate, c = _average_weight(state[1], lr, hp[4], hp[5], hp[3], t)
    step = rate * (beta * (1.0 - c) - 1.0)
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        params[i] = _lerp(params[i], z[i], c) + step * g
        z[i] -= rate * g


@jit
def adamw_schedule_free(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray,
                        t: int) -> None:  # fmt: skip
    """Schedule-free AdamW, as the ``schedulefree`` package's ``AdamWScheduleFree``.

    Let b1, b2, eps, wd, W, r, q denote ``beta1``, ``beta2``, ``epsilon``,
    ``weight_decay``, ``warmup_steps``, ``r``, ``weight_lr_power``
    (``hp[1:8]``); ``lr_t`` and ``c`` as in :func:`sgd_schedule_free`::

        v = b2 * v + (1 - b2) * g**2
        u = g / (sqrt(v / (1 - b2**t)) + eps) + wd * y
        y = (1 - c) * y + c * z; y += lr_t * (b1 * (1 - c) - 1) * u; z -= lr_t * u

    Parameters between epochs are ``x``, with ``b1`` as the momentum (see
    :func:`sgd_schedule_free`).

    State: ``state[0]`` = z, ``state[1]`` = v, ``state[2, 0:2]`` = lr_max, sum of the weights.
    """
    b1, b2, eps, wd = hp[1], hp[2], hp[3], hp[4]
    z = state[0]
    v = state[1]
    rate, c = _average_weight(state[2], lr, hp[6], hp[7], hp[5], t)
    root2 = math.sqrt(1.0 - b2**t)
    step = rate * (b1 * (1.0 - c) - 1.0)
    for i in range(params.shape[0]):
        g = grad[i]
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        u = g / (math.sqrt(v[i]) / root2 + eps) + wd * params[i]
        params[i] = _lerp(params[i], z[i], c) + step * u
        z[i] -= rate * u


@jit
def begin_epoch(code: int, params: np.ndarray, state: np.ndarray, hp: np.ndarray, t: int) -> None:
    """Before an epoch: the schedule-free methods move from ``x`` back to ``y``; at t = 0 the wrappers start.

    Lookahead's slow weights and schedule-free's ``z`` start at the initial parameters.
    """
    rule = code % LOOKAHEAD
    if t == 0 and code >= LOOKAHEAD:
        state[state.shape[0] - 1, : params.shape[0]] = params
    if rule in (SGD_SCHEDULE_FREE, ADAMW_SCHEDULE_FREE):
        z = state[0]
        if t == 0:
            z[: params.shape[0]] = params
        else:
            for i in range(params.shape[0]):
                params[i] = _lerp(params[i], z[i], 1.0 - hp[1])


@jit
def end_epoch(code: int, params: np.ndarray, state: np.ndarray, hp: np.ndarray, t: int) -> None:
    """After an epoch: the schedule-free methods move to their average ``x`` (see :func:`sgd_schedule_free`)."""
    rule = code % LOOKAHEAD
    if (rule in (SGD_SCHEDULE_FREE, ADAMW_SCHEDULE_FREE)) and t > 0:
        z = state[0]
        for i in range(params.shape[0]):
            params[i] = _lerp(params[i], z[i], 1.0 - 1.0 / hp[1])


@jit(inline="always")
def lookahead(code: int, params: np.ndarray, state: np.ndarray, hp: np.ndarray, t: int) -> None:
    """Lookahead over any rule, as ``pytorch-optimizer``'s ``Lookahead(pullback_momentum="none")``.

    With k, alpha the two numbers after the base method's hyperparameters
    (``hp[h:h + 2]``), after every k-th step of the base rule::

        p = p + (1 - alpha) * (slow - p); slow = p

    State: the base rule's rows, then ``slow`` (the last row).
    """
    h = N_HYPERPARAMETERS[code - LOOKAHEAD]
    k = np.int64(hp[h])
    if t % k != 0:
        return
    slow = state[state.shape[0] - 1]
    weight = 1.0 - hp[h + 1]
    for i in range(params.shape[0]):
        params[i] = _lerp(params[i], slow[i], weight)
        slow[i] = params[i]


#: Rules that keep beta1**t as a running product in ``state[2, 0]``.
_BETA1_POWER_RULES = (ADAM, ADAMW, ADAMAX, RADAM, ADABELIEF)


@jit(inline="always")
def rate_at(schedule: np.ndarray, code: int, state: np.ndarray, hp: np.ndarray, epoch: int, t: int) -> float:
    """The learning rate of the update after ``t`` updates, in ``epoch``; also applies ``one_cycle``'s momentum.

    When the schedule cycles momentum it writes the new beta1 (or momentum)
    into ``hp``; the rules that keep ``beta1**t`` as a running product get
    it recomputed with the new beta1, as PyTorch computes it each step.
    """
    lr = learning_rate_at(schedule, hp[0], epoch, t, hp)
    if schedule[1] >= 0.0 and t > 0 and (code % LOOKAHEAD) in _BETA1_POWER_RULES:
        state[2, 0] = hp[1] ** t
    return lr


@jit
def apply_rule(code: int, params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray,
               t: int) -> None:  # fmt: skip
    """Apply the update rule with registry ``code``, for the network and objective epochs.

    The linear model's epoch (:func:`fastopt.linear.linear_epoch`) writes the
    same dispatch inline, where a call costs more than its whole update.
    """
    rule = code % LOOKAHEAD
    if rule == SGD:
        sgd(params, grad, state, lr, hp, t)
    elif rule == MOMENTUM:
        momentum(params, grad, state, lr, hp, t)
    elif rule == NESTEROV:
        nesterov(params, grad, state, lr, hp, t)
    elif rule == RMSPROP:
        rmsprop(params, grad, state, lr, hp, t)
    elif rule == ADAGRAD:
        adagrad(params, grad, state, lr, hp, t)
    elif rule == ADAM:
        adam(params, grad, state, lr, hp, t)
    elif rule == ADAMW:
        adamw(params, grad, state, lr, hp, t)
    elif rule == ADAMAX:
        adamax(params, grad, state, lr, hp, t)
    elif rule == NADAM:
        nadam(params, grad, state, lr, hp, t)
    elif rule == RADAM:
        radam(params, grad, state, lr, hp, t)
    elif rule == ADADELTA:
        adadelta(params, grad, state, lr, hp, t)
    elif rule == RPROP:
        rprop(params, grad, state, lr, hp, t)
    elif rule == LION:
        lion(params, grad, state, lr, hp, t)
    elif rule == ASGD:
        asgd(params, grad, state, lr, hp, t)
    elif rule == ADABELIEF:
        adabelief(params, grad, state, lr, hp, t)
    elif rule == SGD_SCHEDULE_FREE:
        sgd_schedule_free(params, grad, state, lr, hp, t)
    elif rule == ADAMW_SCHEDULE_FREE:
        adamw_schedule_free(params, grad, state, lr, hp, t)
    if code >= LOOKAHEAD:
        lookahead(code, params, state, hp, t)
