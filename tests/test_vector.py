"""The networks' vector primitive against the plain loop it replaces: equal bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from fastopt.engine.jit import jit
from fastopt.engine.vector import NO_FLOOR, RELU_FLOOR, _plain, row_combination


@jit
def _compiled(out, out_offset, out_stride, c, w, w_offset, w_stride, M, m_offset, m_stride, n_k, width, floor):
    row_combination(out, out_offset, out_stride, c, w, w_offset, w_stride, M, m_offset, m_stride, n_k, width, floor)


# every block size (32, 16, 4 columns and single ones) alone and mixed, and no column at all
@pytest.mark.parametrize("width", [0, 1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 50, 53, 256])
@pytest.mark.parametrize("n_k", [0, 1, 10, 32])
@pytest.mark.parametrize("out_stride", [1, 2])  # contiguous, or a weight gradient's column
@pytest.mark.parametrize("floor", [NO_FLOOR, RELU_FLOOR])
def test_row_combination_equals_the_plain_loop(width, n_k, out_stride, floor):
    rng = np.random.default_rng(width * 100 + n_k)
    # offsets and strides as the network passes them: a weight column (stride 3), a strided output
    w = rng.normal(size=3 * n_k + 2)
    M = rng.normal(size=(max(n_k, 1), width + 5)).ravel()
    expected = np.full(2 * width + 3, np.nan)
    actual = expected.copy()
    c = -0.1 if n_k else 1.0 / 3.0
    args = (c, w, 2, 3, M, 4, width + 5, n_k, width, floor)
    _plain(expected, 1, out_stride, *args)
    _compiled(actual, 1, out_stride, *args)
    np.testing.assert_array_equal(actual, expected)  # untouched entries stay NaN in both
    if width:
        by_hand = c + sum(w[2 + 3 * j] * M[4 + j * (width + 5) : 4 + j * (width + 5) + width] for j in range(n_k))
        written = actual[1 : 1 + out_stride * width : out_stride]
        np.testing.assert_allclose(written, np.maximum(by_hand, floor), rtol=1e-12, atol=1e-12)
        assert np.isnan(np.delete(actual, np.arange(1, 1 + out_stride * width, out_stride))).all()


def test_the_relu_floor_keeps_nan_and_negative_zero():
    """``max(v, 0)`` as the network's ReLU had it: NaN stays NaN (divergence is seen), -0.0 stays -0.0."""
    M = np.array([np.nan, -0.0, -2.0, 3.0, np.inf, -np.inf])
    for f in (_plain, _compiled):
        out = np.empty(6)
        f(out, 0, 1, -0.0, np.ones(1), 0, 1, M, 0, 6, 1, 6, RELU_FLOOR)  # -0.0 + -0.0 is -0.0
        assert np.isnan(out[0]) and np.signbit(out[1]) and out[1] == 0
        np.testing.assert_array_equal(out[2:], [0.0, 3.0, np.inf, 0.0])
