"""Argument checking: turns what a user passes to ``fit`` into a :class:`Problem`.

Both :func:`fastopt.fit` and :func:`fastopt.reference.fit` start here, so they
accept and reject exactly the same input with the same messages. Every
error names the argument and what was wrong with it; inputs are copied,
never modified.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from ..engine.param_groups import is_bias
from ..engine.precision import check_dtype
from ..engine.shuffle import new_state
from ..engine.status import LINEAR_SQUARED, NETWORK, OBJECTIVE
from ..methods import METHODS, NON_NEGATIVE, Hyperparameter, HyperValue, Method, get_method
from ..methods.rule import USER, is_rule
from ..models.architectures import Architecture, architecture
from ..models.losses import SQUARED_ERROR, Loss, check_targets, get_loss
from ..models.objective import Objective
from ..models.scaling import Scaling
from ..schedules import Schedule
from ..torch import architecture_of, is_module, model_of
from .checks import check_array, check_flag, check_integer, check_real, read_only
from .optimizer_state import check_optimizer_state
from .unscaled import column_names, warn_if_unscaled

__all__ = ["Problem", "prepare", "check_data", "as_features", "InvalidParameterError"]

# Lemire's bounded integers in the shuffle take 32-bit bounds.
MAX_ROWS = 2**32 - 1
# The loss history of a run is allocated up front: 10**8 epochs are 800 MB.
MAX_EPOCHS = 10**8


class InvalidParameterError(ValueError, TypeError):
    """A hyperparameter the method does not take (both a ValueError and a TypeError)."""


@dataclass(frozen=True)
class Problem:
    """A validated fit: arrays in the kernel's layout and resolved settings."""

    X: np.ndarray  # read-only float64[n, d], C-contiguous; may share memory with the caller's x
    y: np.ndarray  # read-only float64[n]; class labels 0.0 .. K-1 for classification losses
    model: Architecture | Objective  # the resolved model, or the user's objective
    loss: Loss  # squared error for an objective (unused there)
    spec: np.ndarray  # int64, the kernels' encoding of model and loss (see fastopt.network)
    n_classes: int  # 1 for regression
    method: Method
    hyperparameters: Mapping[str, HyperValue]  # resolved, registry order
    hp: np.ndarray  # float64[h], kernel encoding (None -> inf, flags -> 1.0 / 0.0)
    schedule: Schedule | None
    init: np.ndarray  # float64[n_params], a fresh copy
    epochs: int
    batch_size: int
    threshold: float
    shuffle: bool
    seed: int  # the seed actually used (entropy drawn when seed=None)
    rng_state: np.ndarray  # uint64[4], fresh for this run
    record_path: bool  # keep a path at all; path_unit says after what, record_every how often
    scaling: Scaling | None = None  # standardize=True: X, y and init above are standardized
    start_state: np.ndarray | None = None  # optimizer_state: the rule's state to resume from (else zeros)
    start_step: int = 0  # updates made before this run (optimizer_state's "step")
    path_unit: str = "epochs"  # "epochs" or "steps" (updates): what a path row follows
    record_every: int = 1  # one path row every this many epochs or updates
    maximize: bool = False  # ascend the loss: every minibatch gradient negated before the rule (spec[MAXIMIZE])
    decay_biases: bool = True  # False: the biases are a parameter group without weight decay (spec[NO_DECAY])
    dtype: str = "float64"  # the run's float type: X, y, init (and the kernels' params, state) are of it


def as_features(x: Any, n_features: int | None = None, name: str = "x", dtype: Any = np.float64) -> np.ndarray:
    """Return ``x`` as a C-contiguous ``dtype`` (float64, or float32) matrix of shape ``(n, d)``.

    A 1-D ``x`` is one feature per row. With ``n_features`` given, the number
    of columns must match it.
    """
    X = check_array(name, x, (1, 2), dtype)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} feature(s) but the model was fit on {n_features}")
    return X


def check_data(
    x: Any, y: Any, names: tuple[str, str] = ("x", "y"), dtype: Any = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``x`` as a ``dtype`` (n, d) matrix and ``y`` as ``dtype`` (n,), or raise naming the problem."""
    X = as_features(x, name=names[0], dtype=dtype)
    Y = check_array(names[1], y, (1,), dtype)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"{names[0]} has {X.shape[0]} row(s) but {names[1]} has {Y.shape[0]}; they must match")
    if X.shape[0] > MAX_ROWS:
        raise ValueError(f"{names[0]} has {X.shape[0]} rows; at most {MAX_ROWS} are supported")
    return X, Y


def check_hyperparameter_names(method: Method, names: Any) -> None:
    """Raise :class:`InvalidParameterError` for names that ``method`` does not take."""
    valid = [h.name for h in method.hyperparameters]
    unknown = [key for key in names if key not in valid]
    if unknown:
        raise InvalidParameterError(
            f"method {method.name!r} does not take {', '.join(map(repr, unknown))}; "
            f"its hyperparameters are: {', '.join(valid)}"
        )


def resolve_hyperparameters(method: Method, given: Mapping[str, Any]) -> dict[str, HyperValue]:
    """Check ``given`` against ``method``'s registry row and fill in defaults (None means default)."""
    check_hyperparameter_names(method, given)
    resolved: dict[str, HyperValue] = {}
    for h in method.hyperparameters:
        value = given.get(h.name, h.default)
        if value is None and not h.optional:
            value = h.default
        if h.is_flag:
            resolved[h.name] = check_flag(h.name, value)
        elif h.choices is not None:
            value = value.name if is_rule(value) else value  # Lookahead's base: a user's rule, by its name
            if not isinstance(value, str) or value.lower() not in h.choices:
                raise ValueError(f"{h.name} must be one of {', '.join(h.choices)}; got {value!r}")
            resolved[h.name] = value.lower()
        elif h.second is not None:
            resolved[h.name] = _pair(h, value)
        elif h.integer:
            resolved[h.name] = check_integer(h.name, value, int(h.valid.low) if h.valid else 0)
        else:
            resolved[h.name] = None if value is None else check_real(h.name, value, h.valid)
    return resolved


def _pair(h: Hyperparameter, value: Any) -> tuple[float, float]:
    """A pair hyperparameter (e.g. Rprop's ``etas``) as two checked floats."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise TypeError(f"{h.name} must be a pair of numbers, e.g. {h.name}={h.default!r}; got {value!r}")
    assert h.valid is not None and h.second is not None
    first = check_real(f"{h.name}[0]", value[0], h.valid)
    return first, check_real(f"{h.name}[1]", value[1], h.second)


def kernel_hyperparameters(resolved: Mapping[str, HyperValue]) -> np.ndarray:
    """The kernel's ``hp`` array: registry order, None -> inf, flags -> 1.0 / 0.0, a name -> its method code."""
    values: list[float] = []
    for v in resolved.values():
        if isinstance(v, tuple):
            values += v
        else:
            values.append(math.inf if v is None else float(_code_of(v) if isinstance(v, str) else v))
    return np.array(values, dtype=np.float64)


def _path_unit(record_path: Any) -> tuple[bool, str]:
    """``record_path`` as (record at all, after what): False, True or "epochs" (after epochs), "steps" (updates)."""
    if isinstance(record_path, str) and record_path in ("epochs", "steps"):
        return True, record_path
    if isinstance(record_path, (bool, np.bool_)):
        return bool(record_path), "epochs"
    raise ValueError(f"record_path must be True, False, 'epochs' or 'steps' (after every update), got {record_path!r}")


def _code_of(name: str) -> int:
    """The code of a method named as a hyperparameter (Lookahead's base): a built-in's, or a user rule's."""
    return get_method(name).code if name in METHODS else USER


def check_schedule(schedule: Any) -> Schedule | None:
    if schedule is not None and not isinstance(schedule, Schedule):
        raise TypeError(
            "schedule must be None or made by fastopt.schedules (step, cosine, one_cycle, ...), "
            f"got {type(schedule).__name__} {schedule!r}"
        )
    return schedule


def seed_value(seed: Any) -> int:
    """``seed`` checked as a non-negative integer of any size; ``None`` draws a fresh one from the OS."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]  # an int when drawn fresh
    return check_integer("seed", seed, 0, maximum=None)  # any size: SeedSequence takes big integers


def prepare(
    x: Any,
    y: Any,
    method: Any,
    *,
    learning_rate: Any,
    epochs: Any,
    batch_size: Any,
    stopping_threshold: Any,
    seed: Any,
    init: Any,
    shuffle: Any,
    record_path: Any = False,
    record_every: Any = 1,
    schedule: Any = None,
    hyperparameters: Mapping[str, Any],
    model: Any = "linear",
    loss: Any = "squared_error",
    objective: Any = None,
    n_classes: Any = None,
    standardize: Any = False,
    optimizer_state: Any = None,
    maximize: Any = False,
    decay_biases: Any = True,
    dtype: Any = "float64",
    data_checked: bool = False,
) -> Problem:
    """Validate the arguments of ``fit`` and resolve defaults and seeds.

    ``data_checked=True`` skips :func:`check_data` for arrays it returned
    (and the unscaled-data warning, which the caller gives once).
    ``standardize=True`` standardizes ``X`` (and regression targets) and a
    given ``init`` (see :mod:`fastopt.models.scaling`).
    """
    module_sizes = None
    if is_module(model):  # a torch module: its architecture, and its weights unless init is given
        module_sizes = architecture_of(model).sizes
        model, weights = model_of(model)
        init = weights if init is None else init
    if is_module(init):
        init = model_of(init)[1]
    row = get_method(method, hyperparameters.get("base"))
    hyper = resolve_hyperparameters(row, {**hyperparameters, "learning_rate": learning_rate})
    schedule = check_schedule(schedule)
    dtype = check_dtype(dtype)
    standardize = check_flag("standardize", standardize)
    # Data to standardize is read in float64 and converted to the dtype once standardized.
    X, Y = (x, y) if data_checked else check_data(x, y, dtype="float64" if standardize else dtype)
    epochs = check_integer("epochs", epochs, 0, MAX_EPOCHS)
    batch_size = check_integer("batch_size", batch_size, 1)
    threshold = (
        0.0 if stopping_threshold is None else check_real("stopping_threshold", stopping_threshold, NON_NEGATIVE)
    )
    shuffle = check_flag("shuffle", shuffle)
    record_path, path_unit = _path_unit(record_path)
    record_every = check_integer("record_every", record_every, 1)
    seed = seed_value(seed)
    init_seq, shuffle_seq = np.random.SeedSequence(seed).spawn(2)
    maximize = check_flag("maximize", maximize)
    decay_biases = check_flag("decay_biases", decay_biases)
    no_decay = _no_decay(decay_biases, row, hyper)
    resolved, loss_row, spec, n_classes = _model(model, loss, objective, n_classes, X, Y, maximize, no_decay)
    if module_sizes is not None and isinstance(resolved, Architecture) and module_sizes != resolved.sizes:
        raise ValueError(
            f"model: the module's layer sizes are {module_sizes}, but {X.shape[1]} feature(s) and "
            f"{resolved.sizes[-1]} output(s) for loss={loss_row.name!r} need {resolved.sizes}"
        )
    if dtype != "float64" and (isinstance(resolved, Objective) or row.rule is not None):
        what = "an objective" if isinstance(resolved, Objective) else f"the Rule {row.rule.name!r}"
        raise ValueError(f"dtype={dtype!r} is for the built-in models and methods; {what} runs in float64 (drop dtype)")
    regression = n_classes == 1 and not isinstance(resolved, Objective)
    scaling = None
    if standardize:
        if isinstance(resolved, Objective):
            raise ValueError("standardize=True is for the built-in models; scale the data of an objective yourself")
        scaling = Scaling.of(X, Y, scale_targets=regression)  # float64 moments, whatever the dtype
        X, Y = scaling.features(X), scaling.targets(Y)
    elif not data_checked and not isinstance(resolved, Objective):
        warn_if_unscaled(
            X, Y if regression else None, column_names(x, X.shape[1]), str(getattr(y, "name", None) or "y")
        )
    n_params = resolved.n_params
    if init is None and isinstance(resolved, Objective) and resolved.init is not None:
        start = np.array(resolved.init)
    elif init is None:
        rng = np.random.default_rng(init_seq)
        start = resolved.init(rng) if isinstance(resolved, Architecture) else rng.standard_normal(n_params)
    else:
        start = check_array("init", init, (1,)).copy()
        if start.shape != (n_params,):
            layout = (
                f" = d + 1 for d = {n_params - 1} feature(s) ([w_1 .. w_d, b])"
                if spec[0] == LINEAR_SQUARED
                else f", the parameters of {getattr(resolved, 'name', 'the objective')}"
            )
            raise ValueError(f"init must have shape ({n_params},){layout}, got shape {start.shape}")
        if scaling is not None:
            assert isinstance(resolved, Architecture)
            start = scaling.to_standardized(start, resolved.sizes)
    bias = is_bias(spec) if no_decay else None
    start_state, start_step = check_optimizer_state(optimizer_state, row, hyper, start.shape[0], scaling, bias)
    if dtype != "float64":
        # Converted once: a sweep passes its data converted, and groups configurations by these very arrays.
        X, Y = (array if array.dtype == dtype else read_only(array, dtype) for array in (X, Y))
        start = start.astype(dtype)
        start_state = None if start_state is None else start_state.astype(dtype)
    return Problem(
        X=X,
        y=Y,
        model=resolved,
        loss=loss_row,
        spec=spec,
        n_classes=n_classes,
        method=row,
        hyperparameters=MappingProxyType(hyper),
        hp=kernel_hyperparameters(hyper),
        schedule=schedule,
        init=start,
        epochs=epochs,
        batch_size=batch_size,
        threshold=threshold,
        shuffle=shuffle,
        seed=seed,
        rng_state=new_state(shuffle_seq),
        record_path=record_path,
        path_unit=path_unit,
        record_every=record_every,
        scaling=scaling,
        start_state=start_state,
        start_step=start_step,
        maximize=maximize,
        decay_biases=decay_biases,
        dtype=dtype,
    )


def _no_decay(decay_biases: bool, row: Method, hyper: Mapping[str, HyperValue]) -> int:
    """``spec[NO_DECAY]``: 0 (one parameter group), or 1 + the slot of ``weight_decay`` in ``hp`` for biases
    without weight decay (:mod:`fastopt.engine.param_groups`)."""
    if decay_biases:
        return 0
    if "weight_decay" not in hyper:
        raise ValueError(f"decay_biases=False is for a method with weight_decay, and {row.name} has none")
    if hyper["weight_decay"] == 0:
        return 0  # two groups would step exactly as one
    slot = 0
    for name, value in hyper.items():
        if name == "weight_decay":
            break
        slot += len(value) if isinstance(value, tuple) else 1
    return slot + 1


def _model(
    model: Any,
    loss: Any,
    objective: Any,
    n_classes: Any,
    X: np.ndarray,
    y: np.ndarray,
    maximize: bool = False,
    no_decay: int = 0,
) -> tuple[Architecture | Objective, Loss, np.ndarray, int]:
    """Resolve ``model``, ``loss`` and ``objective``: ``(model, loss row, kernel spec, classes)``."""
    if objective is not None:
        if not isinstance(objective, Objective):
            raise TypeError(f"objective must be a fastopt.Objective, got {type(objective).__name__}")
        if not (isinstance(model, str) and model == "linear") or get_loss(loss).code != SQUARED_ERROR:
            raise ValueError("objective= replaces model= and loss=; pass one or the other")
        if n_classes is not None:
            raise ValueError("n_classes is for the built-in classification losses, not objective=")
        if no_decay:
            raise ValueError("decay_biases=False is for the built-in models, whose biases fastopt knows; "
                             "an objective's parameters are one group")  # fmt: skip
        spec = np.array([OBJECTIVE, 0, 0, maximize, 0, 1, 1], dtype=np.int64)
        return objective, get_loss("squared_error"), spec, 1
    loss_row = get_loss(loss)
    classes = check_targets(loss_row, y, n_classes)
    arch = architecture(model, X.shape[1], loss_row.n_outputs(classes))
    # The linear epoch is the line's hot loop, with one group: two groups take the network's epoch.
    linear = arch.is_linear and loss_row.code == SQUARED_ERROR and not no_decay
    spec = np.array([LINEAR_SQUARED if linear else NETWORK, loss_row.code, arch.activation_code, maximize, no_decay,
                     *arch.sizes], dtype=np.int64)  # fmt: skip
    return arch, loss_row, spec, classes
