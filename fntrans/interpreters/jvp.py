"""Forward mode: each tracer carries a primal and a tangent (``None`` = zero)."""

from __future__ import annotations

import functools

from fntrans import errors
from fntrans.core.interpreter import Interpreter
from fntrans.core.tracer import PrimalTracer
from fntrans.interpreters.transpose import jvp_from_vjp


class JVPTracer(PrimalTracer):
    __slots__ = ("tangent",)

    def __init__(self, interp, primal, tangent):
        self._interp = interp
        self.primal = primal
        self.tangent = tangent

    def carries_derivative(self) -> bool:
        return self.tangent is not None


_new_object = object.__new__


@functools.cache
def _jvp_from_vjp(prim):
    # A primitive with a VJP rule but no JVP rule: transpose its VJP.
    if prim.vjp is None:
        raise errors.missing_rule(prim.name, "forward-mode (JVP)")
    return jvp_from_vjp(prim)


class JVP(Interpreter):
    """The forward-mode interpreter."""

    __slots__ = ()
    differentiates = "forward"

    def __init__(self, name: str = "jvp"):
        super().__init__(name)

    def lift(self, value) -> JVPTracer:
        """A constant of this transform (zero tangent): a handle that can be assigned into."""
        return JVPTracer(self, value, None)

    def process_primitive(self, prim, args, params):
        primals, tangents = [], []
        own = False  # whether a tracer of this transform is among the inputs
        moving = False  # whether any of them carries a (nonzero) tangent
        for a in args:
            if type(a) is JVPTracer and a._interp is self:
                own = True
                t = a.tangent
                if t is not None:
                    moving = True
                primals.append(a.primal)
                tangents.append(t)
            else:
                primals.append(a)
                tangents.append(None)
        if not moving:
            ans = prim.bind(*primals, **params)
            # constants of this transform in, its constant out (still assignable)
            return self.lift_all(ans, prim.multiple_results) if own else ans
        jvp = prim.jvp or _jvp_from_vjp(prim)
        ans, ans_dot = jvp(primals, tangents, **params)
        if prim.multiple_results:
            return tuple(self._wrap(a, t) for a, t in zip(ans, ans_dot))
        return self._wrap(ans, ans_dot)

    def _wrap(self, ans, ans_dot):
        if ans_dot is None or ans.dtype.kind not in "fc":
            return ans  # no derivative: a plain (or outer-level) value
        out = _new_object(JVPTracer)  # skips __init__: this is the hot path
        out._interp = self
        out.primal = ans
        out.tangent = ans_dot
        return out
