"""The networks' one arithmetic primitive, with its accumulators in vector registers.

:func:`row_combination` computes ``out[j] = c + sum_k w[k] * M[k, j]`` for
``j < width``: a bias plus a weighted sum of the rows of ``M``, clamped
below at ``floor`` as it is stored (0 applies a ReLU, ``-inf`` nothing). A layer's
forward pass (rows of ``M`` = the layer's inputs across the batch), its
backward pass to the inputs and its weight gradient (rows of ``M`` = a
transposed operand) are all this one operation.

Written in Numba, the loop ``for k: for j: out[j] += w[k] * M[k, j]`` loads
and stores ``out`` once per ``k``: ``out`` and ``M`` are views of one scratch
buffer, so LLVM cannot keep ``out`` in registers, and a fixed-size block of
scalar accumulators is not vectorised either. Here the loop is emitted as
LLVM IR with accumulators of one 256-bit register each (``<4 x double>``, or
``<8 x float>`` in a float32 run) for 8, 4 or 1 registers' columns at a
time, so ``out`` is written once. The arithmetic is the same: every sum
starts from ``c`` and adds ``w[k] * M[k, j]`` in ``k`` order, a multiply and
an add each (no fused multiply-add), so the result is bit-for-bit the one
the plain loop gives, on every CPU.

Arrays are flat arrays of one float dtype (float64, or float32 for a float32
run: ``c`` and ``floor`` are rounded to it first) with element offsets and
strides, so that the callers can pass slices of the flat parameter vector
and the scratch buffer without making views.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["row_combination", "REGISTER_BYTES", "NO_FLOOR", "RELU_FLOOR"]

#: ``floor`` arguments: no clamp, and ``max(v, 0)`` (a ReLU applied as the result is stored).
NO_FLOOR, RELU_FLOOR = -math.inf, 0.0

#: Bytes per vector register the accumulators use (AVX2; LLVM splits them on narrower CPUs): 4 float64s, 8 float32s.
REGISTER_BYTES = 32
#: Columns per block, widest first: 8, 4 and 1 vectors of accumulators, then single columns.
_BLOCKS = (8, 4, 1)


def _plain(out: np.ndarray, out_offset: int, out_stride: int, c: float, w: np.ndarray, w_offset: int, w_stride: int,
           M: np.ndarray, m_offset: int, m_stride: int, n_k: int, width: int, floor: float) -> None:  # fmt: skip
    """``out[out_offset + j * out_stride] = max(v_j, floor)``, ``v_j = c + sum over k of w_k * M_kj``.

    ``w_k = w[w_offset + k * w_stride]``, ``M_kj = M[m_offset + k * m_stride + j]``;
    ``max(v, floor)`` is ``floor if v < floor else v`` (NaN stays NaN): ``floor = 0`` is a ReLU, ``-inf`` none.
    """
    # NumPy over j (the coverage run's speed): each column's sum still starts at c and adds in k order
    total = np.full(width, c, dtype=out.dtype)
    for k in range(n_k):
        row = m_offset + k * m_stride
        total = total + w[w_offset + k * w_stride] * M[row : row + width]
    low = out.dtype.type(floor)
    out[out_offset : out_offset + width * out_stride : out_stride] = np.where(total < low, low, total)


def _intrinsic() -> Any:
    """:func:`_plain` as a Numba intrinsic emitting vectorised LLVM IR."""
    i32, i64 = ir.IntType(32), ir.IntType(64)

    def splat(builder: Any, x: Any, lanes: int) -> Any:
        v = ir.Constant(ir.VectorType(x.type, lanes), ir.Undefined)
        for lane in range(lanes):
            v = builder.insert_element(v, x, ir.Constant(i32, lane))
        return v

    @intrinsic
    def row_combination(typingctx: Any, out: Any, out_offset: Any, out_stride: Any, c: Any, w: Any, w_offset: Any,
                        w_stride: Any, M: Any, m_offset: Any, m_stride: Any, n_k: Any, width: Any,
                        floor: Any) -> Any:  # fmt: skip
        signature = numba.types.void(
            out, out_offset, out_stride, c, w, w_offset, w_stride, M, m_offset, m_stride, n_k, width, floor
        )
        real = out.dtype
        if real not in (numba.types.float64, numba.types.float32) or w.dtype != real or M.dtype != real:
            raise numba.core.errors.TypingError(f"row_combination: arrays of one float dtype, got {out}, {w}, {M}")
        element = ir.DoubleType() if real == numba.types.float64 else ir.FloatType()
        lanes_per_register = REGISTER_BYTES // (8 if real == numba.types.float64 else 4)

        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            out_a, oo, os_, c_v, w_a, wo, ws, m_a, mo, ms, nk, wd, floor = args
            c_v = context.cast(builder, c_v, sig.args[3], real)
            floor = context.cast(builder, floor, sig.args[12], real)
            out_p = context.make_array(sig.args[0])(context, builder, out_a).data
            w_p = context.make_array(sig.args[4])(context, builder, w_a).data
            m_p = context.make_array(sig.args[7])(context, builder, m_a).data

            def weight(k: Any) -> Any:
                return builder.load(builder.gep(w_p, [builder.add(wo, builder.mul(k, ws))]))

            def block(j0: Any, vectors: int, lanes: int) -> None:
                """Columns ``j0 .. j0 + vectors * lanes - 1``, accumulated in ``vectors`` registers."""
                vector = ir.VectorType(element, lanes)
                accumulators = [cgutils.alloca_once(builder, vector) for _ in range(vectors)]  # mem2reg'd
                start = splat(builder, c_v, lanes)
                for acc in accumulators:
                    builder.store(start, acc)
                with cgutils.for_range(builder, nk) as loop:
                    wk = splat(builder, weight(loop.index), lanes)
                    row = builder.add(builder.add(mo, builder.mul(loop.index, ms)), j0)
                    for q, acc in enumerate(accumulators):
                        at = builder.gep(m_p, [builder.add(row, ir.Constant(i64, q * lanes))])
                        m = builder.load(builder.bitcast(at, ir.PointerType(vector)), align=real.bitwidth // 8)
                        builder.store(builder.fadd(builder.load(acc), builder.fmul(wk, m)), acc)
                low = splat(builder, floor, lanes)
                for q, acc in enumerate(accumulators):
                    value = builder.load(acc)
                    value = builder.select(builder.fcmp_ordered("<", value, low), low, value)  # max(value, floor)
                    for lane in range(lanes):
                        j = builder.add(j0, ir.Constant(i64, q * lanes + lane))
                        at = builder.gep(out_p, [builder.add(oo, builder.mul(j, os_))])
                        builder.store(builder.extract_element(value, ir.Constant(i32, lane)), at)

            done = ir.Constant(i64, 0)
            for vectors, lanes in [(v, lanes_per_register) for v in _BLOCKS] + [(1, 1)]:
                step = ir.Constant(i64, vectors * lanes)
                count = builder.sdiv(builder.sub(wd, done), step)
                first = done
                with cgutils.for_range(builder, count) as loop:
                    block(builder.add(first, builder.mul(loop.index, step)), vectors, lanes)
                done = builder.add(done, builder.mul(count, step))
            return context.get_dummy_value()

        return signature, codegen

    return row_combination


#: With ``NUMBA_DISABLE_JIT=1`` (the coverage run) an intrinsic cannot run: the plain loop, same arithmetic.
row_combination = _plain if getattr(numba.config, "DISABLE_JIT", False) else _intrinsic()
