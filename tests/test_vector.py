"""The networks' vector primitive against the plain loop it replaces: equal bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from fastopt.engine.jit import jit
from fastopt.engine.vector import _plain, row_combination


@jit
def _compiled(out, out_offset, out_stride, c, w, w_offset, w_stride, M, m_offset, m_stride, n_k, width):
    row_combination(out, out_offset, out_stride, c, w, w_offset, w_stride, M, m_offset, m_stride, n_k, width)


# every block size (32, 16, 4 columns and single ones) alone and mixed, and no column at all
@pytest.mark.parametrize("width", [0, 1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 50, 53, 256])
@pytest.mark.parametrize("n_k", [0, 1, 10, 32])
@pytest.mark.parametrize("out_stride", [1, 2])  # contiguous (whole registers stored) or strided
def test_row_combination_equals_the_plain_loop(width, n_k, out_stride):
    rng = np.random.default_rng(width * 100 + n_k)
    # offsets and strides as the network passes them: a weight column (stride 3), a strided output column
    w = rng.normal(size=3 * n_k + 2)
    M = rng.normal(size=(max(n_k, 1), width + 5)).ravel()
    expected = np.full(2 * width + 3, np.nan)
    actual = expected.copy()
    args = (1.0 / 3.0, w, 2, 3, M, 4, width + 5, n_k, width)
    _plain(expected, 1, out_stride, *args)
    _compiled(actual, 1, out_stride, *args)
    np.testing.assert_array_equal(actual, expected)  # untouched entries stay NaN in both
    if width:
        k = np.arange(n_k)
        by_hand = 1.0 / 3.0 + sum(w[2 + 3 * j] * M[4 + j * (width + 5) : 4 + j * (width + 5) + width] for j in k)
        written = actual[1 : 1 + out_stride * width : out_stride]
        np.testing.assert_allclose(written, by_hand, rtol=1e-12, atol=1e-12)
        assert np.isnan(np.delete(actual, np.arange(1, 1 + out_stride * width, out_stride))).all()
