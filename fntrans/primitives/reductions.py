"""Reductions over static axes: sum, max, min, and argmax/argmin (no derivative).

Axes are a sorted tuple of non-negative ints; ``keepdims`` is a reshape in
``fntrans.numpy``.
"""

from __future__ import annotations

import numpy as np

from fntrans.core.aval import ShapedArray
from fntrans.core.primitive import Primitive
from fntrans.primitives._batching import reducing_batch
from fntrans.primitives._rules import dtype_of, shape_of, zero_jvp, zero_vjp
from fntrans.primitives.elementwise import convert_element_type, div, eq, mul
from fntrans.primitives.structural import broadcast_to, move_axis, reshape


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
    return x.sum(axis=axes)


reduce_sum_p = Primitive(
    "reduce_sum",
    impl=_sum_impl,
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


def _extremum(name, reducer):
    """max or min: the derivative flows to the extremal entries, split evenly on ties."""
    prim = None

    def location_weights(ans, x, axes):
        shape = shape_of(x)
        at_extremum = convert_element_type(
            eq(x, expand_reduced(ans, shape, axes)), dtype=dtype_of(x)
        )
        count = reduce_sum(at_extremum, axes)
        return at_extremum, count

    def jvp(primals, tangents, *, axes):
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axes=axes)
        mask, count = location_weights(ans, x, axes)
        return ans, div(reduce_sum(mul(t, mask), axes), count)

    def vjp(ct, ans, x, *, axes, needs):
        mask, count = location_weights(ans, x, axes)
        return (mul(expand_reduced(div(ct, count), shape_of(x), axes), mask),)

    prim = Primitive(
        name,
        impl=lambda xp, x, *, axes: getattr(x, reducer)(axis=axes),
        shape=lambda x, *, axes: x.update(shape=_reduced_shape(x.shape, axes)),
        jvp=jvp,
        vjp=vjp,
        batch=reducing_batch,
    )
    return prim


reduce_max_p = _extremum("reduce_max", "max")
reduce_min_p = _extremum("reduce_min", "min")


def _argext(name, finder):
    prim = None
    prim = Primitive(
        name,
        impl=lambda xp, x, *, axis: getattr(x, finder)(axis=axis),
        shape=lambda x, *, axis: ShapedArray(
            x.shape[:axis] + x.shape[axis + 1 :], np.dtype(np.intp)
        ),
        jvp=zero_jvp(lambda: prim),
        vjp=zero_vjp,
        batch=lambda prim, vals, dims, *, axis: (
            prim.bind(move_axis(vals[0], dims[0], 0), axis=axis + 1),
            0,
        ),
    )
    return prim


argmax_p = _argext("argmax", "argmax")
argmin_p = _argext("argmin", "argmin")

__all__ = ["reduce_sum_p", "reduce_max_p", "reduce_min_p", "argmax_p", "argmin_p"]
