"""Staging: trace a function into an IR, folding what does not depend on its inputs.

A ``StagingTracer`` knows only its abstract value. A primitive applied to one
is written into the program; a primitive applied only to known values never
reaches this interpreter and is computed at once, its result entering the
program as a constant. That makes staging also partial evaluation: tracing a
JVP with staged tangents and known primals leaves exactly the linear map
(``linearize``).
"""

from __future__ import annotations

from fntrans import errors
from fntrans.core.aval import aval_of
from fntrans.core.interpreter import Interpreter
from fntrans.core.ir import IR, Eqn, Literal, Var
from fntrans.core.tracer import Tracer

_SCALARS = (bool, int, float, complex)


class StagingTracer(Tracer):
    __slots__ = ("var",)

    def __init__(self, interp, var):
        self._interp = interp
        self.var = var

    @property
    def aval(self):
        return self.var.aval

    @property
    def concrete(self):
        return None

    @property
    def inner(self):
        return None

    def _concrete_or_raise(self, operation):
        # name the arguments the value depends on: walk the program back from it
        raise errors.concretization(operation, self.aval, self._interp.sources(self.var))


class Staging(Interpreter):
    """Records equations over abstract values into an IR."""

    __slots__ = ("eqns", "constvars", "consts", "input_names")
    records = True

    def __init__(self, name: str = "make_jaxpr"):
        super().__init__(name)
        self.eqns = []
        self.constvars = {}  # id(value) -> Var
        self.consts = {}  # id(value) -> value (kept alive while tracing)
        self.input_names = {}  # Var -> what the user calls it ("argument 1")

    def new_input(self, aval, name: str | None = None) -> StagingTracer:
        var = Var(aval)
        if name is not None:
            self.input_names[var] = name
        return StagingTracer(self, var)

    def sources(self, var) -> list:
        """The names of the inputs that ``var`` depends on, in input order."""
        needed = {var}
        for eqn in reversed(self.eqns):
            if any(v in needed for v in eqn.outvars):
                needed.update(v for v in eqn.invars if type(v) is Var)
        return list(dict.fromkeys(n for v, n in self.input_names.items() if v in needed))

    def lift(self, value) -> StagingTracer:
        """A known value as a tracer of this program (a constant)."""
        return StagingTracer(self, self.var_of(value))

    def var_of(self, x):
        if type(x) is StagingTracer and x._interp is self:
            return x.var
        if isinstance(x, _SCALARS):
            return Literal(x)
        var = self.constvars.get(id(x))
        if var is None:
            var = self.constvars[id(x)] = Var(aval_of(x))
            self.consts[id(x)] = x
        return var

    def process_primitive(self, prim, args, params):
        invars = [self.var_of(a) for a in args]
        out_avals = prim.shape(*(v.aval for v in invars), **params)
        if prim.multiple_results:
            outvars = [Var(a) for a in out_avals]
            self.eqns.append(Eqn(prim, invars, outvars, params))
            return tuple(StagingTracer(self, v) for v in outvars)
        outvar = Var(out_avals)
        self.eqns.append(Eqn(prim, invars, [outvar], params))
        return StagingTracer(self, outvar)

    def build(self, inputs, outputs) -> IR:
        """The program from the staged ``inputs`` to ``outputs`` (tracers or values)."""
        outvars = [self.var_of(x) for x in outputs]
        keys = list(self.constvars)
        return IR(
            [x.var for x in inputs],
            [self.constvars[k] for k in keys],
            [self.consts[k] for k in keys],
            self.eqns,
            outvars,
        )
