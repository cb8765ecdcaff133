"""More shape manipulation: flips, rolls, rotations, padding, tiling, repeating,
more ways to stack and split, ``take_along_axis`` and ``meshgrid``.

All are compositions of structural and indexing primitives.
"""

from __future__ import annotations

import numpy as np

from fntrans.core.tracer import Tracer
from fntrans.numpy._creation import asarray
from fntrans.numpy._manipulation import concatenate, ravel, split, transpose
from fntrans.numpy._reductions import normalize_axes
from fntrans.primitives import broadcasting as bc
from fntrans.primitives import elementwise as ew
from fntrans.primitives import joining as jn
from fntrans.primitives import shape as shp
from fntrans.primitives.indexing import getitem, scatter_add_p
from fntrans.primitives.indexing import take_along_axis as _take_along_axis


def _along(a, axis, index):
    return getitem(a, (slice(None),) * axis + (index,))


# ---- more ways to stack and split ----


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
        columns.append(shp.reshape(a, a.shape + (1,)) if a.ndim < 2 else a)
    return concatenate(columns, axis=1)


def append(arr, values, axis=None):
    """``values`` appended to ``arr`` (both flattened if ``axis`` is None)."""
    if axis is None:
        return concatenate([ravel(arr), ravel(values)])
    return concatenate([arr, values], axis=axis)


def hsplit(ary, indices_or_sections):
    """Splits along the second axis (the first for 1-d arrays)."""
    return split(ary, indices_or_sections, axis=1 if np.ndim(ary) > 1 else 0)


def vsplit(ary, indices_or_sections):
    """Splits along the first axis."""
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary, indices_or_sections):
    """Splits along the third axis."""
    return split(ary, indices_or_sections, axis=2)


def delete(arr, obj, axis=None):
    """``arr`` without the entries ``obj`` along ``axis`` (of the flattened ``arr`` by default)."""
    arr = asarray(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    (axis,) = normalize_axes(axis, arr.ndim)
    keep = np.delete(np.arange(arr.shape[axis]), obj)
    return _along(arr, axis, keep)


# ---- flips, rolls, rotations ----


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
                [_along(a, ax, slice(n - s, None)), _along(a, ax, slice(None, n - s))],
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


# ---- padding ----

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
                array = _along(array, axis, index)
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
            border = np.ones(shape, dtype=bool)
            border[inner] = False
            out = ew.select(border, values, out)
        return out
    values = np.pad(np.zeros(array.shape, out.dtype), widths, constant_values=values)
    return ew.add(out, values)


# ---- tiling and repeating ----


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
    return _along(a, axis, np.repeat(np.arange(n), repeats))


# ---- gathering along an axis, grids ----


def take_along_axis(arr, indices, axis):
    """Entries of ``arr`` at ``indices`` along ``axis``, as NumPy's ``take_along_axis``.

    >>> import fntrans.numpy as fnp
    >>> x = fnp.array([[3.0, 1.0], [2.0, 4.0]])
    >>> fnp.take_along_axis(x, fnp.argsort(x, axis=1), axis=1)
    array([[1., 3.],
           [2., 4.]])
    """
    arr = asarray(arr)
    if axis is None:
        arr, indices, axis = ravel(arr), ravel(indices), 0
    if np.ndim(indices) != arr.ndim:
        raise ValueError(
            f"take_along_axis: indices of shape {np.shape(indices)} need as many dimensions "
            f"as arr of shape {arr.shape}."
        )
    (axis,) = normalize_axes(axis, arr.ndim)
    return _take_along_axis(arr, indices, axis)


def meshgrid(*xi, copy: bool = True, sparse: bool = False, indexing: str = "xy"):
    """Coordinate arrays from coordinate vectors (``"xy"`` or ``"ij"`` indexing)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', not {indexing!r}.")
    vectors = [ravel(x) for x in xi]
    n = len(vectors)
    sizes = [v.shape[0] for v in vectors]
    if indexing == "xy" and n > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, v in enumerate(vectors):
        position = (1 - i if i < 2 else i) if indexing == "xy" and n > 1 else i
        shape = tuple(v.shape[0] if j == position else 1 for j in range(n))
        grid = shp.reshape(v, shape)
        out.append(grid if sparse else bc.broadcast_to(grid, tuple(sizes)))
    return out
