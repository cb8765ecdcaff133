"""Sums, products and extrema over axes, with NumPy's ``axis``, ``dtype`` and
``keepdims``: ``sum``, ``prod``, ``max``/``amax``, ``min``/``amin``, and the
cumulative ``cumsum`` and ``cumprod``."""

from __future__ import annotations

import math

from fntrans.numpy._util import asarray, normalize_axes
from fntrans.primitives import broadcasting as bc
from fntrans.primitives import cumulative
from fntrans.primitives import reductions as red
from fntrans.primitives.elementwise import convert_element_type
from fntrans.primitives.shape import reshape


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


def prod(a, axis=None, dtype=None, keepdims: bool = False):
    """Product of elements over ``axis``; its derivative is exact where entries are 0.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(fnp.prod)(fnp.array([2.0, 0.0, 3.0]))
    array([0., 6., 0.])
    """
    a = asarray(a)
    if dtype is not None:
        a = convert_element_type(a, dtype=dtype)
    return _reduce(red.reduce_prod_p, a, axis, keepdims)


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


def _cumulative(scan, a, axis, dtype):
    a = asarray(a)
    if dtype is not None:
        a = convert_element_type(a, dtype=dtype)
    if axis is None:
        a, axis = reshape(a, (math.prod(a.shape),)), 0
    (axis,) = normalize_axes(axis, a.ndim)
    return scan(a, axis)


def cumsum(a, axis=None, dtype=None):
    """Cumulative sum along ``axis`` (of the flattened ``a`` by default).

    >>> import fntrans.numpy as fnp
    >>> fnp.cumsum(fnp.array([1.0, 2.0, 3.0]))
    array([1., 3., 6.])
    """
    return _cumulative(cumulative.cumsum, a, axis, dtype)


def cumprod(a, axis=None, dtype=None):
    """Cumulative product along ``axis``; its derivative is exact where entries are 0.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(lambda x: fnp.cumprod(x)[-1])(fnp.array([2.0, 0.0, 3.0]))
    array([0., 6., 0.])
    """
    return _cumulative(cumulative.cumprod, a, axis, dtype)
