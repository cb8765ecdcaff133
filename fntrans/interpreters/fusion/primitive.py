"""``fused_elementwise``: one equation that runs a fused group's program.

Its parameters are the group's ``program`` (an IR of elementwise equations,
maybe closed by ``reduce_sum``) and its ``kernels`` (compiled on first use).
Its derivative and batching rules evaluate the program under the transform:
the transform sees the group's equations one by one, and a program derived
from them (a gradient, a batched version) is fused again when ``jit``
compiles it.
"""

from __future__ import annotations

import functools

import numpy as np

from fntrans.core.interpreter import new_interpreter
from fntrans.core.ir import IR, Literal, eval_ir
from fntrans.core.primitive import Primitive
from fntrans.interpreters.flat import pull_back, vmap_flat
from fntrans.interpreters.fusion import cupy_kernels, numba_kernels
from fntrans.interpreters.jvp import JVP, JVPTracer


class Kernels:
    """The compiled forms of one group's program, made on first use: a Numba
    kernel on NumPy arrays, a CuPy kernel on CuPy arrays, and otherwise the
    program's equations one by one."""

    __slots__ = ("program", "shape", "_cpu", "_gpu")

    def __init__(self, program: IR, shape: tuple):
        self.program = program
        self.shape = shape
        self._cpu = None
        self._gpu = {}  # array module -> runner

    def __call__(self, xp, *args) -> tuple:
        if xp is np:
            if self._cpu is None:
                self._cpu = (
                    numba_kernels.make_runner(self.program, self.shape)
                    if numba_kernels.available()
                    else _equations(self.program, np)
                )
            return self._cpu(*args)
        run = self._gpu.get(xp)
        if run is None:
            run = self._gpu[xp] = (
                cupy_kernels.make_runner(self.program, xp)
                if cupy_kernels.supports(xp)
                else _equations(self.program, xp)
            )
        return run(*args)

    def __repr__(self):
        return f"<kernels of {len(self.program.eqns)} equations over {self.shape}>"


def _equations(program: IR, xp):
    """The program as its equations' implementations, one after another."""

    def run(*args):
        env = dict(zip(program.invars, args))
        for eqn in program.eqns:
            values = [v.value if type(v) is Literal else env[v] for v in eqn.invars]
            env[eqn.outvars[0]] = eqn.prim.impl(xp, *values, **eqn.params)
        return tuple(env[v] for v in program.outvars)

    return run


def _jvp(primals, tangents, *, program, kernels):
    with new_interpreter(JVP(), primals) as interp:
        inputs = [JVPTracer(interp, p, t) for p, t in zip(primals, tangents)]
        outs = eval_ir(program, *inputs)
    values, out_tangents = [], []
    for o in outs:
        own = isinstance(o, JVPTracer) and o._interp is interp
        values.append(o.primal if own else o)
        out_tangents.append(o.tangent if own else None)
    return tuple(values), tuple(out_tangents)


def _vjp(cts, ans, *args, needs, program, kernels):
    return pull_back(functools.partial(eval_ir, program), args, needs, cts)


def _batch(prim, vals, dims, *, program, kernels):
    outs = vmap_flat(functools.partial(eval_ir, program), dims)(*vals)
    return outs, (0,) * len(outs)


fused_elementwise_p = Primitive(
    "fused_elementwise",
    impl=lambda xp, *args, program, kernels: kernels(xp, *args),
    shape=lambda *avals, program, kernels: tuple(v.aval for v in program.outvars),
    jvp=_jvp,
    vjp=_vjp,
    batch=_batch,
    multiple_results=True,
)
