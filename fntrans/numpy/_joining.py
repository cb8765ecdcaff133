"""Joining and splitting arrays (``concatenate``, ``stack`` and its variants,
``split`` and its variants), and tiling, adding and removing elements
(``tile``, ``repeat``, ``pad``, ``append``, ``delete``)."""

from __future__ import annotations

import numpy as np

from fntrans.core import constants
from fntrans.core.tracer import Tracer
from fntrans.numpy._shape import atleast_1d, atleast_2d, atleast_3d, ravel, shape
from fntrans.numpy._util import asarray, normalize_axes
from fntrans.primitives import broadcasting as bc
from fntrans.primitives import elementwise as ew
from fntrans.primitives import joining as jn
from fntrans.primitives import shape as shp
from fntrans.primitives.indexing import along, scatter_add_p


def _join(arrays, axis, new_axis, dtype=None):
    arrays = [asarray(x) for x in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    ndim_ = arrays[0].ndim + (1 if new_axis else 0)
    (axis,) = normalize_axes(axis, ndim_)
    if dtype is not None:
        arrays = [ew.convert_element_type(x, dtype=dtype) for x in arrays]
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


def hstack(arrays):
    """Joins arrays column-wise (along axis 1, or 0 for 1-d arrays)."""
    arrays = [atleast_1d(x) for x in arrays]
    return concatenate(arrays, axis=0 if arrays[0].ndim == 1 else 1)


def vstack(arrays):
    """Joins arrays row-wise (as rows of a 2-d array)."""
    return concatenate([atleast_2d(x) for x in arrays], axis=0)


def dstack(arrays):
    """Joins arrays depth-wise (along a third axis)."""
    return concatenate([atleast_3d(a) for a in arrays], axis=2)


def column_stack(arrays):
    """Joins 1-d arrays as columns (and 2-d arrays as they are) of a 2-d array.

    >>> import fntrans.numpy as fnp
    >>> fnp.column_stack([fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0])])
    array([[1., 3.],
           [2., 4.]])
    """
    columns = []
    for a in arrays:
        a = asarray(a)
        # NumPy's ndmin=2 then transpose: a scalar is a 1x1 column
        columns.append(shp.reshape(a, (a.size, 1)) if a.ndim < 2 else a)
    return concatenate(columns, axis=1)


def array_split(ary, indices_or_sections, axis: int = 0):
    """Splits ``ary`` into pieces along ``axis``; sections need not divide evenly."""
    ary = asarray(ary)
    (axis,) = normalize_axes(axis, ary.ndim)
    n = ary.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        base, extra = divmod(n, sections)
        sizes = [base + 1] * extra + [base] * (sections - extra)
        return list(jn.split(ary, sizes, axis))
    # pieces between the indices, as Python slices read them (negative from
    # the end, empty where an index does not increase), as NumPy does
    bounds = [0, *(int(i) for i in indices_or_sections), None]
    return [along(ary, axis, slice(a, b)) for a, b in zip(bounds[:-1], bounds[1:])]


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


def hsplit(ary, indices_or_sections):
    """Splits along the second axis (the first for 1-d arrays)."""
    return split(ary, indices_or_sections, axis=1 if np.ndim(ary) > 1 else 0)


def vsplit(ary, indices_or_sections):
    """Splits along the first axis."""
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary, indices_or_sections):
    """Splits along the third axis."""
    return split(ary, indices_or_sections, axis=2)


def tile(A, reps):
    """``A`` repeated ``reps`` times along each axis.

    >>> import fntrans.numpy as fnp
    >>> fnp.tile(fnp.array([1.0, 2.0]), 2)
    array([1., 2., 1., 2.])
    """
    A = asarray(A)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    d = max(len(reps), A.ndim)
    shape = (1,) * (d - A.ndim) + A.shape
    reps = (1,) * (d - len(reps)) + reps
    interleaved = shp.reshape(A, tuple(x for n in shape for x in (1, n)))
    tiled = bc.broadcast_to(interleaved, tuple(x for r, n in zip(reps, shape) for x in (r, n)))
    return shp.reshape(tiled, tuple(r * n for r, n in zip(reps, shape)))


def repeat(a, repeats, axis=None):
    """Each element of ``a`` repeated ``repeats`` times along ``axis``.

    >>> import fntrans.numpy as fnp
    >>> fnp.repeat(fnp.array([1.0, 2.0]), 2)
    array([1., 1., 2., 2.])
    """
    a = asarray(a)
    if axis is None:
        a, axis = ravel(a), 0
    (axis,) = normalize_axes(axis, a.ndim)
    n = a.shape[axis]
    if np.ndim(repeats) == 0:
        # broadcasting a new axis after `axis`: the transpose is a sum, not a scatter
        r = int(repeats)
        expanded = shp.reshape(a, a.shape[: axis + 1] + (1,) + a.shape[axis + 1 :])
        expanded = bc.broadcast_to(expanded, a.shape[: axis + 1] + (r,) + a.shape[axis + 1 :])
        return shp.reshape(expanded, a.shape[:axis] + (n * r,) + a.shape[axis + 1 :])
    # the index is built on the host (repeats are concrete) and moved to a's backend
    return along(a, axis, constants.asarray(np.repeat(np.arange(n), repeats), like=a))


_INDEX_MODES = ("edge", "reflect", "symmetric", "wrap")


def pad(array, pad_width, mode: str = "constant", **kwargs):
    """``array`` padded with ``pad_width`` entries before and after each axis.

    Modes: ``"constant"`` (``constant_values``, 0 by default), and ``"edge"``,
    ``"reflect"``, ``"symmetric"``, ``"wrap"``, which repeat entries of ``array``.
    The derivative of constant padding is the slicing that removes it.

    >>> import fntrans.numpy as fnp
    >>> fnp.pad(fnp.array([1.0, 2.0]), (1, 2), constant_values=9.0)
    array([9., 1., 2., 9., 9.])
    """
    array = asarray(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.intp), (array.ndim, 2)).tolist()
    if mode in _INDEX_MODES:
        for axis, (before, after) in enumerate(widths):
            if before or after:
                index = np.pad(np.arange(array.shape[axis]), (before, after), mode, **kwargs)
                array = along(array, axis, constants.asarray(index, like=array))
        return array
    if mode != "constant":
        raise NotImplementedError(
            f"pad supports the modes 'constant', {', '.join(map(repr, _INDEX_MODES))}, "
            f"not {mode!r}."
        )
    shape = tuple(n + b + a for n, (b, a) in zip(array.shape, widths))
    inner = tuple(slice(b, b + n) for n, (b, _) in zip(array.shape, widths))
    out = scatter_add_p.bind(array, indexer=inner, shape=shape)
    values = kwargs.get("constant_values", 0)
    if np.ndim(values) == 0:
        if isinstance(values, Tracer) or values != 0:
            border = constants.full(shape, True, np.bool_, like=array)
            border[inner] = False
            out = ew.select(border, values, out)
        return out
    values = np.pad(np.zeros(array.shape, out.dtype), widths, constant_values=values)
    return ew.add(out, constants.asarray(values, like=out))


def append(arr, values, axis=None):
    """``values`` appended to ``arr`` (both flattened if ``axis`` is None)."""
    if axis is None:
        return concatenate([ravel(arr), ravel(values)])
    return concatenate([arr, values], axis=axis)


def delete(arr, obj, axis=None):
    """``arr`` without the entries ``obj`` along ``axis`` (of the flattened ``arr`` by default)."""
    arr = asarray(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    (axis,) = normalize_axes(axis, arr.ndim)
    keep = np.delete(np.arange(arr.shape[axis]), obj)
    return along(arr, axis, constants.asarray(keep, like=arr))


def row_stack(arrays):
    """Joins arrays row-wise: ``vstack``, under its older name."""
    return vstack(arrays)
