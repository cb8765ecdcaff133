"""Statistics over axes: ``mean``, ``average``, ``var``, ``std``, ``ptp``, and
``median``, ``quantile`` and ``percentile``, which go through a sort."""

from __future__ import annotations

import math

import numpy as np

from fntrans.core.tracer import Tracer
from fntrans.numpy._reductions import max, min, sum
from fntrans.numpy._util import asarray, normalize_axes
from fntrans.primitives import elementwise as ew
from fntrans.primitives import math_functions as mf
from fntrans.primitives.broadcasting import broadcast_to
from fntrans.primitives.indexing import getitem
from fntrans.primitives.shape import reshape, transpose
from fntrans.primitives.sorting import sort


def mean(a, axis=None, dtype=None, out=None, keepdims: bool = False, *, where=True):
    """Mean of elements over ``axis`` (of those in ``where``).

    >>> import fntrans.numpy as fnp
    >>> fnp.mean(fnp.array([1.0, 2.0, 6.0]))
    np.float64(3.0)
    """
    a = asarray(a)
    axes = normalize_axes(axis, a.ndim) if a.ndim else ()
    if where is True:
        count = math.prod([a.shape[i] for i in axes])
    else:
        count = sum(broadcast_to(where, a.shape), axis, np.float64, keepdims=keepdims)
    total = sum(a, axis, dtype, out, keepdims, where=where)
    if total.dtype.kind not in "fc":
        total = ew.convert_element_type(total, dtype=np.float64)
    return ew.div(total, count)


def var(a, axis=None, dtype=None, ddof=0, keepdims: bool = False):
    """Variance over ``axis``, dividing by ``N - ddof``.

    >>> import fntrans.numpy as fnp
    >>> fnp.var(fnp.array([1.0, 2.0, 3.0, 4.0]), ddof=1)
    np.float64(1.6666666666666667)
    """
    a = asarray(a)
    if dtype is not None:
        a = ew.convert_element_type(a, dtype=dtype)
    axes = normalize_axes(axis, a.ndim)
    count = math.prod([a.shape[i] for i in axes])
    centered = ew.sub(a, mean(a, axis=axes, keepdims=True))
    if centered.dtype.kind == "c":
        squares = ew.real(ew.mul(centered, ew.conj(centered)))
    else:
        squares = ew.mul(centered, centered)
    return ew.div(sum(squares, axis=axes, keepdims=keepdims), count - ddof)


def std(a, axis=None, dtype=None, ddof=0, keepdims: bool = False):
    """Standard deviation over ``axis``, dividing by ``N - ddof``."""
    return mf.sqrt(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


def ptp(a, axis=None, keepdims: bool = False):
    """Range of values (maximum minus minimum) over ``axis``."""
    return ew.sub(max(a, axis=axis, keepdims=keepdims), min(a, axis=axis, keepdims=keepdims))


def average(a, axis=None, weights=None, returned: bool = False, *, keepdims: bool = False):
    """Weighted average over ``axis``; 1-d ``weights`` apply along a single ``axis``.

    >>> import fntrans.numpy as fnp
    >>> fnp.average(fnp.array([1.0, 2.0, 4.0]), weights=fnp.array([2.0, 1.0, 1.0]))
    np.float64(2.0)
    """
    a = asarray(a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return avg
        count = math.prod([a.shape[i] for i in normalize_axes(axis, a.ndim)])
        return avg, np.full(np.shape(avg), count, dtype=avg.dtype)
    weights = asarray(weights)
    if weights.shape != a.shape:
        if axis is None or weights.ndim != 1:
            raise TypeError(
                f"average: weights of shape {weights.shape} differ from a's shape {a.shape}; "
                f"give 1-d weights with an axis, or weights of a's shape."
            )
        (ax,) = normalize_axes(axis, a.ndim)
        if weights.shape[0] != a.shape[ax]:
            raise ValueError(
                f"average: weights of length {weights.shape[0]} differ from a's length "
                f"{a.shape[ax]} along axis {axis}."
            )
        weights = reshape(weights, tuple(a.shape[ax] if i == ax else 1 for i in range(a.ndim)))
    total = sum(weights, axis=axis, keepdims=keepdims)
    avg = ew.div(sum(ew.mul(a, weights), axis=axis, keepdims=keepdims), total)
    if returned:
        return avg, broadcast_to(total, np.shape(avg))
    return avg


def _sorted_last(a, axis):
    """``a`` with the ``axis`` (None, int or tuple) merged into a last, sorted axis,
    and the shape the result takes with ``keepdims``."""
    a = asarray(a)
    axes = normalize_axes(axis, a.ndim)
    kept = [i for i in range(a.ndim) if i not in axes]
    moved = transpose(a, tuple(kept + list(axes))) if a.ndim else a
    merged = reshape(
        moved, tuple(a.shape[i] for i in kept) + (math.prod([a.shape[i] for i in axes]),)
    )
    keep_shape = tuple(1 if i in axes else d for i, d in enumerate(a.shape))
    return sort(merged, len(kept)), keep_shape


def quantile(a, q, axis=None, method: str = "linear", keepdims: bool = False):
    """The ``q``-th quantiles over ``axis``, interpolating linearly between entries.

    The derivative flows to the (at most two) entries each quantile lies between.

    >>> import fntrans.numpy as fnp
    >>> fnp.quantile(fnp.array([4.0, 1.0, 2.0, 3.0]), 0.5)
    np.float64(2.5)
    """
    if method != "linear":
        raise NotImplementedError(f"quantile supports method='linear' only, not {method!r}.")
    if isinstance(q, Tracer):
        q = q._concrete_or_raise("the quantile levels q")
    q = np.asarray(q, dtype=float)
    s, keep_shape = _sorted_last(a, axis)
    n = s.shape[-1]
    position = q * (n - 1)
    lo = np.floor(position).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    frac = position - lo
    if s.dtype.kind not in "fc":
        s = ew.convert_element_type(s, dtype=np.float64)
    low, high = getitem(s, (Ellipsis, lo)), getitem(s, (Ellipsis, hi))
    out = ew.add(low, ew.mul(ew.sub(high, low), frac.astype(s.dtype)))
    if keepdims:
        out = reshape(out, keep_shape + q.shape)
    if q.ndim:  # NumPy puts the axes of q first
        rank = len(out.shape) - q.ndim
        out = transpose(out, tuple(range(rank, rank + q.ndim)) + tuple(range(rank)))
    return out


def percentile(a, q, axis=None, method: str = "linear", keepdims: bool = False):
    """The ``q``-th percentiles (``q`` in 0..100) over ``axis``."""
    if isinstance(q, Tracer):
        q = q._concrete_or_raise("the percentiles q")
    return quantile(a, np.asarray(q, dtype=float) / 100, axis, method, keepdims)


def median(a, axis=None, keepdims: bool = False):
    """The median over ``axis``: the mean of the middle entries.

    >>> import fntrans.numpy as fnp
    >>> fnp.median(fnp.array([3.0, 1.0, 2.0, 10.0]))
    np.float64(2.5)
    """
    return quantile(a, 0.5, axis=axis, keepdims=keepdims)
