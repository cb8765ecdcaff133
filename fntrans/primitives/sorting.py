"""Sorting along an axis: ``sort`` and ``argsort`` (an integer result, no derivative).

Sorting permutes each line of ``x``, so its derivative permutes the tangent
the same way, and its VJP sends each cotangent back to where its entry came
from (a gather through the inverse permutation).
"""

from __future__ import annotations

import numpy as np

from fntrans.core.aval import ShapedArray
from fntrans.core.primitive import Primitive
from fntrans.primitives.indexing import take_along_axis


def _along_axis_batch(prim, vals, dims, *, axis):
    (x,), (d,) = vals, dims
    return prim.bind(x, axis=axis + (d <= axis)), d


def _sort_impl(xp, x, *, axis):
    return xp.sort(x, axis=axis)


def _argsort_impl(xp, x, *, axis):
    if xp is np:
        return np.argsort(x, axis=axis, kind="stable")
    return xp.argsort(x, axis=axis)


def _sort_jvp(primals, tangents, *, axis):
    (x,), (t,) = primals, tangents
    return sort(x, axis), take_along_axis(t, argsort(x, axis), axis)


def _sort_vjp(ct, ans, x, *, axis, needs):
    inverse = argsort(argsort(x, axis), axis)
    return (take_along_axis(ct, inverse, axis),)


sort_p = Primitive(
    "sort",
    impl=_sort_impl,
    shape=lambda x, *, axis: x,
    jvp=_sort_jvp,
    vjp=_sort_vjp,
    batch=_along_axis_batch,
)

argsort_p = Primitive(
    "argsort",
    impl=_argsort_impl,
    shape=lambda x, *, axis: ShapedArray(x.shape, np.dtype(np.intp)),
    batch=_along_axis_batch,
    zero_derivative=True,
)


def sort(x, axis: int):
    """``x`` sorted along ``axis``."""
    return sort_p.bind(x, axis=axis)


def argsort(x, axis: int):
    """The indices that sort ``x`` along ``axis`` (a stable sort)."""
    return argsort_p.bind(x, axis=axis)


__all__ = ["sort_p", "argsort_p"]
