"""The tutorial's benchmark settings (SPEC.md, "The benchmark table")."""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["TUTORIAL_SETTINGS", "TUTORIAL_EPOCHS", "TUTORIAL_BATCH_SIZE"]

#: Per-method settings of the tutorial's table; every other hyperparameter
#: keeps the method's default (momentum 0.9, beta 0.9, betas 0.9/0.999, eps 1e-8).
TUTORIAL_SETTINGS = MappingProxyType(
    {
        "sgd": MappingProxyType({"learning_rate": 0.1}),
        "momentum": MappingProxyType({"learning_rate": 0.1, "momentum": 0.9}),
        "rmsprop": MappingProxyType({"learning_rate": 0.01, "beta": 0.9, "epsilon": 1e-8}),
        "adam": MappingProxyType({"learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}),
    }
)
TUTORIAL_EPOCHS = 10_000
TUTORIAL_BATCH_SIZE = 64
