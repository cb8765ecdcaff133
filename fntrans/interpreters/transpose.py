"""Transposition of linear programs, and reverse mode from a JVP rule alone."""

from __future__ import annotations

from fntrans import errors
from fntrans.core.aval import aval_of
from fntrans.core.interpreter import new_interpreter
from fntrans.core.ir import IR, Literal
from fntrans.core.primitive import Undefined
from fntrans.interpreters.ad_util import add_tangents, fit_cotangent
from fntrans.interpreters.staging import Staging


def transpose_ir(ir: IR, cts: list) -> list:
    """Cotangents of ``ir``'s inputs, given cotangents of its outputs.

    ``ir`` must be linear in its inputs (as ``linearize`` makes it): every
    equation has at least one input that depends on the program's inputs.
    """
    known = dict(zip(ir.constvars, ir.consts))
    linear = set(ir.invars)
    for eqn in ir.eqns:
        if any(type(v) is not Literal and v in linear for v in eqn.invars):
            linear.update(eqn.outvars)
        else:  # a constant computation that was not folded: evaluate it
            ans = eqn.prim.bind(*(_read(known, v) for v in eqn.invars), **eqn.params)
            outs = ans if eqn.prim.multiple_results else (ans,)
            known.update(zip(eqn.outvars, outs))

    acc = {}
    for var, ct in zip(ir.outvars, cts):
        if type(var) is not Literal and var in linear and ct is not None:
            _accumulate(acc, var, ct)
    for eqn in reversed(ir.eqns):
        if not any(v in linear for v in eqn.outvars):
            continue
        if eqn.prim.multiple_results:
            ct = tuple(acc.pop(v, None) for v in eqn.outvars)
            if all(c is None for c in ct):
                continue
        else:
            ct = acc.pop(eqn.outvars[0], None)
            if ct is None:
                continue
        args = [
            Undefined(v.aval.shape, v.aval.dtype)
            if type(v) is not Literal and v in linear
            else _read(known, v)
            for v in eqn.invars
        ]
        if eqn.prim.transpose is None:
            raise errors.missing_rule(eqn.prim.name, "transpose")
        cts_in = eqn.prim.transpose(ct, *args, **eqn.params)
        for v, a, ct_v in zip(eqn.invars, args, cts_in):
            if type(a) is Undefined and ct_v is not None:
                _accumulate(acc, v, ct_v)
    return [acc.get(v) for v in ir.invars]


def _read(known, v):
    return v.value if type(v) is Literal else known[v]


def _accumulate(acc, var, ct):
    acc[var] = add_tangents(acc.get(var), fit_cotangent(ct, var.aval.dtype))


def vjp_from_jvp(prim):
    """A VJP rule for ``prim`` from its JVP rule: linearize it, then transpose.

    Used where a primitive has no VJP or transpose rule of its own.
    """

    def vjp(ct, ans, *args, needs, **params):
        with new_interpreter(Staging(prim.name)) as staging:
            tangents = [
                staging.new_input(aval_of(a)) if need else None for a, need in zip(args, needs)
            ]
            _, ans_dot = prim.jvp(list(args), tangents, **params)
            inputs = [t for t in tangents if t is not None]
            outputs = list(ans_dot) if prim.multiple_results else [ans_dot]
            linear = staging.build(inputs, outputs)
        cts = list(ct) if prim.multiple_results else [ct]
        cts_in = iter(transpose_ir(linear, cts))
        return tuple(next(cts_in) if need else None for need in needs)

    return vjp


def jvp_from_vjp(prim):
    """A JVP rule for ``prim`` from its VJP rule: the VJP is linear in the
    cotangent; staged as a program and transposed, it maps tangents to the
    output's tangent (reverse-over-reverse, as autograd does).

    Used where a primitive has a VJP rule but no JVP rule (``extend.defvjp``).
    """

    def jvp(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        outs = ans if prim.multiple_results else (ans,)
        needs = tuple(t is not None for t in tangents)
        with new_interpreter(Staging(prim.name)) as staging:
            cts = [staging.new_input(aval_of(a)) for a in outs]
            ct = tuple(cts) if prim.multiple_results else cts[0]
            cts_in = prim.vjp(ct, ans, *primals, needs=needs, **params)
            pairs = [(c, t) for c, t in zip(cts_in, tangents) if t is not None and c is not None]
            linear = staging.build(cts, [c for c, _ in pairs])
        out_dots = transpose_ir(linear, [t for _, t in pairs])
        if prim.multiple_results:
            return ans, tuple(out_dots)
        return ans, out_dots[0]

    return jvp
