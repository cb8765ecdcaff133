"""Differences, integrals, convolutions and polynomials: ``diff``, ``ediff1d``,
``gradient``, ``trapezoid``, ``convolve``, ``correlate``, and ``polyval``,
``polyder``, ``polyint``, ``polyadd``, ``polysub``, ``polymul``.

Differences and integrals are slices and sums; ``convolve`` and ``correlate``
are the convolution primitive, shared with ``fntrans.scipy.signal``.
"""

from __future__ import annotations

import numpy as np

from fntrans.core import constants
from fntrans.core.aval import dtype_of
from fntrans.core.tracer import Tracer
from fntrans.numpy._joining import concatenate
from fntrans.numpy._reductions import sum
from fntrans.numpy._shape import atleast_1d, ravel
from fntrans.numpy._util import asarray, normalize_axes
from fntrans.primitives import broadcasting as bc
from fntrans.primitives import convolution as cv
from fntrans.primitives import elementwise as ew
from fntrans.primitives.indexing import along, getitem
from fntrans.primitives.shape import reshape


def _shift_difference(a, axis: int):
    upper, lower = along(a, axis, slice(1, None)), along(a, axis, slice(None, -1))
    if a.dtype == np.bool_:
        return ew.ne_p.bind(upper, lower)
    return ew.sub(upper, lower)


def _edge(value, a, axis: int):
    """``prepend``/``append`` of ``diff``: a scalar becomes one slice along ``axis``."""
    value = asarray(value)
    if value.ndim == 0:
        value = bc.broadcast_to(value, a.shape[:axis] + (1,) + a.shape[axis + 1 :])
    return value


def diff(a, n: int = 1, axis: int = -1, prepend=np._NoValue, append=np._NoValue):
    """The ``n``-th discrete difference along ``axis``, as NumPy's ``diff``.

    Args:
        a: the input, at least 1-d.
        n: how many times to take differences (0 returns ``a``).
        axis: the axis along which to take them (the last by default).
        prepend: values put before ``a`` along ``axis`` first (a scalar is
            broadcast to one slice).
        append: values put after ``a`` along ``axis`` first (likewise).

    Returns:
        ``a[1:] - a[:-1]`` along ``axis``, ``n`` times.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> fnp.diff(fnp.array([1.0, 4.0, 9.0]))
    array([3., 5.])
    >>> ft.grad(lambda x: fnp.diff(x, n=2)[0])(fnp.array([1.0, 4.0, 9.0]))
    array([ 1., -2.,  1.])
    """
    a = asarray(a)
    if n == 0:
        return a
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    if a.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    (axis,) = normalize_axes(axis, a.ndim)
    pieces = []
    if prepend is not np._NoValue:
        pieces.append(_edge(prepend, a, axis))
    pieces.append(a)
    if append is not np._NoValue:
        pieces.append(_edge(append, a, axis))
    if len(pieces) > 1:
        a = concatenate(pieces, axis=axis)
    for _ in range(n):
        a = _shift_difference(a, axis)
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """The differences between consecutive elements of the flattened ``ary``,
    with ``to_begin`` and ``to_end`` (flattened) put before and after them.

    >>> import fntrans.numpy as fnp
    >>> fnp.ediff1d(fnp.array([1.0, 2.0, 4.0]), to_begin=-1.0, to_end=[8.0, 9.0])
    array([-1.,  1.,  2.,  8.,  9.])
    """
    ary = ravel(asarray(ary))
    pieces = [_shift_difference(ary, 0)] if ary.shape[0] else [ary]
    dtype = pieces[0].dtype
    for value, at_start in ((to_begin, True), (to_end, False)):
        if value is None:
            continue
        value = ravel(asarray(value, like=ary))  # Python data goes where ary is
        if not np.can_cast(value.dtype, dtype, casting="same_kind"):
            raise TypeError(
                f"ediff1d: dtype of {'to_begin' if at_start else 'to_end'} ({value.dtype}) "
                f"must be compatible with input ary's dtype ({dtype}) under the 'same_kind' rule."
            )
        value = ew.convert_element_type(value, dtype=dtype)
        pieces.insert(0, value) if at_start else pieces.append(value)
    return concatenate(pieces) if len(pieces) > 1 else pieces[0]


def _spacing(distances, length: int):
    """One axis's spacing for ``gradient``: a scalar, or the differences of the
    coordinates (a scalar again where they are evenly spaced, as in NumPy)."""
    distances = asarray(distances)
    if distances.ndim == 0:
        return distances
    if distances.ndim != 1:
        raise ValueError("distances must be either scalars or 1d")
    if distances.shape[0] != length:
        raise ValueError("when 1d, distances must match the length of the corresponding dimension")
    if distances.dtype.kind not in "fc":
        distances = ew.convert_element_type(distances, dtype=np.float64)
    steps = diff(distances)
    if not isinstance(steps, Tracer) and (steps == steps[0]).all():
        return steps[0]
    return steps


def _gradient_along(f, axis: int, dx, edge_order: int):
    """``f``'s derivative along ``axis``: central differences inside, one-sided
    ones of ``edge_order`` at the two ends (NumPy's formulas)."""

    def at(index):
        return along(f, axis, index)

    def col(v):  # spacing coefficients shaped to broadcast along axis
        return reshape(v, v.shape + (1,) * (f.ndim - axis - 1))

    if np.ndim(dx) == 0:
        # operators keep a Python spacing a Python number (weakly typed), as in NumPy
        interior = ew.div(ew.sub(at(slice(2, None)), at(slice(None, -2))), 2.0 * dx)
    else:
        dx1, dx2 = getitem(dx, slice(0, -1)), getitem(dx, slice(1, None))
        a = ew.neg(ew.div(dx2, ew.mul(dx1, ew.add(dx1, dx2))))
        b = ew.div(ew.sub(dx2, dx1), ew.mul(dx1, dx2))
        c = ew.div(dx1, ew.mul(dx2, ew.add(dx1, dx2)))
        interior = ew.add(
            ew.add(ew.mul(col(a), at(slice(None, -2))), ew.mul(col(b), at(slice(1, -1)))),
            ew.mul(col(c), at(slice(2, None))),
        )
    # the first and last slices, each keeping the axis with length 1
    f0, f1, f_2, f_1 = at(slice(0, 1)), at(slice(1, 2)), at(slice(-2, -1)), at(slice(-1, None))
    uniform = np.ndim(dx) == 0
    if edge_order == 1:
        first = ew.div(ew.sub(f1, f0), dx if uniform else getitem(dx, slice(0, 1)))
        last = ew.div(ew.sub(f_1, f_2), dx if uniform else getitem(dx, slice(-1, None)))
    else:
        f2, f_3 = at(slice(2, 3)), at(slice(-3, -2))
        if uniform:
            a0, b0, c0 = -1.5 / dx, 2.0 / dx, -0.5 / dx
            a1, b1, c1 = 0.5 / dx, -2.0 / dx, 1.5 / dx
        else:
            d1, d2 = getitem(dx, slice(0, 1)), getitem(dx, slice(1, 2))
            a0 = ew.neg(ew.div(ew.add(ew.mul(2.0, d1), d2), ew.mul(d1, ew.add(d1, d2))))
            b0 = ew.div(ew.add(d1, d2), ew.mul(d1, d2))
            c0 = ew.neg(ew.div(d1, ew.mul(d2, ew.add(d1, d2))))
            d1, d2 = getitem(dx, slice(-2, -1)), getitem(dx, slice(-1, None))
            a1 = ew.div(d2, ew.mul(d1, ew.add(d1, d2)))
            b1 = ew.neg(ew.div(ew.add(d2, d1), ew.mul(d1, d2)))
            c1 = ew.div(ew.add(ew.mul(2.0, d2), d1), ew.mul(d2, ew.add(d1, d2)))
        first = ew.add(ew.add(ew.mul(a0, f0), ew.mul(b0, f1)), ew.mul(c0, f2))
        last = ew.add(ew.add(ew.mul(a1, f_3), ew.mul(b1, f_2)), ew.mul(c1, f_1))
    return concatenate([first, interior, last], axis=axis)


def gradient(f, *varargs, axis=None, edge_order: int = 1):
    """The gradient of sampled values ``f``, as NumPy's ``gradient``: central
    differences inside, one-sided differences (first or second order) at the ends.

    Args:
        f: the samples (an N-d array).
        *varargs: the spacing: none (1 everywhere), one scalar for every axis,
            or one scalar or 1-d array of coordinates per axis (may be traced).
        axis: the axes to differentiate along (all by default).
        edge_order: 1 or 2, the order of the differences at the ends.

    Returns:
        One array for one axis, else a tuple with one array per axis.

    >>> import fntrans.numpy as fnp
    >>> fnp.gradient(fnp.array([1.0, 2.0, 4.0, 7.0]))
    array([1. , 1.5, 2.5, 3. ])
    >>> fnp.gradient(fnp.array([1.0, 2.0, 4.0, 7.0]), 2.0, edge_order=2)
    array([0.25, 0.75, 1.25, 1.75])
    """
    f = asarray(f)
    axes = normalize_axes(axis, f.ndim) if axis is not None else tuple(range(f.ndim))
    if axis is not None and not isinstance(axis, tuple):
        axes = tuple(int(a) % f.ndim for a in np.atleast_1d(axis))
    if not varargs:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacings = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacings = [_spacing(d, f.shape[ax]) for d, ax in zip(varargs, axes)]
    else:
        raise TypeError("invalid number of arguments")
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    dtype = f.dtype if f.dtype.kind in "fc" else np.dtype(np.float64)
    f = ew.convert_element_type(f, dtype=dtype)
    out = []
    for ax, dx in zip(axes, spacings):
        if f.shape[ax] < edge_order + 1:
            raise ValueError(
                "Shape of array too small to calculate a numerical gradient, "
                "at least (edge_order + 1) elements are required."
            )
        out.append(ew.convert_element_type(_gradient_along(f, ax, dx, edge_order), dtype=dtype))
    return out[0] if len(out) == 1 else tuple(out)


def trapezoid(y, x=None, dx=1.0, axis: int = -1):
    """The integral of ``y`` along ``axis`` by the trapezoidal rule, as NumPy's
    ``trapezoid``: over sample points ``x`` (1-d, or shaped like ``y``), or
    evenly spaced ``dx`` apart.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> fnp.trapezoid(fnp.array([1.0, 2.0, 3.0]), dx=0.5)
    np.float64(2.0)
    >>> ft.grad(lambda x: fnp.trapezoid(x ** 2, x))(fnp.array([0.0, 1.0, 3.0]))
    array([-0.5, -1.5, 11. ])
    """
    y = asarray(y)
    (axis,) = normalize_axes(axis, y.ndim)
    if x is None:
        d = dx
    else:
        x = asarray(x)
        if x.ndim == 1:
            d = reshape(diff(x), tuple(x.shape[0] - 1 if i == axis else 1 for i in range(y.ndim)))
        else:
            d = diff(x, axis=axis)
    pairs = ew.add(along(y, axis, slice(1, None)), along(y, axis, slice(None, -1)))
    return sum(ew.div(ew.mul(d, pairs), 2.0), axis=axis)


def _one_d(name: str, x):
    x = atleast_1d(asarray(x))
    if x.ndim != 1:
        raise ValueError(f"{name}: object too deep for desired array (shape {x.shape}; give 1-d)")
    if x.shape[0] == 0:
        raise ValueError(f"{name}: {'a' if name == 'a' else name} cannot be empty")
    return x


def convolve(a, v, mode: str = "full"):
    """The discrete convolution of two 1-d arrays, as NumPy's ``convolve``
    (``mode`` ``"full"``, ``"same"`` or ``"valid"``); differentiable in both.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> fnp.convolve(fnp.array([1.0, 2.0, 3.0]), fnp.array([0.0, 1.0, 0.5]))
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> ft.grad(lambda v: fnp.convolve(fnp.array([1.0, 2.0]), v, "valid")[0])(fnp.ones(2))
    array([2., 1.])
    """
    a, v = _one_d("a", a), _one_d("v", v)
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    return cv.convolve(a, v, mode, method="direct")


def correlate(a, v, mode: str = "valid"):
    """The cross-correlation of two 1-d arrays, as NumPy's ``correlate``:
    ``c[k] = sum_n a[n + k] * conj(v[n])`` (``mode`` ``"valid"`` by default).

    >>> import fntrans.numpy as fnp
    >>> fnp.correlate(fnp.array([1.0, 2.0, 3.0]), fnp.array([0.0, 1.0, 0.5]), "full")
    array([0.5, 2. , 3.5, 3. , 0. ])
    """
    a, v = _one_d("a", a), _one_d("v", v)
    if v.shape[0] > a.shape[0]:
        # NumPy correlates the longer with the shorter: c_av[k] = conj(c_va[-k])
        out = cv.flip(cv.correlate(v, a, mode, method="direct"), 0)
        return ew.conj(out) if out.dtype.kind == "c" else out
    return cv.correlate(a, v, mode, method="direct")


def _coefficients(p):
    p = asarray(p)
    if p.ndim != 1:
        p = atleast_1d(p)
        if p.ndim != 1:
            raise ValueError(f"polynomial coefficients must be 1-d, but have shape {p.shape}.")
    return p


def polyval(p, x):
    """The polynomial with coefficients ``p`` (highest power first) at ``x``,
    by Horner's scheme, as NumPy's ``polyval``; differentiable in ``p`` and ``x``.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> fnp.polyval([3.0, 0.0, 1.0], 5.0)
    np.float64(76.0)
    >>> ft.grad(fnp.polyval, argnums=1)(fnp.array([3.0, 0.0, 1.0]), 5.0)
    np.float64(30.0)
    """
    p = _coefficients(p)
    x = asarray(x)
    y = ew.mul(x, 0)
    for i in range(p.shape[0]):
        y = ew.add(ew.mul(y, x), getitem(p, i))
    return y


def polyder(p, m: int = 1):
    """The coefficients of the ``m``-th derivative of the polynomial ``p``.

    >>> import fntrans.numpy as fnp
    >>> fnp.polyder(fnp.array([1.0, 1.0, 1.0, 1.0]))
    array([3., 2., 1.])
    """
    m = int(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = _coefficients(p)
    for _ in range(m):
        n = p.shape[0] - 1
        powers = constants.asarray(np.arange(n, 0, -1), like=p)
        p = ew.mul(getitem(p, slice(None, -1)), powers)
    return p


def polyint(p, m: int = 1, k=None):
    """The coefficients of the ``m``-th antiderivative of the polynomial ``p``,
    with integration constants ``k`` (zeros by default; may be traced).

    >>> import fntrans.numpy as fnp
    >>> fnp.polyint(fnp.array([3.0, 2.0, 1.0]), k=5.0)
    array([1., 1., 1., 5.])
    """
    m = int(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    p = _coefficients(p)
    k = constants.full((m,), 0.0, np.float64, like=p) if k is None else atleast_1d(asarray(k))
    if k.shape[0] == 1 and m > 1:
        k = bc.broadcast_to(k, (m,))
    if k.shape[0] < m:
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    for i in range(m):
        powers = constants.asarray(np.arange(p.shape[0], 0, -1), like=p)
        scaled = ew.div(p, powers)
        p = concatenate([scaled, getitem(k, slice(i, i + 1))])
    return p


def _aligned(a1, a2):
    """Two coefficient arrays, the shorter padded with leading zeros."""
    a1, a2 = _coefficients(a1), _coefficients(a2)
    gap = a2.shape[0] - a1.shape[0]
    if gap > 0:
        a1 = concatenate([constants.full((gap,), 0, dtype_of(a1), like=a1), a1])
    elif gap < 0:
        a2 = concatenate([constants.full((-gap,), 0, dtype_of(a2), like=a2), a2])
    return a1, a2


def polyadd(a1, a2):
    """The coefficients of the sum of two polynomials.

    >>> import fntrans.numpy as fnp
    >>> fnp.polyadd(fnp.array([1.0, 2.0]), fnp.array([9.0, 5.0, 4.0]))
    array([9., 6., 6.])
    """
    return ew.add(*_aligned(a1, a2))


def polysub(a1, a2):
    """The coefficients of the difference of two polynomials."""
    return ew.sub(*_aligned(a1, a2))


def polymul(a1, a2):
    """The coefficients of the product of two polynomials (their convolution).

    >>> import fntrans.numpy as fnp
    >>> fnp.polymul(fnp.array([1.0, 2.0]), fnp.array([1.0, -2.0]))
    array([ 1.,  0., -4.])
    """
    return convolve(_coefficients(a1), _coefficients(a2))


__all__ = [
    "convolve",
    "correlate",
    "diff",
    "ediff1d",
    "gradient",
    "polyadd",
    "polyder",
    "polyint",
    "polymul",
    "polysub",
    "polyval",
    "trapezoid",
]
