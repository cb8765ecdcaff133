"""Common-subexpression elimination: one equation per distinct computation."""

from __future__ import annotations

from fntrans.core.ir import IR, Eqn, Literal, renamed
from fntrans.primitives.elementwise import add_p, mul_p

# primitives whose two operands can be swapped (x * y is y * x)
COMMUTATIVE = {add_p, mul_p}


def _param_key(value):
    """A hashable stand-in for a parameter, or None when it has none (arrays,
    programs, functions are compared by identity)."""
    if type(value) in (tuple, list):
        keys = tuple(_param_key(v) for v in value)
        return None if None in keys else (type(value), keys)
    try:
        hash(value)
    except TypeError:
        return None
    # 1 == 1.0 == True in Python; a parameter's type matters (dtypes, axes)
    return (type(value), value)


def _eqn_key(eqn: Eqn, rename: dict):
    args = []
    for v in eqn.invars:
        if type(v) is Literal:
            key = _param_key(v.value)
            if key is None:
                return None
            args.append(("lit", key, v.aval.dtype, v.aval.weak_type))
        else:
            args.append(rename.get(v, v))
    if eqn.prim in COMMUTATIVE:
        args.sort(key=lambda a: (1, repr(a)) if type(a) is tuple else (0, id(a)))
    params = []
    for name in sorted(eqn.params):
        key = _param_key(eqn.params[name])
        if key is None:
            key = ("id", id(eqn.params[name]))
        params.append((name, key))
    return (eqn.prim, tuple(args), tuple(params))


def eliminate_common_subexpressions(ir: IR) -> IR:
    """``ir`` where an equation that repeats an earlier one (same primitive,
    same inputs, same parameters) is dropped and its results read from the
    earlier one's.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ir = ft.make_jaxpr(lambda x: fnp.sin(x) + fnp.sin(x))(1.0)
    >>> [e.prim.name for e in eliminate_common_subexpressions(ir).eqns]
    ['sin', 'add']
    """
    rename = {}  # a dropped equation's output -> the kept one's
    seen = {}
    eqns = []
    for eqn in ir.eqns:
        key = _eqn_key(eqn, rename)
        if key is not None:
            first = seen.get(key)
            if first is not None:
                rename.update(zip(eqn.outvars, first.outvars))
                continue
        eqn = eqn.renamed(rename)
        if key is not None:
            seen[key] = eqn
        eqns.append(eqn)
    if not rename:
        return ir
    outvars = renamed(ir.outvars, rename)
    return IR(ir.invars, ir.constvars, ir.consts, eqns, outvars, ir.in_names, ir.out_names)
