"""The networks' vector primitive against the plain loop it replaces: equal bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from fastopt.engine.jit import jit
from fastopt.engine.vector import NO_FLOOR, RELU_FLOOR, _plain, row_combination


@jit
def _compiled(out, out_offset, out_stride, c, w, w_offset, w_stride, M, m_offset, m_stride, n_k, width, floor):
    row_combination(out, out_offset, out_stride, c, w, w_offset, w_stride, M, m_offset, m_stride, n_k, width, floor)


# every block size (8, 4 and 1 registers' columns, single ones) alone and mixed, and no column at all; in
# float64 (4 lanes a register) and float32 (8 lanes)
@pytest.mark.parametrize("width", [0, 1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 50, 53, 64, 65, 100, 256])
@pytest.mark.parametrize("n_k", [0, 1, 10, 32])
@pytest.mark.parametrize("out_stride", [1, 2])  # contiguous, or a weight gradient's column
@pytest.mark.parametrize("floor", [NO_FLOOR, RELU_FLOOR])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_row_combination_equals_the_plain_loop(width, n_k, out_stride, floor, dtype):
    rng = np.random.default_rng(width * 100 + n_k)
    # offsets and strides as the network passes them: a weight column (stride 3), a strided output
    w = rng.normal(size=3 * n_k + 2).astype(dtype)
    M = rng.normal(size=(max(n_k, 1), width + 5)).ravel().astype(dtype)
    expected = np.full(2 * width + 3, np.nan, dtype=dtype)
    actual = expected.copy()
    c = -0.1 if n_k else 1.0 / 3.0
    args = (c, w, 2, 3, M, 4, width + 5, n_k, width, floor)
    _plain(expected, 1, out_stride, *args)
    _compiled(actual, 1, out_stride, *args)
    np.testing.assert_array_equal(actual, expected)  # untouched entries stay NaN in both
    if width:
        terms = [w[2 + 3 * j] * M[4 + j * (width + 5) : 4 + j * (width + 5) + width].astype(float) for j in range(n_k)]
        by_hand = float(dtype(c)) + sum(terms)
        # a sum of n_k + 1 terms in the dtype, each product rounded too: |error| <= (n_k + 1) u sum |terms| (u the
        # unit roundoff, first order), plus rounding c to the dtype (by_hand starts from the rounded c)
        bound = (n_k + 1) * np.finfo(dtype).eps * (abs(c) + sum(np.abs(t) for t in terms))
        written = actual[1 : 1 + out_stride * width : out_stride]
        assert np.all(np.abs(written - np.maximum(by_hand, floor)) <= bound)
        assert np.isnan(np.delete(actual, np.arange(1, 1 + out_stride * width, out_stride))).all()
