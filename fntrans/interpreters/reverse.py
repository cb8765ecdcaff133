"""Reverse mode: record as you go onto a tape, then walk it backwards.

Each primitive applied to a ``ReverseTracer`` runs on the primal values (under
the enclosing interpreters) and appends one equation to the tape, whose
inputs and outputs are the tracers themselves: the tape is an IR program whose
variables still hold their values (the residuals). The backward pass calls each
primitive's VJP rule; rules bind primitives, so enclosing transforms see the
backward pass too — that is what makes ``grad(grad(f))`` work.
"""

from __future__ import annotations

from fntrans.backend import array_module
from fntrans.core.aval import aval_of
from fntrans.core.interpreter import Interpreter
from fntrans.core.ir import IR, Eqn, Literal, Var
from fntrans.core.tracer import Tracer
from fntrans.primitives.elementwise import add, convert_element_type, real


class ReverseTracer(Tracer):
    __slots__ = ("primal",)

    def __init__(self, interp, primal):
        self._interp = interp
        self.primal = primal

    @property
    def aval(self):
        return aval_of(self.primal)

    @property
    def concrete(self):
        p = self.primal
        return p.concrete if isinstance(p, Tracer) else p

    # read straight from the value: no abstract value is built on the eager path
    shape = property(lambda self: self.primal.shape)
    dtype = property(lambda self: self.primal.dtype)
    ndim = property(lambda self: self.primal.ndim)
    size = property(lambda self: self.primal.size)


def _carries_derivative(value) -> bool:
    return value.dtype.kind in "fc"


class Record(Eqn):
    """A tape equation that also keeps what the backward pass needs: the primal
    inputs (residuals) and which inputs want a cotangent."""

    __slots__ = ("primals", "needs")

    def __init__(self, prim, invars, outvars, params, primals, needs):
        self.prim = prim
        self.invars = invars
        self.outvars = outvars
        self.params = params
        self.primals = primals
        self.needs = needs


class Tape(Interpreter):
    """The reverse-mode interpreter: its state is the list of recorded equations."""

    __slots__ = ("eqns",)

    def __init__(self, name: str = "grad"):
        super().__init__(name)
        self.eqns = []

    def new_input(self, value) -> ReverseTracer:
        return ReverseTracer(self, value)

    def process_primitive(self, prim, args, params):
        primals, needs = [], []
        lower = False  # whether an enclosing transform's tracer is among the inputs
        for a in args:
            own = type(a) is ReverseTracer and a._interp is self
            if own:
                a = a.primal
            if isinstance(a, Tracer):
                lower = True
            primals.append(a)
            needs.append(own)
        if lower:
            ans = prim.bind(*primals, **params)
        else:  # nothing else traces these values: compute directly
            ans = prim.impl(array_module(primals), *primals, **params)
        if prim.multiple_results:
            outs = tuple(ReverseTracer(self, a) if _carries_derivative(a) else a for a in ans)
            self.eqns.append(Record(prim, args, outs, params, primals, needs))
            return outs
        if ans.dtype.kind not in "fc":
            return ans  # integer and boolean results carry no derivative
        out = ReverseTracer(self, ans)
        self.eqns.append(Record(prim, args, (out,), params, primals, needs))
        return out

    def is_own(self, x) -> bool:
        return type(x) is ReverseTracer and x._interp is self

    def backward(self, outputs, cts, *, keep: bool) -> dict:
        """Propagates cotangents ``cts`` of ``outputs`` back through the tape.

        Returns a dict from ``id(tracer)`` to the accumulated cotangent, which
        holds the inputs' cotangents at the end. With ``keep=False`` each
        equation is dropped once processed, freeing residuals after their last
        use; with ``keep=True`` the tape can be walked again.
        """
        acc = {}
        for out, ct in zip(outputs, cts):
            if self.is_own(out) and ct is not None:
                _accumulate(acc, out, ct)
        eqns = self.eqns
        pop = acc.pop
        for i in range(len(eqns) - 1, -1, -1):
            eqn = eqns[i]
            if not keep:
                eqns[i] = None
            prim = eqn.prim
            if prim.multiple_results:
                ct = tuple(pop(id(o), None) for o in eqn.outvars)
                if all(c is None for c in ct):
                    continue
                ans = tuple(o.primal if self.is_own(o) else o for o in eqn.outvars)
            else:
                out = eqn.outvars[0]
                ct = pop(id(out), None)
                if ct is None:
                    continue
                ans = out.primal
            needs = eqn.needs
            cts_in = prim.vjp(ct, ans, *eqn.primals, needs=needs, **eqn.params)
            for a, need, ct_a in zip(eqn.invars, needs, cts_in):
                if need and ct_a is not None:
                    if ct_a.dtype != a.primal.dtype:
                        ct_a = fit_cotangent(ct_a, a.primal)
                    key = id(a)
                    prev = acc.get(key)
                    acc[key] = ct_a if prev is None else add(prev, ct_a)
        return acc

    def as_ir(self, inputs, outputs) -> IR:
        """The tape as a printable IR program from ``inputs`` to ``outputs``."""
        names = {}

        def var(x):
            if self.is_own(x):
                if id(x) not in names:
                    names[id(x)] = Var(x.aval)
                return names[id(x)]
            return Literal(x)

        invars = [var(x) for x in inputs]
        eqns = [
            Eqn(e.prim, [var(a) for a in e.invars], [var(o) for o in e.outvars], e.params)
            for e in self.eqns
            if e is not None
        ]
        return IR(invars, [], [], eqns, [var(x) for x in outputs])


def _accumulate(acc: dict, tracer: ReverseTracer, ct) -> None:
    ct = fit_cotangent(ct, tracer.primal)
    key = id(tracer)
    prev = acc.get(key)
    acc[key] = ct if prev is None else add(prev, ct)


def fit_cotangent(ct, primal):
    """``ct`` in ``primal``'s dtype (the real part, for a real primal)."""
    target = primal.dtype
    if ct.dtype != target:
        if ct.dtype.kind == "c" and target.kind != "c":
            ct = real(ct)
        ct = convert_element_type(ct, dtype=target)
    return ct
