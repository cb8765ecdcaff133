"""Products: ``matmul`` (NumPy's matrix product, 1-d operands and batch
broadcasting included) and ``einsum`` (any Einstein summation).

One primitive each over NumPy's fast kernels; ``dot`` and ``tensordot`` in
``fntrans.numpy`` reduce to ``matmul`` with reshapes and transposes.
"""

from __future__ import annotations

import functools
import math
import string

import numpy as np

from fntrans.core import constants
from fntrans.core.aval import ShapedArray, all_weak, dtype_of, result_dtype, shape_of
from fntrans.core.primitive import Primitive
from fntrans.primitives.broadcasting import broadcast_to, unbroadcast
from fntrans.primitives.elementwise import add, mul
from fntrans.primitives.shape import move_axis, reshape, swap_last, transpose


def _matmul_shape(a, b):
    a_shape = a.shape if a.ndim > 1 else (1,) + a.shape
    b_shape = b.shape if b.ndim > 1 else b.shape + (1,)
    if a_shape[-1] != b_shape[-2]:
        raise ValueError(
            f"matmul: operands have shapes {a.shape} and {b.shape}, whose inner "
            f"dimensions {a_shape[-1]} and {b_shape[-2]} differ."
        )
    batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    shape = batch + (a_shape[-2],) * (a.ndim > 1) + (b_shape[-1],) * (b.ndim > 1)
    return ShapedArray(shape, result_dtype(a, b), all_weak(a, b))


def _as_matrices(ct, a_shape, b_shape):
    """Operands and cotangent with 1-d operands promoted to matrices, as NumPy does."""
    a2 = a_shape if len(a_shape) > 1 else (1,) + a_shape
    b2 = b_shape if len(b_shape) > 1 else b_shape + (1,)
    ct_shape = shape_of(ct)
    batch = ct_shape[: len(ct_shape) - (len(a_shape) > 1) - (len(b_shape) > 1)]
    return a2, b2, reshape(ct, batch + (a2[-2], b2[-1]))


def _ct_lhs(ct, b, a_shape):
    b_shape = shape_of(b)
    # vectors and matrices without batch axes: one primitive, no reshapes
    if len(b_shape) == 1:
        if len(a_shape) == 1:  # the dot product of vectors
            return mul(ct, b)
        if len(a_shape) == 2:  # matrix @ vector: the outer product of ct and b
            return mul(reshape(ct, (a_shape[0], 1)), b)
    elif len(a_shape) == 1 and len(b_shape) == 2:  # vector @ matrix
        return matmul(b, ct)
    a2, b2, ct2 = _as_matrices(ct, a_shape, b_shape)
    ct_a = matmul(ct2, swap_last(reshape(b, b2)))
    return reshape(unbroadcast(ct_a, a2), a_shape)


def _ct_rhs(ct, a, b_shape):
    a_shape = shape_of(a)
    # vectors and matrices without batch axes: one primitive, no reshapes
    if len(a_shape) == 1:
        if len(b_shape) == 1:  # the dot product of vectors
            return mul(a, ct)
        if len(b_shape) == 2:  # vector @ matrix: the outer product of a and ct
            return mul(reshape(a, (a_shape[0], 1)), ct)
    elif len(a_shape) == 2 and len(b_shape) == 1:  # matrix @ vector
        return matmul(ct, a)
    a2, b2, ct2 = _as_matrices(ct, a_shape, b_shape)
    ct_b = matmul(swap_last(reshape(a, a2)), ct2)
    return reshape(unbroadcast(ct_b, b2), b_shape)


def _matmul_jvp(primals, tangents):
    a, b = primals
    ta, tb = tangents
    ans = matmul(a, b)
    out = None if ta is None else matmul(ta, b)
    if tb is not None:
        term = matmul(a, tb)
        out = term if out is None else add(out, term)
    return ans, out


def _matmul_vjp(ct, ans, a, b, *, needs):
    # bilinear: as a transpose, linear in the one undefined operand
    return (
        _ct_lhs(ct, b, shape_of(a)) if needs[0] else None,
        _ct_rhs(ct, a, shape_of(b)) if needs[1] else None,
    )


def _matmul_batch(prim, vals, dims):
    """Batch axes first, vectors promoted to matrices, ranks padded with size-1
    axes so NumPy's batch broadcasting lines the operands up. Against an
    unbatched matrix the batch is folded into one matrix product instead, which
    is one BLAS call rather than one per example."""
    (a, b), (da, db) = vals, dims
    if da is None and len(b.shape) - 1 <= 2 and len(a.shape) == 2:
        return _fold_into_columns(a, b, db)
    if db is None and len(b.shape) == 2:
        return _fold_into_rows(a, da, b)
    size = (a.shape[da] if da is not None else b.shape[db],)
    a_shape = a.shape if da is None else a.shape[:da] + a.shape[da + 1 :]
    b_shape = b.shape if db is None else b.shape[:db] + b.shape[db + 1 :]
    if da is not None:
        a = move_axis(a, da, 0)
    if db is not None:
        b = move_axis(b, db, 0)
    a_vector, b_vector = len(a_shape) == 1, len(b_shape) == 1
    a_mat = (1,) + a_shape if a_vector else a_shape
    b_mat = b_shape + (1,) if b_vector else b_shape
    rank = max(len(a_mat), len(b_mat))
    if da is not None:
        a = reshape(a, size + (1,) * (rank - len(a_mat)) + a_mat)
    elif a_vector:
        a = reshape(a, a_mat)
    if db is not None:
        b = reshape(b, size + (1,) * (rank - len(b_mat)) + b_mat)
    elif b_vector:
        b = reshape(b, b_mat)
    out = matmul(a, b)
    if a_vector or b_vector:
        keep = (
            out.shape[:-2] + (out.shape[-2],) * (not a_vector) + (out.shape[-1],) * (not b_vector)
        )
        out = reshape(out, keep)
    return out, 0


def _fold_into_rows(a, da, b):
    """Batched ``a`` times an unbatched matrix ``b``: the batch joins a's rows."""
    a = move_axis(a, da, 0)
    rows = reshape(a, (math.prod(a.shape[:-1]), a.shape[-1]))
    out = matmul(rows, b)
    return reshape(out, a.shape[:-1] + (b.shape[-1],)), 0


def _fold_into_columns(a, b, db):
    """An unbatched matrix ``a`` times batched ``b``: the batch joins b's columns."""
    if len(b.shape) == 2:  # a vector per example: (B, k) @ a.T keeps the batch first
        return matmul(move_axis(b, db, 0), transpose(a, (1, 0))), 0
    if b.shape[2 if db < 2 else 1] == 1:
        # a column per example (a matrix-vector product that reverse mode
        # promoted to matrices): as vectors, with no copy to gather columns
        b = move_axis(b, db, 0)  # (B, k, 1)
        size, k, _ = b.shape
        out = matmul(reshape(b, (size, k)), transpose(a, (1, 0)))
        return reshape(out, (size, a.shape[0], 1)), 0
    b = move_axis(b, db, 1)  # (k, B, m)
    k, size, m = b.shape
    out = matmul(a, reshape(b, (k, size * m)))
    return reshape(out, (a.shape[0], size, m)), 1


matmul_p = Primitive(
    "matmul",
    impl=lambda xp, a, b: xp.matmul(a, b),
    emit=lambda xp, a, b: f"{xp}.matmul({a}, {b})",
    shape=_matmul_shape,
    jvp=_matmul_jvp,
    vjp=_matmul_vjp,
    vjp_transposes=True,
    batch=_matmul_batch,
)

matmul = matmul_p.bind

# ---- einsum ----
#
# ``subscripts`` is always explicit and free of ellipses ("ij,jk->ik"):
# fntrans.numpy spells out implicit outputs and ellipses before binding. A
# label may have size 1 in some operands and broadcast against the others.


@functools.lru_cache(maxsize=256)
def parse_subscripts(subscripts: str):
    """``"ij,jk->ik"`` as ``(("ij", "jk"), "ik")``."""
    inputs, output = subscripts.split("->")
    return tuple(inputs.split(",")), output


def unused_letters(subscripts: str):
    """The letters einsum accepts that ``subscripts`` does not use yet."""
    return (c for c in string.ascii_letters if c not in subscripts)


def label_sizes(inputs, shapes) -> dict:
    """The size of each label, broadcasting size-1 dimensions as NumPy does."""
    sizes = {}
    for labels, shape in zip(inputs, shapes):
        if len(labels) != len(shape):
            raise ValueError(
                f"einsum: operand of shape {tuple(shape)} has {len(shape)} dimension(s), "
                f"but its subscripts '{labels}' name {len(labels)}."
            )
        for label, d in zip(labels, shape):
            known = sizes.get(label, 1)
            if d != 1 and known not in (1, d):
                raise ValueError(
                    f"einsum: label '{label}' has size {known} in one operand and {d} in "
                    f"another; sizes must match or be 1."
                )
            sizes[label] = d if d != 1 else known
    return sizes


def _einsum_shape(*avals, subscripts):
    inputs, output = parse_subscripts(subscripts)
    sizes = label_sizes(inputs, [a.shape for a in avals])
    return ShapedArray(tuple(sizes[c] for c in output), result_dtype(*avals), all_weak(*avals))


# NumPy's direct loop costs one step per point of the labels' joint range;
# past this many, planning a path (BLAS for pairwise contractions) pays off
_OPTIMIZE_ABOVE = 50_000


def _einsum_impl(xp, *operands, subscripts):
    inputs, output = parse_subscripts(subscripts)
    sizes = {}
    for labels, operand in zip(inputs, operands):
        for label, d in zip(labels, operand.shape):
            sizes[label] = max(d, sizes.get(label, 1))
    if len(operands) > 2 or math.prod(sizes.values()) > _OPTIMIZE_ABOVE:
        return xp.einsum(subscripts, *operands, optimize=True)
    return xp.einsum(subscripts, *operands)


def einsum(subscripts: str, *operands):
    return einsum_p.bind(*operands, subscripts=subscripts)


def _operand_ct(ct, operands, i, subscripts):
    """The cotangent of operand ``i``: the einsum of ``ct`` with the other operands,
    summed over what operand ``i`` broadcast, spread over what only it summed,
    and put on the diagonal where it repeats a label."""
    inputs, output = parse_subscripts(subscripts)
    labels, shape = inputs[i], shape_of(operands[i])
    sizes = label_sizes(inputs, [shape_of(o) for o in operands])
    others = [j for j in range(len(operands)) if j != i]
    elsewhere = set(output).union(*(inputs[j] for j in others))
    dims = {}
    for label, d in zip(labels, shape):
        dims.setdefault(label, d)
    unique = "".join(dims)
    target = "".join(c for c in unique if c in elsewhere and dims[c] == sizes[c])
    spec = ",".join([output] + [inputs[j] for j in others]) + "->" + target
    g = einsum(spec, ct, *(operands[j] for j in others))
    g_dims = dict(zip(target, shape_of(g)))
    g = reshape(g, tuple(g_dims.get(c, 1) for c in unique))
    g = broadcast_to(g, tuple(dims.values()))
    if len(unique) == len(labels):
        return g
    fresh = unused_letters(subscripts)
    renamed, deltas = "", []
    for c in labels:
        if c in renamed:
            deltas.append(c + next(fresh))
            renamed += deltas[-1][1]
        else:
            renamed += c
    eyes = [constants.eye(dims[pair[0]], dtype_of(g), like=g) for pair in deltas]
    return einsum(",".join([unique] + deltas) + "->" + renamed, g, *eyes)


def _einsum_jvp(primals, tangents, *, subscripts):
    # linear in each operand: the tangent is the sum over operands of the
    # einsum with that operand replaced by its tangent
    ans = einsum(subscripts, *primals)
    out = None
    for i, t in enumerate(tangents):
        if t is not None:
            term = einsum(subscripts, *primals[:i], t, *primals[i + 1 :])
            out = term if out is None else add(out, term)
    return ans, out


def _einsum_vjp(ct, ans, *operands, subscripts, needs):
    # multilinear: as a transpose, linear in the one undefined operand
    return tuple(
        _operand_ct(ct, operands, i, subscripts) if need else None for i, need in enumerate(needs)
    )


def _einsum_batch(prim, vals, dims, *, subscripts):
    """A fresh label for the batch axis, where each operand has it: no data moves."""
    inputs, output = parse_subscripts(subscripts)
    letter = next(unused_letters(subscripts), None)
    if letter is None:
        raise ValueError("einsum under vmap needs a free label, but all 52 letters are in use.")
    inputs = [s if d is None else s[:d] + letter + s[d:] for s, d in zip(inputs, dims)]
    return einsum(",".join(inputs) + "->" + letter + output, *vals), 0


einsum_p = Primitive(
    "einsum",
    impl=_einsum_impl,
    shape=_einsum_shape,
    jvp=_einsum_jvp,
    vjp=_einsum_vjp,
    vjp_transposes=True,
    batch=_einsum_batch,
)

__all__ = ["matmul_p", "einsum_p"]
