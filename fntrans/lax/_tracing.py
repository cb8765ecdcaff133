"""Bodies of control flow as closed programs, and the programs derived from
them (their JVP, their pull-back, their batched form) that the rules bind.

A body is traced once with the ``Staging`` interpreter on abstract values. A
traced value of an enclosing transform that the body closes over (the weights
``grad`` differentiates, a value ``vmap`` batches) cannot stay a constant of
the program: it becomes a trailing input, passed to the primitive as an
operand, so that the enclosing transform sees it and its derivative or batch
axis flows through the primitive's rules.

A derived program depends only on the body and on which inputs are
differentiated or batched, so each is traced once and kept on the body.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from fntrans.core import constants
from fntrans.core.aval import ShapedArray, dtype_of, is_inexact, shape_of
from fntrans.core.interpreter import new_interpreter
from fntrans.core.ir import IR, Var, eval_ir
from fntrans.core.primitive import Undefined
from fntrans.core.tracer import Tracer
from fntrans.interpreters.ad_util import instantiate
from fntrans.interpreters.batching import Batch, BatchTracer
from fntrans.interpreters.codegen import generate
from fntrans.interpreters.flat import join_closed, jvp_outputs, pull_back, trace_closed
from fntrans.interpreters.jvp import JVP, JVPTracer
from fntrans.primitives.broadcasting import broadcast_to
from fntrans.primitives.elementwise import convert_element_type
from fntrans.primitives.shape import move_axis


class Program(IR):
    """A closed IR of a branch or loop body, with the programs derived from it."""

    __slots__ = ("_compiled", "_derived")

    def __init__(self, ir: IR):
        super().__init__(ir.invars, ir.constvars, ir.consts, ir.eqns, ir.outvars)
        self._compiled = None
        self._derived = {}

    @property
    def in_avals(self) -> list:
        return [v.aval for v in self.invars]

    @property
    def out_avals(self) -> list:
        return [v.aval for v in self.outvars]

    def run(self, xp, *args) -> list:
        """The outputs on concrete ``args``: compiled to one Python function on
        NumPy, evaluated equation by equation on other backends."""
        if xp is np:
            if self._compiled is None:
                self._compiled = generate(self, np, name="body")[0]
            return self._compiled(*args)
        return eval_ir(self, *args)

    def derived(self, key, make: Callable):
        """The program ``make()`` builds from this one, built once per ``key``."""
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]

    def permuted(self, in_order: Sequence[int], out_order: Sequence[int] | None = None) -> Program:
        """The same program with its inputs (and outputs) taken in another order."""
        outvars = self.outvars if out_order is None else [self.outvars[i] for i in out_order]
        ir = IR([self.invars[i] for i in in_order], self.constvars, self.consts, self.eqns, outvars)
        return Program(ir)

    def padded(self, avals: Sequence[ShapedArray]) -> Program:
        """The same program taking extra, unused inputs of ``avals`` at the end."""
        invars = self.invars + [Var(a) for a in avals]
        return Program(IR(invars, self.constvars, self.consts, self.eqns, self.outvars))

    def jvp(self, nonzero: Sequence[bool]) -> Program:
        """Inputs: the primals, then the tangents of the ``nonzero`` inputs.
        Outputs: the results, then the tangents of the inexact results."""
        return self.derived(("jvp", tuple(nonzero)), lambda: _jvp_program(self, nonzero))

    def vjp(self, needs: Sequence[bool], ct_mask: Sequence[bool]) -> Program:
        """Inputs: the primals, then the cotangents of the outputs in ``ct_mask``.
        Outputs: the cotangents of the inputs in ``needs`` (zeros, never missing)."""
        key = ("vjp", tuple(needs), tuple(ct_mask))
        return self.derived(key, lambda: _vjp_program(self, needs, ct_mask))

    def batched(
        self, batched: Sequence[bool], size: int, force: Sequence[bool] | None = None
    ) -> tuple[Program, tuple]:
        """This program over ``size`` examples, the inputs in ``batched`` carrying
        a leading batch axis: ``(program, out_batched)``. Outputs in ``force``
        are batched (broadcast) even when they are the same for every example."""
        key = ("batch", tuple(batched), size, None if force is None else tuple(force))
        return self.derived(key, lambda: _batched_program(self, batched, size, force))


def trace(fun: Callable, in_avals: Sequence[ShapedArray], like=()) -> tuple[Program, list]:
    """``fun`` (flat inputs to a flat list of outputs) as a program on inputs of
    ``in_avals``: ``(program, closures)``, where ``closures`` are the traced
    values of enclosing transforms that ``fun`` closes over, now the program's
    last inputs. ``like`` (arrays) gives the backend of the constants made."""
    ir, closures = trace_closed(
        lambda *inputs: [_as_array(o) for o in fun(*inputs)], in_avals, like, "lax"
    )
    return Program(ir), closures


def _as_array(x):
    """An output of a body as an array: a Python or NumPy scalar written into a
    program is a literal, which a loop could not carry."""
    return x if isinstance(x, Tracer) else constants.asarray(x)


def fit_output(x, dtype):
    """A body's output ``x`` converted to ``dtype`` (a no-op when it has it)."""
    return convert_element_type(x, dtype=dtype)


def join_closures(traced: Sequence[tuple[Program, list]]) -> tuple[list, list]:
    """Programs traced separately (branches, or a loop's condition and body),
    each given the closures of all of them as its last inputs, in one order:
    ``(programs, closures)``."""
    irs, closures = join_closed(traced)
    return [Program(ir) for ir in irs], closures


def as_operand(x):
    """A leaf of the operands or the initial carry as an array (a Python scalar
    becomes one of its default dtype, as a loop's carry must have one type)."""
    if isinstance(x, Tracer) or hasattr(x, "dtype") and hasattr(x, "shape"):
        return x
    return constants.asarray(x)


def split_operands(args, first: int, second: int) -> tuple[list, list, list]:
    """A loop primitive's operands as its three runs: ``first`` values (a
    body's constants), ``second`` values, and the rest."""
    n = first + second
    return list(args[:first]), list(args[first:n]), list(args[n:])


def batched_carry(body, before: tuple, carry_b: tuple, after: tuple, size: int) -> tuple:
    """Which loop carries are batched: those given batched, and those the body
    makes batched (a fixed point), so batched from the start. ``before`` and
    ``after`` say which of the body's other operands are batched."""
    n = len(carry_b)
    while True:
        out_b = body.batched(before + carry_b + after, size)[1][:n]
        grown = tuple(a or b for a, b in zip(carry_b, out_b))
        if grown == carry_b:
            return carry_b
        carry_b = grown


def broadcast_carry(carry, carry_b, dims, size) -> list:
    """The initial carries, those batched (``carry_b``) but given unbatched
    (``dims``) broadcast along a leading batch axis of ``size``."""
    return [
        broadcast_to(c, (size,) + tuple(c.shape)) if b and d is None else c
        for c, b, d in zip(carry, carry_b, dims)
    ]


def inexact(avals) -> tuple:
    return tuple(is_inexact(a.dtype) for a in avals)


def _jvp_program(program: Program, nonzero) -> Program:
    n = len(program.invars)

    def fun(*args):
        primals, tangents = args[:n], iter(args[n:])
        with new_interpreter(JVP("lax"), primals) as interp:
            inputs = [
                JVPTracer(interp, p, next(tangents)) if nz else p for p, nz in zip(primals, nonzero)
            ]
            outs = eval_ir(program, *inputs)
        values, dots = jvp_outputs(interp, outs)
        return values + [d for d, v in zip(dots, values) if is_inexact(dtype_of(v))]

    tangent_avals = [a for a, nz in zip(program.in_avals, nonzero) if nz]
    return trace(fun, program.in_avals + tangent_avals)[0]


def _vjp_program(program: Program, needs, ct_mask) -> Program:
    n = len(program.invars)

    def fun(*args):
        primals, given = args[:n], iter(args[n:])
        cts = [next(given) if m else None for m in ct_mask]
        cts_in = pull_back(lambda *a: eval_ir(program, *a), primals, needs, cts)
        return [instantiate(ct, p) for ct, p, need in zip(cts_in, primals, needs) if need]

    ct_avals = [a for a, m in zip(program.out_avals, ct_mask) if m]
    return trace(fun, program.in_avals + ct_avals)[0]


def transpose_from_vjp(vjp: Callable) -> Callable:
    """A transpose rule from a VJP rule that does not read ``ans``: linear in
    the arguments it is asked about, the primitive pulls back the same way at
    any value of them, so zeros stand in for them (the JVP programs that
    ``linearize`` stages are such)."""

    def transpose(ct, *args, **params):
        needs = tuple(type(a) is Undefined for a in args)
        values = [constants.zeros_like(a) if need else a for a, need in zip(args, needs)]
        return vjp(ct, None, *values, needs=needs, **params)

    return transpose


def zeros_for(ct, aval, like):
    """A cotangent, zeros of ``aval`` (on ``like``'s backend) for a symbolic zero."""
    return constants.full(aval.shape, 0, aval.dtype, like=like) if ct is None else ct


def _batched_program(program: Program, batched, size, force) -> tuple[Program, tuple]:
    out_batched = []

    def fun(*args):
        with new_interpreter(Batch(size), args) as interp:
            inputs = [BatchTracer(interp, a, 0) if b else a for a, b in zip(args, batched)]
            outs = eval_ir(program, *inputs)
        results = []
        out_batched.clear()
        for i, o in enumerate(outs):
            own = type(o) is BatchTracer and o._interp is interp
            if own and o.bdim is not None:
                o = move_axis(o.val, o.bdim, 0)
            else:
                o = o.val if own else o
                if force is None or not force[i]:
                    results.append(o)
                    out_batched.append(False)
                    continue
                o = broadcast_to(o, (size,) + tuple(shape_of(o)))
            results.append(o)
            out_batched.append(True)
        return results

    avals = [
        ShapedArray((size,) + a.shape, a.dtype) if b else a
        for a, b in zip(program.in_avals, batched)
    ]
    return trace(fun, avals)[0], tuple(out_batched)


def batch_leading(x, bdim):
    """``x`` with its batch axis (if any) first."""
    return x if bdim is None else move_axis(x, bdim, 0)


def _top_level(values) -> int:
    return max((v._interp.level for v in values if isinstance(v, Tracer)), default=-1)


def tangents_above_primals(primals, tangents) -> bool:
    """Whether the tangents belong to a transform above the primals' (as in
    ``linearize``, which stages the tangents of known primals). A JVP rule then
    computes the primal outputs on the primals alone, so that they stay known
    instead of becoming outputs of the staged equation."""
    return _top_level([t for t in tangents if t is not None]) > _top_level(primals)
