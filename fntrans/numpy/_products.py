"""Products: matmul, dot, tensordot, inner, outer, vdot — all through ``matmul``."""

from __future__ import annotations

import math

import numpy as np

from fntrans.numpy._creation import asarray
from fntrans.primitives.broadcasting import reduce_sum
from fntrans.primitives.elementwise import mul
from fntrans.primitives.products import matmul_p
from fntrans.primitives.shape import reshape, transpose


def matmul(a, b, /):
    """NumPy's ``matmul`` (the ``@`` operator).

    >>> import fntrans.numpy as fnp
    >>> fnp.matmul(fnp.eye(2), fnp.array([1.0, 2.0]))
    array([1., 2.])
    """
    return matmul_p.bind(asarray(a), asarray(b))


def tensordot(a, b, axes=2):
    """Sum of products over the given axes of ``a`` and ``b``, as NumPy's ``tensordot``."""
    a, b = asarray(a), asarray(b)
    if isinstance(axes, (int, np.integer)):
        axes_a = list(range(a.ndim - axes, a.ndim))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
    axes_a = [x % a.ndim for x in axes_a]
    axes_b = [x % b.ndim for x in axes_b]
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [i for i in range(b.ndim) if i not in axes_b]
    k = math.prod([a.shape[i] for i in axes_a])
    a2 = reshape(transpose(a, tuple(free_a + axes_a)), (_prod(a.shape, free_a), k))
    b2 = reshape(transpose(b, tuple(axes_b + free_b)), (k, _prod(b.shape, free_b)))
    out_shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b)
    return reshape(matmul_p.bind(a2, b2), out_shape)


def _prod(shape, axes):
    return math.prod([shape[i] for i in axes])


def dot(a, b, /):
    """NumPy's ``dot``: matrix product for 1-d and 2-d operands, ``tensordot`` over
    the last axis of ``a`` and the second-to-last of ``b`` beyond.

    >>> import fntrans.numpy as fnp
    >>> fnp.dot(fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0]))
    np.float64(11.0)
    """
    a, b = asarray(a), asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if b.ndim <= 2:
        return matmul_p.bind(a, b)
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2]))


def inner(a, b, /):
    """Sum of products over the last axes of ``a`` and ``b``."""
    a, b = asarray(a), asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


def outer(a, b, /):
    """Outer product of two vectors (flattened first, as NumPy does)."""
    a, b = asarray(a), asarray(b)
    return mul(reshape(a, (a.size, 1)), reshape(b, (1, b.size)))


def vdot(a, b, /):
    """Dot product of flattened arrays, conjugating the first."""
    from fntrans.numpy._ufuncs import conjugate

    a, b = asarray(a), asarray(b)
    if a.dtype.kind == "c":
        a = conjugate(a)
    return reduce_sum(mul(reshape(a, (a.size,)), reshape(b, (b.size,))), (0,))
