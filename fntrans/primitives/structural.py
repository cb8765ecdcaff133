"""Structural primitives: broadcast_to, reshape, transpose, concatenate, stack.

All are linear, so each has a transpose rule and its VJP comes from it.
"""

from __future__ import annotations

import numpy as np

from fntrans.backend import default_module
from fntrans.core.aval import ShapedArray, all_weak, result_dtype
from fntrans.core.primitive import Primitive, Undefined
from fntrans.primitives._rules import dtype_of, shape_of, unbroadcast

# ---- broadcast_to ----


def _broadcast_to_batch(prim, vals, dims, *, shape):
    (x,), (d,) = vals, dims
    x = move_axis(x, d, 0)
    per_example = x.shape[1:]
    x = reshape(x, x.shape[:1] + (1,) * (len(shape) - len(per_example)) + per_example)
    return broadcast_to(x, x.shape[:1] + shape), 0


broadcast_to_p = Primitive(
    "broadcast_to",
    impl=lambda xp, x, *, shape: xp.broadcast_to(x, shape),
    shape=lambda x, *, shape: x.update(shape=shape),
    jvp=lambda primals, tangents, *, shape: (
        broadcast_to(primals[0], shape),
        broadcast_to(tangents[0], shape),
    ),
    transpose=lambda ct, x, *, shape: (unbroadcast(ct, x.shape),),
    batch=_broadcast_to_batch,
)


def broadcast_to(x, shape):
    shape = tuple(shape)
    if shape_of(x) == shape:
        return x
    return broadcast_to_p.bind(x, shape=shape)


# ---- reshape ----


def _reshape_impl(xp, x, *, shape):
    return x.reshape(shape) if hasattr(x, "reshape") else xp.reshape(x, shape)


reshape_p = Primitive(
    "reshape",
    impl=_reshape_impl,
    shape=lambda x, *, shape: x.update(shape=shape),
    jvp=lambda primals, tangents, *, shape: (
        reshape_p.bind(primals[0], shape=shape),
        reshape_p.bind(tangents[0], shape=shape),
    ),
    transpose=lambda ct, x, *, shape: (reshape(ct, x.shape),),
    vjp=lambda ct, ans, x, *, shape, needs: (reshape_p.bind(ct, shape=x.shape),),
    batch=lambda prim, vals, dims, *, shape: (
        reshape(move_axis(vals[0], dims[0], 0), vals[0].shape[dims[0] : dims[0] + 1] + shape),
        0,
    ),
)


def reshape(x, shape):
    """``x`` with a new (fully specified) shape; a no-op when it has it already."""
    shape = tuple(shape)
    if shape_of(x) == shape:
        return x
    return reshape_p.bind(x, shape=shape)


# ---- transpose ----

transpose_p = Primitive(
    "transpose",
    impl=lambda xp, x, *, axes: x.transpose(axes),
    shape=lambda x, *, axes: x.update(shape=tuple(x.shape[a] for a in axes)),
    jvp=lambda primals, tangents, *, axes: (
        transpose_p.bind(primals[0], axes=axes),
        transpose_p.bind(tangents[0], axes=axes),
    ),
    transpose=lambda ct, x, *, axes: (transpose_p.bind(ct, axes=tuple(np.argsort(axes).tolist())),),
    # per-example axis a is axis a + (a >= d) of the batch; the batch axis goes first
    batch=lambda prim, vals, dims, *, axes: (
        transpose_p.bind(vals[0], axes=(dims[0],) + tuple(a + (a >= dims[0]) for a in axes)),
        0,
    ),
)


def transpose(x, axes):
    axes = tuple(axes)
    if axes == tuple(range(len(axes))):
        return x
    return transpose_p.bind(x, axes=axes)


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
    tangents = [zeros_like(x) if t is None else t for x, t in zip(primals, tangents)]
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
    cts = [
        ct if ct is not None else zeros(piece.shape, piece.dtype) for ct, piece in zip(cts, pieces)
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


# ---- axis helpers for batching rules ----


def move_axis(x, src: int, dst: int):
    """``x`` with axis ``src`` moved to position ``dst``."""
    if src == dst:
        return x
    order = [i for i in range(len(x.shape)) if i != src]
    order.insert(dst, src)
    return transpose(x, tuple(order))


def bdim_to_front(x, bdim, size: int):
    """``x`` with its batch axis first; an unbatched ``x`` is broadcast to ``size``."""
    if bdim is None:
        return broadcast_to(x, (size,) + tuple(shape_of(x)))
    return move_axis(x, bdim, 0)


# ---- zeros: constants, computed at once (never traced) ----


def zeros(shape, dtype):
    """Zeros of ``shape`` and ``dtype`` on the default backend."""
    return default_module().zeros(shape, dtype)


def zeros_like(x):
    return zeros(shape_of(x), dtype_of(x))


__all__ = ["broadcast_to_p", "reshape_p", "transpose_p", "join_p", "split_p"]
