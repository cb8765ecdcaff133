"""``Primitive``: one operation with all of its rules, and ``bind``.

A primitive's slots, always in this order:

- ``impl(xp, *args, **params)``: computes it with the array module ``xp``;
- ``shape(*avals, **params)``: its abstract value(s), for staging;
- ``jvp(primals, tangents, **params) -> (ans, ans_dot)``: forward mode, where a
  tangent of ``None`` is a symbolic zero;
- ``transpose(ct, *args, **params)``: for primitives linear in the arguments
  passed as ``Undefined``; returns one cotangent (or ``None``) per argument;
- ``vjp(ct, ans, *args, needs, **params)``: reverse mode's fast path, told in
  ``needs`` which arguments want a cotangent; returns one per argument. A
  linear primitive's comes from its transpose; without either, reverse mode
  linearizes the JVP rule and transposes that (slower). With
  ``vjp_transposes=True`` one rule serves both: the VJP is also the transpose,
  called with ``Undefined`` for the arguments it is asked about and
  ``ans=None`` (so it may read only their shape and dtype, as a primitive
  linear in those arguments can: add, mul, matmul);
- ``batch``: the batching rule (for ``vmap``);
- ``zero_derivative=True`` instead of the rules above for a primitive whose
  derivative is zero (comparisons, rounding, argmax, stop_gradient): its
  results carry no derivative, so reverse mode does not record it;
- ``forward(*args, **params)``: only for call primitives: how reverse mode
  computes the results it records (custom_vjp: ``fwd``, outputs then
  residuals; checkpoint: recording the function's program), instead of
  ``impl`` (or ``bind``, on values that enclosing transforms trace, which
  then see the function's operations).
- ``emit(xp, *args, **params) -> str | None``: optional, for ``jit``'s code
  generator: the Python expression that computes the primitive, given the
  source text of its arguments and of the array module (``np``); ``None``
  (or no ``emit``) means a call of ``impl``.

Rules bind primitives, never ``xp``, so they can be traced and differentiated
again.
"""

from __future__ import annotations

import weakref

from fntrans import errors
from fntrans.backend import array_module
from fntrans.core.attribution import evaluate_warning_at_user_line, reissues_warnings
from fntrans.core.aval import ShapedArray
from fntrans.core.config import config
from fntrans.core.tracer import Tracer


class Undefined:
    """A linear argument of a transpose rule: only its shape and dtype are known."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape: tuple, dtype):
        self.shape = shape
        self.dtype = dtype

    @property
    def aval(self) -> ShapedArray:
        return ShapedArray(self.shape, self.dtype)

    def __repr__(self):
        return f"Undefined({self.aval.str_short()})"


class Primitive:
    """An operation that every interpreter knows how to process."""

    def __init__(
        self,
        name: str,
        *,
        impl,
        shape,
        jvp=None,
        transpose=None,
        vjp=None,
        batch=None,
        forward=None,
        multiple_results: bool = False,
        vjp_transposes: bool = False,
        zero_derivative: bool = False,
        emit=None,
    ):
        self.name = name
        self.unchecked_impl = impl
        self.impl = _checked(self, impl) if config.checking else impl
        _ALL.add(self)
        self.shape = shape
        self.zero_derivative = zero_derivative
        if zero_derivative:  # comparisons, floor, argmax, stop_gradient, ...
            jvp, vjp = self._zero_jvp, _zero_vjp
        self.jvp = jvp
        if vjp_transposes:
            transpose = _transpose_from_vjp(vjp)
        elif vjp is None and transpose is not None:
            vjp = _vjp_from_transpose(transpose)
        self.transpose = transpose
        self.vjp = vjp
        self.batch = batch
        self.forward = forward
        self.multiple_results = multiple_results
        self.emit = emit

    @reissues_warnings
    def bind(self, *args, **params):
        """Applies the primitive: evaluated directly on concrete arrays, or handed
        to the interpreter of the highest-level tracer among ``args``."""
        top = None
        for a in args:
            if isinstance(a, Tracer):
                interp = a._interp
                if top is None or interp.level > top.level:
                    top = interp
        if top is None:
            xp = array_module(args)
            try:
                return self.impl(xp, *args, **params)
            except RuntimeWarning:  # made an exception by fntrans's warnings filter
                return evaluate_warning_at_user_line(self, xp, args, params)
        if not top.alive:
            raise errors.leaked_tracer(
                top.name, top.origin, during_backward=getattr(top, "walking_back", False)
            )
        return top.process_primitive(self, args, params)

    def bind_traced(self, tracer: Tracer, args: tuple):
        """``bind(*args)`` without params, where ``tracer`` is the only traced
        value among ``args``: its transform processes them directly. The hot
        path of operators and one-argument functions on traced values."""
        interp = tracer._interp
        if interp.alive:
            return interp.process_primitive(self, args, _NO_PARAMS)
        return self.bind(*args)  # reports the leaked tracer

    def __repr__(self):
        return self.name

    def _zero_jvp(self, primals, tangents, **params):
        return self.bind(*primals, **params), None


def plain_ufunc(eqn):
    """The ufunc that equation ``eqn`` is one call of (its primitive's ``impl``
    names it, and it has no parameters and no ``emit`` of its own), or None:
    what jit's code generator calls directly, with ``out=`` where it may."""
    if eqn.params or eqn.prim.emit is not None:
        return None
    return getattr(eqn.prim.unchecked_impl, "ufunc", None)


# the params of the bindings that have none: shared, and never modified
_NO_PARAMS = {}

# every primitive, so that the debug switches can swap in checked impls: the
# checks then cost nothing while they are off
_ALL = weakref.WeakSet()


def _checked(prim, impl):
    def checked_impl(xp, *args, **params):
        ans = impl(xp, *args, **params)
        config.check(prim, ans)
        return ans

    return checked_impl


def _apply_checks(checking: bool) -> None:
    for prim in list(_ALL):
        impl = prim.unchecked_impl
        prim.impl = _checked(prim, impl) if checking else impl


config.on_change.append(_apply_checks)


def _zero_vjp(ct, ans, *args, needs, **params):
    return (None,) * len(args)


def _vjp_from_transpose(transpose):
    # A linear primitive's VJP is its transpose, with the wanted inputs undefined.
    def vjp(ct, ans, *args, needs, **params):
        linear_args = [Undefined(a.shape, a.dtype) if need else a for a, need in zip(args, needs)]
        return transpose(ct, *linear_args, **params)

    return vjp


def _transpose_from_vjp(vjp):
    # The undefined arguments are the ones the VJP is asked about.
    def transpose(ct, *args, **params):
        needs = tuple(type(a) is Undefined for a in args)
        return vjp(ct, None, *args, needs=needs, **params)

    return transpose
