"""The model axis: what is fitted and how its error is measured.

- :mod:`~fastopt.models.architectures`: the linear model and multilayer perceptrons (:class:`MLP`) on
  one flat parameter array, with their NumPy forward and backward passes;
- :mod:`~fastopt.models.losses`: one row per loss, orthogonal to the model;
- :mod:`~fastopt.models.objective`: your own model, a pair of Numba functions (:class:`fastopt.Objective`);
- :mod:`~fastopt.models.scaling`: ``standardize=True``, and the model back in the data's units;
- :mod:`~fastopt.models.matrix_form`: the built-in models, losses and objectives in NumPy matrix form
  (the oracle's gradient and loss); :mod:`~fastopt.models.closed_form`: ordinary least squares.

The architectures' names are re-exported here (``from fastopt.models import MLP``).
"""

from .architectures import (
    ACTIVATIONS,
    MLP,
    Architecture,
    architecture,
    backward,
    forward,
    layer_views,
    mean_squared_error,
)

__all__ = [
    "MLP", "Architecture", "ACTIVATIONS", "architecture", "forward", "backward", "layer_views", "mean_squared_error",
]  # fmt: skip
