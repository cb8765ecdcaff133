"""NumPy's index tricks that build arrays: ``r_`` and ``c_``, which concatenate
arrays, scalars and slices (ranges) written as an index, traced arrays too.

>>> import fntrans as ft, fntrans.numpy as fnp
>>> ft.grad(lambda x: fnp.sum(fnp.r_[x, 0.0, 1:3] ** 2))(fnp.array([1.0, 2.0]))
array([2., 4.])
>>> fnp.c_[fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0])]
array([[1., 3.],
       [2., 4.]])
"""

from __future__ import annotations

import numpy as np

from fntrans.core import constants
from fntrans.core.aval import aval_of, result_dtype
from fntrans.core.tracer import Tracer
from fntrans.numpy._creation import linspace
from fntrans.numpy._joining import concatenate
from fntrans.numpy._util import (
    _first_array,
    asarray,
    holds_traced_or_device_array,
    holds_tracer,
)
from fntrans.primitives import elementwise as ew
from fntrans.primitives import shape as shp

_SCALARS = (int, float, complex, bool, np.generic)


def _at_least(x, ndmin: int):
    """``x`` with size-1 axes in front up to ``ndmin`` dimensions."""
    return shp.reshape(x, (1,) * (ndmin - x.ndim) + tuple(x.shape)) if x.ndim < ndmin else x


def _directive(item: str, axis: int, ndmin: int, trans1d: int):
    """The ``axis``, ``ndmin`` and ``trans1d`` that a string such as ``"0,2,-1"`` sets."""
    if item in ("r", "c"):
        raise NotImplementedError(
            f"the matrix directive {item!r} makes a numpy.matrix, which fntrans does not "
            f"trace; use an axis directive such as '0,2' instead."
        )
    try:
        values = [int(v) for v in item.split(",")]
    except ValueError as e:
        raise ValueError(f"unknown special directive {item!r}") from e
    if len(values) == 1:
        return values[0], ndmin, trans1d
    if len(values) in (2, 3):
        return values[0], values[1], values[2] if len(values) == 3 else trans1d
    raise ValueError(f"unknown special directive {item!r}")


class AxisConcatenator:
    """Concatenation written as an index: ``r_[a, 0.0, 1:4]``. Plain values go
    to NumPy's own object; traced ones are concatenated with fntrans."""

    def __init__(self, numpy_object, axis: int = 0, ndmin: int = 1, trans1d: int = -1):
        self._numpy = numpy_object
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __getitem__(self, key):
        if not holds_traced_or_device_array(key) and not any(
            isinstance(k, slice) and holds_tracer((k.start, k.stop, k.step))
            for k in (key if isinstance(key, tuple) else (key,))
        ):
            return self._numpy[key]
        key = key if isinstance(key, tuple) else (key,)
        # ranges and scalars are made on the backend of the arrays they join
        like = _first_array(key)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        objs, kinds = [], []
        for k, item in enumerate(key):
            if isinstance(item, str):
                if k != 0:
                    raise ValueError("special directives must be the first entry.")
                axis, ndmin, trans1d = _directive(item, axis, ndmin, trans1d)
                continue
            if isinstance(item, slice):
                obj = self._range(item, like)
                if ndmin > 1:
                    obj = _at_least(obj, ndmin)
                    if trans1d != -1:
                        order = list(range(obj.ndim))
                        order[-1], order[trans1d] = order[trans1d], order[-1]
                        obj = shp.transpose(obj, tuple(order))
                kinds.append(aval_of(obj))
            elif type(item) in _SCALARS or isinstance(item, np.generic):
                obj = item
                kinds.append(aval_of(item))
            else:
                obj = asarray(item, like=like)
                item_ndim = obj.ndim
                obj = _at_least(obj, ndmin)
                if trans1d != -1 and item_ndim < ndmin:
                    # NumPy's placement of the original axes among the new ones
                    k2 = ndmin - item_ndim
                    k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
                    axes = list(range(ndmin))
                    obj = shp.transpose(obj, tuple(axes[:k1] + axes[k2:] + axes[k1:k2]))
                kinds.append(aval_of(obj))
            objs.append(obj)
        dtype = result_dtype(*kinds)
        objs = [
            _at_least(ew.convert_element_type(asarray(o, like=like), dtype=dtype), ndmin)
            for o in objs
        ]
        return concatenate(objs, axis=axis)

    @staticmethod
    def _range(item: slice, like=None):
        start = 0 if item.start is None else item.start
        step = 1 if item.step is None else item.step
        if isinstance(step, (complex, np.complexfloating)):
            out = linspace(start, item.stop, num=int(abs(step)))
            return out if isinstance(out, Tracer) else constants.asarray(out, like=like)
        if holds_tracer((start, item.stop, step)):
            raise TypeError(
                "r_/c_: a slice with traced bounds needs a complex step (r_[a:b:5j], "
                "evenly spaced like linspace): an integer step makes its length depend "
                "on the values."
            )
        return constants.asarray(np.arange(start, item.stop, step), like=like)

    def __len__(self):
        return 0


r_ = AxisConcatenator(np.r_, 0)
r_.__doc__ = """Concatenation along the first axis written as an index, as NumPy's
``r_``: arrays (traced too), scalars, and slices (``1:4`` is ``arange(1, 4)``,
``0:1:5j`` is ``linspace(0, 1, 5)``); a first string entry such as ``"1"`` or
``"0,2"`` sets the axis and the minimum number of dimensions."""
c_ = AxisConcatenator(np.c_, -1, ndmin=2, trans1d=0)
c_.__doc__ = """Concatenation along the last axis written as an index, as NumPy's
``c_``: 1-d arrays become columns."""
