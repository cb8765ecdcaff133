"""Sorting, searching and counting: ``sort`` (differentiable: the derivative
follows each entry), ``partition``, ``unique``, the integer-valued ``argsort``,
``argpartition``, ``argmax``, ``argmin`` and ``count_nonzero``, and the searches
on concrete values ``searchsorted`` and ``digitize``."""

from __future__ import annotations

import numpy as np

from fntrans.core import constants
from fntrans.core.tracer import Tracer
from fntrans.numpy._reductions import sum
from fntrans.numpy._util import asarray, concrete, normalize_axes
from fntrans.primitives import elementwise as ew
from fntrans.primitives import reductions as red
from fntrans.primitives import sorting
from fntrans.primitives.indexing import getitem
from fntrans.primitives.shape import reshape


def _flat_or_axis(a, axis):
    a = asarray(a)
    if axis is None:
        return reshape(a, (a.size,)), 0
    (axis,) = normalize_axes(axis, a.ndim)
    return a, axis


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``a`` sorted along ``axis`` (flattened if ``axis`` is None).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(lambda x: fnp.sort(x)[0])(fnp.array([3.0, 1.0, 2.0]))
    array([0., 1., 0.])
    """
    if order is not None:
        raise NotImplementedError("sort: order= (structured arrays) is not supported.")
    a, axis = _flat_or_axis(a, axis)
    return sorting.sort(a, axis)


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """The indices that sort ``a`` along ``axis`` (a stable sort; no derivative).

    >>> import fntrans.numpy as fnp
    >>> fnp.argsort(fnp.array([3.0, 1.0, 2.0]))
    array([1, 2, 0])
    """
    if order is not None:
        raise NotImplementedError("argsort: order= (structured arrays) is not supported.")
    a, axis = _flat_or_axis(a, axis)
    return sorting.argsort(a, axis)


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """``a`` with the ``kth`` element in its sorted place, smaller ones before and
    larger ones after; fntrans returns the fully sorted array, which satisfies
    that contract.

    >>> import fntrans.numpy as fnp
    >>> fnp.partition(fnp.array([3.0, 1.0, 2.0]), 1)[1]
    np.float64(2.0)
    """
    return sort(a, axis=axis, order=order)


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """Indices that partition ``a`` (here: that sort it; no derivative)."""
    return argsort(a, axis=axis, order=order)


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None):
    """The sorted unique values of ``ar`` (flattened); a derivative flows to the
    first occurrence of each value. Needs a concrete ``ar``.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(lambda x: fnp.sum(fnp.unique(x)))(fnp.array([2.0, 1.0, 2.0]))
    array([1., 1., 0.])
    """
    if axis is not None:
        raise NotImplementedError("unique: axis= is not supported; flatten first.")
    flat = reshape(asarray(ar), (int(np.prod(np.shape(ar))),))
    plain = flat._concrete_or_raise("unique") if isinstance(flat, Tracer) else flat
    # found where the values live: the indices stay on their backend
    _, index, inverse, counts = constants.module_for(plain).unique(
        plain, return_index=True, return_inverse=True, return_counts=True
    )
    values = getitem(flat, (index,))
    extras = [
        x
        for x, want in ((index, return_index), (inverse, return_inverse), (counts, return_counts))
        if want
    ]
    return (values, *extras) if extras else values


def _arg(prim, a, axis, keepdims):
    a = asarray(a)
    if axis is None:
        out = prim.bind(reshape(a, (a.size,)), axis=0)
        return reshape(out, (1,) * a.ndim) if keepdims else out
    (axis,) = normalize_axes(axis, a.ndim)
    out = prim.bind(a, axis=axis)
    if keepdims:
        out = reshape(out, a.shape[:axis] + (1,) + a.shape[axis + 1 :])
    return out


def argmax(a, axis=None, keepdims: bool = False):
    """Index of the maximum (an integer array: no derivative)."""
    return _arg(red.argmax_p, a, axis, keepdims)


def argmin(a, axis=None, keepdims: bool = False):
    """Index of the minimum (an integer array: no derivative)."""
    return _arg(red.argmin_p, a, axis, keepdims)


def _truth(a):
    return ew.ne_p.bind(asarray(a), 0)


def count_nonzero(a, axis=None, *, keepdims: bool = False):
    """The number of non-zero elements over ``axis`` (an integer: no derivative)."""
    return sum(_truth(a), axis=axis, keepdims=keepdims)


def searchsorted(a, v, side: str = "left", sorter=None):
    """Where ``v`` would be inserted into sorted ``a`` (on concrete values)."""
    return np.searchsorted(
        concrete(a, "searchsorted"), concrete(v, "searchsorted"), side, concrete(sorter, "")
    )


def digitize(x, bins, right: bool = False):
    """The index of the bin of each element of ``x`` (on concrete values)."""
    return np.digitize(concrete(x, "digitize"), concrete(bins, "digitize"), right)
