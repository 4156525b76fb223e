"""Deprecated: the update rules moved to one file per method in :mod:`fastopt.methods`.

``fastopt.update_rules.adam`` is ``fastopt.methods.adam.rule`` and
``apply_rule``, ``begin_epoch``, ``end_epoch``, ``rate_at`` are in
:mod:`fastopt.methods.dispatch`; this module forwards to them, with a
``DeprecationWarning``.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from . import methods
from .methods import dispatch

_DISPATCH = ("apply_rule", "begin_epoch", "end_epoch", "rate_at", "LOOKAHEAD", "N_HYPERPARAMETERS")


def __getattr__(name: str) -> Any:
    if name in _DISPATCH:
        target, where = getattr(dispatch, name), f"fastopt.methods.dispatch.{name}"
    elif name in methods.METHODS and name != "lookahead":
        target, where = importlib.import_module(f"fastopt.methods.{name}").rule, f"fastopt.methods.{name}.rule"
    else:
        raise AttributeError(f"module 'fastopt.update_rules' has no attribute {name!r}")
    warnings.warn(f"fastopt.update_rules.{name} moved to {where}", DeprecationWarning, stacklevel=2)
    return target
