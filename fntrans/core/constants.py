"""Arrays made from nothing (zeros, ones, identities), on the backend of a value.

Every constant a rule or a transform creates (a cotangent seed, the zeros of
an unused input, a Jacobian basis) comes from here, on the backend of the
value it stands beside, so a computation on one backend never meets an
array of another.
"""

from __future__ import annotations

from fntrans.backend import module_of
from fntrans.core.aval import dtype_of, shape_of
from fntrans.core.tracer import Tracer


def module_for(like) -> object:
    """The array module of ``like``: of its value for a tracer, NumPy for a
    Python scalar or an abstract value."""
    while isinstance(like, Tracer):
        like = like.inner
    return module_of(like)


def full(shape: tuple, fill_value, dtype, *, like):
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


def arange(n: int, dtype, *, like):
    """``0, 1, ..., n - 1`` on ``like``'s backend."""
    return module_for(like).arange(n, dtype=dtype)


def eye(n: int, dtype, *, like):
    """The ``n`` by ``n`` identity matrix on ``like``'s backend."""
    return module_for(like).eye(n, dtype=dtype)
