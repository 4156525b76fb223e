"""The immutable result of a fit, shared by the kernels and the NumPy reference."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from ..engine.param_groups import NO_DECAY, is_bias, merge_state
from ..engine.status import DIVERGED, MAX_EPOCHS, STATUSES
from ..methods import HyperValue, get_method
from ..models.architectures import Architecture, forward, layer_views
from ..models.losses import CROSS_ENTROPY, LOG_LOSS, get_loss
from ..models.matrix_form import full_gradient
from ..models.objective import Objective
from ..models.scaling import Scaling
from ..schedules import Schedule
from ..torch import load_into, optimizer_state_dict, to_module
from .unscaled import caller_stacklevel
from .validation import Problem, as_features

__all__ = ["FitResult", "finish", "ConvergenceWarning"]


def frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64)  # a private copy, so no one else can write it
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class FitResult:
    """What :func:`fastopt.fit` returns. All arrays are read-only.

    Attributes
    ----------
    method : str
        The method name.
    hyperparameters : Mapping[str, float | bool | None]
        Every hyperparameter of the method as used, defaults resolved
        (``clip_value=None`` means clipping was off).
    params : ndarray of float64, shape (n_params,)
        Final parameters: ``[w_1 .. w_d, b]`` for the linear model; for any
        built-in model, each layer's weight (``(out, in)``, row-major) then
        bias, as ``torch.nn.utils.parameters_to_vector`` orders them (see
        :meth:`layers`).
    loss_history : ndarray of float64, shape (epochs_run,)
        Training loss (mean over all rows; for the squared error in squared
        units of ``y``) after each epoch run; with ``standardize=True``, of
        the standardized data the run trained on.
    epochs_run : int
        Passes over the training data actually made.
    n_steps : int
        Parameter updates made (minibatches processed), counting those
        before the run when it resumed from ``optimizer_state``.
    status : str
        Why the run stopped, nothing more:

        - ``"stalled"``: the tolerance rule fired, two consecutive epoch
          losses differed by less than ``stopping_threshold``. That happens
          at an optimum, and also on a plateau or by coincidence far from
          one; ``gradient_norm`` tells them apart. (Before 0.2 this status
          was called ``"converged"``, which claimed too much.)
        - ``"max_epochs"``: every epoch ran. When a tolerance was set and the
          loss was still falling, ``fit`` warns (:class:`ConvergenceWarning`).
        - ``"diverged"``: the loss or a parameter became non-finite;
          ``params`` are the non-finite values reached (``RuntimeWarning``).
    gradient_norm : float
        Euclidean norm of the full-data gradient of the mean training loss
        at ``params`` (of the data trained on; weight decay not included;
        NaN when diverged): near 0 at an optimum. Computed on first access,
        one pass over the training data, so that a fit does not pay for it;
        ``fit`` does not copy float64 data, so read it before you change the
        ``x`` or ``y`` you passed in place.
    init : ndarray of float64, shape (n_params,)
        The starting parameters (given, or drawn from ``seed``), in the
        same units as ``params``.
    seed : int
        The seed that reproduces this run (drawn from fresh entropy when
        ``fit`` was called with ``seed=None``).
    path : ndarray of float64, shape (rows, n_params), or None
        Parameters after each epoch (``record_path=True``; ``epochs_run`` rows)
        or after each update (``record_path="steps"``), every
        ``record_every``-th kept.
    path_unit, record_every : str, int
        What a row of ``path`` follows (``"epochs"`` or ``"steps"``) and how
        many of those lie between two rows.
    decay_biases : bool
        False when the biases were a parameter group without weight decay
        (``fit(..., decay_biases=False)``).
    schedule : Schedule or None
        The learning-rate schedule used (None: constant).
    model : Architecture or Objective
        The model trained: layer sizes and activation, or your objective.
    loss : str
        The loss trained on (``"squared_error"`` for an objective, unused).
    n_classes : int
        Classes of a classification loss (1 for regression).
    scaling : Scaling or None
        With ``standardize=True``, the means and scales the run trained
        through (:class:`fastopt.models.scaling.Scaling`); ``params``, ``init``,
        ``path``, ``coef``, ``layers()`` and ``predict`` are all in the
        data's own units.
    """

    method: str
    hyperparameters: Mapping[str, HyperValue]
    params: np.ndarray
    loss_history: np.ndarray
    epochs_run: int
    n_steps: int
    status: str
    init: np.ndarray
    seed: int
    path: np.ndarray | None = None
    schedule: Schedule | None = None
    model: Architecture | Objective | None = None
    loss: str = "squared_error"
    n_classes: int = 1
    scaling: Scaling | None = None
    path_unit: str = "epochs"
    record_every: int = 1
    decay_biases: bool = True
    #: The problem ``gradient_norm`` is computed from on first access, then the norm itself (NaN: none).
    _gradient: Problem | float = dataclasses.field(default=math.nan, repr=False)
    #: The rule's final state, (state rows, width) as the kernel keeps it; None where no run made it.
    _state: np.ndarray | None = dataclasses.field(default=None, repr=False)

    @property
    def optimizer_state(self) -> Mapping[str, Any]:
        """The rule's state at the end, to resume from: ``fit(..., init=params, optimizer_state=this)``.

        One read-only float64 array of ``n_params`` per state row of the method (its registry
        row's ``state_names``, torch's names where torch has the method, without the rows the
        rule derives from the update count), and ``"step"``: the updates made, ``n_steps``.
        Of the parameters as trained (standardized ones with ``standardize=True``).
        """
        if self._state is None:
            raise ValueError("this result holds no optimizer state")
        row = get_method(self.method, self.hyperparameters.get("base"))
        n = self.params.shape[0]
        state: dict[str, Any] = {name: frozen(self._state[i, :n]) for i, name in enumerate(row.state_names)
                                 if name not in row.cached_rows}  # fmt: skip
        state["step"] = self.n_steps
        return MappingProxyType(state)

    def optimizer_state_dict(self, optimizer: Any) -> dict[str, Any]:
        """``optimizer``'s ``state_dict()`` with this run's state, for ``optimizer.load_state_dict``.

        ``optimizer`` is the ``torch.optim`` optimizer of the same method over the
        module's parameters (see :mod:`fastopt.torch`).
        """
        return optimizer_state_dict(self.optimizer_state, self.method, optimizer)

    @property
    def gradient_norm(self) -> float:
        """Norm of the full-data gradient at ``params`` (see the class docstring), computed once."""
        if isinstance(self._gradient, Problem):
            problem, params = self._gradient, self.params
            if problem.scaling is not None:
                assert isinstance(problem.model, Architecture)
                params = problem.scaling.to_standardized(params, problem.model.sizes)
            norm = float(np.linalg.norm(full_gradient(problem, params))) if np.isfinite(params).all() else math.nan
            object.__setattr__(self, "_gradient", norm)  # frozen: the cache is the one field that changes
            return norm
        return self._gradient

    def _architecture(self, what: str) -> Architecture:
        if not isinstance(self.model, Architecture):
            raise TypeError(f"{what} is for the built-in models; with an Objective, params are yours to interpret")
        return self.model

    def _linear(self, what: str) -> Architecture:
        arch = self._architecture(what)
        if not arch.is_linear:
            raise TypeError(f"{what} is for the linear model; use layers() for {arch.name}")
        return arch

    @property
    def coef(self) -> np.ndarray:
        """Linear model: weights ``w_1 .. w_d`` (read-only), shape (d,); (K, d) for K outputs."""
        weight, _ = layer_views(self.params, self._linear("coef").sizes)[0]
        return weight[0] if weight.shape[0] == 1 else weight

    @property
    def intercept(self) -> Any:
        """Linear model: bias ``b`` (a float); shape (K,) for K outputs."""
        _, bias = layer_views(self.params, self._linear("intercept").sizes)[0]
        return float(bias[0]) if bias.shape[0] == 1 else bias

    def layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[(weight, bias), ...]`` per layer, read-only views of ``params``; weight of shape ``(out, in)``."""
        return layer_views(self.params, self._architecture("layers()").sizes)

    def load_into(self, module: Any) -> Any:
        """Copy the trained parameters into a torch module of the same layers, in place; returns ``module``.

        The weights keep the module's dtype and device (see :mod:`fastopt.torch`).
        """
        return load_into(self.params, self._architecture("load_into"), module)

    def to_torch(self, dtype: Any = None) -> Any:
        """The trained model as a new torch module (``nn.Sequential``, or ``nn.Linear`` for the linear model).

        ``dtype`` defaults to torch's default dtype; pass ``torch.float64`` to keep every digit.
        """
        return to_module(self.params, self._architecture("to_torch"), dtype)

    def decision_function(self, x: Any) -> np.ndarray:
        """The model's outputs for ``x``: shape (n,) with one output, (n, K) with K (logits for classifiers)."""
        arch = self._architecture("decision_function")
        X = as_features(x, n_features=arch.sizes[0])
        Z = forward(self.params, arch, X)[-1]
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def predict(self, x: Any) -> np.ndarray:
        """Predictions for ``x`` of shape ``(n,)`` (one feature) or ``(n, d)``.

        Regression: the model's output (``x @ coef + intercept`` for the
        linear model). Classification: the most probable label (int64).
        """
        Z = self.decision_function(x)
        code = get_loss(self.loss).code
        if code == LOG_LOSS:
            return (Z > 0).astype(np.int64)
        if code == CROSS_ENTROPY:
            return np.argmax(Z, axis=1)
        return Z

    def predict_proba(self, x: Any) -> np.ndarray:
        """Class probabilities for ``x``, shape (n, n_classes): sigmoid (log loss) or softmax (cross-entropy)."""
        Z = self.decision_function(x)
        code = get_loss(self.loss).code
        if code == LOG_LOSS:
            p = np.exp(-np.logaddexp(0.0, -Z))  # sigmoid, without overflow
            return np.column_stack([1 - p, p])
        if code == CROSS_ENTROPY:
            E = np.exp(Z - Z.max(axis=1, keepdims=True))
            return E / E.sum(axis=1, keepdims=True)
        raise TypeError(f"predict_proba is for classification losses, not loss={self.loss!r}")

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # The read-only hyperparameter view does not pickle; a dict of the fields does.
        fields = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        fields["hyperparameters"] = dict(self.hyperparameters)
        fields["_gradient"] = self.gradient_norm  # the norm, not the training data
        return _rebuild, (fields,)

    @property
    def params_point(self) -> str:
        """Which point ``params``, ``path`` and ``loss_history`` describe.

        ``"average"`` for the schedule-free methods: their average ``x``,
        where the package that defines them evaluates the model (its
        ``eval()``); their gradients were taken at another point, ``y``. For
        every other method ``"iterate"``: the parameters the updates moved.
        """
        return "average" if "warmup_steps" in self.hyperparameters else "iterate"

    def __repr__(self) -> str:
        loss = f"{self.loss_history[-1]:.6g}" if self.epochs_run else "n/a"
        point = ", params_point='average'" if self.params_point == "average" else ""
        return (
            f"FitResult(method={self.method!r}, status={self.status!r}, epochs_run={self.epochs_run}, "
            f"n_steps={self.n_steps}, final_loss={loss}{point}, params={np.array2string(self.params, precision=6)})"
        )


def _rebuild(fields: dict[str, Any]) -> FitResult:
    """Unpickle (or deep-copy) a :class:`FitResult`: read-only arrays and hyperparameters again."""
    arrays = {name: frozen(fields[name]) for name in ("params", "loss_history", "init")}
    path = None if fields["path"] is None else frozen(fields["path"])
    hyperparameters = MappingProxyType(dict(fields["hyperparameters"]))
    return FitResult(**{**fields, **arrays, "path": path, "hyperparameters": hyperparameters})


def finish(
    problem: Problem,
    params: np.ndarray,
    loss_history: np.ndarray,
    epochs_run: int,
    n_steps: int,
    status: int,
    path: np.ndarray,
    state: np.ndarray | None = None,
) -> FitResult:
    """Package a finished run; warn when it diverged or ran out of epochs while still improving.

    ``loss_history`` and ``path`` may be longer than ``epochs_run``; they are
    cut to the epochs actually run. With ``problem.scaling`` the parameters
    are mapped back to the data's units.
    """
    losses = loss_history[:epochs_run]
    improving = epochs_run >= 2 and (losses[-1] > losses[-2] if problem.maximize else losses[-1] < losses[-2])
    if status == MAX_EPOCHS and problem.threshold > 0 and improving:
        warnings.warn(
            f"{problem.method.name} used all {epochs_run} epochs while the training loss was still "
            f"{'rising (maximize=True)' if problem.maximize else 'falling'} "
            f"({losses[-2]:.6g} -> {losses[-1]:.6g}); raise epochs or the learning rate, or check standardize=True",
            ConvergenceWarning,
            stacklevel=caller_stacklevel(),
        )
    recorded = (n_steps - problem.start_step if problem.path_unit == "steps" else epochs_run) // problem.record_every
    init, path_out = problem.init, path[:recorded]
    if problem.scaling is not None:
        assert isinstance(problem.model, Architecture)
        sizes = problem.model.sizes
        params, init = problem.scaling.to_original(params, sizes), problem.scaling.to_original(init, sizes)
        if problem.record_path:
            path_out = np.array([problem.scaling.to_original(row, sizes) for row in path_out])
    if status == DIVERGED:
        warnings.warn(
            f"{problem.method.name} diverged at epoch {epochs_run} (training loss "
            f"{loss_history[epochs_run - 1]:g}); try a smaller learning_rate than "
            f"{problem.hyperparameters['learning_rate']:g} or standardize x and y",
            RuntimeWarning,
            stacklevel=caller_stacklevel(),
        )
    if state is not None and problem.spec[NO_DECAY]:  # the user's layout: one row per state name
        state = merge_state(state, is_bias(problem.spec))
    return FitResult(
        method=problem.method.name,
        hyperparameters=problem.hyperparameters,
        params=frozen(params),
        loss_history=frozen(losses),
        epochs_run=int(epochs_run),
        n_steps=int(n_steps),
        status=STATUSES[status],
        init=frozen(init),
        seed=problem.seed,
        path=frozen(path_out.reshape(-1, params.shape[0])) if problem.record_path else None,
        schedule=problem.schedule,
        model=problem.model,
        loss=problem.loss.name,
        n_classes=problem.n_classes,
        scaling=problem.scaling,
        path_unit=problem.path_unit,
        record_every=problem.record_every,
        _gradient=math.nan if status == DIVERGED else problem,
        decay_biases=problem.decay_biases,
        _state=None if state is None else frozen(state),
    )


class ConvergenceWarning(UserWarning):
    """A run used all its epochs while its loss was still falling (scikit-learn has one of the same name)."""
