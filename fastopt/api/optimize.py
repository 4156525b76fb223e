"""``fastopt.fit``: the public entry point to the compiled kernels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.chunks import epoch_chunks
from ..engine.kernels import fit_kernel, scratch
from ..engine.linear import NO_MOMENTS, moments_for
from ..engine.param_groups import NO_DECAY
from ..engine.status import LINEAR_SQUARED, MAX_EPOCHS, STATUSES
from ..engine.variants import epoch_for_call, in_dtype, model_functions
from ..methods import Rule, by_address, fresh_state, kernel_rule, state_width
from ..models.objective import Objective
from ..schedules import Schedule, kernel_schedule
from .result import FitResult, finish
from .validation import Problem, prepare

__all__ = ["fit", "run_problem", "Run"]


def fit(
    x: Any,
    y: Any,
    method: str | Rule = "adam",
    *,
    learning_rate: float | None = None,
    epochs: int = 100,
    batch_size: int = 32,
    stopping_threshold: float | None = 1e-6,
    seed: int | None = None,
    init: Any = None,
    shuffle: bool = True,
    record_path: bool | str = False,
    record_every: int = 1,
    schedule: Schedule | None = None,
    model: Any = "linear",
    loss: str = "squared_error",
    objective: Objective | None = None,
    n_classes: int | None = None,
    standardize: bool = False,
    optimizer_state: Any = None,
    maximize: bool = False,
    decay_biases: bool = True,
    dtype: str = "float64",
    **hyperparameters: float | bool | None,
) -> FitResult:
    """Fit a model to ``y`` by minibatch gradient descent: by default ``f(X) = X @ w + b`` on the MSE.

    Each epoch draws a fresh permutation of the rows (unless ``shuffle`` is
    False), walks it in consecutive batches of ``batch_size`` rows (the last
    may be shorter), applies the method's update rule once per batch with the
    gradient of that batch's mean squared error, then evaluates the training
    MSE. The loop stops after ``epochs`` epochs, when the MSE changes by less
    than ``stopping_threshold``, or when it diverges. All of it runs in one
    compiled Numba kernel; the first call in a fresh install compiles it
    (a few seconds), later processes load it from Numba's cache.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Features; a 1-D array is one feature. Integer and float32 input is
        converted to float64.
    y : array_like, shape (n,)
        Targets.
    method : str or fastopt.Rule, default "adam"
        One of :data:`fastopt.METHODS`, or an update rule of your own
        (:class:`fastopt.Rule`): the tutorial's four (``"sgd"``,
        ``"momentum"``, ``"rmsprop"``, ``"adam"``), the rest of
        ``torch.optim``'s element-wise rules, newer methods from their
        reference packages, and ``"lookahead"`` (over ``base=``, any other
        method). Update rules, state and defaults: ``docs/optimizers.md``,
        one file per method in :mod:`fastopt.methods`.
    learning_rate : float > 0, optional
        Step size of the first epoch; None uses the method's default (0.01;
        0.001 for Adam and AdamW).
    epochs : int >= 0, default 100
        Maximum number of passes over the data.
    batch_size : int >= 1, default 32
        Rows per minibatch; larger than n means full-batch gradient descent.
    stopping_threshold : float >= 0 or None, default 1e-6
        Stop when ``|previous epoch's MSE - this epoch's MSE| <
        stopping_threshold`` (in squared units of ``y``); 0 or None runs
        every epoch.
    seed : int >= 0, optional
        Seeds both the initial parameters and the shuffles; a given seed
        makes the run repeatable bit for bit. None draws fresh entropy (the
        seed used is returned as ``result.seed``).
    init : array_like, shape (d + 1,), optional
        Starting parameters ``[w_1 .. w_d, b]``; default N(0, 1) draws. A
        torch module of the model's layers gives its weights.
    shuffle : bool, default True
        False keeps the rows in the given order every epoch.
    record_path : bool or {"epochs", "steps"}, default False
        Keep the parameters in ``result.path``: after every epoch (True or
        ``"epochs"``), or after every update (``"steps"``: the dynamics within
        the epochs, momentum's overshoot, Adam's first steps).
    record_every : int >= 1, default 1
        Keep one row every this many epochs (or updates): ``result.path``
        row ``i`` is the point after epoch (or update) ``(i + 1) * record_every``.
    schedule : Schedule, optional
        Learning rate per epoch (or, with ``per="step"``, per update): any
        constructor of :mod:`fastopt.schedules` (``step``, ``cosine``,
        ``one_cycle``, ``sequential``, ``reduce_on_plateau``, ...), each
        equal to the PyTorch scheduler of that name. None keeps it constant.
    model : "linear", MLP or torch module, default "linear"
        The model: see :class:`fastopt.MLP`. A torch ``nn.Sequential`` of
        ``Linear`` layers with ReLU or Tanh between them (or one ``nn.Linear``)
        gives its architecture and, unless ``init`` is given, its weights as
        the start; ``result.load_into(module)`` hands the trained weights
        back (see :mod:`fastopt.torch`).
    loss : str, default "squared_error"
        ``"squared_error"`` (alias ``"mse"``), ``"huber"``, ``"log_loss"``
        or ``"cross_entropy"`` (see :mod:`fastopt.models.losses`).
    objective : Objective, optional
        Your own model instead of ``model`` and ``loss``.
    n_classes : int, optional
        Classes for ``cross_entropy`` (default: the largest label + 1).
    standardize : bool, default False
        Train on standardized features (and, for the regression losses,
        targets), using the training data's means and standard deviations,
        and return the model in the data's own units (see
        :mod:`fastopt.models.scaling`). False trains on the data as given and
        warns (:class:`UnscaledDataWarning`) when it is clearly unscaled.
    optimizer_state : mapping or torch optimizer, optional
        Resume a run: the rule's state (``result.optimizer_state`` of an
        earlier fit, with ``init=result.params``) or a ``torch.optim``
        optimizer of the same method over the model's parameters. Its
        ``"step"`` (updates made) continues the update count (bias
        corrections, per-step schedules); a resumed run with the same rows in
        the same order (``shuffle=False``, or full batches) continues an
        unbroken one bit for bit. Methods whose state holds the run's history
        (schedule-free, ASGD, NAdam, RAdam, ...) resume only from step 0.
    maximize : bool, default False
        Ascend the loss instead: every minibatch gradient is negated before
        the method's rule (weight decay still pulls toward 0), as
        ``torch.optim``'s ``maximize=True``. For an :class:`Objective` whose
        loss is a quantity to maximize (a log-likelihood, a reward); with
        the built-in losses a run simply diverges. ``loss_history`` is the
        loss itself, and the stopping rule reads it unchanged.
    decay_biases : bool, default True
        False leaves the biases (and the linear model's intercept) out of
        ``weight_decay``, as PyTorch's two parameter groups
        ``[{"params": weights}, {"params": biases, "weight_decay": 0}]`` do:
        the rule steps the weights and the biases as two groups, each with
        its own state, the biases' with ``weight_decay=0``. For the built-in
        models and every method with ``weight_decay``; with
        ``weight_decay=0`` it changes nothing.
    dtype : {"float64", "float32"}, default "float64"
        The float type training computes in. ``"float32"`` keeps the data,
        the parameters, the rule's state and the gradients in float32 (about
        half the memory traffic, eight vector lanes instead of four: a
        network's epoch runs faster), for the built-in models and methods;
        the hyperparameters, the learning rate and each epoch's loss (a
        float64 sum) stay float64. The algorithm is the same; the run
        differs from the float64 one by float32 rounding (relative 6e-8 per
        operation), which an optimizer's trajectory can amplify over many
        steps. The result's arrays are float64 (the float32 values, exact).
        float64, the default, is what every parity guarantee with the NumPy
        reference and ``torch.optim`` holds for.
    **hyperparameters
        The method's other hyperparameters (each method's list and defaults
        are in ``fastopt.methods.get_method(name).defaults``):
        e.g. ``clip_value`` (sgd, momentum: 1.0; nesterov: None; None
        disables clipping), ``momentum`` (0.9; sgd and rmsprop: 0),
        ``beta`` (rmsprop, 0.9), ``beta1`` (0.9), ``beta2`` (0.999),
        ``epsilon`` (1e-8; adagrad 1e-10), ``weight_decay`` (0; adamw
        0.01), ``amsgrad`` (adam, adamw: False); for ``"lookahead"``,
        ``base`` (default ``"adam"``), ``k`` (5) and ``alpha`` (0.5) besides
        the base method's own.

    Returns
    -------
    FitResult
        Parameters, per-epoch loss, epochs and steps run, the final
        gradient norm, and a status of ``"stalled"`` (the tolerance rule
        fired), ``"max_epochs"`` or ``"diverged"`` (see :class:`FitResult`).

    Raises
    ------
    ValueError, TypeError
        For invalid input, naming the argument. A hyperparameter the method
        does not take raises :class:`~fastopt.api.validation.InvalidParameterError`,
        which is both.

    Warns
    -----
    RuntimeWarning
        When the loss or parameters become non-finite; the run stops at that
        epoch with ``status == "diverged"``.
    ConvergenceWarning
        When ``stopping_threshold > 0`` and the epochs ran out while the loss
        was still falling.
    UnscaledDataWarning
        When ``standardize=False`` and a feature or regression target has
        |mean| or std above 5 (or std below 0.05).

    Examples
    --------
    >>> import numpy as np, fastopt
    >>> x = np.linspace(-1, 1, 200)
    >>> r = fastopt.fit(x, 3 * x + 1, method="adam", learning_rate=0.01, epochs=500, seed=0)
    >>> r.status, np.round(r.params, 2)
    ('stalled', array([3., 1.]))
    """
    problem = prepare(
        x,
        y,
        method,
        learning_rate=learning_rate,
        epochs=epochs,
        batch_size=batch_size,
        stopping_threshold=stopping_threshold,
        seed=seed,
        init=init,
        shuffle=shuffle,
        record_path=record_path,
        record_every=record_every,
        schedule=schedule,
        hyperparameters=hyperparameters,
        model=model,
        loss=loss,
        objective=objective,
        n_classes=n_classes,
        standardize=standardize,
        optimizer_state=optimizer_state,
        maximize=maximize,
        decay_biases=decay_biases,
        dtype=dtype,
    )
    return run_problem(problem)


def run_problem(problem: Problem, progress: Callable[[int], None] | None = None) -> FitResult:
    """Run a validated :class:`~fastopt.api.validation.Problem` in the compiled kernel.

    The run is split into chunks of epochs (:mod:`fastopt.engine.chunks`), so
    Ctrl-C stops it within a fraction of a second; with ``progress``,
    ``progress(epochs_done)`` is called after each chunk. The result is
    identical to an unsplit run.
    """
    run = Run(problem)
    run.advance(problem.epochs, progress)
    return run.result()


class Run:
    """A fit that advances a few epochs at a time, carrying everything between calls.

    Parameters, the rule's state, the schedule's (position and state), the
    row order, the generator and the update count persist, so
    ``advance(a)`` then ``advance(b)`` is bit for bit ``advance(a + b)``:
    the basis of :func:`run_problem`, early stopping and ``partial_fit``.
    ``problem`` may be swapped for one with other data of the same width
    between calls (``partial_fit`` on new rows); the row order restarts when
    the number of rows changes.
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        self.params = problem.init.copy()  # in the units trained on (standardized when scaled)
        self.state = new_state(problem) if problem.start_state is None else problem.start_state.copy()
        self.driver = in_dtype(fit_kernel, problem.dtype)
        self.schedule = kernel_schedule(problem.schedule, problem.method, float(problem.hp[0]))
        self.index = np.arange(problem.X.shape[0], dtype=np.uint32)
        self.rng_state = problem.rng_state.copy()
        self.loss_history = np.empty(0)
        self.path = np.empty((0, self.params.shape[0]))
        self.epochs_done, self.n_steps, self.status = 0, problem.start_step, MAX_EPOCHS

    def advance(self, epochs: int, progress: Callable[[int], None] | None = None) -> str:
        """Run up to ``epochs`` more epochs (fewer if the run stalls or diverges); return the status name."""
        problem, params = self.problem, self.params
        X, y = problem.X, problem.y
        if self.index.shape[0] != X.shape[0]:
            self.index = np.arange(X.shape[0], dtype=np.uint32)
        stop = self.epochs_done + epochs
        if self.status != MAX_EPOCHS or epochs <= 0:
            return STATUSES[self.status]
        self.loss_history = _grown(self.loss_history, stop)
        if problem.record_path:
            self.path = _grown(self.path, path_rows(problem, stop))
        kind = problem.spec[0]
        linear = kind == LINEAR_SQUARED
        M, M_abs = moments_for(X, y, [epochs]) if linear else (NO_MOMENTS, NO_MOMENTS)
        functions = model_functions([problem.spec], problem.model, problem.dtype)
        # The line inlines its rule into its batches' loop, which costs about 150 ns; a network's or an
        # objective's batch costs microseconds, a call by address nothing measurable, and their epoch is
        # then compiled once for every method.
        code, rule = (problem.method.code, kernel_rule(problem.method)) if linear else by_address(problem.method)
        run_epoch = epoch_for_call(
            kind, code, two_groups=bool(problem.spec[NO_DECAY]), scheduled=problem.schedule is not None,
            records_steps=problem.record_path and problem.path_unit == "steps", dtype=problem.dtype,
        )  # fmt: skip
        work = scratch([problem.spec], X.shape[0], [problem.batch_size], params.shape[0], problem.dtype)
        for start, chunk_stop in epoch_chunks(self.epochs_done, stop, X.shape[0] * params.shape[0]):
            self.epochs_done, self.n_steps, self.status = self.driver(
                X, y, problem.spec, *functions, M, M_abs, code, rule, problem.hp.copy(), self.schedule, params,
                self.state, self.index, self.rng_state, problem.batch_size, problem.threshold, problem.shuffle,
                self.loss_history, self.path, start, chunk_stop, self.n_steps, problem.record_every,
                problem.path_unit == "steps", problem.start_step, run_epoch, *work,
            )  # fmt: skip
            if progress is not None:
                progress(self.epochs_done)
            if self.status != MAX_EPOCHS:
                break
        return STATUSES[self.status]

    def result(self, params: np.ndarray | None = None) -> FitResult:
        """The run so far as a :class:`FitResult` (with ``params``, e.g. the best ones seen, when given)."""
        return finish(
            self.problem, self.params if params is None else params, self.loss_history, self.epochs_done,
            self.n_steps, self.status, self.path, self.state,
        )  # fmt: skip


def _grown(array: np.ndarray, rows: int) -> np.ndarray:
    """``array`` with at least ``rows`` rows, the existing ones kept (doubling, so appends stay cheap)."""
    if array.shape[0] >= rows:
        return array
    grown = np.empty((max(rows, 2 * array.shape[0]), *array.shape[1:]))
    grown[: array.shape[0]] = array
    return grown


def path_rows(problem: Problem, epochs: int) -> int:
    """Rows a path needs for ``epochs`` epochs of ``problem`` (every update's, or every epoch's, thinned)."""
    if problem.path_unit == "steps":
        return epochs * -(-problem.X.shape[0] // problem.batch_size) // problem.record_every
    return epochs // problem.record_every


def new_state(problem: Problem) -> np.ndarray:
    """The rule's fresh state, ``(rows, state_width(p))`` (see :func:`fastopt.methods.fresh_state`), the rows twice
    for a run with two parameter groups (:mod:`fastopt.engine.param_groups`)."""
    state = fresh_state(problem.method, problem.hyperparameters, state_width(problem.init.shape[0]))
    state = state.astype(problem.dtype, copy=False)
    return np.concatenate([state, state]) if problem.spec[NO_DECAY] else state
