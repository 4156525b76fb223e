"""Replay torch's own optimizer test registry against fastopt: every setting torch tests, ported and compared.

``torch.testing._internal.common_optimizers.optim_db`` lists, per ``torch.optim`` class, the settings
torch's test suite runs (``weight_decay``, ``maximize``, ``amsgrad``, ...). For each, and again with two
parameter groups (every layer's weight, then the biases with ``weight_decay=0``) where it has weight
decay, this script builds the optimizer over a small tanh network, ports it with
``fastopt.torch.method_of``, runs 12 full-batch steps in torch and 12 epochs of ``fastopt.fit`` from the
same start, and compares the parameters (relative 1e-9). A setting ``method_of`` refuses is counted as
skipped, with its message. It needs torch's test extras, so it is no test of the suite::

    pip install torch==2.13.0 expecttest hypothesis pyyaml
    python scripts/replay_torch_registry.py
"""

from __future__ import annotations

import collections
import warnings

import numpy as np
import torch
from torch.testing._internal.common_optimizers import optim_db

import fastopt
import fastopt.torch


def _network() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))


def _parameters(model: torch.nn.Module, two_groups: bool):
    if not two_groups:
        return model.parameters()
    weights = [p for name, p in model.named_parameters() if not name.endswith("bias")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    return [{"params": weights}, {"params": biases, "weight_decay": 0.0}]


def main() -> None:
    torch.set_default_dtype(torch.float64)  # optimizer scalars in float64, as fastopt keeps them
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6))
    y = np.tanh(X[:, 0] - X[:, 1]) + 0.1 * rng.normal(size=40)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    counts: collections.Counter[str] = collections.Counter()
    worst, skipped = 0.0, []
    for info in optim_db:
        for optim_input in info.optim_inputs_func(device="cpu"):
            kwargs = dict(optim_input.kwargs)
            for two_groups in (False, True) if kwargs.get("weight_decay") else (False,):
                model = _network()
                start = torch.nn.utils.parameters_to_vector(model.parameters()).detach().numpy().copy()
                try:
                    optimizer = info.optim_cls(_parameters(model, two_groups), **kwargs)
                except (ValueError, TypeError, RuntimeError):
                    counts["refused by torch itself (e.g. Muon on biases)"] += 1
                    continue
                try:
                    method, hyperparameters = fastopt.torch.method_of(optimizer)
                except ValueError as error:
                    counts["skipped"] += 1
                    skipped.append(f"{info.optim_cls.__name__}({kwargs}){' two groups' if two_groups else ''}: {error}")
                    continue

                def closure(
                    optimizer: torch.optim.Optimizer = optimizer, model: torch.nn.Module = model
                ) -> torch.Tensor:
                    optimizer.zero_grad()
                    loss = torch.nn.functional.mse_loss(model(Xt)[:, 0], yt)
                    loss.backward()
                    return loss

                for _ in range(12):
                    optimizer.step(closure)
                result = fastopt.fit(X, y, method, model=_network(), init=start, epochs=12, batch_size=len(y),
                                     stopping_threshold=0, **hyperparameters)  # fmt: skip
                expected = torch.nn.utils.parameters_to_vector(model.parameters()).detach().numpy()
                worst = max(worst, float(np.max(np.abs(result.params - expected) / np.maximum(np.abs(expected), 1e-3))))
                passed = np.allclose(result.params, expected, rtol=1e-9, atol=1e-12)
                counts[("passed" if passed else "FAILED") + (", two groups" if two_groups else "")] += 1
    print(dict(counts))
    print(f"worst difference (relative, floor 1e-3): {worst:.2g}")
    for line in skipped:
        print("skipped:", line[:160])


if __name__ == "__main__":
    main()
