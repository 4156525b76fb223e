"""PyTorch interop: bring an ``nn.Sequential``, take it back trained.

fastopt's built-in models are PyTorch's ``nn.Sequential(Linear, act, ...,
Linear)`` with the parameters in ``parameters_to_vector`` order (see
:mod:`fastopt.models.architectures`), so a module maps to a model and a
parameter vector one to one::

    net = torch.nn.Sequential(torch.nn.Linear(10, 50), torch.nn.ReLU(), torch.nn.Linear(50, 1))
    result = fastopt.fit(X, y, "adam", model=net)      # starts from net's weights
    result.load_into(net)                              # net now holds the trained weights

An optimizer's state goes both ways too, for the methods whose state is
torch's own (``adam``, ``adamw``, ``rmsprop``, ``adagrad``, ``sgd``):
``fit(..., model=net, optimizer_state=optimizer)`` continues a run of
``optimizer`` over ``net.parameters()``, and
``optimizer.load_state_dict(result.optimizer_state_dict(optimizer))`` hands
the state back, so torch and fastopt can take turns on one run.

A ported run: ``method, hyperparameters = method_of(optimizer)`` gives the fastopt
method and hyperparameters equal to a ``torch.optim`` optimizer, torch's defaults
included, or refuses the settings fastopt has no equal for.

A module is accepted wherever ``fit`` takes ``model`` (the architecture and,
when ``init`` is not given, the starting weights) or ``init`` (the weights).
Accepted modules: a single ``nn.Linear`` (the linear model) or an
``nn.Sequential`` of ``nn.Linear`` layers with biases, with one ``nn.ReLU``
or ``nn.Tanh`` between consecutive ones (the same activation throughout).

torch is an optional extra: this module imports it only when a function
here needs it, and fastopt never needs it otherwise.
"""

from __future__ import annotations

import importlib
import itertools
from typing import Any

import numpy as np

from .models.architectures import ACTIVATIONS, MLP, Architecture

__all__ = [
    "is_module", "architecture_of", "model_of", "load_into", "to_module", "is_optimizer", "state_from_torch",
    "optimizer_state_dict", "TORCH_STATE", "torch_arguments", "method_of",
]  # fmt: skip

#: torch's activation class names -> fastopt's activation names.
_ACTIVATIONS = {"ReLU": "relu", "Tanh": "tanh"}


def _torch() -> Any:
    try:
        return importlib.import_module("torch")
    except ImportError as error:  # pragma: no cover - only without torch
        raise ImportError("fastopt.torch needs PyTorch: pip install torch") from error


def _is_a(value: Any, module: str, name: str) -> bool:
    """Whether ``value``'s class is or derives from ``module.name``, without importing that module."""
    return any(cls.__name__ == name and cls.__module__ == module for cls in type(value).__mro__)


def is_module(value: Any) -> bool:
    """Whether ``value`` is a ``torch.nn.Module``, without importing torch."""
    return _is_a(value, "torch.nn.modules.module", "Module")


def _layers(module: Any) -> tuple[list[Any], str]:
    """The module's ``Linear`` layers and its activation name, or a ``ValueError`` naming what does not fit."""
    kind = type(module).__name__
    if kind == "Linear":
        return [module], ACTIVATIONS[0]
    if kind != "Sequential":
        raise ValueError(f"fastopt takes an nn.Sequential of Linear and ReLU/Tanh layers, or one nn.Linear; got {kind}")
    linears: list[Any] = []
    activations: set[str] = set()
    previous = None
    for position, layer in enumerate(module):
        name = type(layer).__name__
        if name == "Linear":
            if previous == "Linear":
                raise ValueError(f"layer {position} (Linear) follows a Linear: put a ReLU or Tanh between them")
            linears.append(layer)
        elif name in _ACTIVATIONS:
            if previous != "Linear":
                raise ValueError(f"layer {position} ({name}) must follow a Linear layer")
            activations.add(_ACTIVATIONS[name])
        else:
            raise ValueError(
                f"layer {position} is {name}: fastopt's models are Linear layers with ReLU or Tanh between them"
            )
        previous = name
    if previous != "Linear":
        raise ValueError("the last layer must be Linear (fastopt's losses take the raw outputs)")
    if len(activations) > 1:
        raise ValueError("every hidden layer must use the same activation, ReLU or Tanh; this module mixes them")
    return linears, activations.pop() if activations else ACTIVATIONS[0]


def architecture_of(module: Any) -> Architecture:
    """The :class:`~fastopt.models.architectures.Architecture` of ``module`` (see the module docstring)."""
    linears, activation = _layers(module)
    for position, layer in enumerate(linears):
        if layer.bias is None:
            raise ValueError(f"Linear layer {position} has no bias (bias=False): fastopt's layers all have one")
    for earlier, later in itertools.pairwise(linears):
        if later.in_features != earlier.out_features:
            raise ValueError(f"Linear({later.in_features}, ...) follows Linear(..., {earlier.out_features})")
    return Architecture((linears[0].in_features, *(layer.out_features for layer in linears)), activation)


def model_of(module: Any) -> tuple[MLP | str, np.ndarray]:
    """``(model, params)``: the fastopt model of ``module`` and its current weights as float64.

    ``model`` is ``"linear"`` for a single ``Linear`` layer, else an :class:`~fastopt.MLP`;
    ``params`` is ``parameters_to_vector(module.parameters())``, copied.
    """
    arch = architecture_of(module)
    model = "linear" if arch.is_linear else MLP(hidden=arch.sizes[1:-1], activation=arch.activation)
    torch = _torch()
    with torch.no_grad():
        vector = torch.nn.utils.parameters_to_vector(module.parameters())
        params = vector.detach().to(device="cpu", dtype=torch.float64).numpy().copy()
    return model, params


def load_into(params: np.ndarray, arch: Architecture, module: Any) -> Any:
    """Copy ``params`` (fastopt's layout of ``arch``) into ``module``'s weights, in place; returns ``module``.

    The weights keep the module's own dtype and device; the module must have
    the same layers as ``arch``.
    """
    found = architecture_of(module)
    if found != arch:
        raise ValueError(f"the module is {found.name} with layer sizes {found.sizes}, "
                         f"but the fit trained {arch.name} with layer sizes {arch.sizes}")  # fmt: skip
    torch = _torch()
    reference = next(module.parameters())
    with torch.no_grad():
        vector = torch.tensor(np.array(params), dtype=reference.dtype, device=reference.device)
        torch.nn.utils.vector_to_parameters(vector, module.parameters())
    return module


def to_module(params: np.ndarray, arch: Architecture, dtype: Any = None) -> Any:
    """A new ``nn.Sequential`` (``nn.Linear`` for the linear model) holding ``params``, in ``dtype``.

    ``dtype`` defaults to torch's default dtype (``torch.get_default_dtype()``, float32 unless changed).
    """
    torch = _torch()
    layers: list[Any] = []
    for n_in, n_out in itertools.pairwise(arch.sizes):
        if layers:
            layers.append(torch.nn.ReLU() if arch.activation == "relu" else torch.nn.Tanh())
        layers.append(torch.nn.Linear(n_in, n_out, dtype=dtype))
    module = layers[0] if arch.is_linear else torch.nn.Sequential(*layers)
    return load_into(params, arch, module)


def _rows_torch_keeps(group: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Per method: the state entries torch keeps per parameter for a parameter group's options."""
    sgd = ("momentum_buffer",) if group.get("momentum", 0) else ()
    adam = ("exp_avg", "exp_avg_sq", *(("max_exp_avg_sq",) if group.get("amsgrad") else ()))
    rmsprop = ("square_avg", *(("momentum_buffer",) if group.get("momentum", 0) else ()),
               *(("grad_avg",) if group.get("centered") else ()))  # fmt: skip
    return {"sgd": sgd, "adam": adam, "adamw": adam, "rmsprop": rmsprop, "adagrad": ("sum",)}


#: fastopt's methods whose per-parameter state is torch's (same names), and the torch.optim class of each.
TORCH_STATE = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


def is_optimizer(value: Any) -> bool:
    """Whether ``value`` is a ``torch.optim.Optimizer``, without importing torch."""
    return _is_a(value, "torch.optim.optimizer", "Optimizer")


def _check_pair(method: str, optimizer: Any) -> list[Any]:
    """The optimizer's parameters in order, once ``method`` and its class are known to match."""
    kind = type(optimizer).__name__
    if method not in TORCH_STATE:
        raise ValueError(f"optimizer state maps to torch for {', '.join(TORCH_STATE)} only, not {method!r}")
    if kind != TORCH_STATE[method]:
        raise ValueError(f"method {method!r} is torch.optim.{TORCH_STATE[method]}, but the optimizer is {kind}")
    if len(optimizer.param_groups) == 1:
        return list(optimizer.param_groups[0]["params"])
    pairs = _weights_and_biases(optimizer)
    if pairs is None:
        raise ValueError("the optimizer's parameter groups are not [weights, biases]; fastopt maps one group over "
                         "all parameters, or two: every layer's weight, then every layer's bias")  # fmt: skip
    return [p for pair in pairs for p in pair]


def _weights_and_biases(optimizer: Any) -> list[tuple[Any, Any]] | None:
    """``[(weight, bias) per layer]`` when the optimizer's two groups are the layers' weights and their biases,
    in the same layer order (the recipe ``decay_biases=False`` reproduces), else None."""
    if len(optimizer.param_groups) != 2:
        return None
    weights, biases = (list(g["params"]) for g in optimizer.param_groups)
    if len(weights) != len(biases) or any(w.dim() != 2 or b.dim() != 1 or b.shape[0] != w.shape[0]
                                          for w, b in zip(weights, biases, strict=True)):  # fmt: skip
        return None
    return list(zip(weights, biases, strict=True))


def state_from_torch(optimizer: Any, method: str) -> dict[str, Any]:
    """``optimizer``'s state as ``fit``'s ``optimizer_state``: each entry flattened in parameter order.

    The parameters are taken in the optimizer's order, which for
    ``optimizer = Adam(net.parameters())`` is fastopt's layout of ``net``.
    An entry a parameter does not have yet (no step made) is zeros; torch's
    SGD counts no steps: a momentum buffer counts as one.
    """
    torch = _torch()
    params = _check_pair(method, optimizer)
    names = _rows_torch_keeps(optimizer.param_groups[0])[method]
    state: dict[str, Any] = {}
    with torch.no_grad():
        for name in names:
            parts = []
            for p in params:
                value = optimizer.state.get(p, {}).get(name)
                parts.append(np.zeros(p.numel()) if value is None else
                             value.detach().to(device="cpu", dtype=torch.float64).reshape(-1).numpy())  # fmt: skip
            state[name] = np.concatenate(parts)
    first = optimizer.state.get(params[0], {})
    if "step" in first:
        state["step"] = int(float(first["step"]))
    else:
        state["step"] = int(first.get("momentum_buffer") is not None)
    return state


def optimizer_state_dict(state: Any, method: str, optimizer: Any) -> dict[str, Any]:
    """``optimizer.state_dict()`` with ``state`` (a :attr:`FitResult.optimizer_state`) as its per-parameter state."""
    torch = _torch()
    params = _check_pair(method, optimizer)
    result = optimizer.state_dict()
    index = {id(p): pid for group, saved in zip(optimizer.param_groups, result["param_groups"], strict=True)
             for p, pid in zip(group["params"], saved["params"], strict=True)}  # fmt: skip
    ids = [index[id(p)] for p in params]
    names = _rows_torch_keeps(optimizer.param_groups[0])[method]
    step_dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32  # as torch does
    total = sum(p.numel() for p in params)
    if any(len(state[name]) != total for name in names):
        raise ValueError(f"the optimizer's parameters have {total} entries, the fit's state {len(state[names[0]])}")
    entries: dict[int, dict[str, Any]] = {}
    offset = 0
    for pid, p in zip(ids, params, strict=True):
        size = p.numel()
        entry: dict[str, Any] = {}
        if method != "sgd":  # torch's SGD counts no steps
            entry["step"] = torch.tensor(float(state["step"]), dtype=step_dtype)
        for name in names:
            values = np.array(state[name][offset : offset + size])
            entry[name] = torch.tensor(values, dtype=p.dtype, device=p.device).reshape(p.shape)
        entries[pid] = entry
        offset += size
    result["state"] = entries
    return result


#: A torch.optim group's keys that choose an implementation, not the algorithm (and a scheduler's bookkeeping).
_IMPLEMENTATION_KEYS = {"params", "param_names", "foreach", "fused", "capturable", "differentiable", "initial_lr"}


def _group_settings(group: dict[str, Any]) -> dict[str, Any]:
    """A parameter group's algorithmic settings, numbers as floats (a tensor learning rate too)."""
    settings = {}
    for key, value in group.items():
        if key in _IMPLEMENTATION_KEYS:
            continue
        if isinstance(value, (tuple, list)):
            value = tuple(v if v is None else float(v) for v in value)
        elif not isinstance(value, (bool, str, type(None))):
            value = float(value)
        settings[key] = value
    return settings


def _perturbed(h: Any, default: Any) -> Any:
    """A valid value of hyperparameter ``h`` other than ``default`` (to see which torch argument it moves)."""

    def other(valid: Any, value: float) -> float:
        return next(v for v in (0.37, 0.61, value * 2.0 + 1.0) if v != value and v in valid)

    if h.is_flag:
        return not default
    if h.second is not None:
        return other(h.valid, default[0]), other(h.second, default[1])
    if h.integer:
        return int(default) + 1
    return other(h.valid, default)


def torch_arguments(method: str) -> dict[str, tuple[str, int | None]]:
    """Which ``torch.optim`` argument each of ``method``'s hyperparameters is: ``name -> (torch key, index)``.

    Found by building ``method``'s torch optimizer (its file's ``torch_optimizer``) with one
    hyperparameter changed at a time and seeing which key of its parameter group moves (``index``
    is the place in a tuple such as ``betas``, else None). Hyperparameters that move none (the
    tutorial's ``clip_value``, Adam's ``bias_correction``) are not torch's and are left out.
    """
    torch = _torch()
    methods = importlib.import_module("fastopt.methods")
    row = methods.get_method(method)
    base = {h.name: h.default for h in row.hyperparameters if not h.optional}

    def group(hyperparameters: dict[str, Any]) -> dict[str, Any]:
        dummy = [torch.zeros(2, dtype=torch.float64, requires_grad=True)]
        return _group_settings(methods.torch_optimizer(row.name, torch, dummy, hyperparameters).param_groups[0])

    start = group(base)
    found: dict[str, tuple[str, int | None]] = {}
    for name in base:
        moved = group({**base, name: _perturbed(row.hyperparameters[list(base).index(name)], base[name])})
        for key in start:
            if moved[key] == start[key]:
                continue
            if isinstance(start[key], tuple) and not isinstance(base[name], tuple):
                index = next(i for i, (a, b) in enumerate(zip(start[key], moved[key], strict=True)) if a != b)
                found[name] = (key, index)
            else:
                found[name] = (key, None)
    return found


def method_of(optimizer: Any) -> tuple[str, dict[str, Any]]:
    """The fastopt method and hyperparameters equal to the ``torch.optim`` optimizer ``optimizer``.

    ``fit(x, y, method, **hyperparameters)`` then runs torch's algorithm with
    torch's settings, its defaults included (``clip_value=None``: torch never
    clips), and ``maximize=True`` among them when the optimizer maximizes, ``decay_biases=False``
    when its two parameter groups are every layer's weight and then their biases with ``weight_decay=0``.
    Every setting of the optimizer's parameter group is checked: the torch
    optimizer fastopt's method builds must have the very same settings, so a
    port cannot silently change the algorithm.

    Raises ``ValueError`` naming the settings no fastopt method reproduces
    (Adam's ``decoupled_weight_decay``, ...), or when the parameter groups
    differ in their settings.
    """
    if not is_optimizer(optimizer):
        raise TypeError(f"optimizer must be a torch.optim optimizer, got {type(optimizer).__name__}")
    torch = _torch()
    methods = importlib.import_module("fastopt.methods")
    kind = type(optimizer).__name__
    candidates = [row for row in methods.REGISTRY if row.peer is not None and row.peer.split("(")[0] == kind]
    if not candidates:
        known = sorted({row.peer.split("(")[0] for row in methods.REGISTRY if row.peer is not None})
        raise ValueError(f"torch.optim.{kind} has no fastopt equal; fastopt ports {', '.join(known)}")
    groups = [_group_settings(g) for g in optimizer.param_groups]
    # The one recipe of two groups fastopt has: weights, then biases without weight decay.
    no_bias_decay = (_weights_and_biases(optimizer) is not None and groups[1].get("weight_decay") == 0.0
                     and groups[0].get("weight_decay", 0.0) != 0.0
                     and groups[0] == {**groups[1], "weight_decay": groups[0]["weight_decay"]})  # fmt: skip
    if not no_bias_decay and any(g != groups[0] for g in groups[1:]):
        raise ValueError("the optimizer's parameter groups have different settings; fastopt applies one setting "
                         "to every parameter, or leaves weight decay off the biases (decay_biases=False: a group "
                         "of every layer's weight, then one of their biases with weight_decay=0)")  # fmt: skip
    given = groups[0]
    maximize = bool(given.pop("maximize", False))  # fit's option, for every method
    differences = []
    for row in candidates:
        hyperparameters: dict[str, Any] = {h.name: h.default for h in row.hyperparameters}
        hyperparameters.update({h.name: None for h in row.hyperparameters if h.name == "clip_value"})
        for name, (key, index) in torch_arguments(row.name).items():
            value = given[key] if index is None else given[key][index]
            hyperparameters[name] = bool(value) if isinstance(hyperparameters[name], bool) else value
        dummy = [torch.zeros(2, dtype=torch.float64, requires_grad=True)]
        built = _group_settings(methods.torch_optimizer(row.name, torch, dummy, hyperparameters).param_groups[0])
        built.pop("maximize", None)
        wrong = {k: v for k, v in given.items() if built.get(k) != v}
        if not wrong:
            options = {**({"maximize": True} if maximize else {}), **({"decay_biases": False} if no_bias_decay else {})}
            return row.name, {**hyperparameters, **options}
        differences.append((len(wrong), row.name, wrong))
    _, closest, wrong = min(differences)
    settings = ", ".join(f"{k}={v!r}" for k, v in wrong.items())
    raise ValueError(f"torch.optim.{kind}({settings}): no fastopt method reproduces it ({closest}, the closest, "
                     "has no such setting)")  # fmt: skip
