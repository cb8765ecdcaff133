"""Shape manipulation: reshape, transpose, concatenate, stack, squeeze, ..."""

from __future__ import annotations

import math
import operator

import numpy as np

from fntrans.numpy._creation import asarray
from fntrans.numpy._reductions import normalize_axes
from fntrans.primitives import broadcasting as bc
from fntrans.primitives import joining as jn
from fntrans.primitives import shape as shp
from fntrans.primitives.elementwise import convert_element_type


def shape(a) -> tuple:
    """The shape of ``a`` (traced arrays too)."""
    return tuple(np.shape(a)) if not hasattr(a, "shape") else tuple(a.shape)


def ndim(a) -> int:
    """The number of dimensions of ``a``."""
    return len(shape(a))


def size(a) -> int:
    """The number of elements of ``a``."""
    return math.prod(shape(a))


def result_type(*arrays_and_dtypes):
    """NumPy's ``result_type``, accepting traced arrays."""
    return np.result_type(*(a.dtype if hasattr(a, "dtype") else a for a in arrays_and_dtypes))


def resolve_shape(newshape, size_: int) -> tuple:
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


def _join(arrays, axis, new_axis, dtype=None):
    arrays = [asarray(x) for x in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    ndim_ = arrays[0].ndim + (1 if new_axis else 0)
    (axis,) = normalize_axes(axis, ndim_)
    if dtype is not None:
        arrays = [convert_element_type(x, dtype=dtype) for x in arrays]
    return jn.join(arrays, axis=axis, new_axis=new_axis)


def concatenate(arrays, axis: int = 0, dtype=None):
    """Joins arrays along an existing axis.

    >>> import fntrans.numpy as fnp
    >>> fnp.concatenate([fnp.ones(2), fnp.zeros(1)])
    array([1., 1., 0.])
    """
    if axis is None:
        return _join([ravel(x) for x in arrays], 0, False, dtype)
    return _join(arrays, axis, False, dtype)


def stack(arrays, axis: int = 0, dtype=None):
    """Joins arrays along a new axis.

    >>> import fntrans.numpy as fnp
    >>> fnp.stack([fnp.ones(2), fnp.zeros(2)]).shape
    (2, 2)
    """
    return _join(arrays, axis, True, dtype)


def atleast_1d(a):
    """``a`` with at least one dimension."""
    a = asarray(a)
    return reshape(a, (1,)) if a.ndim == 0 else a


def atleast_2d(a):
    """``a`` with at least two dimensions (new axes in front)."""
    a = asarray(a)
    return reshape(a, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a


def hstack(arrays):
    """Joins arrays column-wise (along axis 1, or 0 for 1-d arrays)."""
    arrays = [atleast_1d(x) for x in arrays]
    return concatenate(arrays, axis=0 if arrays[0].ndim == 1 else 1)


def vstack(arrays):
    """Joins arrays row-wise (as rows of a 2-d array)."""
    return concatenate([atleast_2d(x) for x in arrays], axis=0)


def array_split(ary, indices_or_sections, axis: int = 0):
    """Splits ``ary`` into pieces along ``axis``; sections need not divide evenly."""
    ary = asarray(ary)
    (axis,) = normalize_axes(axis, ary.ndim)
    n = ary.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        base, extra = divmod(n, sections)
        sizes = [base + 1] * extra + [base] * (sections - extra)
    else:
        bounds = (
            [0]
            + [min(max(int(i) % (n + 1) if i < 0 else int(i), 0), n) for i in indices_or_sections]
            + [n]
        )
        sizes = [max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
    return list(jn.split(ary, sizes, axis))


def split(ary, indices_or_sections, axis: int = 0):
    """Splits ``ary`` into pieces along ``axis``, as NumPy's ``split``.

    >>> import fntrans.numpy as fnp
    >>> [p.tolist() for p in fnp.split(fnp.arange(4.0), 2)]
    [[0.0, 1.0], [2.0, 3.0]]
    """
    if isinstance(indices_or_sections, (int, np.integer)):
        n = shape(ary)[axis]
        if n % int(indices_or_sections):
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)
