"""Array assignment: ``x[idx] = v``, ``x += v``, and ``x.at[idx].set(v)``.

Traced arrays are mutable handles over immutable traced values. An
assignment computes the updated value functionally (``scatter``) and points
the handle at it, so every name bound to the array sees the update, while
what transforms recorded from the old value never changes. Basic-index views
(``row = A[i]``) write through to their base and see the base's updates, as
in NumPy.
"""

from __future__ import annotations

import weakref

import numpy as np

from fntrans import errors
from fntrans.backend import known_module
from fntrans.core import constants
from fntrans.core.aval import aval_of
from fntrans.core.interpreter import current_stack
from fntrans.core.tracer import Tracer, become
from fntrans.numpy._util import asarray, assignable, copied, operand
from fntrans.primitives.broadcasting import broadcast_to
from fntrans.primitives.elementwise import add, convert_element_type, div, mul, neg, select
from fntrans.primitives.indexing import (
    getitem,
    getitem_p,
    scatter_add_p,
    scatter_combine_p,
    scatter_p,
    split_index,
)
from fntrans.primitives.math_functions import max_p, min_p, pow
from fntrans.primitives.shape import reshape

# ---- the functional update: x with x[index] replaced, or combined with v ----


def _is_full_mask(index, x) -> bool:
    dtype = getattr(index, "dtype", None)
    return dtype is not None and dtype == np.bool_ and tuple(np.shape(index)) == tuple(x.shape)


def index_on_backend(x, index):
    """``index`` with its lists and NumPy index arrays on ``x``'s backend when
    that is not NumPy: a device array is indexed by device arrays
    (``x[[0, 2, 2]]`` on a CuPy array)."""
    items = index if type(index) is tuple else (index,)
    if not any(type(item) in _HOST_INDICES for item in items):
        return index  # ints, slices, traced or device indices: nothing to move
    module = constants.module_for(x)
    if module is np:
        return index
    items = tuple(module.asarray(item) if type(item) in _HOST_INDICES else item for item in items)
    return items if type(index) is tuple else items[0]


_HOST_INDICES = (list, np.ndarray)


def _prepared(x, index, v):
    """``(indexer, arrays, v)`` with ``v`` cast to x's dtype and shaped like ``x[index]``."""
    indexer, arrays = split_index(index, like=x)
    target = getitem_p.shape(aval_of(x), *(aval_of(a) for a in arrays), indexer=indexer).shape
    return indexer, arrays, _fit_value(x, v, target)


def _fit_value(x, v, target):
    if type(v) is list or type(v) is tuple:
        v = asarray(v, like=x)
    elif not hasattr(v, "dtype"):  # a Python scalar, made on x's backend
        v = constants.full((), v, np.result_type(v), like=x)
    v_dtype = v.dtype
    if x.dtype.kind in "biu" and v_dtype.kind in "fc" and _differentiated(v):
        raise errors.derivative_into_integer_array(x.dtype)
    # complex values into a real array: NumPy's cast, real parts and a
    # ComplexWarning at the user's line, as on a plain ndarray
    if v_dtype != x.dtype:
        v = convert_element_type(v, dtype=x.dtype)
    shape = tuple(np.shape(v))
    if shape != target:
        size = int(np.prod(shape))
        if size == 1 and int(np.prod(target)) == 1:
            # one element fills one element, as NumPy before 2.0 allowed
            v = reshape(v, target)
        else:
            try:
                np.broadcast_shapes(shape, target)
            except ValueError:
                raise ValueError(
                    f"could not broadcast input array from shape {shape} into shape {target}"
                ) from None
            v = broadcast_to(v, target)
    return v


def updated(x, index, v, combine=None):
    """``x`` with ``x[index]`` replaced by ``v`` (or by ``combine(x[index], v)``).

    A boolean mask shaped like ``x`` with a broadcastable ``v`` becomes
    ``where``, so it works on traced (even batched) masks.
    """
    if _is_full_mask(index, x) and _broadcasts(v, x.shape):
        new = v if combine is None else combine(x, v)
        return select(index, _fit_value(x, new, tuple(x.shape)), x)
    if combine is not None:
        v = combine(getitem(x, index), v)
    indexer, arrays, v = _prepared(x, index, v)
    return scatter_p.bind(x, v, *arrays, indexer=indexer)


def _broadcasts(v, shape) -> bool:
    try:
        return np.broadcast_shapes(tuple(np.shape(v)), tuple(shape)) == tuple(shape)
    except ValueError:
        return False


def _accumulated(x, index, v):
    """``x`` with ``v`` added at ``index``; repeated indices add up (``.at[].add``)."""
    if _is_full_mask(index, x) and _broadcasts(v, x.shape):
        return updated(x, index, v, add)
    indexer, arrays, v = _prepared(x, index, v)
    return add(x, scatter_add_p.bind(v, *arrays, indexer=indexer, shape=tuple(x.shape)))


def _combined(x, index, v, combine, elementwise):
    """``x`` with ``v`` combined into ``x[index]`` by ``combine`` ("multiply",
    "minimum", "maximum"); every update at a repeated index counts."""
    if _is_full_mask(index, x) and _broadcasts(v, x.shape):
        return updated(x, index, v, elementwise)
    indexer, arrays, v = _prepared(x, index, v)
    return scatter_combine_p.bind(x, v, *arrays, indexer=indexer, combine=combine)


class IndexUpdateRef:
    """``x.at[index]``: functional updates of ``x`` at ``index``, JAX's names."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index_on_backend(array, index)

    def get(self):
        """``x[index]``."""
        return getitem(self.array, self.index)

    def set(self, values):
        """A copy of ``x`` with ``x[index] = values``."""
        return updated(self.array, self.index, values)

    def add(self, values):
        """A copy of ``x`` with ``values`` added at ``index`` (repeats add up)."""
        return _accumulated(self.array, self.index, values)

    def subtract(self, values):
        """A copy of ``x`` with ``values`` subtracted at ``index``."""
        return _accumulated(self.array, self.index, neg(operand(values, like=self.array)))

    def multiply(self, values):
        """A copy of ``x`` with ``x[index]`` multiplied by ``values`` (repeats multiply)."""
        return _combined(self.array, self.index, values, "multiply", mul)

    mul = multiply

    def divide(self, values):
        """A copy of ``x`` with ``x[index]`` divided by ``values`` (repeats divide)."""
        return div(self.array, self._factors(values))

    def power(self, values):
        """A copy of ``x`` with ``x[index]`` raised to ``values`` (repeats multiply
        the exponents, as JAX does)."""
        return pow(self.array, self._factors(values))

    def _factors(self, values):
        # ones with the product of the updates at each indexed element
        ones = constants.ones_like(self.array)
        return _combined(ones, self.index, values, "multiply", mul)

    def min(self, values):
        """A copy of ``x`` with ``x[index]`` replaced by its minimum with ``values``."""
        return _combined(self.array, self.index, values, "minimum", min_p.bind)

    def max(self, values):
        """A copy of ``x`` with ``x[index]`` replaced by its maximum with ``values``."""
        return _combined(self.array, self.index, values, "maximum", max_p.bind)


class IndexUpdateHelper:
    """``x.at``: index it to get an :class:`IndexUpdateRef`."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index) -> IndexUpdateRef:
        return IndexUpdateRef(self.array, index)


def at(x) -> IndexUpdateHelper:
    """Functional index updates that work on plain arrays and traced ones alike.

    ``fnp.at(x)[i].set(v)`` returns a copy of ``x`` with ``x[i] = v``; also
    ``.add``, ``.subtract``, ``.multiply``, ``.divide``, ``.power``, ``.min``,
    ``.max`` and ``.get``. ``x`` itself is never modified.

    >>> import fntrans.numpy as fnp
    >>> x = fnp.zeros(3)
    >>> fnp.at(x)[1].set(5.0)
    array([0., 5., 0.])
    >>> fnp.at(x)[fnp.array([0, 0])].add(1.0)
    array([2., 0., 0.])
    """
    return IndexUpdateHelper(x)


# ---- assignment on handles ----


def assign(handle: Tracer, new, source=None) -> None:
    """Points ``handle`` at the value ``new``, then keeps views and bases in step."""
    interp = handle._interp
    if not (type(new) is type(handle) and new._interp is interp):
        new = interp.lift(new)
    become(handle, new)
    base = getattr(handle, "_base", None)
    if base is not None and base[0] is not source:
        owner, index = base
        assign(owner, updated(owner, index, handle), source=handle)
    for ref in getattr(handle, "_views", ()):
        view = ref()
        if view is not None and view is not source:
            assign(view, getitem(handle, view._base[1]), source=handle)


def check_owner(handle: Tracer) -> None:
    stack = current_stack()
    if not stack or stack[-1] is not handle._interp:
        inner = stack[-1].name if stack else "no transform"
        raise errors.assign_to_enclosing(handle._interp.name, inner)


def setitem(self, index, value) -> None:
    """``x[index] = value`` on a traced array."""
    check_owner(self)
    assign(self, updated(self, index_on_backend(self, index), value))


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(
        item is None
        or item is Ellipsis
        or isinstance(item, slice)
        or (isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)))
        for item in items
    )


def getitem_method(self, index):
    """``x[index]``; a basic index of a traced array gives a view that writes through."""
    out = getitem(self, index)  # getitem moves host index arrays to self's backend
    if not _is_basic(index):
        return out
    if not np.shape(out):  # an element: NumPy's scalar, not a view
        if isinstance(out, Tracer) and out is not self:
            out._scalar = True
    else:
        if not (type(out) is type(self) and out._interp is self._interp):
            out = self._interp.lift(out)  # a view of a constant array is assignable too
        out._base = (self, index)
        try:
            views = self._views
        except AttributeError:
            views = self._views = []
        views.append(weakref.ref(out))
    return out


def copy(a):
    """A copy of ``a``: for a traced array, a new handle on the same (immutable)
    value, so assigning into one does not change the other. Inside a
    transform a copy can always be assigned into.

    >>> import numpy as np, fntrans.numpy as fnp
    >>> fnp.copy(np.ones(2))
    array([1., 1.])
    """
    if not isinstance(a, Tracer):
        # an array is copied by its own module (CuPy refuses np.array)
        module = known_module(a) or constants.module_for(None)
        return assignable(module.array(a, copy=True))
    return copied(a)


def _differentiated(v) -> bool:
    """Whether ``v`` carries a derivative of a transform that differentiates
    it. vmap and jit trace values without differentiating them: there a float
    assigned into an integer array is cast, as NumPy casts (a transform
    differentiating a jitted function then sees a cast, as in JAX)."""
    while isinstance(v, Tracer):
        if v._interp.differentiates and v.carries_derivative():
            return True
        v = v.inner
    return False


def inplace(op):
    """``x <op>= v`` on a traced array: NumPy's in-place semantics, dtype kept."""

    def method(self, other):
        check_owner(self)
        new = op(self, other)
        if new.dtype != self.dtype:
            if not np.can_cast(new.dtype, self.dtype, "same_kind"):
                if getattr(self, "_scalar", False):
                    # ``x[i] += v`` reads a scalar, as NumPy does, whose ``+=``
                    # makes a new value (of the promoted dtype) that the
                    # assignment then casts
                    return new
                raise TypeError(
                    f"Cannot cast the result of an in-place operation from dtype "
                    f"{new.dtype} to {self.dtype} (casting rule 'same_kind')"
                )
            new = convert_element_type(new, dtype=self.dtype)
        assign(self, new)
        return self

    return method
