"""The tutorial's benchmark settings (SPEC.md, "The benchmark table")."""

from __future__ import annotations

from types import MappingProxyType

from ..models.architectures import MLP

__all__ = ["TUTORIAL_SETTINGS", "TUTORIAL_EPOCHS", "TUTORIAL_BATCH_SIZE", "TUTORIAL_NETWORK", "MLP_EPOCHS"]

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

#: The network the tutorial closes with: ``nn.Sequential(nn.Linear(d, 50), nn.ReLU(), nn.Linear(50, 1))``.
TUTORIAL_NETWORK = MLP(hidden=(50,), activation="relu")
#: Epochs of ``fastopt compare --model mlp`` (the tutorial names none; its
#: ``StepLR(step_size=30)`` implies tens): the network passes the linear
#: fit's test RMSE within a few epochs.
MLP_EPOCHS = 100
