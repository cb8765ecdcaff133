"""Array creation. Outside a transform these return plain NumPy arrays."""

from __future__ import annotations

import numpy as np

from fntrans.core.tracer import Tracer
from fntrans.primitives.elementwise import convert_element_type
from fntrans.primitives.structural import join


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


def _like(fill):
    def like(a, dtype=None, shape=None):
        shape = np.shape(a) if shape is None else shape
        dtype = (a.dtype if hasattr(a, "dtype") else np.result_type(a)) if dtype is None else dtype
        return fill(shape, dtype)

    return like


zeros = np.zeros
ones = np.ones
empty = np.empty
full = np.full
eye = np.eye
identity = np.identity
arange = np.arange
linspace = np.linspace
logspace = np.logspace
zeros_like = _like(np.zeros)
zeros_like.__name__ = "zeros_like"
zeros_like.__doc__ = "Zeros with the shape and dtype of ``a`` (traced arrays too)."
ones_like = _like(np.ones)
ones_like.__name__ = "ones_like"
ones_like.__doc__ = "Ones with the shape and dtype of ``a`` (traced arrays too)."
empty_like = _like(np.empty)
empty_like.__name__ = "empty_like"
empty_like.__doc__ = "An uninitialized array with the shape and dtype of ``a``."


def full_like(a, fill_value, dtype=None, shape=None):
    """An array filled with ``fill_value``, shaped like ``a``."""
    shape = np.shape(a) if shape is None else shape
    return np.full(shape, fill_value, dtype=a.dtype if dtype is None else dtype)
