"""Matrix structure: triangles, diagonals, trace, and the Kronecker and cross
products, as compositions of indexing and elementwise primitives."""

from __future__ import annotations

import numpy as np

from fntrans.numpy._creation import asarray
from fntrans.numpy._manipulation import moveaxis, ravel
from fntrans.numpy._reductions import normalize_axes, sum
from fntrans.primitives import broadcasting as bc
from fntrans.primitives import elementwise as ew
from fntrans.primitives import joining as jn
from fntrans.primitives import shape as shp
from fntrans.primitives.indexing import ARRAY, getitem, scatter_add_p


def _triangle(m, keep):
    m = asarray(m)
    rows, cols = m.shape[-2:] if m.ndim > 1 else (m.shape[0], m.shape[0])
    return ew.select(keep(rows, cols), m, 0)


def tril(m, k: int = 0):
    """``m`` with the entries above the ``k``-th diagonal set to zero.

    >>> import fntrans.numpy as fnp
    >>> fnp.tril(fnp.ones((2, 2)))
    array([[1., 0.],
           [1., 1.]])
    """
    return _triangle(m, lambda rows, cols: np.tri(rows, cols, k, dtype=bool))


def triu(m, k: int = 0):
    """``m`` with the entries below the ``k``-th diagonal set to zero."""
    return _triangle(m, lambda rows, cols: ~np.tri(rows, cols, k - 1, dtype=bool))


def _diagonal_indices(rows: int, cols: int, offset: int):
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    i = np.arange(length)
    return i - min(offset, 0), i + max(offset, 0)


def diagonal(a, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """The ``offset``-th diagonal over ``axis1`` and ``axis2``, as the last axis."""
    a = asarray(a)
    axis1, axis2 = (normalize_axes(ax, a.ndim)[0] for ax in (axis1, axis2))
    if axis1 == axis2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    rows, cols = _diagonal_indices(*a.shape[-2:], offset)
    return getitem(a, (Ellipsis, rows, cols))


def trace(a, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype=None):
    """The sum along the ``offset``-th diagonal.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(fnp.trace)(fnp.ones((2, 2)))
    array([[1., 0.],
           [0., 1.]])
    """
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


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
    rows, cols = _diagonal_indices(n, n, k)
    return scatter_add_p.bind(v, rows, cols, indexer=(ARRAY, ARRAY), shape=(n, n))


def diagflat(v, k: int = 0):
    """A 2-d array with the flattened ``v`` on its ``k``-th diagonal."""
    return diag(ravel(v), k)


def kron(a, b):
    """The Kronecker product: blocks of ``b`` scaled by each entry of ``a``.

    >>> import fntrans.numpy as fnp
    >>> fnp.kron(fnp.array([1.0, 10.0]), fnp.array([1.0, 2.0]))
    array([ 1.,  2., 10., 20.])
    """
    a, b = asarray(a), asarray(b)
    d = max(a.ndim, b.ndim)
    a_shape = (1,) * (d - a.ndim) + a.shape
    b_shape = (1,) * (d - b.ndim) + b.shape
    a = shp.reshape(a, tuple(x for n in a_shape for x in (n, 1)))
    b = shp.reshape(b, tuple(x for n in b_shape for x in (1, n)))
    return shp.reshape(ew.mul(a, b), tuple(m * n for m, n in zip(a_shape, b_shape)))


def cross(a, b, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis=None):
    """The cross product of 3-vectors (or 2-vectors, as vectors in the plane z = 0).

    >>> import fntrans.numpy as fnp
    >>> fnp.cross(fnp.array([1.0, 0.0, 0.0]), fnp.array([0.0, 1.0, 0.0]))
    array([0., 0., 1.])
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(asarray(a), axisa, -1), moveaxis(asarray(b), axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(
            f"cross: vectors must have 2 or 3 components, not {a.shape[-1]} and {b.shape[-1]}."
        )

    def component(v, i):
        return getitem(v, (Ellipsis, i)) if i < v.shape[-1] else 0.0

    a0, a1, a2 = (component(a, i) for i in range(3))
    b0, b1, b2 = (component(b, i) for i in range(3))
    z = ew.sub(ew.mul(a0, b1), ew.mul(a1, b0))
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return z
    x = ew.sub(ew.mul(a1, b2), ew.mul(a2, b1))
    y = ew.sub(ew.mul(a2, b0), ew.mul(a0, b2))
    shape = np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(z))
    c = jn.join([bc.broadcast_to(v, shape) for v in (x, y, z)], axis=len(shape), new_axis=True)
    return moveaxis(c, -1, axisc)
