"""Dead-code elimination: keep only the equations an output needs."""

from __future__ import annotations

from fntrans.core.ir import IR, Literal


def eliminate_dead_code(ir: IR) -> IR:
    """``ir`` without the equations no output depends on, and without the
    constants no equation reads. Every primitive is pure, so nothing else is
    kept.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ir = ft.make_jaxpr(lambda x: (fnp.sin(x), fnp.cos(x))[1])(1.0)
    >>> [e.prim.name for e in eliminate_dead_code(ir).eqns]
    ['cos']
    """
    live = {v for v in ir.outvars if type(v) is not Literal}
    kept = []
    for eqn in reversed(ir.eqns):
        if any(v in live for v in eqn.outvars):
            kept.append(eqn)
            live.update(v for v in eqn.invars if type(v) is not Literal)
    kept.reverse()
    if len(kept) == len(ir.eqns) and all(v in live for v in ir.constvars):
        return ir
    consts = [(v, c) for v, c in zip(ir.constvars, ir.consts) if v in live]
    return IR(
        ir.invars,
        [v for v, _ in consts],
        [c for _, c in consts],
        kept,
        ir.outvars,
        ir.in_names,
        ir.out_names,
    )
