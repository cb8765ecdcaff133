"""Sums, products and extrema over axes, with NumPy's ``axis``, ``dtype`` and
``keepdims``: ``sum``, ``prod``, ``max``/``amax``, ``min``/``amin``, and the
cumulative ``cumsum`` and ``cumprod``."""

from __future__ import annotations

import math

from fntrans import errors
from fntrans.numpy._util import asarray, normalize_axes
from fntrans.primitives import broadcasting as bc
from fntrans.primitives import cumulative
from fntrans.primitives import elementwise as ew
from fntrans.primitives import math_functions as mf
from fntrans.primitives import reductions as red
from fntrans.primitives.elementwise import convert_element_type
from fntrans.primitives.shape import reshape


def _reduce(prim, a, axis, keepdims, *, out=None, where=True, initial=None, combine=None):
    """``a`` reduced by ``prim`` over ``axis``, as NumPy's reductions: entries
    outside ``where`` left out, and ``initial`` combined into the result."""
    if out is not None:
        raise errors.out_argument(prim.name)
    a = asarray(a)
    shape = a.shape
    axes = normalize_axes(axis, len(shape)) if shape else ()  # axis 0 of a 0-d array: itself
    if where is not True:
        if initial is None:
            raise ValueError(
                f"{prim.name} with where= needs initial=, the value where nothing is selected."
            )
        a = ew.select(where, a, initial)
    result = prim.bind(a, axes=axes)
    if initial is not None:
        result = combine(result, initial)
    if keepdims:
        result = reshape(result, tuple(1 if i in axes else d for i, d in enumerate(shape)))
    return result


def _with_dtype(a, dtype):
    a = asarray(a)
    return a if dtype is None else convert_element_type(a, dtype=dtype)


def sum(a, axis=None, dtype=None, out=None, keepdims: bool = False, initial=None, where=True):
    """Sum of elements over ``axis`` (lists holding traced values are stacked first).

    >>> import fntrans.numpy as fnp
    >>> fnp.sum(fnp.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    array([4., 6.])
    >>> fnp.sum(fnp.array([1.0, 2.0]), initial=10.0, where=fnp.array([True, False]))
    np.float64(11.0)
    """
    a = _with_dtype(a, dtype)
    if where is not True:
        a = ew.select(where, a, 0)
    return _reduce(bc.reduce_sum_p, a, axis, keepdims, out=out, initial=initial, combine=ew.add)


def prod(a, axis=None, dtype=None, out=None, keepdims: bool = False, initial=None, where=True):
    """Product of elements over ``axis``; its derivative is exact where entries are 0.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(fnp.prod)(fnp.array([2.0, 0.0, 3.0]))
    array([0., 6., 0.])
    """
    a = _with_dtype(a, dtype)
    if where is not True:
        a = ew.select(where, a, 1)
    return _reduce(red.reduce_prod_p, a, axis, keepdims, out=out, initial=initial, combine=ew.mul)


def max(a, axis=None, out=None, keepdims: bool = False, initial=None, where=True):
    """Maximum over ``axis``; ties share the derivative equally.

    >>> import fntrans.numpy as fnp
    >>> fnp.max(fnp.array([1.0, 3.0, 2.0]))
    np.float64(3.0)
    """
    return _reduce(
        red.reduce_max_p, a, axis, keepdims, out=out, where=where, initial=initial, combine=mf.max
    )


def min(a, axis=None, out=None, keepdims: bool = False, initial=None, where=True):
    """Minimum over ``axis``; ties share the derivative equally."""
    return _reduce(
        red.reduce_min_p, a, axis, keepdims, out=out, where=where, initial=initial, combine=mf.min
    )


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
