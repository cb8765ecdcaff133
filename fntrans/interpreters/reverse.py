"""Reverse mode: record as you go onto a tape, then walk it backwards.

Each primitive applied to a ``ReverseTracer`` runs on the primal values (under
the enclosing interpreters) and appends one equation to the tape. The tape is
an IR program whose variables are node numbers and whose equations keep their
input values (the residuals). A tracer is a handle: it points at a node and
its value, and assigning into it (``x[i] = v``) points it at a new node,
leaving every recorded value as it was.

The backward pass calls each primitive's VJP rule; rules bind primitives, so
enclosing transforms see the backward pass too — that is what makes
``grad(grad(f))`` work.
"""

from __future__ import annotations

import functools
import itertools

from fntrans import backend
from fntrans.backend import array_module
from fntrans.core.aval import aval_of
from fntrans.core.interpreter import Interpreter
from fntrans.core.ir import IR, Eqn, Literal, Var
from fntrans.core.tracer import PrimalTracer, Tracer
from fntrans.interpreters.ad_util import add_tangents, fit_cotangent
from fntrans.interpreters.transpose import vjp_from_jvp
from fntrans.primitives.elementwise import add


class ReverseTracer(PrimalTracer):
    """A value on the tape: ``node`` is its variable (``None`` for a constant)."""

    __slots__ = ("node",)

    def __init__(self, interp, primal, node):
        self._interp = interp
        self.primal = primal
        self.node = node

    def carries_derivative(self) -> bool:
        return self.node is not None


# A tape equation is a tuple, the cheapest record to build:
# ``(prim, params, primals, nodes, needs, ans, outs)``. ``primals`` are the
# input values (the residuals); ``nodes`` holds each input's node where
# ``needs`` is true (an input that wants a cotangent) and None elsewhere;
# ``ans`` is the output value (a tuple of them for multiple results) and
# ``outs`` the output nodes (None for one that carries no derivative).


class Tape(Interpreter):
    """The reverse-mode interpreter: its state is the list of recorded equations."""

    __slots__ = ("eqns", "_counter", "walking_back")
    differentiates = "reverse"

    def __init__(self, name: str = "grad"):
        super().__init__(name)
        self.eqns = []
        self._counter = itertools.count()
        self.walking_back = False  # during backward: a use of its tracers is a closure

    def new_input(self, value) -> ReverseTracer:
        return ReverseTracer(self, value, next(self._counter))

    def lift(self, value) -> ReverseTracer:
        """A constant of this transform: a handle that can be assigned into."""
        return ReverseTracer(self, value, None)

    def process_primitive(self, prim, args, params):
        primals, nodes, needs = [], [], []
        lower = None  # the innermost enclosing transform tracing the inputs, if any
        own = False  # whether a tracer of this transform is among the inputs
        any_need = False
        for a in args:
            node = None
            if type(a) is ReverseTracer and a._interp is self:
                own = True
                node = a.node
                a = a.primal
                if node is not None:
                    any_need = True
            if isinstance(a, Tracer):
                interp = a._interp
                if lower is None or interp.level > lower.level:
                    lower = interp
            primals.append(a)
            nodes.append(node)
            needs.append(node is not None)
        if prim.forward is not None:
            ans = prim.forward(*primals, **params)
        elif lower is None:  # nothing else traces these values: compute directly
            ans = prim.impl(array_module(primals), *primals, **params)
        elif lower.alive:  # what bind would do, without looking for it again
            ans = lower.process_primitive(prim, primals, params)
        else:
            ans = prim.bind(*primals, **params)  # reports the leaked tracer
        if not any_need:  # constants in, constant out: assignable if it came from ours
            return self.lift_all(ans, prim.multiple_results) if own else ans
        if prim.zero_derivative:
            return ans  # no derivative to carry: a plain value, as for integer results
        if prim.multiple_results:
            outs = tuple(next(self._counter) if _differentiable(a) else None for a in ans)
            self.eqns.append((prim, params, primals, nodes, needs, ans, outs))
            return tuple(a if n is None else ReverseTracer(self, a, n) for a, n in zip(ans, outs))
        if ans.dtype.kind not in "fc":
            return ans  # integer and boolean results carry no derivative
        node = next(self._counter)
        self.eqns.append((prim, params, primals, nodes, needs, ans, node))
        out = _new_object(ReverseTracer)  # skips __init__: this is the hot path
        out._interp = self
        out.primal = ans
        out.node = node
        return out

    def is_own(self, x) -> bool:
        return type(x) is ReverseTracer and x._interp is self and x.node is not None

    def backward(self, out_nodes, cts, *, keep: bool) -> dict:
        """Propagates cotangents ``cts`` of the nodes ``out_nodes`` back through the tape.

        Returns a dict from node to accumulated cotangent, which holds the
        inputs' cotangents at the end. With ``keep=False`` each equation is
        dropped once processed, freeing residuals after their last use; with
        ``keep=True`` the tape can be walked again.
        """
        self.walking_back = True
        # constants the rules make go where the forward pass's values are
        defaults = backend._defaults
        previous, defaults.transform = defaults.transform, self.backend
        try:
            return self._walk_back(out_nodes, cts, keep)
        finally:
            self.walking_back = False
            defaults.transform = previous

    def _walk_back(self, out_nodes, cts, keep):
        acc = {}
        for node, ct in zip(out_nodes, cts):
            if node is not None:
                acc[node] = add_tangents(acc.get(node), ct)
        eqns = self.eqns
        pop = acc.pop
        for i in range(len(eqns) - 1, -1, -1):
            prim, params, primals, nodes, needs, ans, outs = eqns[i]
            if not keep:
                eqns[i] = None
            if type(outs) is tuple:  # multiple results
                ct = tuple(None if n is None else pop(n, None) for n in outs)
                if all(c is None for c in ct):
                    continue
            else:
                ct = pop(outs, None)
                if ct is None:
                    continue
            vjp = prim.vjp or _vjp_from_jvp(prim)
            cts_in = vjp(ct, ans, *primals, needs=needs, **params)
            for node, primal, ct_a in zip(nodes, primals, cts_in):
                if node is not None and ct_a is not None:
                    dtype = ct_a.dtype
                    if dtype is not primal.dtype and dtype != primal.dtype:
                        ct_a = fit_cotangent(ct_a, primal.dtype)
                    old = acc.get(node)
                    acc[node] = ct_a if old is None else add(old, ct_a)
        return acc

    def as_ir(self, inputs, outputs) -> IR:
        """The tape as an IR program that can be replayed.

        Args:
            inputs: ``(node, value)`` of each input, as they were created.
            outputs: the results (tracers of this tape, or constants).
        """
        variables, constvars, consts = {}, {}, []

        def var(node, value):
            if node not in variables:
                variables[node] = Var(aval_of(value))
            return variables[node]

        def constant(value):
            scalar = (
                isinstance(value, (bool, int, float, complex)) or getattr(value, "ndim", 1) == 0
            )
            if scalar and not isinstance(value, Tracer):  # a traced one stays a variable
                return Literal(value)
            if id(value) not in constvars:
                constvars[id(value)] = Var(aval_of(value))
                consts.append(value)
            return constvars[id(value)]

        invars = [var(node, value) for node, value in inputs]
        eqns = []
        for e in self.eqns:
            if e is None:
                continue
            prim, params, primals, nodes, _, ans, outs = e
            args = [constant(p) if n is None else var(n, p) for n, p in zip(nodes, primals)]
            if type(outs) is tuple:
                outvars = [var(n, a) for n, a in zip(outs, ans)]
            else:
                outvars = [var(outs, ans)]
            eqns.append(Eqn(prim, args, outvars, params))
        outvars = [var(o.node, o.primal) if self.is_own(o) else constant(o) for o in outputs]
        return IR(invars, list(constvars.values()), consts, eqns, outvars)


_new_object = object.__new__


def _differentiable(value) -> bool:
    return value.dtype.kind in "fc"


# A primitive with neither a VJP nor a transpose rule (custom_jvp, extend.defjvp):
# linearize its JVP rule and transpose that.
_vjp_from_jvp = functools.cache(vjp_from_jvp)
