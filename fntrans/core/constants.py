"""Arrays made from nothing (zeros, ones, identities), on the backend of a value.

Every constant a rule or a transform creates (a cotangent seed, the zeros of
an unused input, a Jacobian basis) comes from here, on the backend of the
value it stands beside, so a computation on one backend never meets an
array of another. Without such a value (``like=None``, or a scalar) it is
the backend of the innermost transform, which it takes from its inputs, or
outside transforms this thread's default (``ft.default_device``).
"""

from __future__ import annotations

import numpy as np

from fntrans.backend import current_module, known_module
from fntrans.core.aval import dtype_of, shape_of
from fntrans.core.tracer import Tracer


def module_for(like=None) -> object:
    """The array module of ``like``: of its value for a tracer (its transform's
    backend when it has no value), NumPy for a NumPy scalar, and for a Python
    scalar or None the current one (``backend.current_module``).

    >>> import numpy as np
    >>> module_for(np.zeros(2)) is np
    True
    """
    while isinstance(like, Tracer):
        inner = like.inner
        if inner is None:  # abstract: its transform knows where its values live
            return like._interp.backend
        like = inner
    module = known_module(like)
    if module is not None:
        return module
    # NumPy's scalars come from NumPy (CuPy's reductions give 0-d arrays)
    return np if isinstance(like, np.generic) else current_module()


def full(shape: tuple, fill_value, dtype, *, like=None):
    """An array of ``shape`` and ``dtype`` filled with ``fill_value``, on ``like``'s backend.

    >>> import numpy as np
    >>> full((2,), 1.5, np.float32, like=np.zeros(3))
    array([1.5, 1.5], dtype=float32)
    """
    return module_for(like).full(shape, fill_value, dtype=dtype)


def zeros_like(x, dtype=None):
    """Zeros with ``x``'s shape and dtype (or ``dtype``), on ``x``'s backend."""
    return full(shape_of(x), 0, dtype_of(x) if dtype is None else dtype, like=x)


def ones_like(x, dtype=None):
    """Ones with ``x``'s shape and dtype (or ``dtype``), on ``x``'s backend."""
    return full(shape_of(x), 1, dtype_of(x) if dtype is None else dtype, like=x)


def arange(n: int, dtype, *, like=None):
    """``0, 1, ..., n - 1`` on ``like``'s backend."""
    return module_for(like).arange(n, dtype=dtype)


def eye(n: int, dtype, *, like=None):
    """The ``n`` by ``n`` identity matrix on ``like``'s backend."""
    return module_for(like).eye(n, dtype=dtype)


def asarray(value, dtype=None, *, like=None):
    """Host data (a Python number, list, NumPy array) as an array on ``like``'s
    backend, e.g. an index list meeting a device array; NumPy data stays as it is
    on NumPy.

    >>> import numpy as np
    >>> asarray([0, 2], like=np.zeros(3))
    array([0, 2])
    """
    return module_for(like).asarray(value, dtype=dtype)
