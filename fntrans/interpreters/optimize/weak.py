"""Forgetting weak types where they cannot change a dtype."""

from __future__ import annotations

from fntrans.core.ir import IR, Eqn, Literal, Var


def _wide(aval) -> bool:
    return aval.dtype.kind == "b" or aval.dtype.itemsize >= 8


def forget_weak_types(ir: IR) -> IR:
    """``ir`` with every variable strongly typed, when every value in it has a
    64-bit dtype (or is boolean).

    A weak type (a Python scalar's) only matters against a narrower dtype:
    ``x32 * 2.0`` stays float32 while ``x32 * np.float64(2.0)`` does not.
    Among 64-bit values a weak and a strong value promote alike, and dropping
    the distinction lets rewrites such as ``x * 1 -> x`` apply when ``x``
    came from a Python scalar and the one from an array. Literals keep their
    weak type (they are Python scalars in the generated code).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ir = ft.make_jaxpr(fnp.sin)(1.0)
    >>> ir.invars[0].aval.weak_type, forget_weak_types(ir).invars[0].aval.weak_type
    (True, False)
    """
    variables = [*ir.invars, *ir.constvars, *(v for e in ir.eqns for v in e.outvars)]
    if not any(v.aval.weak_type for v in variables) or not all(_wide(v.aval) for v in variables):
        return ir
    strong = {v: Var(v.aval.update(weak_type=False)) if v.aval.weak_type else v for v in variables}

    def read(v):
        return v if type(v) is Literal else strong[v]

    eqns = [
        Eqn(e.prim, [read(v) for v in e.invars], [strong[v] for v in e.outvars], e.params)
        for e in ir.eqns
    ]
    return IR(
        [strong[v] for v in ir.invars],
        [strong[v] for v in ir.constvars],
        ir.consts,
        eqns,
        [read(v) for v in ir.outvars],
        ir.in_names,
        ir.out_names,
    )
