"""Shapes and the arrangement of elements: ``shape``, ``ndim``, ``size``,
``reshape``, ``ravel``, transposes and moved axes, added and removed size-1
axes, ``broadcast_to``, ``atleast_1d/2d/3d``, and the rearrangements ``flip``,
``roll``, ``rot90`` and ``rollaxis``."""

from __future__ import annotations

import math
import operator

import numpy as np

from fntrans.numpy._util import asarray, normalize_axes
from fntrans.primitives import broadcasting as bc
from fntrans.primitives import joining as jn
from fntrans.primitives import shape as shp
from fntrans.primitives.indexing import along, getitem


def shape(a) -> tuple:
    """The shape of ``a`` (traced arrays too)."""
    return tuple(np.shape(a)) if not hasattr(a, "shape") else tuple(a.shape)


def ndim(a) -> int:
    """The number of dimensions of ``a``."""
    return len(shape(a))


def size(a) -> int:
    """The number of elements of ``a``."""
    return math.prod(shape(a))


def resolve_shape(newshape, size_: int) -> tuple:
    """``newshape`` as a tuple, its -1 (if any) worked out from ``size_``."""
    if isinstance(newshape, (int, np.integer)):
        newshape = (int(newshape),)
    else:
        newshape = tuple(map(operator.index, newshape))
    if -1 in newshape:
        i = newshape.index(-1)
        known = -math.prod(newshape)
        newshape = newshape[:i] + (size_ // known if known else 0,) + newshape[i + 1 :]
    if math.prod(newshape) != size_:
        raise ValueError(f"cannot reshape array of size {size_} into shape {newshape}")
    return newshape


def reshape(a, shape, order: str = "C"):
    """``a`` with a new shape (one dimension may be -1). Traced arrays get a copy.

    >>> import fntrans.numpy as fnp
    >>> fnp.reshape(fnp.arange(6.0), (2, -1)).shape
    (2, 3)
    """
    a = asarray(a)
    shape = resolve_shape(shape, math.prod(a.shape))
    if order == "F":  # column-major: reshape the reversed axes, then reverse back
        reversed_axes = tuple(range(a.ndim))[::-1]
        flipped = shp.reshape(shp.transpose(a, reversed_axes), shape[::-1])
        return shp.transpose(flipped, tuple(range(len(shape)))[::-1])
    if order != "C":
        raise NotImplementedError(f"reshape supports order='C' and order='F', not {order!r}")
    return shp.reshape(a, shape)


def ravel(a, order: str = "C"):
    """``a`` flattened to one dimension (row-major, or column-major with ``order='F'``)."""
    a = asarray(a)
    return reshape(a, (a.size,), order=order)


def transpose(a, axes=None):
    """``a`` with its axes permuted (reversed by default)."""
    a = asarray(a)
    n = a.ndim
    axes = tuple(reversed(range(n))) if axes is None else tuple(int(x) % n for x in axes)
    return shp.transpose(a, axes)


def swapaxes(a, axis1: int, axis2: int):
    """``a`` with two axes exchanged."""
    a = asarray(a)
    axes = list(range(a.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return shp.transpose(a, tuple(axes))


def moveaxis(a, source, destination):
    """``a`` with axes moved to new positions."""
    a = asarray(a)
    n = a.ndim
    source = [s % n for s in np.atleast_1d(source).tolist()]
    destination = [d % n for d in np.atleast_1d(destination).tolist()]
    order = [i for i in range(n) if i not in source]
    for dst, src in sorted(zip(destination, source)):
        order.insert(dst, src)
    return shp.transpose(a, tuple(order))


def expand_dims(a, axis):
    """``a`` with new size-1 axes at ``axis``."""
    a = asarray(a)
    axes = axis if isinstance(axis, tuple) else (axis,)
    n = a.ndim + len(axes)
    axes = sorted(ax % n for ax in axes)
    new_shape = list(a.shape)
    for ax in axes:
        new_shape.insert(ax, 1)
    return shp.reshape(a, tuple(new_shape))


def squeeze(a, axis=None):
    """``a`` without its size-1 axes (or only those in ``axis``)."""
    a = asarray(a)
    if axis is None:
        axes = tuple(i for i, d in enumerate(a.shape) if d == 1)
    else:
        axes = normalize_axes(axis, a.ndim)
        for ax in axes:
            if a.shape[ax] != 1:
                raise ValueError(
                    "cannot select an axis to squeeze out which has size not equal to one"
                )
    return shp.reshape(a, tuple(d for i, d in enumerate(a.shape) if i not in axes))


def broadcast_to(a, shape):
    """``a`` broadcast to ``shape``."""
    return bc.broadcast_to(asarray(a), tuple(shape))


def atleast_1d(a):
    """``a`` with at least one dimension."""
    a = asarray(a)
    return reshape(a, (1,)) if a.ndim == 0 else a


def atleast_2d(a):
    """``a`` with at least two dimensions (new axes in front)."""
    a = asarray(a)
    return reshape(a, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a


def atleast_3d(a):
    """``a`` with at least three dimensions: ``(n,)`` becomes ``(1, n, 1)``, ``(m, n)``
    becomes ``(m, n, 1)``."""
    a = asarray(a)
    if a.ndim == 0:
        return shp.reshape(a, (1, 1, 1))
    if a.ndim == 1:
        return shp.reshape(a, (1,) + a.shape + (1,))
    if a.ndim == 2:
        return shp.reshape(a, a.shape + (1,))
    return a


def flip(m, axis=None):
    """``m`` with the order of elements reversed along ``axis`` (all axes by default).

    >>> import fntrans.numpy as fnp
    >>> fnp.flip(fnp.array([1.0, 2.0, 3.0]))
    array([3., 2., 1.])
    """
    m = asarray(m)
    axes = normalize_axes(axis, m.ndim)
    if not axes:
        return m
    reverse = slice(None, None, -1)
    return getitem(m, tuple(reverse if i in axes else slice(None) for i in range(m.ndim)))


def fliplr(m):
    """``m`` with its columns (second axis) in reverse order."""
    return flip(m, 1)


def flipud(m):
    """``m`` with its rows (first axis) in reverse order."""
    return flip(m, 0)


def roll(a, shift, axis=None):
    """``a`` with elements shifted ``shift`` places along ``axis``, wrapping around.

    >>> import fntrans.numpy as fnp
    >>> fnp.roll(fnp.array([1.0, 2.0, 3.0]), 1)
    array([3., 1., 2.])
    """
    a = asarray(a)
    if axis is None:
        return shp.reshape(roll(ravel(a), shift, 0), a.shape)
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    for s, ax in zip(shifts.ravel().tolist(), axes.ravel().tolist()):
        (ax,) = normalize_axes(ax, a.ndim)
        n = a.shape[ax]
        s = s % n if n else 0
        if s:
            a = jn.join(
                [along(a, ax, slice(n - s, None)), along(a, ax, slice(None, n - s))],
                axis=ax,
                new_axis=False,
            )
    return a


def rot90(m, k: int = 1, axes=(0, 1)):
    """``m`` rotated by 90 degrees ``k`` times, from the first of ``axes`` to the second."""
    m = asarray(m)
    ax0, ax1 = normalize_axes(axes[0], m.ndim)[0], normalize_axes(axes[1], m.ndim)[0]
    if ax0 == ax1:
        raise ValueError(f"rot90: axes must be different, but got axes={tuple(axes)}.")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, ax0), ax1)
    order = list(range(m.ndim))
    order[ax0], order[ax1] = order[ax1], order[ax0]
    if k == 1:
        return transpose(flip(m, ax1), order)
    return flip(transpose(m, order), ax1)


def rollaxis(a, axis: int, start: int = 0):
    """``a`` with ``axis`` rolled back until it lies before position ``start``
    (NumPy's older spelling of ``moveaxis``).

    >>> import fntrans.numpy as fnp
    >>> fnp.rollaxis(fnp.ones((3, 4, 5, 6)), 3, 1).shape
    (3, 6, 4, 5)
    """
    a = asarray(a)
    n = a.ndim
    (axis,) = normalize_axes(axis, n)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise np.exceptions.AxisError(
            f"'start' arg requires {-n} <= start < {n + 1}, but {start} was passed in"
        )
    if axis < start:  # counted before the axis was taken out
        start -= 1
    axes = list(range(n))
    axes.remove(axis)
    axes.insert(start, axis)
    return shp.transpose(a, tuple(axes))
