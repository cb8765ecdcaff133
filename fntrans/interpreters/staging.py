"""Staging: trace a function into an IR, folding what does not depend on its inputs.

A ``StagingTracer`` knows only its abstract value. A primitive applied to one
is written into the program; a primitive applied only to known values never
reaches this interpreter and is computed at once, its result entering the
program as a constant. That makes staging also partial evaluation: tracing a
JVP with staged tangents and known primals leaves exactly the linear map
(``linearize``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence

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

    __slots__ = ("eqns", "constvars", "consts", "input_names", "input_vars", "runs_later")
    records = True

    def __init__(self, name: str = "make_jaxpr", runs_later: bool = False):
        super().__init__(name)
        # whether the program runs after tracing ends (jit, make_jaxpr, a loop
        # body): calls that carry user functions must then not close over tracers
        self.runs_later = runs_later
        self.eqns = []
        self.constvars = {}  # id(value) -> Var
        self.consts = {}  # id(value) -> value (kept alive while tracing)
        self.input_names = {}  # Var -> what the user calls it ("argument 1")
        self.input_vars = {}  # id of an input tracer -> its variable

    def new_input(self, aval, name: str | None = None) -> StagingTracer:
        var = Var(aval)
        if name is not None:
            self.input_names[var] = name
        tracer = StagingTracer(self, var)
        # the input's variable, even after the function assigns into it (x[0] = v)
        self.input_vars[id(tracer)] = var
        return tracer

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

    def build(
        self,
        inputs,
        outputs,
        in_names: Sequence[str] | None = None,
        out_names: Sequence[str] | None = None,
    ) -> IR:
        """The program from the staged ``inputs`` to ``outputs`` (tracers or
        values); ``in_names`` and ``out_names`` name them for the reader."""
        outvars = [self.var_of(x) for x in outputs]
        keys = list(self.constvars)
        return IR(
            [self.input_vars.get(id(x), x.var) for x in inputs],
            [self.constvars[k] for k in keys],
            [self.consts[k] for k in keys],
            self.eqns,
            outvars,
            in_names,
            out_names,
        )


def parameter_names(f: Callable, n: int) -> list[str]:
    """What ``f`` calls its first ``n`` positional arguments: its parameters'
    names, ``args[i]`` for those taken by ``*args``, ``arg{i}`` when ``f`` has
    no signature to read."""
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
            continue
        if p.kind is p.VAR_POSITIONAL:
            names += [f"{p.name}[{i}]" for i in range(n - len(names))]
        break
    names += [f"arg{i}" for i in range(len(names), n)]
    return names[:n]


def _path_text(path: tuple) -> str:
    # no spaces, so that a name stays one word of the printed program
    text = "".join(f"[{key!r}]" for key in path)
    return re.sub(r"\s+", "_", re.sub(r",\s+", ",", text))


def input_names(f: Callable, n: int, leaf_paths: Sequence[tuple]) -> tuple[list, list]:
    """Names for the leaves of ``f``'s ``n`` positional arguments, given as
    ``(position, path)`` pairs: in the printed program, the parameter's name
    and the leaf's path (``params['W1']``); in error messages, the argument's
    position and the path (``argument 0['W1']``).

    >>> input_names(lambda params, x: None, 2, [(0, ("W1",)), (0, ("b1",)), (1, ())])
    (["params['W1']", "params['b1']", 'x'], ["argument 0['W1']", "argument 0['b1']", 'argument 1'])
    """
    params = parameter_names(f, n)
    labels, messages = [], []
    for p, path in leaf_paths:
        text = _path_text(path)
        labels.append(params[p] + text)
        messages.append(f"argument {p}{text}")
    return labels, messages


def output_names(leaf_paths: Sequence[tuple]) -> list[str]:
    """A name for each leaf of a result, given by its path: ``out`` and the path.

    >>> output_names([("W",), ("b", 0), ("b", 1)])
    ["out['W']", "out['b'][0]", "out['b'][1]"]
    """
    return ["out" + _path_text(path) for path in leaf_paths]
