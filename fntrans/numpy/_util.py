"""What the modules of ``fntrans.numpy`` share: turning arguments into arrays
(``asarray``, re-exported by ``_creation``, and the operand helper of the
ufuncs), wrapping a primitive as a ufunc, normalizing axes, reading concrete
values. It imports no other module of the package."""

from __future__ import annotations

import numpy as np

from fntrans.core.interpreter import current_stack
from fntrans.core.tracer import Tracer, new_handle
from fntrans.primitives.elementwise import convert_element_type
from fntrans.primitives.joining import join


def holds_tracer(obj) -> bool:
    """Whether ``obj`` is traced, or a (nested) list or tuple holding a traced value."""
    if isinstance(obj, Tracer):
        return True
    if type(obj) is list or type(obj) is tuple:
        return any(holds_tracer(o) for o in obj)
    return False


def stack_nested(obj):
    """A (nested) list or tuple of arrays as one array, stacked along new axes."""
    if type(obj) is list or type(obj) is tuple:
        return join([stack_nested(o) for o in obj], axis=0, new_axis=True)
    return obj if isinstance(obj, Tracer) else np.asarray(obj)


def asarray(a, dtype=None):
    """NumPy's ``asarray``; a traced value is returned as it is (cast if asked).

    >>> import fntrans.numpy as fnp
    >>> fnp.asarray([1.0, 2.0])
    array([1., 2.])
    """
    if isinstance(a, (Tracer, np.ndarray)):
        return a if dtype is None else convert_element_type(a, dtype=dtype)
    if holds_tracer(a):
        out = stack_nested(a)
        return out if dtype is None else convert_element_type(out, dtype=dtype)
    return np.asarray(a, dtype=dtype)


def operand(x):
    """Python lists and tuples become arrays; everything else passes through."""
    if type(x) is list or type(x) is tuple:
        return asarray(x)
    return x


def unary(prim, numpy_name):
    """NumPy's one-argument ufunc ``numpy_name``, binding ``prim``."""
    bind = prim.bind

    def f(x, /):
        return bind(operand(x))

    f.__name__ = f.__qualname__ = numpy_name
    f.__doc__ = f"NumPy's ``{numpy_name}``, differentiable (see ``numpy.{numpy_name}``)."
    return f


def binary(prim, numpy_name):
    """NumPy's two-argument ufunc ``numpy_name``, binding ``prim``."""
    bind = prim.bind

    def f(x, y, /):
        return bind(operand(x), operand(y))

    f.__name__ = f.__qualname__ = numpy_name
    f.__doc__ = f"NumPy's ``{numpy_name}``, differentiable (see ``numpy.{numpy_name}``)."
    return f


def normalize_axes(axis, ndim: int) -> tuple:
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(out))


def concrete(x, operation: str):
    """The plain value of ``x``, also when it is traced (where it has one)."""
    if isinstance(x, Tracer):
        return x._concrete_or_raise(operation)
    if type(x) is list or type(x) is tuple:
        return type(x)(concrete(item, operation) for item in x)
    return x


def diagonal_indices(rows: int, cols: int, offset: int):
    """The row and column indices of the ``offset``-th diagonal of a ``rows x cols`` matrix."""
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    i = np.arange(length)
    return i - min(offset, 0), i + max(offset, 0)


def assignable(value):
    """Inside a transform, ``value`` as an array of the innermost one, which can be
    assigned into (``vals[i] = ...``); outside, the plain array."""
    stack = current_stack()
    return stack[-1].lift(value) if stack else value


def copied(a: Tracer) -> Tracer:
    """A copy of a traced array, assignable in the innermost transform: a new
    handle on its value (derivatives flow), or, for a value of an enclosing
    transform, that value as a constant of the innermost one."""
    stack = current_stack()
    if stack and a._interp is not stack[-1]:
        return stack[-1].lift(a)
    return new_handle(a)
