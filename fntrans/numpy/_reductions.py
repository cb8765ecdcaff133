"""Reductions: sum, mean, max, min, argmax, argmin, with NumPy's axis/keepdims."""

from __future__ import annotations

import builtins
import math

import numpy as np

from fntrans.numpy._creation import asarray
from fntrans.primitives import broadcasting as bc
from fntrans.primitives import reductions as red
from fntrans.primitives.elementwise import convert_element_type, div
from fntrans.primitives.shape import reshape


def normalize_axes(axis, ndim: int) -> tuple:
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < builtins.max(ndim, 1):
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(out))


def _reduce(prim, a, axis, keepdims):
    a = asarray(a)
    shape = a.shape
    axes = normalize_axes(axis, len(shape))
    out = prim.bind(a, axes=axes)
    if keepdims:
        out = reshape(out, tuple(1 if i in axes else d for i, d in enumerate(shape)))
    return out


def sum(a, axis=None, dtype=None, keepdims: bool = False):
    """Sum of elements over ``axis`` (lists holding traced values are stacked first).

    >>> import fntrans.numpy as fnp
    >>> fnp.sum(fnp.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    array([4., 6.])
    """
    a = asarray(a)
    if dtype is not None:
        a = convert_element_type(a, dtype=dtype)
    return _reduce(bc.reduce_sum_p, a, axis, keepdims)


def mean(a, axis=None, dtype=None, keepdims: bool = False):
    """Mean of elements over ``axis``.

    >>> import fntrans.numpy as fnp
    >>> fnp.mean(fnp.array([1.0, 2.0, 6.0]))
    np.float64(3.0)
    """
    a = asarray(a)
    axes = normalize_axes(axis, a.ndim)
    count = math.prod([a.shape[i] for i in axes])
    total = sum(a, axis, dtype, keepdims)
    if total.dtype.kind not in "fc":
        total = convert_element_type(total, dtype=np.float64)
    return div(total, count)


def max(a, axis=None, keepdims: bool = False):
    """Maximum over ``axis``; ties share the derivative equally.

    >>> import fntrans.numpy as fnp
    >>> fnp.max(fnp.array([1.0, 3.0, 2.0]))
    np.float64(3.0)
    """
    return _reduce(red.reduce_max_p, a, axis, keepdims)


def min(a, axis=None, keepdims: bool = False):
    """Minimum over ``axis``; ties share the derivative equally."""
    return _reduce(red.reduce_min_p, a, axis, keepdims)


amax = max
amin = min


def _arg(prim, a, axis, keepdims):
    a = asarray(a)
    if axis is None:
        out = prim.bind(reshape(a, (a.size,)), axis=0)
        return reshape(out, (1,) * a.ndim) if keepdims else out
    (axis,) = normalize_axes(axis, a.ndim)
    out = prim.bind(a, axis=axis)
    if keepdims:
        out = reshape(out, a.shape[:axis] + (1,) + a.shape[axis + 1 :])
    return out


def argmax(a, axis=None, keepdims: bool = False):
    """Index of the maximum (an integer array: no derivative)."""
    return _arg(red.argmax_p, a, axis, keepdims)


def argmin(a, axis=None, keepdims: bool = False):
    """Index of the minimum (an integer array: no derivative)."""
    return _arg(red.argmin_p, a, axis, keepdims)
