"""Statistics over axes: ``mean``, ``average``, ``var``, ``std``, ``ptp``,
``median``, ``quantile`` and ``percentile`` (which go through a sort), and the
covariance and correlation matrices ``cov`` and ``corrcoef``."""

from __future__ import annotations

import math
import warnings

import numpy as np

from fntrans.core import constants
from fntrans.core.tracer import Tracer
from fntrans.numpy._reductions import max, min, sum
from fntrans.numpy._util import asarray, normalize_axes
from fntrans.primitives import elementwise as ew
from fntrans.primitives import math_functions as mf
from fntrans.primitives.broadcasting import broadcast_to
from fntrans.primitives.indexing import getitem
from fntrans.primitives.joining import join
from fntrans.primitives.products import matmul
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


def std_from_var(variance):
    """``sqrt(variance)``, with derivative 0 where the variance is 0.

    There the spread is zero, a kink like ``|x|`` at 0 (sqrt's derivative is
    infinite, times a zero tangent: NaN); 0 is its smallest subgradient, and
    exact where the spread is 0 whatever the input (one sample, ``ddof=0``).
    """
    if not isinstance(variance, Tracer):  # no derivative to guard
        return mf.sqrt(variance)
    zero = ew.eq(variance, 0)
    return ew.select(zero, 0.0, mf.sqrt(ew.select(zero, 1.0, variance)))


def std(a, axis=None, dtype=None, ddof=0, keepdims: bool = False):
    """Standard deviation over ``axis``, dividing by ``N - ddof``; its derivative
    is 0 where the spread is zero (a single sample, or equal entries).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(fnp.std)(2.0)
    np.float64(0.0)
    """
    return std_from_var(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


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


def sorted_last(a, axis):
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
    s, keep_shape = sorted_last(a, axis)
    # the levels, and the indices made from them, on the backend of the data
    q = constants.asarray(q, dtype=float, like=s)
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


def _observations(name: str, x, rowvar: bool, dtype):
    """``x`` as a 2-d array of variables (rows) by observations, in ``dtype``."""
    x = asarray(x)
    if x.ndim > 2:
        raise ValueError(f"{name} has more than 2 dimensions")
    x = ew.convert_element_type(x, dtype=dtype)
    if x.ndim < 2:
        return reshape(x, (1,) * (2 - x.ndim) + x.shape)
    return x if rowvar else transpose(x, (1, 0))


def _sample_weights(weights, n: int, name: str, integer: bool):
    weights = asarray(weights, dtype=float)
    if weights.ndim > 1:
        raise RuntimeError(f"cannot handle multidimensional {name}")
    if weights.shape[0] != n:
        raise RuntimeError(f"incompatible numbers of samples and {name}")
    if not isinstance(weights, Tracer):
        if integer and not np.all(weights == np.around(weights)):
            raise TypeError(f"{name} must be integer")
        if np.any(weights < 0):
            raise ValueError(f"{name} cannot be negative")
    return weights


def cov(
    m,
    y=None,
    rowvar: bool = True,
    bias: bool = False,
    ddof=None,
    fweights=None,
    aweights=None,
    *,
    dtype=None,
):
    """The covariance matrix of the variables in ``m`` (and ``y``), as NumPy's ``cov``.

    Args:
        m: one variable (1-d) or several (2-d; rows are variables, unless
            ``rowvar`` is false).
        y: more variables, in ``m``'s layout.
        rowvar: whether rows (True) or columns are the variables.
        bias: normalize by ``N`` instead of ``N - 1``.
        ddof: overrides ``bias``: normalize by ``N - ddof``.
        fweights: integer frequency weights of the observations.
        aweights: observation weights (may be traced: differentiable).
        dtype: the dtype of the computation (at least float64 by default).

    Returns:
        The covariance matrix (a 0-d array for a single variable).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> fnp.cov(fnp.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    array([[ 1., -1.],
           [-1.,  1.]])
    >>> ft.grad(lambda x: fnp.cov(x))(fnp.array([0.0, 1.0, 2.0]))
    array([-1.,  0.,  1.])
    """
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    m = asarray(m)
    if dtype is None:
        dtype = np.result_type(m.dtype, np.float64)
        if y is not None:
            dtype = np.result_type(dtype, asarray(y).dtype)
    x = _observations("m", m, rowvar or m.ndim == 1, dtype)
    if x.shape[0] == 0:
        return constants.full((0, 0), 0.0, np.float64, like=m)
    if y is not None:
        y = asarray(y)
        rows = _observations("y", y, rowvar or y.ndim == 1, dtype)
        x = join([x, rows], axis=0, new_axis=False)
    if ddof is None:
        ddof = 0 if bias else 1
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = _sample_weights(fweights, n, "fweights", integer=True)
    if aweights is not None:
        aweights = _sample_weights(aweights, n, "aweights", integer=False)
        w = aweights if w is None else ew.mul(w, aweights)
    if w is None:
        avg, fact = mean(x, axis=1), n - ddof
    else:
        w_sum = sum(w)
        avg = ew.div(sum(ew.mul(x, w), axis=1), w_sum)
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = ew.sub(w_sum, ddof)
        else:
            fact = ew.sub(w_sum, ew.div(ew.mul(ddof, sum(ew.mul(w, aweights))), w_sum))
    if not isinstance(fact, Tracer) and fact <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
        fact = 0.0
    x = ew.sub(x, reshape(avg, avg.shape + (1,)))
    x_t = transpose(x if w is None else ew.mul(x, w), (1, 0))
    c = matmul(x, ew.conj(x_t) if x.dtype.kind == "c" else x_t)
    c = ew.mul(c, ew.div(1, fact))
    return reshape(c, tuple(d for d in c.shape if d != 1))


def _clip_unit(c):
    """``c`` limited to [-1, 1]; the derivative passes where ``c`` is exactly ±1
    (the diagonal), which ``clip``'s shared derivative at ties would halve."""
    return ew.select(ew.gt(c, 1), 1.0, ew.select(ew.lt(c, -1), -1.0, c))


def corrcoef(x, y=None, rowvar: bool = True, *, dtype=None):
    """The correlation coefficients of the variables in ``x`` (and ``y``), as
    NumPy's ``corrcoef``: ``cov`` normalized by the standard deviations.

    >>> import fntrans.numpy as fnp
    >>> fnp.corrcoef(fnp.array([0.0, 1.0, 2.0]), fnp.array([1.0, 3.0, 5.0])).round(12)
    array([[1., 1.],
           [1., 1.]])
    """
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return ew.div(c, c)
    diagonal = constants.arange(c.shape[0], np.intp, like=c)
    d = getitem(c, (diagonal, diagonal))
    stddev = mf.sqrt(ew.real(d) if d.dtype.kind == "c" else d)
    c = ew.div(c, reshape(stddev, stddev.shape + (1,)))
    c = ew.div(c, stddev)
    if c.dtype.kind == "c":
        return ew.add(_clip_unit(ew.real(c)), ew.mul(_clip_unit(ew.imag(c)), 1j))
    return _clip_unit(c)
