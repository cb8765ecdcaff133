"""``Tracer``: the array-like stand-in a transform passes through user code.

Operators and array methods are attached by ``fntrans.numpy`` (they are
compositions of primitives); this module holds what every tracer shares:
abstract value, Python protocols, and the errors for what cannot be traced.
"""

from __future__ import annotations

import dis
import sys

from fntrans import errors
from fntrans.core.aval import aval_of, is_inexact

_STORE_SUBSCR = dis.opmap["STORE_SUBSCR"]


class Tracer:
    """Base class of every interpreter's tracers.

    Subclasses give ``aval``, ``concrete`` (the plain value, or ``None`` when
    tracing abstractly) and ``inner`` (the value one transform down, or
    ``None`` when abstract).
    """

    # _base and _views exist only on arrays that are views or have views, and
    # _scalar on an element read with integers (NumPy gives a scalar there);
    # see fntrans.numpy._assignment. They are never set on the hot path.
    __slots__ = ("_interp", "_base", "_views", "_scalar", "__weakref__")
    # Let NumPy's binary operators defer to ours (``ndarray * tracer``).
    __array_priority__ = 1000

    @property
    def aval(self):
        raise NotImplementedError

    @property
    def concrete(self):
        """The plain array this tracer stands for, or None if it is abstract."""
        raise NotImplementedError

    @property
    def inner(self):
        """The value this tracer wraps, one transform down (a tracer of the
        enclosing transform, or a plain array), or None if it is abstract."""
        raise NotImplementedError

    @property
    def shape(self) -> tuple:
        return self.aval.shape

    @property
    def dtype(self):
        return self.aval.dtype

    @property
    def ndim(self) -> int:
        return len(self.aval.shape)

    @property
    def size(self) -> int:
        return self.aval.size

    def __len__(self):
        shape = self.aval.shape
        if not shape:
            raise TypeError("len() of unsized object (a 0-d traced array)")
        return shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def _concrete_or_raise(self, operation: str):
        value = self.concrete
        if value is None:
            raise errors.concretization(operation, self.aval)
        return value

    def __bool__(self):
        # Branching on a concrete value is allowed: it has no derivative to lose.
        return bool(self._concrete_or_raise("bool()"))

    def carries_derivative(self) -> bool:
        """Whether this value depends on what the transform differentiates."""
        return True

    def _scalar_conversion(self, conversion, name):
        try:
            value = self._concrete_or_raise(f"{name}()")
            if is_inexact(self.aval.dtype) and self.carries_derivative():
                raise errors.float_of_tracer(name)
        except TypeError:
            self._raise_if_assigned_into_numpy(sys._getframe(2))
            raise
        return conversion(value)

    def _raise_if_assigned_into_numpy(self, caller) -> None:
        # ``ndarray[i] = tracer`` converts the one element with __float__ (or
        # __int__, __index__, __complex__), called from the user's frame while
        # it executes the assignment; NumPy wraps the error in its own
        # ValueError, which the transform unwraps (new_interpreter)
        if caller is not None and caller.f_code.co_code[caller.f_lasti] == _STORE_SUBSCR:
            raise errors.tracer_to_numpy(
                "assignment of one element into a plain ndarray", self.aval.str_short()
            ) from None

    def __float__(self):
        return self._scalar_conversion(float, "float")

    def __int__(self):
        return self._scalar_conversion(int, "int")

    def __complex__(self):
        return self._scalar_conversion(complex, "complex")

    def __index__(self):
        try:
            return self._index()
        except TypeError:
            self._raise_if_assigned_into_numpy(sys._getframe(1))
            raise

    def _index(self):
        if is_inexact(self.aval.dtype):
            raise TypeError(
                f"__index__: only integers can be used as an index, but got a traced "
                f"value {self.aval.str_short()}. Convert it first (int(x) or x.astype(int)) "
                f"if it is a whole number that carries no derivative."
            )
        return int(self._concrete_or_raise("__index__"))

    def __array__(self, dtype=None, copy=None):
        # SciPy functions that are not ufuncs convert their inputs with np.asarray
        scipy_function = errors.scipy_function_calling(sys._getframe(1))
        if scipy_function is not None:
            raise errors.no_scipy_rule(scipy_function)
        raise errors.tracer_to_numpy(
            "__array__ (conversion to a NumPy array)", self.aval.str_short()
        )

    def __repr__(self):
        value = self.concrete
        body = self.aval.str_short() if value is None else repr(value)
        return f"Traced<{self._interp.name}>({body})"


class PrimalTracer(Tracer):
    """A tracer that carries its primal value (forward and reverse mode).

    Shape and dtype are read straight from the value: no abstract value is
    built on the eager path.
    """

    __slots__ = ("primal",)

    @property
    def aval(self):
        return aval_of(self.primal)

    @property
    def concrete(self):
        p = self.primal
        return p.concrete if isinstance(p, Tracer) else p

    @property
    def inner(self):
        return self.primal

    def _concrete_or_raise(self, operation):
        # the transform below says why a value is missing (batched, abstract)
        p = self.primal
        return p._concrete_or_raise(operation) if isinstance(p, Tracer) else p

    shape = property(lambda self: self.primal.shape)
    dtype = property(lambda self: self.primal.dtype)
    ndim = property(lambda self: self.primal.ndim)
    size = property(lambda self: self.primal.size)


def new_handle(tracer: Tracer) -> Tracer:
    """A new handle on ``tracer``'s value: assigning into one leaves the other
    as it was (NumPy's copy of an array)."""
    clone = object.__new__(type(tracer))
    clone._interp = tracer._interp
    become(clone, tracer)
    return clone


def become(handle: Tracer, new: Tracer) -> None:
    """Points ``handle`` at ``new``'s value: array assignment on a traced array.

    Both are tracers of the same interpreter; only the interpreter's own slots
    are copied, so whatever was recorded from the old value stays as it was.
    """
    for cls in type(handle).__mro__[:-1]:
        if cls is Tracer:
            break
        for name in cls.__slots__:
            setattr(handle, name, getattr(new, name))
