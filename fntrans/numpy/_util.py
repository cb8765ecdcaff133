"""What the modules of ``fntrans.numpy`` share: turning arguments into arrays
(``asarray``, re-exported by ``_creation``, and the operand helper of the
ufuncs), wrapping a primitive as a ufunc, normalizing axes, reading concrete
values. It imports no other module of the package."""

from __future__ import annotations

import numpy as np

from fntrans.backend import is_foreign, known_module
from fntrans.core import constants
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


def _first_array(obj):
    """The first traced value or array of a backend in a (nested) list or tuple, or None."""
    if type(obj) is list or type(obj) is tuple:
        for o in obj:
            found = _first_array(o)
            if found is not None:
                return found
        return None
    return obj if isinstance(obj, Tracer) or known_module(obj) is not None else None


def holds_traced_or_device_array(obj) -> bool:
    """Whether ``obj`` is, or is a (nested) list or tuple holding, a traced
    value or an array of a backend other than NumPy (a CuPy array): data that
    NumPy cannot take as it is. One walk, for the common plain lists."""
    if type(obj) is list or type(obj) is tuple:
        return any(holds_traced_or_device_array(o) for o in obj)
    return isinstance(obj, Tracer) or is_foreign(obj)


def stack_nested(obj, like=None):
    """A (nested) list or tuple of arrays as one array, stacked along new axes;
    plain data among them (Python numbers) is made on the backend of the
    arrays (of ``like``, if given)."""
    if like is None:
        like = _first_array(obj)
    if type(obj) is list or type(obj) is tuple:
        return join([stack_nested(o, like) for o in obj], axis=0, new_axis=True)
    if isinstance(obj, Tracer) or known_module(obj) is not None:
        return obj
    return constants.asarray(obj, like=like)


def asarray(a, dtype=None, *, like=None):
    """NumPy's ``asarray``; a traced value, or an array of any backend, is
    returned as it is (cast if asked). Plain data (lists of numbers) becomes an
    array on ``like``'s backend; by default, inside a transform, on the backend
    of its inputs, and outside, on this thread's default (NumPy, unless
    ``ft.default_device`` says otherwise).

    >>> import fntrans.numpy as fnp
    >>> fnp.asarray([1.0, 2.0])
    array([1., 2.])
    """
    if type(a) is np.ndarray and like is not None and constants.module_for(like) is not np:
        return constants.asarray(a, dtype=dtype, like=like)  # NumPy's like=: to like's backend
    if isinstance(a, (Tracer, np.ndarray)) or is_foreign(a):
        return a if dtype is None else convert_element_type(a, dtype=dtype)
    if holds_traced_or_device_array(a):
        out = stack_nested(a, like)
        return out if dtype is None else convert_element_type(out, dtype=dtype)
    return constants.asarray(a, dtype=dtype, like=like)


def operand(x, like=None):
    """Python lists and tuples become arrays (on the backend of ``like``, if
    given); everything else passes through."""
    if type(x) is list or type(x) is tuple:
        return asarray(x, like=like)
    return x


def operands(*xs) -> list:
    """``xs`` with Python lists and tuples as arrays on the backend of the
    arrays among them, so that ``add(cupy_x, [1.0, 2.0])`` stays on the device."""
    like = _first_array([x for x in xs if type(x) is not list and type(x) is not tuple])
    return [operand(x, like) for x in xs]


def unary(prim, numpy_name):
    """NumPy's one-argument ufunc ``numpy_name``, binding ``prim``."""
    bind = prim.bind
    bind_traced = prim.bind_traced

    def f(x, /):
        if isinstance(x, Tracer):
            return bind_traced(x, (x,))
        return bind(operand(x))

    f.__name__ = f.__qualname__ = numpy_name
    f.__doc__ = f"NumPy's ``{numpy_name}``, differentiable (see ``numpy.{numpy_name}``)."
    return f


def binary(prim, numpy_name):
    """NumPy's two-argument ufunc ``numpy_name``, binding ``prim``."""
    bind = prim.bind

    def f(x, y, /):
        if type(x) in _SEQUENCES or type(y) in _SEQUENCES:
            x, y = operands(x, y)
        return bind(x, y)

    f.__name__ = f.__qualname__ = numpy_name
    f.__doc__ = f"NumPy's ``{numpy_name}``, differentiable (see ``numpy.{numpy_name}``)."
    return f


_SEQUENCES = (list, tuple)


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


def diagonal_indices(rows: int, cols: int, offset: int, like=None):
    """The row and column indices of the ``offset``-th diagonal of a ``rows x cols``
    matrix, on the backend of ``like`` (the matrix they index)."""
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    i = constants.arange(length, np.intp, like=like)
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
