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
    Learning rate for this step.
``hp`` : float64[h]
    The method's hyperparameters in registry order; ``hp[0]`` is the base
    learning rate (the rules use ``lr`` instead, so that schedules can
    change it), optional ones switched off are ``+inf``.
``t`` : int
    Global step counter, 1 for the first update.

The kernel (:func:`fastopt.kernels.fit_kernel`) dispatches on the registry's
integer code. Rules are plain module-level functions so that the kernel that
calls them stays in Numba's on-disk cache (functions passed as arguments
would not).
"""

from __future__ import annotations

import math

from .jit import jit

from .methods import REGISTRY

# The kernel compares against these; they must equal the registry's codes.
SGD, MOMENTUM, RMSPROP, ADAM = (m.code for m in REGISTRY)


@jit
def _clip(g, c):
    if g > c:
        return c
    if g < -c:
        return -c
    return g


@jit
def sgd(params, grad, state, lr, hp, t):
    """Plain SGD with element-wise clipping.

    Let c denote ``clip_value`` (``hp[1]``)::

        g = clip(g, -c, c)
        p -= lr * g

    State: none.
    """
    c = hp[1]
    for i in range(params.shape[0]):
        params[i] -= lr * _clip(grad[i], c)


@jit
def momentum(params, grad, state, lr, hp, t):
    """SGD with momentum in the tutorial's form, with element-wise clipping.

    Let mu, c denote ``momentum`` (``hp[1]``), ``clip_value`` (``hp[2]``)::

        g = clip(g, -c, c)
        v = mu * v + lr * g
        p -= v

    While ``lr`` is constant this equals PyTorch's ``SGD(momentum=mu,
    dampening=0)``, whose buffer is ``v / lr``.

    State: ``state[0]`` = v (velocity, in parameter units).
    """
    mu = hp[1]
    c = hp[2]
    v = state[0]
    for i in range(params.shape[0]):
        v[i] = mu * v[i] + lr * _clip(grad[i], c)
        params[i] -= v[i]


@jit
def rmsprop(params, grad, state, lr, hp, t):
    """RMSprop, as PyTorch's ``RMSprop(alpha=beta, centered=False, momentum=0)``.

    Let beta, eps denote ``beta`` (``hp[1]``), ``epsilon`` (``hp[2]``)::

        s = beta * s + (1 - beta) * g**2
        p -= lr * g / (sqrt(s) + eps)

    State: ``state[0]`` = s (running mean of squared gradients).
    """
    beta = hp[1]
    eps = hp[2]
    s = state[0]
    for i in range(params.shape[0]):
        g = grad[i]
        s[i] = beta * s[i] + (1.0 - beta) * g * g
        params[i] -= lr * (g / (math.sqrt(s[i]) + eps))


@jit
def adam(params, grad, state, lr, hp, t):
    """Adam with bias correction, as PyTorch's ``Adam(amsgrad=False, weight_decay=0)``.

    Let b1, b2, eps denote ``beta1``, ``beta2``, ``epsilon`` (``hp[1:4]``)::

        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        p -= lr * m_hat / (sqrt(v_hat) + eps)

    epsilon is added outside the square root, as in PyTorch (TensorFlow's
    ``epsilon_hat`` differs).

    State: ``state[0]`` = m (first moment), ``state[1]`` = v (second
    moment), ``state[2, 0:2]`` = ``b1**t, b2**t`` kept as running products
    (there are always at least two parameters). Two ``pow`` calls per step
    cost more than the rest of the update; the products differ from
    ``b**t`` by at most t rounding errors, far below 1e-10 of the result.
    """
    b1 = hp[1]
    b2 = hp[2]
    eps = hp[3]
    m = state[0]
    v = state[1]
    powers = state[2]
    if t == 1:
        powers[0] = b1
        powers[1] = b2
    else:
        powers[0] *= b1
        powers[1] *= b2
    # Evaluated as torch.optim.Adam does (one division by a step constant
    # instead of two per parameter); equal to the formula above to rounding.
    step_size = lr / (1.0 - powers[0])
    root_correction2 = math.sqrt(1.0 - powers[1])
    for i in range(params.shape[0]):
        g = grad[i]
        m[i] = b1 * m[i] + (1.0 - b1) * g
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        params[i] -= step_size * (m[i] / (math.sqrt(v[i]) / root_correction2 + eps))
