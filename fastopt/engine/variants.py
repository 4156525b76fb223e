"""The pieces a call compiles: its model's epoch with its rule, and the drivers' variants.

A fit runs :func:`fastopt.engine.kernels.fit_kernel`, compiled once for
every model and rule, which calls the model's epoch by address;
:func:`epoch_for_call` gives that epoch compiled for the call's rule only
(``linear_epoch.adam``). A sweep or ``minimize`` runs a variant of its
driver (:func:`for_call`). Both are copies made by
:func:`fastopt.engine.specialise.variant` that leave out every compiled
piece the call cannot reach: the other model kinds, the other rules and
their hooks, Lookahead, the two parameter groups, the schedules, the
recording of a path. Each is cached on disk under its own name, so a new
process loads it in milliseconds.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import schedules
from ..methods import LOOKAHEAD_OFFSET, ORDER, dispatch, lookahead
from ..methods.rule import USER
from ..models import ACTIVATIONS, objective
from ..models.losses import REGISTRY
from ..models.objective import BUILT_IN, Objective
from . import linear, network, param_groups
from .kernels import EPOCHS
from .precision import numba_type, suffix
from .signatures import epoch_signature
from .specialise import Fixed, absent, absent_count, absent_epoch, variant
from .status import LINEAR_SQUARED, NETWORK, OBJECTIVE

__all__ = ["epoch_for_call", "network_for_call", "model_functions", "for_call", "left_out", "in_dtype"]

_KIND_NAMES = {LINEAR_SQUARED: "line", NETWORK: "network", OBJECTIVE: "objective"}
#: A method file's compiled pieces, each left out when no configuration of a call uses the method.
_PIECES = ("rule", "begin_epoch", "end_epoch")
#: Architectures a process compiles a network's passes for (seconds each, once per install) before it uses
#: the passes for any architecture, compiled once: a search over many architectures compiles a few, not all.
ARCHITECTURES = 3
#: Longest variant name kept as it is; longer ones (a sweep over many methods) become a digest.
_LONGEST_NAME = 48


def _limit(dtype: str, limit: int | None = None) -> int | None:
    """How many variants of a function a process compiles before it uses the whole function: ``limit`` (None:
    :data:`~fastopt.engine.specialise.MAX_COMPILED_VARIANTS`) in float64; in float32 never, since the whole
    function has pieces, such as a user's objective, that run in float64 only."""
    return limit if dtype == "float64" else 2**62


def epoch_for_call(
    kind: int,
    code: int,
    *,
    two_groups: bool = False,
    scheduled: bool = True,
    records_steps: bool = True,
    dtype: str = "float64",
) -> Any:
    """The epoch of model ``kind`` (``spec[0]``) compiled for the rule with ``code`` only, for
    :func:`fastopt.engine.kernels.fit_kernel` (:func:`~fastopt.engine.signatures.epoch_signature`).

    ``two_groups``: the biases are a group of their own (``decay_biases=False``); ``scheduled``: the run has a
    learning-rate schedule; ``records_steps``: it records the parameters after updates (``record_path="steps"``);
    ``dtype``: the run's float type (:mod:`fastopt.engine.precision`).
    It compiles on first use (seconds), then loads from Numba's cache.
    """
    name, leave_out = left_out([kind], [code], two_groups, scheduled, records_steps)
    signature = epoch_signature(numba_type(dtype))
    return variant(EPOCHS[kind], signature, name.split("_", 1)[1] + suffix(dtype), leave_out, _limit(dtype))


def in_dtype(driver: Any, dtype: str) -> Any:
    """``driver`` (:func:`~fastopt.engine.kernels.fit_kernel`) itself for float64, else a copy compiled for
    ``dtype``'s arrays (:func:`~fastopt.engine.signatures.fit_signature`), cached as ``fit_kernel.float32``."""
    if dtype == "float64" or getattr(driver, "signature", None) is None:  # the coverage run: no signatures
        return driver
    return variant(driver, driver.signature_for(numba_type(dtype)), dtype, {}, _limit(dtype))


def network_for_call(spec: np.ndarray, dtype: str = "float64") -> tuple[Any, Any]:
    """:func:`~fastopt.engine.network.network_gradient` and :func:`~fastopt.engine.network.network_loss` compiled
    for the architecture of ``spec`` (its layer sizes, activation and loss as constants): the same sums in the
    same order, so the same bits, 12-16 % faster than the passes for any architecture. Each architecture
    compiles once per install (seconds), then loads from Numba's cache; a process that has compiled
    :data:`ARCHITECTURES` of them uses the passes for any architecture instead."""
    fixed = _architecture(spec)
    name = "_".join([REGISTRY[fixed[1]].name, ACTIVATIONS[fixed[2]], *(str(n) for n in fixed[network.SPEC_HEADER :])])
    name += suffix(dtype)
    leave_out = {network.layout: Fixed(fixed)}
    real = numba_type(dtype)
    limit = _limit(dtype, ARCHITECTURES)
    gradient = variant(network.network_gradient, network.gradient_signature(real), name, leave_out, limit)
    return gradient, variant(network.network_loss, network.loss_signature(real), name, leave_out, limit)


def model_functions(specs: Iterable[np.ndarray], model: Any, dtype: str = "float64") -> tuple[Any, Any, Any, Any]:
    """``(gradient, loss, net_gradient, net_loss)``, the drivers' compiled functions for a call's models
    (``specs``, one per configuration) and ``model``, in runs of ``dtype``: a user's
    :class:`~fastopt.models.objective.Objective`'s, and a network's passes, compiled for its architecture when
    the call has one, else for any; stand-ins (never called) for the models the call does not run."""
    objective = (model.gradient, model.loss) if isinstance(model, Objective) else BUILT_IN
    networks = {_architecture(spec) for spec in specs if spec[0] == NETWORK}
    if len(networks) == 1:
        return (*objective, *network_for_call(np.array(networks.pop()), dtype))
    return (*objective, *(network.FUNCTIONS if networks else network.NO_FUNCTIONS))


def _architecture(spec: np.ndarray) -> tuple[int, ...]:
    """``spec`` as the passes read it: the gradient's sign is their argument, the parameter groups the epoch's."""
    fixed = [int(v) for v in spec]
    fixed[network.MAXIMIZE] = fixed[network.NO_DECAY] = 0
    return tuple(fixed)


def for_call(
    driver: Any,
    *,
    kinds: Iterable[int],
    codes: Iterable[int],
    two_groups: bool = False,
    scheduled: bool = True,
    unused: Iterable[Any] = (),
    dtype: str = "float64",
) -> Any:
    """``driver`` compiled for a call's model ``kinds`` (``spec[0]`` values) and method ``codes``, only.

    ``two_groups``: some configuration has the biases in a group of their own
    (``decay_biases=False``); ``scheduled``: some configuration has a
    learning-rate schedule; ``unused``: compiled functions the driver calls that
    the call never reaches (``minimize``'s noise when it has none); ``dtype``: the runs' float type. A variant
    compiles on first use (seconds), then loads from Numba's cache.
    """
    # Without the JIT (the coverage run) a driver is the plain function, with no signature; variant returns it.
    signature = getattr(driver, "signature", None)
    if dtype != "float64" and signature is not None:
        signature = driver.signature_for(numba_type(dtype))
    name, leave_out = left_out(kinds, codes, two_groups, scheduled, False)
    unused = sorted(unused, key=lambda f: f.py_func.__name__)
    if unused:
        name = "_".join([name, "no", *(f.py_func.__name__ for f in unused)])
        leave_out = {**leave_out, **dict.fromkeys(unused, absent)}
    return variant(driver, signature, name + suffix(dtype), leave_out, _limit(dtype))


def left_out(
    kinds: Iterable[int], codes: Iterable[int], two_groups: bool, scheduled: bool, records_steps: bool
) -> tuple[str, dict[Any, Any]]:
    """``(name, {piece: stand-in})``: the variant's name and the compiled pieces such a call never reaches."""
    return _left_out(tuple(sorted({int(k) for k in kinds})), tuple(sorted({int(c) for c in codes})),
                     bool(two_groups), bool(scheduled), bool(records_steps))  # fmt: skip


@functools.cache  # 80 us to work out, which a short fit would pay for every chunk of its epochs
def _left_out(
    kinds: tuple[int, ...], codes: tuple[int, ...], two_groups: bool, scheduled: bool, records_steps: bool
) -> tuple[str, dict[Any, Any]]:
    rules = {code % LOOKAHEAD_OFFSET for code in codes}
    wrapped = any(code >= LOOKAHEAD_OFFSET for code in codes)
    epochs = {LINEAR_SQUARED: linear.linear_epoch, NETWORK: network.network_epoch, OBJECTIVE: objective.objective_epoch}
    leave_out: dict[Any, Any] = {epoch: absent_epoch for kind, epoch in epochs.items() if kind not in kinds}
    kept = [module for code, module in enumerate(ORDER) if code in rules] + ([lookahead] if wrapped else [])
    needed = {id(getattr(module, piece)) for module in kept for piece in _PIECES if hasattr(module, piece)}
    for module in (*ORDER, lookahead):
        for piece in _PIECES:
            # Methods share pieces (AdamW schedule-free's hooks are SGD schedule-free's): keep what a kept one uses.
            if hasattr(module, piece) and id(getattr(module, piece)) not in needed:
                leave_out[getattr(module, piece)] = absent
    if len(rules) == 1:
        leave_out.update(_one_rule(rules.pop(), wrapped))
    if not two_groups:
        leave_out.update({param_groups.grouped: absent, param_groups.make_groups: absent})
    if not scheduled:
        leave_out.update({schedules.learning_rate_at: schedules.constant_rate, schedules.after_epoch: absent})
    if not records_steps:
        leave_out[linear.recorded_batches] = absent_count
    names = [_KIND_NAMES[k] for k in kinds]
    names += ["user" if rule == USER else ORDER[rule].__name__.rsplit(".", 1)[-1] for rule in sorted({
        code % LOOKAHEAD_OFFSET for code in codes})]  # fmt: skip
    names += ["lookahead"] * wrapped + ["groups"] * two_groups + ["scheduled"] * scheduled + ["steps"] * records_steps
    name = "_".join(names)
    if len(name) > _LONGEST_NAME:
        name = "many_" + hashlib.sha256(name.encode()).hexdigest()[:16]
    return name, leave_out


def _one_rule(rule: int, wrapped: bool) -> dict[Any, Any]:
    """A call with one rule: its step and hooks called where the dispatch on the code was
    (:func:`fastopt.methods.dispatch.update_one`, ...), a hook it lacks not called at all."""
    module = None if rule == USER else ORDER[rule]
    leave_out: dict[Any, Any] = {
        dispatch.update: dispatch.update_one,
        dispatch.the_rule: absent if module is None else module.rule,
    }
    if module is not None:
        leave_out[dispatch.user_rule] = absent
    if not wrapped:
        leave_out[dispatch.pull_back] = absent
    for name, hook, one, placeholder in (
        ("begin_epoch", dispatch.begin_epoch, dispatch.begin_epoch_one, dispatch.the_begin_epoch),
        ("end_epoch", dispatch.end_epoch, dispatch.end_epoch_one, dispatch.the_end_epoch),
    ):
        own = getattr(module, name, None)
        runs_lookahead = wrapped and name == "begin_epoch"
        if module is not None and own is None and not runs_lookahead:
            leave_out[hook] = absent
        else:
            leave_out.update({hook: one, placeholder: absent if own is None else own})
    return leave_out
