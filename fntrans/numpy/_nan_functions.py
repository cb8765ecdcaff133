"""NumPy's functions that ignore NaNs: ``nansum``, ``nanprod``, ``nancumsum``,
``nancumprod``, ``nanmean``, ``nanvar``, ``nanstd``, ``nanmax``, ``nanmin``,
``nanargmax``, ``nanargmin``, ``nanmedian``, ``nanquantile``, ``nanpercentile``.

Each replaces the NaNs with a neutral value (``select``, whose derivative is
zero where it picked the constant) before reducing, so the derivative is 0 at
the NaN entries and no NaN reaches the others. A slice with nothing to reduce
gives NaN, as in NumPy, through a ``select`` as well, so that its derivative
is 0 rather than NaN.
"""

from __future__ import annotations

import numpy as np

from fntrans import errors
from fntrans.core import constants
from fntrans.core.aval import real_dtype
from fntrans.core.tracer import Tracer
from fntrans.numpy import _statistics as stats
from fntrans.numpy._logic import all
from fntrans.numpy._reductions import cumprod, cumsum, max, min, prod, sum
from fntrans.numpy._sorting import argmax, argmin
from fntrans.numpy._statistics import quantile, sorted_last, std_from_var
from fntrans.numpy._util import asarray
from fntrans.primitives import elementwise as ew
from fntrans.primitives import math_functions as mf
from fntrans.primitives.indexing import take_along_axis
from fntrans.primitives.shape import reshape, transpose


def _replace_nan(a, value):
    """``a`` with its NaNs replaced by ``value``, and where they were (None for
    dtypes without NaN)."""
    a = asarray(a)
    if a.dtype.kind not in "fc":
        return a, None
    mask = ew.isnan_p.bind(a)
    return ew.select(mask, value, a), mask


def _scalar(out):
    """A plain 0-d result as a NumPy scalar, as NumPy's reductions give it."""
    return out[()] if type(out) is np.ndarray and out.ndim == 0 else out


def _nan_where(empty, value):
    """NaN where ``empty``, else ``value``."""
    return _scalar(ew.select(empty, np.nan, value))


def _no_value(value, default):
    return default if value is np._NoValue else value


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    """The sum over ``axis``, NaNs counted as zero; the derivative at a NaN is 0.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> fnp.nansum(fnp.array([1.0, fnp.nan, 2.0]))
    np.float64(3.0)
    >>> ft.grad(fnp.nansum)(fnp.array([1.0, fnp.nan, 2.0]))
    array([1., 0., 1.])
    """
    a, _ = _replace_nan(a, 0)
    return sum(a, axis, dtype, out, _no_value(keepdims, False), _no_value(initial, None), where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    """The product over ``axis``, NaNs counted as one; the derivative at a NaN is 0."""
    a, _ = _replace_nan(a, 1)
    return prod(a, axis, dtype, out, _no_value(keepdims, False), _no_value(initial, None), where)


def nancumsum(a, axis=None, dtype=None, out=None):
    """The cumulative sum along ``axis``, NaNs counted as zero."""
    if out is not None:
        raise errors.out_argument("nancumsum")
    return cumsum(_replace_nan(a, 0)[0], axis, dtype)


def nancumprod(a, axis=None, dtype=None, out=None):
    """The cumulative product along ``axis``, NaNs counted as one."""
    if out is not None:
        raise errors.out_argument("nancumprod")
    return cumprod(_replace_nan(a, 1)[0], axis, dtype)


def _extremum(reduce, fill, a, axis, out, keepdims, initial, where):
    keepdims = _no_value(keepdims, False)
    initial = _no_value(initial, None)
    a, mask = _replace_nan(a, fill)
    result = reduce(a, axis, out, keepdims, initial, where)
    if mask is None or initial is not None:
        return result
    # an all-NaN slice is NaN, as in NumPy (which also warns)
    return _nan_where(all(mask, axis=axis, keepdims=keepdims), result)


def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=True):
    """The maximum over ``axis``, ignoring NaNs (NaN for an all-NaN slice).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(fnp.nanmax)(fnp.array([1.0, fnp.nan, 2.0]))
    array([0., 0., 1.])
    """
    return _extremum(max, -np.inf, a, axis, out, keepdims, initial, where)


def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=True):
    """The minimum over ``axis``, ignoring NaNs (NaN for an all-NaN slice)."""
    return _extremum(min, np.inf, a, axis, out, keepdims, initial, where)


def _arg_extremum(arg, fill, a, axis, out, keepdims):
    a, mask = _replace_nan(a, fill)
    if mask is not None and not isinstance(mask, Tracer) and mask.size:
        if np.any(np.all(mask, axis=axis)):
            raise ValueError("All-NaN slice encountered")
    if out is not None:
        raise errors.out_argument("nan" + arg.__name__)
    return arg(a, axis, _no_value(keepdims, False))


def nanargmax(a, axis=None, out=None, *, keepdims=False):
    """The index of the maximum, ignoring NaNs (an integer: no derivative).

    >>> import fntrans.numpy as fnp
    >>> int(fnp.nanargmax(fnp.array([1.0, fnp.nan, 2.0])))
    2
    """
    return _arg_extremum(argmax, -np.inf, a, axis, out, keepdims)


def nanargmin(a, axis=None, out=None, *, keepdims=False):
    """The index of the minimum, ignoring NaNs (an integer: no derivative)."""
    return _arg_extremum(argmin, np.inf, a, axis, out, keepdims)


def _count_and_safe(mask, axis, keepdims, where):
    """The number of non-NaN entries, and that number with 1 for 0 (a divisor
    whose derivative stays finite)."""
    count = sum(ew.logical_not_p.bind(mask), axis, np.intp, None, keepdims, where=where)
    empty = ew.eq(count, 0)
    return count, ew.select(empty, 1, count), empty


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    """The mean over ``axis`` of the entries that are not NaN (NaN for an all-NaN
    slice); the derivative at a NaN is 0.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(fnp.nanmean)(fnp.array([1.0, fnp.nan, 2.0]))
    array([0.5, 0. , 0.5])
    """
    keepdims = _no_value(keepdims, False)
    where = _no_value(where, True)
    arr, mask = _replace_nan(a, 0)
    if mask is None:
        return stats.mean(arr, axis, dtype, out, keepdims, where=where)
    total = sum(arr, axis, dtype, out, keepdims, where=where)
    count, safe, empty = _count_and_safe(mask, axis, keepdims, where)
    safe = ew.convert_element_type(safe, dtype=real_dtype(total.dtype))
    return _nan_where(empty, ew.div(total, safe))


def nanvar(
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    *,
    where=True,
    mean=np._NoValue,
    correction=np._NoValue,
):
    """The variance over ``axis`` of the entries that are not NaN, dividing by
    ``N - ddof`` (NaN where that is not positive); the derivative at a NaN is 0.

    >>> import fntrans.numpy as fnp
    >>> fnp.nanvar(fnp.array([1.0, fnp.nan, 3.0]))
    np.float64(1.0)
    """
    keepdims = _no_value(keepdims, False)
    where = _no_value(where, True)
    if correction is not np._NoValue:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    arr, mask = _replace_nan(a, 0)
    if mask is None:
        return stats.var(arr, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    count, safe, _ = _count_and_safe(mask, axis, True, where)
    if mean is np._NoValue:
        total = sum(arr, axis, dtype, None, True, where=where)
        avg = ew.div(total, ew.convert_element_type(safe, dtype=real_dtype(total.dtype)))
    else:
        avg = mean
    centered = ew.select(mask, 0, ew.sub(arr, avg))
    if centered.dtype.kind == "c":
        squares = ew.real(ew.mul(centered, ew.conj(centered)))
    else:
        squares = ew.mul(centered, centered)
    total = sum(squares, axis, dtype, out, keepdims, where=where)
    dof = ew.sub(count if keepdims else reshape(count, total.shape), ddof)
    bad = ew.le_p.bind(dof, 0)
    dof = ew.convert_element_type(ew.select(bad, 1, dof), dtype=total.dtype)
    return _nan_where(bad, ew.div(total, dof))


def nanstd(
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    *,
    where=True,
    mean=np._NoValue,
    correction=np._NoValue,
):
    """The standard deviation over ``axis`` of the entries that are not NaN; its
    derivative is 0 at the NaNs and where the spread is zero.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(fnp.nanstd)(fnp.array([1.0, fnp.nan, 3.0]))
    array([-0.5,  0. ,  0.5])
    """
    variance = nanvar(
        a, axis, dtype, out, ddof, keepdims, where=where, mean=mean, correction=correction
    )
    return std_from_var(variance)


def nanquantile(
    a,
    q,
    axis=None,
    out=None,
    overwrite_input=False,
    method="linear",
    keepdims=False,
    *,
    weights=None,
    interpolation=None,
):
    """The ``q``-th quantiles over ``axis`` of the entries that are not NaN,
    interpolating linearly (NaN for an all-NaN slice); the derivative flows to
    the (at most two) entries each quantile lies between.

    >>> import fntrans.numpy as fnp
    >>> fnp.nanquantile(fnp.array([4.0, fnp.nan, 1.0, 2.0]), 0.5)
    np.float64(2.0)
    """
    keepdims = _no_value(keepdims, False)
    if method != "linear" or weights is not None or interpolation is not None:
        raise NotImplementedError("nanquantile supports method='linear' (no weights) only.")
    if out is not None:
        raise errors.out_argument("nanquantile")
    a = asarray(a)
    if a.dtype.kind not in "fc":
        return quantile(a, q, axis=axis, keepdims=keepdims)
    if isinstance(q, Tracer):
        q = q._concrete_or_raise("the quantile levels q")
    q = np.asarray(q, dtype=float)
    s, keep_shape = sorted_last(a, axis)  # NaNs sort last
    nan = ew.isnan_p.bind(s)
    count = sum(ew.logical_not_p.bind(nan), -1, np.intp, None, True)
    empty = ew.eq(count, 0)
    # positions of the levels among each slice's count of non-NaN entries
    last = ew.convert_element_type(ew.sub(ew.select(empty, 1, count), 1), dtype=np.float64)
    position = ew.mul(last, constants.asarray(q.reshape(-1), like=s))  # on s's backend
    lo = ew.convert_element_type(mf.floor_p.bind(position), dtype=np.intp)
    hi = mf.min(ew.add(lo, 1), ew.convert_element_type(last, dtype=np.intp))
    frac = ew.convert_element_type(ew.sub(position, lo), dtype=real_dtype(s.dtype))
    s = ew.select(nan, 0, s)
    low, high = (take_along_axis(s, i, s.ndim - 1) for i in (lo, hi))
    out = ew.add(low, ew.mul(ew.sub(high, low), frac))
    out = _nan_where(empty, out)
    out = reshape(out, (keep_shape if keepdims else out.shape[:-1]) + q.shape)
    if q.ndim:  # NumPy puts the axes of q first
        rank = len(out.shape) - q.ndim
        out = transpose(out, tuple(range(rank, rank + q.ndim)) + tuple(range(rank)))
    return _scalar(out)


def nanpercentile(
    a,
    q,
    axis=None,
    out=None,
    overwrite_input=False,
    method="linear",
    keepdims=False,
    *,
    weights=None,
    interpolation=None,
):
    """The ``q``-th percentiles (``q`` in 0..100) over ``axis``, ignoring NaNs."""
    if isinstance(q, Tracer):
        q = q._concrete_or_raise("the percentiles q")
    return nanquantile(
        a,
        np.asarray(q, dtype=float) / 100,
        axis,
        out,
        overwrite_input,
        method,
        keepdims,
        weights=weights,
        interpolation=interpolation,
    )


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median over ``axis`` of the entries that are not NaN.

    >>> import fntrans.numpy as fnp
    >>> fnp.nanmedian(fnp.array([3.0, fnp.nan, 1.0, 2.0, 10.0]))
    np.float64(2.5)
    """
    return nanquantile(a, 0.5, axis, out, overwrite_input, keepdims=keepdims)
