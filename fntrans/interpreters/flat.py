"""The transforms on flat lists of arrays, for rules that run a transform on a
function or program (the rules of custom_jvp, custom_vjp, checkpoint, lax's
loops and branches, jit's calls and fused kernels).

No pytrees and no argument checks: the callers pass what the rules were given.
"""

from __future__ import annotations

from fntrans.core.aval import aval_of
from fntrans.core.interpreter import new_interpreter
from fntrans.core.ir import IR, Var
from fntrans.core.tracer import Tracer
from fntrans.interpreters.ad_util import instantiate
from fntrans.interpreters.batching import Batch, BatchTracer
from fntrans.interpreters.jvp import JVP, JVPTracer
from fntrans.interpreters.reverse import Tape
from fntrans.interpreters.staging import Staging


def trace_shapes(fun, avals) -> tuple:
    """The abstract values of ``fun``'s flat outputs on inputs of ``avals``."""
    with new_interpreter(Staging("shape")) as staging:
        outs = fun(*(staging.new_input(a) for a in avals))
        return tuple(aval_of(o) for o in outs)


def trace_program(fun, avals, like=(), name: str = "closure", names=None, labels=None):
    """The program (IR) of ``fun``, a function of flat arrays returning a flat
    list, on inputs of ``avals``, to run later. ``like`` (arrays or tracers)
    gives the backend of the constants made; ``names`` name the inputs in
    errors, ``labels`` in the program."""
    with new_interpreter(Staging(name, runs_later=True), list(like)) as staging:
        inputs = [staging.new_input(a, n) for a, n in zip(avals, names or [None] * len(avals))]
        return staging.build(inputs, list(fun(*inputs)), labels)


def trace_closed(fun, avals, like=(), name: str = "closure") -> tuple:
    """``(ir, closures)``: ``trace_program``'s program, whose last inputs stand
    for ``closures``: the traced values of enclosing transforms that ``fun``
    closes over (they were constants of the program)."""
    ir = trace_program(fun, avals, like, name)
    return ir, traced_constants_as_inputs(ir)


def join_closed(traced) -> tuple[list, list]:
    """Programs traced separately by ``trace_closed`` (pairs ``(ir, closures)``:
    a function and its rules, branches, a loop's condition and body), each
    taking the closures of all of them as its last inputs, in one order:
    ``(irs, closures)``."""
    closures = {}
    for _, found in traced:
        for c in found:
            closures.setdefault(id(c), c)
    irs = []
    for ir, found in traced:
        n_args = len(ir.invars) - len(found)
        own = dict(zip((id(c) for c in found), ir.invars[n_args:]))
        extra = [own.get(key) or Var(aval_of(c)) for key, c in closures.items()]
        irs.append(IR(ir.invars[:n_args] + extra, ir.constvars, ir.consts, ir.eqns, ir.outvars))
    return irs, list(closures.values())


def traced_constants_as_inputs(ir) -> list:
    """Turns the constants of ``ir`` that are tracers of enclosing transforms
    (values a function closes over) into its last inputs, in place, and
    returns them: they are operands of the call that runs the program."""
    traced = [i for i, c in enumerate(ir.consts) if isinstance(c, Tracer)]
    closures = [ir.consts[i] for i in traced]
    ir.invars += [ir.constvars[i] for i in traced]
    ir.constvars = [v for i, v in enumerate(ir.constvars) if i not in traced]
    ir.consts = [c for i, c in enumerate(ir.consts) if i not in traced]
    return closures


def jvp_flat(fun, primals, tangents) -> tuple:
    """``(outs, out_tangents)`` of ``fun`` at ``primals`` along ``tangents``
    (``None`` is a zero tangent); every output tangent is an array."""
    with new_interpreter(JVP(), primals) as interp:
        outs = fun(*(JVPTracer(interp, p, t) for p, t in zip(primals, tangents)))
    values, out_tangents = jvp_outputs(interp, outs)
    return tuple(values), tuple(out_tangents)


def jvp_outputs(interp, outs) -> tuple[list, list]:
    """The primal values and tangents (arrays) of a forward-mode trace's
    outputs. An output that does not depend on the inputs has a zero tangent:
    one of another transform, and one of this trace's constants (a copy of an
    enclosing transform's value is one) alike."""
    values, tangents = [], []
    for o in outs:
        own = isinstance(o, JVPTracer) and o._interp is interp
        value, tangent = (o.primal, o.tangent) if own else (o, None)
        values.append(value)
        tangents.append(instantiate(tangent, value))
    return values, tangents


def pull_back(fun, args, needs, cts) -> tuple:
    """Cotangents of ``args`` (``None`` where not ``needs``) for cotangents
    ``cts`` of ``fun(*args)``'s flat outputs, by running ``fun`` under a fresh tape."""
    with new_interpreter(Tape("call"), args) as tape:
        inputs = [tape.new_input(a) if need else a for a, need in zip(args, needs)]
        input_nodes = [t.node if need else None for t, need in zip(inputs, needs)]
        outs = fun(*inputs)
    out_nodes = [o.node if tape.is_own(o) else None for o in outs]
    acc = tape.backward(out_nodes, list(cts), keep=False)
    return tuple(None if n is None else acc.get(n) for n in input_nodes)


def vmap_flat(fun, dims):
    """``fun`` over a batch: argument ``i`` is batched along ``dims[i]`` (``None``:
    the same for every example); every output has its batch axis first."""

    def batched(*args):
        size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
        with new_interpreter(Batch(size), args) as interp:
            inputs = [a if d is None else BatchTracer(interp, a, d) for a, d in zip(args, dims)]
            outs = fun(*inputs)
        return tuple(interp.unbatch(o, 0) for o in outs)

    return batched
