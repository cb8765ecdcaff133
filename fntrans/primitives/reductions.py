"""Reductions over static axes: max, min, prod, and argmax/argmin (no derivative).

Axes are a sorted tuple of non-negative ints; ``keepdims`` is a reshape in
``fntrans.numpy``. ``reduce_sum`` lives in ``broadcasting``, beside
``broadcast_to``, its transpose. ``reduce_prod``'s rules never divide by the
input, so they stay exact where it has zeros, to every order.
"""

from __future__ import annotations

import numpy as np

from fntrans.core import constants
from fntrans.core.aval import ShapedArray, dtype_of, shape_of
from fntrans.core.primitive import Primitive
from fntrans.primitives._util import reducing_batch
from fntrans.primitives.broadcasting import expand_reduced, reduce_sum
from fntrans.primitives.cumulative import cumprod
from fntrans.primitives.elementwise import convert_element_type, div, eq, mul
from fntrans.primitives.indexing import along
from fntrans.primitives.joining import join
from fntrans.primitives.shape import move_axis, reshape, transpose


def _reduced_shape(shape, axes):
    return tuple(d for i, d in enumerate(shape) if i not in axes)


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
    return Primitive(
        name,
        impl=lambda xp, x, *, axis: getattr(x, finder)(axis=axis),
        shape=lambda x, *, axis: ShapedArray(
            x.shape[:axis] + x.shape[axis + 1 :], np.dtype(np.intp)
        ),
        batch=lambda prim, vals, dims, *, axis: (
            prim.bind(move_axis(vals[0], dims[0], 0), axis=axis + 1),
            0,
        ),
        zero_derivative=True,
    )


argmax_p = _argext("argmax", "argmax")
argmin_p = _argext("argmin", "argmin")

# ---- reduce_prod ----


def _with_axes_last(x, axes):
    """``x`` with ``axes`` moved to the end and merged into one; and the undo."""
    shape = shape_of(x)
    kept = [i for i in range(len(shape)) if i not in axes]
    order = tuple(kept + list(axes))
    merged_shape = tuple(shape[i] for i in kept) + (int(np.prod([shape[i] for i in axes])),)
    merged = reshape(transpose(x, order), merged_shape)

    def undo(y):
        y = reshape(y, tuple(shape[i] for i in order))
        return transpose(y, tuple(np.argsort(order).tolist()))

    return merged, undo


def _prod_partials(x, axes):
    """d prod / d x[i], the product of all the other entries: the exclusive
    products from the left times those from the right (no division, so zeros
    are fine). Returned on the merged last axis, with the undo."""
    merged, undo = _with_axes_last(x, axes)
    axis = len(shape_of(merged)) - 1
    if shape_of(merged)[axis] == 0:
        return merged, merged, undo  # an empty product is 1 and depends on nothing
    ones = constants.full(shape_of(merged)[:-1] + (1,), 1, dtype_of(merged), like=merged)
    left = join(
        [ones, cumprod(along(merged, axis, slice(None, -1)), axis)], axis=axis, new_axis=False
    )
    right = join(
        [cumprod(along(merged, axis, slice(1, None)), axis, reverse=True), ones],
        axis=axis,
        new_axis=False,
    )
    return mul(left, right), merged, undo


def _prod_shape(x, *, axes):
    dtype = np.prod(np.empty(0, x.dtype)).dtype
    shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return ShapedArray(shape, dtype, x.weak_type)


def _prod_jvp(primals, tangents, *, axes):
    (x,), (t,) = primals, tangents
    ans = reduce_prod(x, axes)
    partials, merged, _ = _prod_partials(x, axes)
    t_merged, _ = _with_axes_last(t, axes)
    return ans, reduce_sum(mul(t_merged, partials), (len(shape_of(merged)) - 1,))


def _prod_vjp(ct, ans, x, *, axes, needs):
    partials, merged, undo = _prod_partials(x, axes)
    ct = reshape(ct, shape_of(ct) + (1,))
    return (undo(mul(ct, partials)),)


reduce_prod_p = Primitive(
    "reduce_prod",
    impl=lambda xp, x, *, axes: xp.prod(x, axis=axes),
    shape=_prod_shape,
    jvp=_prod_jvp,
    vjp=_prod_vjp,
    batch=reducing_batch,
)


def reduce_prod(x, axes):
    return reduce_prod_p.bind(x, axes=tuple(axes))


__all__ = ["reduce_max_p", "reduce_min_p", "argmax_p", "argmin_p", "reduce_prod_p"]
