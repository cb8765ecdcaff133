"""Memory planning: elementwise results written into dead inputs' buffers."""

from __future__ import annotations

from fntrans.core.ir import IR, Literal
from fntrans.core.primitive import plain_ufunc


def computes_in_place(eqn) -> bool:
    """Whether ``eqn`` is a NumPy-style ufunc call that can take ``out=``
    (and so also makes a new array of its own when it does not)."""
    return plain_ufunc(eqn) is not None


def plan_memory(ir: IR, donated=()) -> dict[int, int]:
    """Where each elementwise equation may write its result: ``{equation
    index: position of the input whose buffer it overwrites}``.

    An input's buffer is reused only when nothing can read it afterwards: it
    was made by an earlier elementwise equation (a fresh array, never a view)
    or is a donated input (positions ``donated`` of ``ir.invars``), this
    equation is the only one that reads it, it is not an output, and it has
    the result's shape and dtype. 0-d values are left alone (NumPy returns
    scalars for them, which have no buffer).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ir = ft.make_jaxpr(lambda x: fnp.tanh(fnp.sin(x)))(fnp.ones(3))
    >>> plan_memory(ir)
    {1: 0}
    """
    uses = {}
    for eqn in ir.eqns:
        for v in eqn.invars:
            if type(v) is not Literal:
                uses[v] = uses.get(v, 0) + 1
    for v in ir.outvars:
        if type(v) is not Literal:
            uses[v] = uses.get(v, 0) + 1_000  # never overwritten
    fresh = {ir.invars[i] for i in donated if ir.invars[i].aval.shape}
    plan = {}
    for index, eqn in enumerate(ir.eqns):
        if not computes_in_place(eqn):
            continue
        (out,) = eqn.outvars
        if not out.aval.shape:
            continue
        for position, v in enumerate(eqn.invars):
            if (
                type(v) is not Literal
                and v in fresh
                and uses[v] == eqn.invars.count(v)
                and v.aval.shape == out.aval.shape
                and v.aval.dtype == out.aval.dtype
            ):
                plan[index] = position
                fresh.discard(v)
                break
        fresh.add(out)
    return plan
