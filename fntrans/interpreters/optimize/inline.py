"""Inlining: the program a call primitive runs becomes part of its caller."""

from __future__ import annotations

from collections.abc import Callable

from fntrans.core.ir import IR, Eqn, Literal, Var, renamed


def inline_calls(ir: IR, calls: dict[object, Callable]) -> IR:
    """``ir`` with each equation of a primitive in ``calls`` replaced by the
    equations of the program it calls (``calls[prim](params)``, an ``IR``
    whose inputs are the equation's inputs), recursively, so that later
    passes see through calls (a jitted function called inside another).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> inner = ft.jit(fnp.sin)
    >>> ir = ft.make_jaxpr(lambda x: inner(x) * 2.0)(1.0)
    >>> [e.prim.name for e in ir.eqns]
    ['jit_call', 'mul']
    >>> from fntrans.jit import CALLS
    >>> [e.prim.name for e in inline_calls(ir, CALLS).eqns]
    ['sin', 'mul']
    """
    if not any(eqn.prim in calls for eqn in ir.eqns):
        return ir
    constvars, consts = list(ir.constvars), list(ir.consts)
    eqns = []
    rename = {}

    for eqn in ir.eqns:
        if eqn.prim not in calls:
            eqns.append(eqn.renamed(rename))
            continue
        callee = inline_calls(calls[eqn.prim](eqn.params), calls)
        inner = dict(zip(callee.invars, renamed(eqn.invars, rename)))
        for var, value in zip(callee.constvars, callee.consts):
            inner[var] = fresh = Var(var.aval)
            constvars.append(fresh)
            consts.append(value)
        for callee_eqn in callee.eqns:
            outvars = [Var(v.aval) for v in callee_eqn.outvars]
            invars = [v if type(v) is Literal else inner[v] for v in callee_eqn.invars]
            inner.update(zip(callee_eqn.outvars, outvars))
            eqns.append(Eqn(callee_eqn.prim, invars, outvars, callee_eqn.params))
        for out, result in zip(eqn.outvars, callee.outvars):
            rename[out] = result if type(result) is Literal else inner[result]
    outvars = renamed(ir.outvars, rename)
    return IR(ir.invars, constvars, consts, eqns, outvars, ir.in_names, ir.out_names)
