"""Indexing routines over the ``getitem`` and ``select`` primitives: ``take``,
``take_along_axis``, ``diagonal``, ``where``, ``select`` and ``nonzero``."""

from __future__ import annotations

import numpy as np

from fntrans.backend import module_of
from fntrans.core import constants
from fntrans.core.tracer import Tracer
from fntrans.numpy._shape import moveaxis, ravel
from fntrans.numpy._util import asarray, diagonal_indices, normalize_axes, operands
from fntrans.primitives import elementwise as ew
from fntrans.primitives.indexing import getitem
from fntrans.primitives.indexing import take_along_axis as _take_along_axis


def take(a, indices, axis=None):
    """Elements of ``a`` at ``indices`` along ``axis`` (of the flattened ``a`` by default)."""
    if type(indices) is list or type(indices) is np.ndarray:
        indices = constants.asarray(indices, like=a)  # on a's backend
    if axis is None:
        return getitem(ravel(a), (indices,))
    axis = axis % len(np.shape(a))
    return getitem(a, (slice(None),) * axis + (indices,))


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


def diagonal(a, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """The ``offset``-th diagonal over ``axis1`` and ``axis2``, as the last axis."""
    a = asarray(a)
    axis1, axis2 = (normalize_axes(ax, a.ndim)[0] for ax in (axis1, axis2))
    if axis1 == axis2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    rows, cols = diagonal_indices(*a.shape[-2:], offset, like=a)
    return getitem(a, (Ellipsis, rows, cols))


def nonzero(a):
    """Indices of the non-zero elements; needs a concrete ``a``."""
    if isinstance(a, Tracer):
        a = a._concrete_or_raise("nonzero")
    return module_of(a).nonzero(a)


def where(condition, x=None, y=None, /):
    """NumPy's ``where``: elements of ``x`` where ``condition`` holds, else of ``y``.

    The gradient flows to the chosen branch only (but a NaN in the other
    branch's derivative still poisons it; see the sharp-bits page).

    >>> import fntrans.numpy as fnp
    >>> fnp.where(fnp.array([True, False]), 1.0, fnp.array([5.0, 6.0]))
    array([1., 6.])
    """
    if x is None and y is None:
        return nonzero(condition)
    return ew.select_p.bind(*operands(condition, x, y))


def select(condlist, choicelist, default=0):
    """Elements of ``choicelist[i]`` where ``condlist[i]`` first holds, else ``default``.

    >>> import fntrans.numpy as fnp
    >>> x = fnp.arange(5.0)
    >>> fnp.select([x < 2, x > 3], [x, x ** 2], -1.0)
    array([ 0.,  1., -1., -1., 16.])
    """
    if len(condlist) != len(choicelist):
        raise ValueError("select: condlist and choicelist must have the same length")
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where(cond, choice, out)
    return out
