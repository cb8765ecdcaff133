"""Constant folding: equations of constants alone are computed once, when the
program is optimized, rather than at every call.

A folded result becomes a constant of the program; a weakly typed scalar
becomes a Python scalar literal, so that it still gives way to the other
operand's dtype (``x32 * c`` stays float32). A strongly typed scalar stays a
NumPy constant: as a Python scalar it would stop promoting. An equation whose
result is much larger than its inputs (a scalar broadcast to a large array)
stays in the program: stored, it would cost memory and bandwidth at every
call, for work that is a view or a fill.
"""

from __future__ import annotations

from fntrans.core.aval import ShapedArray, aval_of
from fntrans.core.ir import IR, Eqn, Literal, renamed
from fntrans.core.primitive import Primitive
from fntrans.core.tracer import Tracer

__all__ = ["UNFOLDABLE", "fold_constants"]

UNFOLDABLE: set[Primitive] = set()
"""Primitives never computed ahead of time: those with effects or randomness."""

# a result folds when it has at most GROWTH times as many elements as its
# inputs together, or at most SMALL elements
GROWTH = 2
SMALL = 256

_PYTHON_SCALARS = (bool, int, float, complex)


def fold_constants(ir: IR) -> IR:
    """``ir`` with every equation whose inputs are all constants or literals
    computed (by binding its primitive) and its results made constants.
    Returns ``ir`` itself when nothing folds; constants no longer read are
    left to dead-code elimination.

    >>> import numpy as np
    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> from fntrans.primitives.elementwise import mul_p
    >>> from fntrans.primitives.math_functions import sin_p
    >>> from fntrans.core.ir import Var
    >>> ir = ft.make_jaxpr(lambda x: x * 2.0)(1.0)
    >>> a, two = ir.eqns[0].invars
    >>> s = Var(ShapedArray((), np.float64, weak_type=True))
    >>> ir.eqns[:0] = [Eqn(sin_p, [two], [s], {})]  # sin(2.0), as a rewrite might write
    >>> ir.eqns[1] = Eqn(mul_p, [a, s], ir.eqns[1].outvars, {})
    >>> print(fold_constants(ir))
    { lambda ; x:f64[]. let
        a:f64[] = mul x 0.9092974268256817
      in (a,) }
    """
    known = dict(zip(ir.constvars, ir.consts))
    rename = {}  # results folded into literals
    constvars, consts = list(ir.constvars), list(ir.consts)
    eqns = []
    for eqn in ir.eqns:
        eqn = eqn.renamed(rename)
        values = _computed(eqn, known)
        if values is None:
            eqns.append(eqn)
            continue
        for var, value in zip(eqn.outvars, values):
            literal = _as_literal(var.aval, value)
            if literal is not None:
                rename[var] = literal
            else:
                known[var] = value
                constvars.append(var)
                consts.append(value)
    if len(eqns) == len(ir.eqns):
        return ir
    outvars = renamed(ir.outvars, rename)
    return IR(ir.invars, constvars, consts, eqns, outvars, ir.in_names, ir.out_names)


def _computed(eqn: Eqn, known: dict):
    """The values of ``eqn``'s results when it folds, else None."""
    if eqn.prim in UNFOLDABLE:
        return None
    args = []
    for v in eqn.invars:
        if type(v) is Literal:
            args.append(v.value)
        elif v in known and not isinstance(known[v], Tracer):
            args.append(known[v])
        else:
            return None
    in_size = sum(v.aval.size for v in eqn.invars)
    out_size = sum(v.aval.size for v in eqn.outvars)
    if out_size > max(GROWTH * in_size, SMALL):
        return None
    try:
        ans = eqn.prim.bind(*args, **eqn.params)
    except Exception:  # it raises at every call instead, where the caller expects it
        return None
    values = ans if eqn.prim.multiple_results else (ans,)
    for var, value in zip(eqn.outvars, values):
        aval = aval_of(value)
        if aval.shape != var.aval.shape or aval.dtype != var.aval.dtype:
            return None  # not the value the program says: keep computing it
    return values


def _as_literal(aval: ShapedArray, value) -> Literal | None:
    """A weakly typed scalar as the Python scalar it stands for, else None."""
    if aval.shape != () or not aval.weak_type:
        return None
    scalar = value.item() if hasattr(value, "item") else value
    if type(scalar) not in _PYTHON_SCALARS or aval_of(scalar) != aval:
        return None
    return Literal(scalar)
