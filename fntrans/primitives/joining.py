"""Joining and splitting: ``concatenate``/``stack`` (one primitive, ``join``)
and ``split``, each the other's transpose."""

from __future__ import annotations

import numpy as np

from fntrans.core import constants
from fntrans.core.aval import ShapedArray, all_weak, result_dtype
from fntrans.core.primitive import Primitive, Undefined
from fntrans.primitives.broadcasting import bdim_to_front
from fntrans.primitives.shape import move_axis

# ---- concatenate and stack: any number of operands ----


def _join_shape(*avals, axis, new_axis):
    dtype = result_dtype(*avals)
    first = avals[0].shape
    if new_axis:
        shape = first[:axis] + (len(avals),) + first[axis:]
    else:
        shape = first[:axis] + (sum(a.shape[axis] for a in avals),) + first[axis + 1 :]
    return ShapedArray(shape, dtype, all_weak(*avals))


def _join_impl(xp, *xs, axis, new_axis):
    return (xp.stack if new_axis else xp.concatenate)(xs, axis=axis)


def _join_jvp(primals, tangents, *, axis, new_axis):
    ans = join(primals, axis=axis, new_axis=new_axis)
    # Zero tangents are filled with zeros: the output tangent is one array.
    tangents = [constants.zeros_like(x) if t is None else t for x, t in zip(primals, tangents)]
    return ans, join(tangents, axis=axis, new_axis=new_axis)


def _join_transpose(ct, *xs, axis, new_axis):
    sizes = tuple(1 if new_axis else x.shape[axis] for x in xs)
    pieces = split_p.bind(ct, sizes=sizes, axis=axis, new_axis=new_axis)
    return tuple(p if type(x) is Undefined else None for p, x in zip(pieces, xs))


def _join_batch(prim, vals, dims, *, axis, new_axis):
    size = next(v.shape[d] for v, d in zip(vals, dims) if d is not None)
    xs = [bdim_to_front(v, d, size) for v, d in zip(vals, dims)]
    return join(xs, axis=axis + 1, new_axis=new_axis), 0


join_p = Primitive(
    "concatenate",
    impl=_join_impl,
    shape=_join_shape,
    jvp=_join_jvp,
    transpose=_join_transpose,
    batch=_join_batch,
)


def join(xs, *, axis: int, new_axis: bool):
    """``concatenate`` (``new_axis=False``) or ``stack`` (``new_axis=True``)."""
    return join_p.bind(*xs, axis=axis, new_axis=new_axis)


# ---- split: the transpose of join, one primitive with many results ----


def _split_shape(x, *, sizes, axis, new_axis):
    def piece(size):
        if new_axis:
            return x.update(shape=x.shape[:axis] + x.shape[axis + 1 :])
        return x.update(shape=x.shape[:axis] + (size,) + x.shape[axis + 1 :])

    return tuple(piece(size) for size in sizes)


def _split_impl(xp, x, *, sizes, axis, new_axis):
    lead = (slice(None),) * axis
    if new_axis:
        return tuple(x[lead + (i,)] for i in range(len(sizes)))
    bounds = np.cumsum((0,) + sizes).tolist()
    return tuple(x[lead + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:]))


def _split_jvp(primals, tangents, *, sizes, axis, new_axis):
    (x,), (t,) = primals, tangents
    return split(x, sizes, axis, new_axis), split(t, sizes, axis, new_axis)


def _split_transpose(cts, x, *, sizes, axis, new_axis):
    pieces = split_p.shape(x.aval, sizes=sizes, axis=axis, new_axis=new_axis)
    like = next(ct for ct in cts if ct is not None)
    cts = [
        ct if ct is not None else constants.full(piece.shape, 0, piece.dtype, like=like)
        for ct, piece in zip(cts, pieces)
    ]
    return (join(cts, axis=axis, new_axis=new_axis),)


def _split_batch(prim, vals, dims, *, sizes, axis, new_axis):
    pieces = split(move_axis(vals[0], dims[0], 0), sizes, axis + 1, new_axis)
    return pieces, (0,) * len(pieces)


split_p = Primitive(
    "split",
    impl=_split_impl,
    shape=_split_shape,
    jvp=_split_jvp,
    transpose=_split_transpose,
    batch=_split_batch,
    multiple_results=True,
)


def split(x, sizes, axis, new_axis=False):
    """``x`` cut along ``axis`` into pieces of ``sizes`` (unstacked if ``new_axis``)."""
    return split_p.bind(x, sizes=tuple(sizes), axis=axis, new_axis=new_axis)


__all__ = ["join_p", "split_p"]
