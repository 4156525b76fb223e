"""The pieces a call's driver keeps: its model kinds, update rules, parameter groups and schedules.

:func:`for_call` names every compiled piece a call cannot reach and has
:func:`fastopt.engine.specialise.variant` compile the driver without them:
a linear fit with Adam compiles the line's epoch and Adam's rule, not the
network, the objective, the 17 other rules, Lookahead, the two parameter
groups or the schedules. Each variant is cached on disk under its own name
(``fit_kernel.line_adam``), so a new process loads it in milliseconds.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from typing import Any

from .. import schedules
from ..methods import LOOKAHEAD_OFFSET, ORDER, lookahead
from ..methods.rule import USER
from ..models import objective
from . import kernels, linear, network, param_groups
from .specialise import absent, absent_epoch, variant
from .status import LINEAR_SQUARED, NETWORK, OBJECTIVE

__all__ = ["for_call", "left_out"]

_KIND_NAMES = {LINEAR_SQUARED: "line", NETWORK: "network", OBJECTIVE: "objective"}
#: A method file's compiled pieces, each left out when no configuration of a call uses the method.
_PIECES = ("rule", "begin_epoch", "end_epoch")
#: Longest variant name kept as it is; longer ones (a sweep over many methods) become a digest.
_LONGEST_NAME = 48


def for_call(
    driver: Any, *, kinds: Iterable[int], codes: Iterable[int], two_groups: bool = False, scheduled: bool = True
) -> Any:
    """``driver`` compiled for a call's model ``kinds`` (``spec[0]`` values) and method ``codes``, only.

    ``two_groups``: some configuration has the biases in a group of their own
    (``decay_biases=False``); ``scheduled``: some configuration has a
    learning-rate schedule. A variant compiles on first use (seconds), then
    loads from Numba's cache.
    """
    return variant(driver, *left_out(kinds, codes, two_groups, scheduled))


def left_out(
    kinds: Iterable[int], codes: Iterable[int], two_groups: bool, scheduled: bool
) -> tuple[str, dict[Any, Any]]:
    """``(name, {piece: stand-in})``: the variant's name and the compiled pieces such a call never reaches."""
    return _left_out(tuple(sorted({int(k) for k in kinds})), tuple(sorted({int(c) for c in codes})),
                     bool(two_groups), bool(scheduled))  # fmt: skip


@functools.cache  # 80 us to work out, which a short fit would pay for every chunk of its epochs
def _left_out(
    kinds: tuple[int, ...], codes: tuple[int, ...], two_groups: bool, scheduled: bool
) -> tuple[str, dict[Any, Any]]:
    rules = {code % LOOKAHEAD_OFFSET for code in codes}
    wrapped = any(code >= LOOKAHEAD_OFFSET for code in codes)
    epochs = {LINEAR_SQUARED: linear.linear_epoch, NETWORK: network.network_epoch, OBJECTIVE: objective.objective_epoch}
    leave_out: dict[Any, Any] = {epoch: absent_epoch for kind, epoch in epochs.items() if kind not in kinds}
    if NETWORK not in kinds and OBJECTIVE not in kinds:
        leave_out[kernels.other_epoch] = absent_epoch
    kept = [module for code, module in enumerate(ORDER) if code in rules] + ([lookahead] if wrapped else [])
    needed = {id(getattr(module, piece)) for module in kept for piece in _PIECES if hasattr(module, piece)}
    for module in (*ORDER, lookahead):
        for piece in _PIECES:
            # Methods share pieces (AdamW schedule-free's hooks are SGD schedule-free's): keep what a kept one uses.
            if hasattr(module, piece) and id(getattr(module, piece)) not in needed:
                leave_out[getattr(module, piece)] = absent
    if not two_groups:
        leave_out.update({param_groups.grouped: absent, param_groups.make_groups: absent})
    if not scheduled:
        leave_out.update({schedules._part_rate: schedules.constant_rate, schedules.after_epoch: absent})
    names = [_KIND_NAMES[k] for k in kinds]
    names += ["user" if rule == USER else ORDER[rule].__name__.rsplit(".", 1)[-1] for rule in sorted(rules)]
    names += ["lookahead"] * wrapped + ["groups"] * two_groups + ["scheduled"] * scheduled
    name = "_".join(names)
    if len(name) > _LONGEST_NAME:
        name = "many_" + hashlib.sha256(name.encode()).hexdigest()[:16]
    return name, leave_out
