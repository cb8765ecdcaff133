"""Broadcasting and its transpose: ``broadcast_to`` and ``reduce_sum``.

Each is the other's transpose, so they live together, with ``unbroadcast``
(the sum that undoes NumPy's implicit broadcasting, used by every
elementwise rule).
"""

from __future__ import annotations

import numpy as np

from fntrans.core.aval import ShapedArray, shape_of
from fntrans.core.primitive import Primitive
from fntrans.primitives._util import reducing_batch
from fntrans.primitives.shape import method_call, move_axis, reshape

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


def bdim_to_front(x, bdim, size: int):
    """``x`` with its batch axis first; an unbatched ``x`` is broadcast to ``size``."""
    if bdim is None:
        return broadcast_to(x, (size,) + tuple(shape_of(x)))
    return move_axis(x, bdim, 0)


# ---- reduce_sum ----


def _reduced_shape(shape, axes):
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _kept_shape(shape, axes):
    """``shape`` with the reduced axes kept as size 1, for broadcasting back."""
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def expand_reduced(ct, shape, axes):
    """Broadcasts a reduced ``ct`` back over the ``axes`` of ``shape``."""
    return broadcast_to(reshape(ct, _kept_shape(shape, axes)), shape)


def _sum_shape(x, *, axes):
    dtype = np.sum(np.empty(0, x.dtype)).dtype
    return ShapedArray(_reduced_shape(x.shape, axes), dtype, x.weak_type)


def _sum_impl(xp, x, *, axes):
    # a Python number (a jitted function's scalar argument) has no .sum
    return x.sum(axis=axes) if hasattr(x, "sum") else xp.sum(x, axis=axes)


reduce_sum_p = Primitive(
    "reduce_sum",
    impl=_sum_impl,
    emit=method_call("sum", keyword="axis"),
    shape=_sum_shape,
    jvp=lambda primals, tangents, *, axes: (
        reduce_sum(primals[0], axes),
        reduce_sum(tangents[0], axes),
    ),
    transpose=lambda ct, x, *, axes: (expand_reduced(ct, x.shape, axes),),
    batch=reducing_batch,
)


def reduce_sum(x, axes):
    return reduce_sum_p.bind(x, axes=tuple(axes))


def unbroadcast(ct, shape):
    """Sums ``ct`` down to ``shape``: the transpose of NumPy broadcasting."""
    ct_shape = ct.shape
    if ct_shape == shape:
        return ct
    shape = tuple(shape)
    lead = len(ct_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and ct_shape[lead + i] != 1
    )
    if axes:
        ct = reduce_sum(ct, axes)
    return reshape(ct, shape) if ct.shape != shape else ct


__all__ = ["broadcast_to_p", "reduce_sum_p"]
