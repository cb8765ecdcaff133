"""Array creation. Outside a transform these return plain NumPy arrays."""

from __future__ import annotations

import numpy as np

from fntrans.core.interpreter import current_stack
from fntrans.core.tracer import Tracer
from fntrans.primitives.elementwise import convert_element_type
from fntrans.primitives.joining import join


def _holds_tracer(obj) -> bool:
    if isinstance(obj, Tracer):
        return True
    if type(obj) is list or type(obj) is tuple:
        return any(_holds_tracer(o) for o in obj)
    return False


def _stack_nested(obj):
    if type(obj) is list or type(obj) is tuple:
        return join([_stack_nested(o) for o in obj], axis=0, new_axis=True)
    return obj if isinstance(obj, Tracer) else np.asarray(obj)


def array(object, dtype=None, copy: bool = True, ndmin: int = 0):
    """NumPy's ``array``, also for (nested) lists that hold traced values.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(lambda x: fnp.sum(fnp.array([x, 2 * x, 3.0])))(1.0)
    np.float64(3.0)
    """
    if _holds_tracer(object):
        out = _stack_nested(object)
        if dtype is not None:
            out = convert_element_type(out, dtype=dtype)
        while out.ndim < ndmin:
            from fntrans.numpy._manipulation import expand_dims

            out = expand_dims(out, 0)
        return out
    # plain data stays a plain array (SciPy and friends can take it); to fill
    # an array inside a transform, make it with fnp.zeros or fnp.copy
    return np.array(object, dtype=dtype, copy=copy, ndmin=ndmin)


def asarray(a, dtype=None):
    """NumPy's ``asarray``; a traced value is returned as it is (cast if asked).

    >>> import fntrans.numpy as fnp
    >>> fnp.asarray([1.0, 2.0])
    array([1., 2.])
    """
    if isinstance(a, (Tracer, np.ndarray)):
        return a if dtype is None else convert_element_type(a, dtype=dtype)
    if _holds_tracer(a):
        return array(a, dtype=dtype)
    return np.asarray(a, dtype=dtype)


def _assignable(value):
    """Inside a transform, ``value`` as an array of the innermost one, which can be
    assigned into (``vals[i] = ...``); outside, the plain array."""
    stack = current_stack()
    return stack[-1].lift(value) if stack else value


def zeros(shape, dtype=float, order="C"):
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
    return _assignable(np.zeros(shape, dtype, order))


def ones(shape, dtype=float, order="C"):
    """An array of ones; inside a transform, one that can be assigned into."""
    return _assignable(np.ones(shape, dtype, order))


def empty(shape, dtype=float, order="C"):
    """An uninitialized array; inside a transform, one that can be assigned into."""
    return _assignable(np.empty(shape, dtype, order))


def full(shape, fill_value, dtype=None, order="C"):
    """An array filled with ``fill_value``; inside a transform, assignable."""
    if isinstance(fill_value, Tracer):
        out = _assignable(np.zeros(shape, fill_value.dtype if dtype is None else dtype))
        return out + fill_value
    return _assignable(np.full(shape, fill_value, dtype, order))


def _like_args(a, dtype, shape):
    shape = np.shape(a) if shape is None else shape
    dtype = (a.dtype if hasattr(a, "dtype") else np.result_type(a)) if dtype is None else dtype
    return shape, dtype


def zeros_like(a, dtype=None, shape=None):
    """Zeros with the shape and dtype of ``a`` (a traced array too)."""
    return zeros(*_like_args(a, dtype, shape))


def ones_like(a, dtype=None, shape=None):
    """Ones with the shape and dtype of ``a`` (a traced array too)."""
    return ones(*_like_args(a, dtype, shape))


def empty_like(a, dtype=None, shape=None):
    """An uninitialized array with the shape and dtype of ``a``."""
    return empty(*_like_args(a, dtype, shape))


def full_like(a, fill_value, dtype=None, shape=None):
    """An array filled with ``fill_value`` (which may be traced), shaped like ``a``."""
    shape, dtype = _like_args(a, dtype, shape)
    return full(shape, fill_value, dtype)


eye = np.eye
identity = np.identity
arange = np.arange
linspace = np.linspace
logspace = np.logspace
tri = np.tri
