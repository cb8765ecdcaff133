"""Array creation: from data (``array``, ``asarray``), filled (``zeros``,
``ones``, ``empty``, ``full`` and their ``*_like``), ranges and grids
(``arange``, ``linspace``, ``logspace``, ``geomspace``, ``meshgrid``), and NumPy's "building
matrices" (``eye``, ``identity``, ``tri``, ``tril``, ``triu``, ``diag``,
``diagflat``). Outside a transform these return plain arrays; inside one,
the filled arrays can be assigned into.

Arrays made from nothing (or from Python data) go on one backend: ``like``'s
if given (NumPy's ``like=`` keyword), else inside a transform the backend of
its inputs, else this thread's default (NumPy, unless ``ft.default_device``
says otherwise). ``asarray`` is defined in ``_util``, since every module turns
its arguments into arrays with it, and re-exported from here."""

from __future__ import annotations

import operator

import numpy as np

from fntrans.backend import known_module
from fntrans.core import constants
from fntrans.core.aval import aval_of, result_dtype
from fntrans.core.constants import module_for
from fntrans.core.tracer import Tracer
from fntrans.numpy._indexing import diagonal
from fntrans.numpy._joining import concatenate
from fntrans.numpy._shape import expand_dims, moveaxis, ndim, ravel
from fntrans.numpy._util import (
    _first_array,
    asarray,
    assignable,
    copied,
    diagonal_indices,
    holds_traced_or_device_array,
    holds_tracer,
    stack_nested,
)
from fntrans.primitives import broadcasting as bc
from fntrans.primitives import elementwise as ew
from fntrans.primitives import math_functions as mf
from fntrans.primitives import shape as shp
from fntrans.primitives.indexing import ARRAY, getitem, scatter_add_p


def array(object, dtype=None, copy: bool = True, ndmin: int = 0, *, like=None):
    """NumPy's ``array``, also for (nested) lists that hold traced values or
    arrays of another backend (CuPy's), which it stacks there.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(lambda x: fnp.sum(fnp.array([x, 2 * x, 3.0])))(1.0)
    np.float64(3.0)
    """
    # a bare array of another backend is copied below, not stacked
    nested = type(object) in (list, tuple)
    if isinstance(object, Tracer) or (nested and holds_traced_or_device_array(object)):
        out = stack_nested(object, like)
        if dtype is not None:
            out = ew.convert_element_type(out, dtype=dtype)
        while out.ndim < ndmin:
            out = expand_dims(out, 0)
        # a copy is a new handle: assigning into it leaves the original as it was
        return copied(out) if copy and out is object else out
    # plain data stays a plain array of its backend (SciPy and friends can take
    # a NumPy one); to fill an array inside a transform, make it with fnp.zeros
    # or fnp.copy. An array is copied by its own module: CuPy refuses np.array.
    module = known_module(object) or module_for(like)
    return module.array(object, dtype=dtype, copy=copy, ndmin=ndmin)


def zeros(shape, dtype=float, order="C", *, like=None):
    """An array of zeros; inside a transform, one that can be assigned into.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> def f(x):
    ...     vals = fnp.zeros(3)
    ...     for i in range(3):
    ...         vals[i] = x ** i
    ...     return fnp.sum(vals)
    >>> print(ft.grad(f)(2.0))
    5.0
    """
    return assignable(module_for(like).zeros(shape, dtype, order))


def ones(shape, dtype=float, order="C", *, like=None):
    """An array of ones; inside a transform, one that can be assigned into."""
    return assignable(module_for(like).ones(shape, dtype, order))


def empty(shape, dtype=float, order="C", *, like=None):
    """An uninitialized array; inside a transform, one that can be assigned into."""
    return assignable(module_for(like).empty(shape, dtype, order))


def full(shape, fill_value, dtype=None, order="C", *, like=None):
    """An array filled with ``fill_value``; inside a transform, assignable."""
    if isinstance(fill_value, Tracer):
        if dtype is not None:
            fill_value = ew.convert_element_type(fill_value, dtype=dtype)
        # zeros of the innermost transform plus the value: assignable there
        zeros = constants.full(shape, 0, fill_value.dtype, like=fill_value)
        return assignable(zeros) + fill_value
    if like is None and known_module(fill_value) is not None:
        like = fill_value  # an array's fill value keeps it on its backend
    return assignable(module_for(like).full(shape, fill_value, dtype, order))


def _like_args(a, dtype, shape):
    shape = np.shape(a) if shape is None else shape
    dtype = (a.dtype if hasattr(a, "dtype") else np.result_type(a)) if dtype is None else dtype
    return shape, dtype


def zeros_like(a, dtype=None, shape=None):
    """Zeros with the shape and dtype of ``a`` (a traced array too), on its backend."""
    return zeros(*_like_args(a, dtype, shape), like=a)


def ones_like(a, dtype=None, shape=None):
    """Ones with the shape and dtype of ``a`` (a traced array too), on its backend."""
    return ones(*_like_args(a, dtype, shape), like=a)


def empty_like(a, dtype=None, shape=None):
    """An uninitialized array with the shape and dtype of ``a``, on its backend."""
    return empty(*_like_args(a, dtype, shape), like=a)


def full_like(a, fill_value, dtype=None, shape=None):
    """An array filled with ``fill_value`` (which may be traced), shaped like ``a``."""
    shape, dtype = _like_args(a, dtype, shape)
    return full(shape, fill_value, dtype, like=a)


def arange(start, stop=None, step=None, dtype=None, *, like=None):
    """Evenly spaced values in ``[start, stop)``, as NumPy's ``arange``, on
    ``like``'s backend (by default the current one, see the module's docstring).

    >>> import fntrans.numpy as fnp
    >>> fnp.arange(3.0)
    array([0., 1., 2.])
    """
    if stop is None:  # arange(stop) and arange(stop, step=s) count from 0
        start, stop = 0, start
    args = (start, stop) if step is None else (start, stop, step)
    return module_for(like).arange(*args, dtype=dtype)


def _endpoints(*values):
    """The endpoints of a traced ``linspace`` as arrays (Python scalars stay
    weakly typed), and their floating dtype."""
    arrays = [v if isinstance(v, (Tracer, int, float, complex)) else asarray(v) for v in values]
    dtype = result_dtype(*(aval_of(v) for v in arrays))
    if dtype.kind not in "fc":
        dtype = np.result_type(dtype, 0.0)
    return arrays, dtype


def _ramp(num: int, rank: int, dtype, like):
    """``0, 1, ..., num - 1`` along a first axis, before ``rank`` size-1 axes,
    on ``like``'s backend."""
    return constants.arange(num, dtype, like=like).reshape((-1,) + (1,) * rank)


def _with_last(y, stop):
    """``y`` with its last entry along the first axis replaced by ``stop``."""
    last = bc.broadcast_to(stop, y.shape[1:])
    return concatenate([getitem(y, slice(None, -1)), shp.reshape(last, (1,) + y.shape[1:])])


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    """``num`` evenly spaced samples from ``start`` to ``stop``, as NumPy's
    ``linspace``; differentiable in ``start`` and ``stop`` (arrays too, whose
    samples run along ``axis``).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> fnp.linspace(0.0, 1.0, 5)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    >>> ft.grad(lambda b: fnp.sum(fnp.linspace(0.0, b, 5)))(1.0)
    np.float64(2.5)
    """
    if not holds_tracer(start) and not holds_tracer(stop):
        module = module_for(_first_array((start, stop)))
        if module is np:
            return np.linspace(start, stop, num, endpoint, retstep, dtype, axis, device=device)
        return module.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    (start, stop), dt = _endpoints(start, stop)
    div = num - 1 if endpoint else num
    delta = ew.convert_element_type(ew.sub(stop, start), dtype=dt)
    y = _ramp(num, len(delta.shape), dt, delta)
    if div > 0:
        step = ew.div(delta, div)
        y = ew.mul(y, step)
    else:  # no step between at most one sample
        step = np.nan
        y = ew.mul(y, delta)
    y = ew.add(y, start)
    if endpoint and num > 1:
        y = _with_last(y, stop)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        if np.issubdtype(dtype, np.integer):
            y = mf.floor_p.bind(y)
        y = ew.convert_element_type(y, dtype=dtype)
    return (y, step) if retstep else y


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``base ** linspace(start, stop, ...)``, as NumPy's ``logspace``;
    differentiable in ``start``, ``stop`` and ``base``.

    >>> import fntrans.numpy as fnp
    >>> fnp.logspace(0.0, 2.0, 3)
    array([  1.,  10., 100.])
    """
    if not holds_tracer(start) and not holds_tracer(stop) and not holds_tracer(base):
        module = module_for(_first_array((start, stop, base)))
        return module.logspace(start, stop, num, endpoint, base, dtype, axis)
    if not isinstance(base, (float, int)) and ndim(base):
        # an array base broadcasts with the endpoints, before the new axis
        rank = max(ndim(start), ndim(stop), ndim(base))
        start, stop, base = (asarray(v) for v in (start, stop, base))
        start, stop, base = (
            shp.reshape(v, (1,) * (rank - v.ndim) + v.shape) for v in (start, stop, base)
        )
        base = expand_dims(base, axis)
    y = mf.pow(base, linspace(start, stop, num=num, endpoint=endpoint, axis=axis))
    return y if dtype is None else ew.convert_element_type(y, dtype=dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` samples from ``start`` to ``stop`` evenly spaced on a log scale,
    as NumPy's ``geomspace`` (endpoints exact); differentiable in ``start``
    and ``stop``.

    >>> import fntrans.numpy as fnp
    >>> fnp.geomspace(1.0, 1000.0, 4)
    array([   1.,   10.,  100., 1000.])
    """
    if not holds_tracer(start) and not holds_tracer(stop):
        module = module_for(_first_array((start, stop)))
        return module.geomspace(start, stop, num, endpoint, dtype, axis)
    num = operator.index(num)
    start, stop = asarray(start), asarray(stop)
    for v in (start, stop):
        value = v.concrete if isinstance(v, Tracer) else v
        if value is not None and np.any(value == 0):
            raise ValueError("Geometric sequence cannot include zero")
    dt = np.result_type(start.dtype, stop.dtype, np.float64 if dtype is None else dtype)
    start, stop = (ew.convert_element_type(v, dtype=dt) for v in (start, stop))
    # start rotated onto the positive reals, and back at the end, as NumPy does
    if dt.kind == "c":
        out_sign = ew.div(start, mf.abs_p.bind(start))
    else:
        out_sign = mf.sign(start)
    start, stop = ew.div(start, out_sign), ew.div(stop, out_sign)
    result = logspace(mf.log10_p.bind(start), mf.log10_p.bind(stop), num, endpoint, 10.0, dt)
    if num > 0:  # exp(log(x)) may differ from x: the endpoints are the given ones
        rest = getitem(result, slice(1, None))
        first = shp.reshape(bc.broadcast_to(start, rest.shape[1:]), (1,) + rest.shape[1:])
        result = concatenate([first, rest])
        if num > 1 and endpoint:
            result = _with_last(result, stop)
    result = ew.mul(result, out_sign)
    if axis != 0:
        result = moveaxis(result, 0, axis)
    return result if dtype is None else ew.convert_element_type(result, dtype=dtype)


def meshgrid(*xi, copy: bool = True, sparse: bool = False, indexing: str = "xy"):
    """Coordinate arrays from coordinate vectors (``"xy"`` or ``"ij"`` indexing)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', not {indexing!r}.")
    vectors = [ravel(x) for x in xi]
    n = len(vectors)
    sizes = [v.shape[0] for v in vectors]
    if indexing == "xy" and n > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, v in enumerate(vectors):
        position = (1 - i if i < 2 else i) if indexing == "xy" and n > 1 else i
        shape = tuple(v.shape[0] if j == position else 1 for j in range(n))
        grid = shp.reshape(v, shape)
        out.append(grid if sparse else bc.broadcast_to(grid, tuple(sizes)))
    return out


def eye(N, M=None, k: int = 0, dtype=float, order="C", *, like=None):
    """Ones on the ``k``-th diagonal, zeros elsewhere, as NumPy's ``eye``, on
    ``like``'s backend (by default the current one, see the module's docstring).

    >>> import fntrans.numpy as fnp
    >>> fnp.eye(2)
    array([[1., 0.],
           [0., 1.]])
    """
    return module_for(like).eye(N, M, k, dtype, order)


def identity(n, dtype=None, *, like=None):
    """The ``n`` by ``n`` identity matrix, as NumPy's ``identity``, on ``like``'s backend."""
    return eye(n, dtype=float if dtype is None else dtype, like=like)


def tri(N, M=None, k: int = 0, dtype=float, *, like=None):
    """Ones at and below the ``k``-th diagonal, as NumPy's ``tri``, on ``like``'s backend."""
    return module_for(like).tri(N, M, k, dtype=dtype)


def _triangle(m, keep):
    m = asarray(m)
    rows, cols = m.shape[-2:] if m.ndim > 1 else (m.shape[0], m.shape[0])
    return ew.select(keep(module_for(m), rows, cols), m, 0)


def tril(m, k: int = 0):
    """``m`` with the entries above the ``k``-th diagonal set to zero.

    >>> import fntrans.numpy as fnp
    >>> fnp.tril(fnp.ones((2, 2)))
    array([[1., 0.],
           [1., 1.]])
    """
    return _triangle(m, lambda xp, rows, cols: xp.tri(rows, cols, k, dtype=bool))


def triu(m, k: int = 0):
    """``m`` with the entries below the ``k``-th diagonal set to zero."""
    return _triangle(m, lambda xp, rows, cols: ~xp.tri(rows, cols, k - 1, dtype=bool))


def diag(v, k: int = 0):
    """The ``k``-th diagonal of a 2-d ``v``, or a 2-d array with 1-d ``v`` on it.

    >>> import fntrans.numpy as fnp
    >>> fnp.diag(fnp.array([1.0, 2.0]))
    array([[1., 0.],
           [0., 2.]])
    """
    v = asarray(v)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ValueError(f"diag: input must be 1-d or 2-d, but it has shape {v.shape}.")
    n = v.shape[0] + abs(k)
    rows, cols = diagonal_indices(n, n, k, like=v)
    return scatter_add_p.bind(v, rows, cols, indexer=(ARRAY, ARRAY), shape=(n, n))


def diagflat(v, k: int = 0):
    """A 2-d array with the flattened ``v`` on its ``k``-th diagonal."""
    return diag(ravel(v), k)
