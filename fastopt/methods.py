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

#: A hyperparameter's value: a number, a flag, a method name (Lookahead's base) or a pair (Rprop's etas).
HyperValue = float | bool | str | tuple[float, float] | None

__all__ = [
    "HyperValue",
    "Interval",
    "Hyperparameter",
    "Method",
    "REGISTRY",
    "METHODS",
    "get_method",
    "lookahead",
    "state_width",
]


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
    ``integer`` ones take whole numbers; ``choices`` ones one of those names,
    which the kernel receives as the method's code. A ``second`` range makes
    it a pair, as PyTorch's ``etas=(0.5, 1.2)``: ``valid`` bounds the first
    number, ``second`` the other, and the kernel receives both.
    """

    name: str
    default: HyperValue
    valid: Interval | None
    description: str
    optional: bool = False
    integer: bool = False
    choices: tuple[str, ...] | None = None
    second: Interval | None = None

    @property
    def is_flag(self) -> bool:
        return self.valid is None and self.choices is None


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
    def defaults(self) -> Mapping[str, HyperValue]:
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
        hyperparameters=(
            _learning_rate(0.01),
            _clip(1.0),
            _weight_decay(),
            Hyperparameter("momentum", 0.0, UNIT, "decay of PyTorch's momentum buffer; 0 is plain SGD"),
            Hyperparameter("dampening", 0.0, Interval(0.0, 1.0, True, True), "buf = momentum buf + (1 - dampening) g"),
        ),
        state_names=("momentum_buffer",),
        formula="p -= lr * g if momentum == 0, else buf = g (first step) or momentum buf + (1 - dampening) g; "
        "p -= lr * buf",
        torch="SGD(lr, momentum, dampening, weight_decay)",
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
            Hyperparameter("momentum", 0.0, UNIT, "decay of the buffer of normalized steps; 0 has none"),
            Hyperparameter("centered", False, None, "divide by the gradient's variance instead of its mean square"),
        ),
        state_names=("square_avg", "momentum_buffer", "grad_avg"),
        formula="s = beta * s + (1 - beta) * g**2; a = a + (1 - beta)(g - a) if centered; "
        "d = sqrt(s - a**2 if centered else s) + eps; p -= lr * g / d, or with momentum: "
        "buf = momentum buf + g / d; p -= lr buf",
        torch="RMSprop(lr, alpha=beta, eps=epsilon, weight_decay, momentum, centered)",
    ),
    Method(
        name="adam",
        code=3,
        title="Adam",
        hyperparameters=(
            _learning_rate(0.001),
            _BETA1,
            _BETA2,
            _epsilon(1e-8),
            _weight_decay(),
            _AMSGRAD,
            Hyperparameter(
                "bias_correction", True, None, "divide m and v by 1 - beta**t (False: a teaching switch, not torch)"
            ),
        ),
        state_names=("exp_avg", "exp_avg_sq", "beta_powers", "max_exp_avg_sq"),
        formula=_ADAM_FORMULA + " (without bias_correction: no division by 1 - b**t)",
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
            Hyperparameter(
                "etas",
                (0.5, 1.2),
                Interval(0.0, 1.0, False, False),
                "(eta-, eta+): step-size factors when g changes sign and when it keeps it",
                second=Interval(1.0, math.inf, False, False),
            ),
            Hyperparameter("step_sizes", (1e-6, 50.0), NON_NEGATIVE, "(smallest, largest) step size", second=POSITIVE),
            _weight_decay(),
        ),
        state_names=("prev", "step_size"),
        formula="f = eta+ if g g_prev > 0, eta- if < 0, else 1; s = clip(s f, s_min, s_max); "
        "g = 0 where f == eta-; p -= sign(g) s; g_prev = g (s starts at lr)",
        torch="Rprop(lr, etas, step_sizes) (weight_decay, L2 added to g, is fastopt's: 0 equals torch)",
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

_SCHEDULE_FREE = (
    Hyperparameter(
        "warmup_steps", 0, NON_NEGATIVE, "steps of linear warmup of the rate: lr * min(1, t / W)", integer=True
    ),
    Hyperparameter("r", 0.0, NON_NEGATIVE, "polynomial weighting t**r of the average"),
    Hyperparameter("weight_lr_power", 2.0, NON_NEGATIVE, "the average weighs step t by lr_max**weight_lr_power"),
)
_OPEN_UNIT = Interval(0.0, 1.0, low_closed=False, high_closed=False)

REGISTRY += (
    Method(
        name="asgd",
        code=13,
        title="ASGD",
        hyperparameters=(
            _learning_rate(0.01),
            Hyperparameter("lambd", 1e-4, NON_NEGATIVE, "decay term: p *= 1 - lambd * eta"),
            Hyperparameter("alpha", 0.75, NON_NEGATIVE, "power of the step-size decay eta"),
            Hyperparameter("t0", 1e6, NON_NEGATIVE, "step at which averaging starts"),
            _weight_decay(),
        ),
        state_names=("ax", "eta_mu"),
        formula="p *= 1 - lambd eta; p -= eta g; ax = p if mu == 1 else ax + mu (p - ax); "
        "eta = lr / (1 + lambd lr t)**alpha; mu = 1 / max(1, t - t0) (eta starts at lr, mu at 1)",
        torch="ASGD(lr, lambd, alpha, t0, weight_decay)",
    ),
    Method(
        name="adabelief",
        code=14,
        title="AdaBelief",
        hyperparameters=(
            _learning_rate(1e-3),
            _BETA1,
            _BETA2,
            _epsilon(1e-16),
            _weight_decay(),
            Hyperparameter("decoupled_weight_decay", True, None, "decay the parameters instead of L2"),
            Hyperparameter("rectify", True, None, "RAdam's rectification of the early steps"),
            Hyperparameter("degenerated_to_sgd", True, None, "while rectification is undefined, take SGD steps"),
        ),
        state_names=("exp_avg", "exp_avg_var", "beta_powers"),
        formula="m = b1 m + (1 - b1) g; s = b2 s + (1 - b2)(g - m)**2 + eps; "
        "p -= lr / (1 - b1**t) m / (sqrt(s) / sqrt(1 - b2**t) + eps), or RAdam's rectified step if rectify",
        torch="adabelief_pytorch.AdaBelief(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, "
        "weight_decouple=decoupled_weight_decay, rectify, degenerated_to_sgd) (not in torch.optim)",
    ),
    Method(
        name="sgd_schedule_free",
        code=15,
        title="Schedule-free SGD",
        hyperparameters=(
            _learning_rate(1.0),
            Hyperparameter("momentum", 0.9, _OPEN_UNIT, "interpolation between y and z (beta)"),
            _weight_decay(),
            *_SCHEDULE_FREE,
        ),
        state_names=("z", "lr_max_weight_sum"),
        formula="c = w_t / sum w; y = (1 - c) y + c z; y += lr_t (beta (1 - c) - 1) g; z -= lr_t g; "
        "params returned (and the loss measured) at x = y + (1 - 1/beta)(z - y)",
        torch="schedulefree.SGDScheduleFree(lr, momentum, weight_decay, warmup_steps, r, weight_lr_power) "
        "(not in torch.optim)",
    ),
    Method(
        name="adamw_schedule_free",
        code=16,
        title="Schedule-free AdamW",
        hyperparameters=(
            _learning_rate(0.0025),
            Hyperparameter("beta1", 0.9, _OPEN_UNIT, "interpolation between y and z"),
            _BETA2,
            _epsilon(1e-8),
            _weight_decay(),
            *_SCHEDULE_FREE,
        ),
        state_names=("z", "exp_avg_sq", "lr_max_weight_sum"),
        formula="v = b2 v + (1 - b2) g**2; u = g / (sqrt(v / (1 - b2**t)) + eps) + wd y; then schedule-free "
        "SGD's y, z updates with u; params returned at x",
        torch="schedulefree.AdamWScheduleFree(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, warmup_steps, "
        "r, weight_lr_power) (not in torch.optim)",
    ),
)

#: Lookahead over the rule with code c has code ``LOOKAHEAD_OFFSET + c``.
LOOKAHEAD_OFFSET = 64
_BASES = tuple(m.name for m in REGISTRY if m.name != "asgd")


def lookahead(base: Method) -> Method:
    """The registry row of Lookahead over ``base``: its hyperparameters, then ``k``, ``alpha`` and ``base``."""
    return Method(
        name="lookahead",
        code=LOOKAHEAD_OFFSET + base.code,
        title=f"Lookahead ({base.title})",
        hyperparameters=(
            *base.hyperparameters,
            Hyperparameter(
                "k", 5, Interval(1.0, math.inf, True, False), "base steps between synchronizations", integer=True
            ),
            Hyperparameter("alpha", 0.5, Interval(0.0, 1.0, True, True), "step toward the fast weights"),
            Hyperparameter("base", base.name, None, "the method wrapped", choices=_BASES),
        ),
        state_names=(*base.state_names, "slow_params"),
        formula=f"every k steps of {base.name}: p = slow + alpha (p - slow); slow = p",
        torch="pytorch_optimizer.Lookahead(base optimizer, k, alpha, pullback_momentum='none') (not in torch.optim)",
    )


REGISTRY += (lookahead(next(m for m in REGISTRY if m.name == "adam")),)

METHODS: tuple[str, ...] = tuple(m.name for m in REGISTRY)


#: A rule's state has a column per parameter and at least this many: a row of scalars holds two.
MIN_STATE_WIDTH = 2


def state_width(n_params: int) -> int:
    """Columns of a rule's state for ``n_params`` parameters."""
    return max(n_params, MIN_STATE_WIDTH)


_BY_NAME = {m.name: m for m in REGISTRY}


def get_method(name: object, base: object = None) -> Method:
    """Return the registry row for ``name`` (any case: ``"Adam"`` is ``"adam"``); a clear error otherwise.

    ``base`` names the method that ``"lookahead"`` wraps (default ``"adam"``);
    other methods take none.
    """
    if not isinstance(name, str):
        raise TypeError(f"method must be a string, one of {', '.join(METHODS)}; got {type(name).__name__}")
    try:
        row = _BY_NAME[name.lower()]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; valid methods are: {', '.join(METHODS)}") from None
    if base is None:
        return row
    if row.name != "lookahead":
        raise ValueError(f"base={base!r} is for method='lookahead'; {row.name!r} wraps no other method")
    if isinstance(base, str) and base.lower() == "asgd":  # both call a hyperparameter alpha
        raise ValueError("Lookahead cannot wrap asgd: Lookahead's alpha would shadow ASGD's alpha")
    if not isinstance(base, str) or base.lower() not in _BASES:
        raise ValueError(f"base must name the method Lookahead wraps, one of {', '.join(_BASES)}; got {base!r}")
    return lookahead(_BY_NAME[base.lower()])
