"""The registry of optimization methods: one row per method.

Each row names a method, gives the integer code that the compiled kernel
dispatches on (see :func:`fastopt.kernels.fit_kernel`), the method's
hyperparameters in the order in which the kernel receives them, their
defaults and valid ranges, the number of state vectors the rule keeps, and
the update formula. Validation, the public API, the NumPy reference and the
tests all read this table; nothing else lists the methods.

Adding a method means: one rule function in :mod:`fastopt.update_rules`
with its branch in the kernel's dispatch, one NumPy step in
:mod:`fastopt.reference`, and one row here; tests, docs, ``compare`` and
``sweep`` pick it up from this table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["Interval", "Hyperparameter", "Method", "REGISTRY", "METHODS", "get_method"]


@dataclass(frozen=True)
class Interval:
    """A range of real numbers with open or closed ends, e.g. ``[0, 1)``."""

    low: float
    high: float
    low_closed: bool
    high_closed: bool

    def __contains__(self, value: float) -> bool:
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return above and below

    def __str__(self) -> str:
        if math.isinf(self.high):
            return (">= " if self.low_closed else "> ") + f"{self.low:g}"
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"in {left}{self.low:g}, {self.high:g}{right}"


POSITIVE = Interval(0.0, math.inf, low_closed=False, high_closed=False)
NON_NEGATIVE = Interval(0.0, math.inf, low_closed=True, high_closed=False)
UNIT = Interval(0.0, 1.0, low_closed=True, high_closed=False)


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter: its name, default, valid range and meaning.

    ``optional`` hyperparameters accept ``None`` ("switched off"), which the
    kernel receives as ``+inf`` (a clip bound of infinity clips nothing).
    Flags (``valid is None``) take True or False; the kernel receives 1.0 or 0.0.
    """

    name: str
    default: float | bool | None
    valid: Interval | None
    description: str
    optional: bool = False

    @property
    def is_flag(self) -> bool:
        return self.valid is None


@dataclass(frozen=True)
class Method:
    """One optimization method as the kernel and the API see it.

    Attributes
    ----------
    name : str
        The name users pass as ``method=``.
    code : int
        The integer the kernel dispatches on.
    title : str
        Human-readable name, as the tutorial's benchmark table prints it.
    hyperparameters : tuple of Hyperparameter
        In kernel order: ``learning_rate`` first, then the rest.
    state_names : tuple of str
        Names of the per-parameter state vectors, in the order of the rows of
        the kernel's ``state`` array; all start at zero.
    formula : str
        The update rule, per parameter, with ``g`` the minibatch gradient
        (after clipping, with ``weight_decay * p`` added where the method
        takes an L2 weight decay) and ``lr`` the learning rate of the epoch.
    torch : str
        The ``torch.optim`` class and arguments this method equals.
    """

    name: str
    code: int
    title: str
    hyperparameters: tuple[Hyperparameter, ...]
    state_names: tuple[str, ...]
    formula: str
    torch: str

    @property
    def defaults(self) -> Mapping[str, float | bool | None]:
        """Default value of every hyperparameter, in kernel order."""
        return MappingProxyType({h.name: h.default for h in self.hyperparameters})


def _learning_rate(default: float) -> Hyperparameter:
    return Hyperparameter("learning_rate", default, POSITIVE, "step size of the first epoch (schedules change it)")


def _weight_decay(default: float = 0.0, decoupled: bool = False) -> Hyperparameter:
    meaning = (
        "decoupled decay: p *= 1 - lr * weight_decay before each step"
        if decoupled
        else "L2 penalty: weight_decay * p is added to the gradient (PyTorch's meaning)"
    )
    return Hyperparameter("weight_decay", default, NON_NEGATIVE, meaning)


def _clip(default: float | None) -> Hyperparameter:
    return Hyperparameter(
        "clip_value", default, POSITIVE, "element-wise bound on the gradient; None disables clipping", optional=True
    )


_MOMENTUM = Hyperparameter("momentum", 0.9, UNIT, "decay of the velocity")
_BETA1 = Hyperparameter("beta1", 0.9, UNIT, "decay of the first moment")
_BETA2 = Hyperparameter("beta2", 0.999, UNIT, "decay of the second moment")
_AMSGRAD = Hyperparameter("amsgrad", False, None, "divide by the running maximum of the second moment")
_DECOUPLED = Hyperparameter(
    "decoupled_weight_decay", False, None, "decay the parameters (p *= 1 - lr * weight_decay) instead of L2"
)


def _epsilon(default: float) -> Hyperparameter:
    return Hyperparameter("epsilon", default, NON_NEGATIVE, "added to the root-mean-square before dividing")


_ADAM_FORMULA = (
    "m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g**2; v_max = max(v_max, v) if amsgrad; "
    "p -= lr / (1 - b1**t) * m / (sqrt(v or v_max) / sqrt(1 - b2**t) + eps)"
)

REGISTRY: tuple[Method, ...] = (
    Method(
        name="sgd",
        code=0,
        title="SGD",
        hyperparameters=(_learning_rate(0.01), _clip(1.0), _weight_decay()),
        state_names=(),
        formula="p -= lr * g",
        torch="SGD(lr, momentum=0, weight_decay)",
    ),
    Method(
        name="momentum",
        code=1,
        title="SGD with Momentum",
        hyperparameters=(_learning_rate(0.01), _MOMENTUM, _clip(1.0), _weight_decay()),
        state_names=("velocity",),
        formula="v = momentum * v + lr * g; p -= v",
        torch="SGD(lr, momentum, dampening=0, weight_decay), while the learning rate is constant",
    ),
    Method(
        name="rmsprop",
        code=2,
        title="RMSprop",
        hyperparameters=(
            _learning_rate(0.01),
            Hyperparameter("beta", 0.9, UNIT, "decay of the mean squared gradient"),
            _epsilon(1e-8),
            _weight_decay(),
        ),
        state_names=("square_avg",),
        formula="s = beta * s + (1 - beta) * g**2; p -= lr * g / (sqrt(s) + eps)",
        torch="RMSprop(lr, alpha=beta, eps=epsilon, weight_decay, momentum=0, centered=False)",
    ),
    Method(
        name="adam",
        code=3,
        title="Adam",
        hyperparameters=(_learning_rate(0.001), _BETA1, _BETA2, _epsilon(1e-8), _weight_decay(), _AMSGRAD),
        state_names=("exp_avg", "exp_avg_sq", "beta_powers", "max_exp_avg_sq"),
        formula=_ADAM_FORMULA,
        torch="Adam(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, amsgrad)",
    ),
    Method(
        name="nesterov",
        code=4,
        title="SGD with Nesterov momentum",
        hyperparameters=(_learning_rate(0.01), _MOMENTUM, _clip(None), _weight_decay()),
        state_names=("momentum_buffer",),
        formula="buf = momentum * buf + g; p -= lr * (g + momentum * buf)",
        torch="SGD(lr, momentum, dampening=0, nesterov=True, weight_decay)",
    ),
    Method(
        name="adagrad",
        code=5,
        title="Adagrad",
        hyperparameters=(_learning_rate(0.01), _epsilon(1e-10), _weight_decay()),
        state_names=("sum",),
        formula="s = s + g**2; p -= lr * g / (sqrt(s) + eps)",
        torch="Adagrad(lr, lr_decay=0, weight_decay, initial_accumulator_value=0, eps=epsilon)",
    ),
    Method(
        name="adamw",
        code=6,
        title="AdamW",
        hyperparameters=(
            _learning_rate(0.001),
            _BETA1,
            _BETA2,
            _epsilon(1e-8),
            _weight_decay(0.01, decoupled=True),
            _AMSGRAD,
        ),
        state_names=("exp_avg", "exp_avg_sq", "beta_powers", "max_exp_avg_sq"),
        formula="p *= 1 - lr * weight_decay; then Adam's update with g unpenalized: " + _ADAM_FORMULA,
        torch="AdamW(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, amsgrad)",
    ),
)

REGISTRY += (
    Method(
        name="adamax",
        code=7,
        title="Adamax",
        hyperparameters=(_learning_rate(0.002), _BETA1, _BETA2, _epsilon(1e-8), _weight_decay()),
        state_names=("exp_avg", "exp_inf", "beta_powers"),
        formula="m = m + (1 - b1) * (g - m); u = max(b2 * u, |g| + eps); p -= lr / (1 - b1**t) * m / u",
        torch="Adamax(lr, betas=(beta1, beta2), eps=epsilon, weight_decay)",
    ),
    Method(
        name="nadam",
        code=8,
        title="NAdam",
        hyperparameters=(
            _learning_rate(0.002),
            _BETA1,
            _BETA2,
            _epsilon(1e-8),
            _weight_decay(),
            Hyperparameter("momentum_decay", 0.004, NON_NEGATIVE, "psi: mu_t = beta1 (1 - 0.96**(t psi) / 2)"),
            _DECOUPLED,
        ),
        state_names=("exp_avg", "exp_avg_sq", "mu_product", "powers"),
        formula=(
            "mu_t = b1 (1 - 0.96**(t psi) / 2); M = M mu_t; m = m + (1 - b1)(g - m); v = b2 v + (1 - b2) g**2; "
            "d = sqrt(v / (1 - b2**t)) + eps; p -= lr (1 - mu_t) / (1 - M) g / d + lr mu_{t+1} / (1 - M mu_{t+1}) m / d"
        ),
        torch="NAdam(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, momentum_decay, decoupled_weight_decay)",
    ),
    Method(
        name="radam",
        code=9,
        title="RAdam",
        hyperparameters=(_learning_rate(0.001), _BETA1, _BETA2, _epsilon(1e-8), _weight_decay(), _DECOUPLED),
        state_names=("exp_avg", "exp_avg_sq", "beta_powers"),
        formula=(
            "m = m + (1 - b1)(g - m); v = b2 v + (1 - b2) g**2; rho_t = rho_inf - 2 t b2**t / (1 - b2**t); "
            "p -= lr m / (1 - b1**t) * (r_t sqrt(1 - b2**t) / (sqrt(v) + eps) if rho_t > 5 else 1)"
        ),
        torch="RAdam(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, decoupled_weight_decay)",
    ),
    Method(
        name="adadelta",
        code=10,
        title="Adadelta",
        hyperparameters=(
            _learning_rate(1.0),
            Hyperparameter("rho", 0.9, UNIT, "decay of the mean squared gradient and update"),
            _epsilon(1e-6),
            _weight_decay(),
        ),
        state_names=("square_avg", "acc_delta"),
        formula="s = rho s + (1 - rho) g**2; delta = sqrt(a + eps) / sqrt(s + eps) g; "
        "a = rho a + (1 - rho) delta**2; p -= lr delta",
        torch="Adadelta(lr, rho, eps=epsilon, weight_decay)",
    ),
    Method(
        name="rprop",
        code=11,
        title="Rprop",
        hyperparameters=(
            _learning_rate(0.01),
            Hyperparameter("etaminus", 0.5, Interval(0.0, 1.0, False, False), "step-size factor when g changes sign"),
            Hyperparameter("etaplus", 1.2, Interval(1.0, math.inf, False, False), "step-size factor when it keeps it"),
            Hyperparameter("step_size_min", 1e-6, NON_NEGATIVE, "smallest step size"),
            Hyperparameter("step_size_max", 50.0, POSITIVE, "largest step size"),
            _weight_decay(),
        ),
        state_names=("prev", "step_size"),
        formula="f = etaplus if g g_prev > 0, etaminus if < 0, else 1; s = clip(s f, s_min, s_max); "
        "g = 0 where f == etaminus; p -= sign(g) s; g_prev = g (s starts at lr)",
        torch="Rprop(lr, etas=(etaminus, etaplus), step_sizes=(step_size_min, step_size_max)) (weight_decay, "
        "L2 added to g, is fastopt's: 0 equals torch)",
    ),
    Method(
        name="lion",
        code=12,
        title="Lion",
        hyperparameters=(
            _learning_rate(1e-4),
            _BETA1,
            Hyperparameter("beta2", 0.99, UNIT, "decay of the momentum"),
            _weight_decay(decoupled=True),
        ),
        state_names=("exp_avg",),
        formula="p *= 1 - lr * wd; p -= lr * sign(b1 m + (1 - b1) g); m = b2 m + (1 - b2) g",
        torch="lion_pytorch.Lion(lr, betas=(beta1, beta2), weight_decay) (not in torch.optim)",
    ),
)

METHODS: tuple[str, ...] = tuple(m.name for m in REGISTRY)
_BY_NAME = {m.name: m for m in REGISTRY}


def get_method(name: object) -> Method:
    """Return the registry row for ``name`` (any case: ``"Adam"`` is ``"adam"``); a clear error otherwise."""
    if not isinstance(name, str):
        raise TypeError(f"method must be a string, one of {', '.join(METHODS)}; got {type(name).__name__}")
    try:
        return _BY_NAME[name.lower()]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; valid methods are: {', '.join(METHODS)}") from None
