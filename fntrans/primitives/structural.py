"""Structural primitives: broadcast_to, reshape, transpose, concatenate, stack.

All are linear, so each has a transpose rule and its VJP comes from it.
"""

from __future__ import annotations

import numpy as np

from fntrans.core.aval import ShapedArray, all_weak, result_dtype
from fntrans.core.primitive import Primitive, Undefined
from fntrans.primitives._rules import shape_of, unbroadcast

# ---- broadcast_to ----

broadcast_to_p = Primitive(
    "broadcast_to",
    impl=lambda xp, x, *, shape: xp.broadcast_to(x, shape),
    shape=lambda x, *, shape: x.update(shape=shape),
    jvp=lambda primals, tangents, *, shape: (
        broadcast_to(primals[0], shape),
        broadcast_to(tangents[0], shape),
    ),
    transpose=lambda ct, x, *, shape: (unbroadcast(ct, x.shape),),
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
    from fntrans.primitives.elementwise import mul

    ans = join(primals, axis=axis, new_axis=new_axis)
    if all(t is None for t in tangents):
        return ans, None
    # Zero tangents are filled with zeros: the output tangent is one array.
    tangents = [mul(0.0, x) if t is None else t for x, t in zip(primals, tangents)]
    return ans, join(tangents, axis=axis, new_axis=new_axis)


def _join_transpose(ct, *xs, axis, new_axis):
    from fntrans.primitives.indexing import getitem

    cts = []
    start = 0
    lead = (slice(None),) * axis
    for x in xs:
        size = 1 if new_axis else shape_of(x)[axis]
        if type(x) is Undefined:
            index = lead + ((start,) if new_axis else (slice(start, start + size),))
            cts.append(getitem(ct, index))
        else:
            cts.append(None)
        start += size
    return tuple(cts)


join_p = Primitive(
    "concatenate",
    impl=_join_impl,
    shape=_join_shape,
    jvp=_join_jvp,
    transpose=_join_transpose,
)


def join(xs, *, axis: int, new_axis: bool):
    """``concatenate`` (``new_axis=False``) or ``stack`` (``new_axis=True``)."""
    return join_p.bind(*xs, axis=axis, new_axis=new_axis)


__all__ = ["broadcast_to_p", "reshape_p", "transpose_p", "join_p"]
