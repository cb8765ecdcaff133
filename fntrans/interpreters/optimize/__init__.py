"""``jit``'s optimizer: small passes from IR to IR, each on its own.

A pass never changes the program it is given; it returns a new one (sharing
the equations it keeps). ``optimize`` runs them to a fixed point:

- ``inline_calls``: the programs of call primitives become part of the caller;
- ``forget_weak_types``: among 64-bit values weak types change nothing, and
  rules that must keep every type exact then apply more often;
- ``rewrite``: local rules that simplify what automatic differentiation
  writes (multiplication by one, transpose pairs, identity bases, ...);
- ``fold_constants``: equations of constants alone are computed once;
- ``eliminate_common_subexpressions``: one equation per distinct computation;
- ``eliminate_dead_code``: what no output needs disappears (the forward values
  a gradient never reads).

Memory planning (``plan_memory``) runs last, on the code generator's side.
"""

from __future__ import annotations

from fntrans.core.ir import IR
from fntrans.interpreters.optimize.cse import eliminate_common_subexpressions
from fntrans.interpreters.optimize.dce import eliminate_dead_code
from fntrans.interpreters.optimize.fold import fold_constants
from fntrans.interpreters.optimize.inline import inline_calls
from fntrans.interpreters.optimize.memory import plan_memory
from fntrans.interpreters.optimize.rewrites import rewrite
from fntrans.interpreters.optimize.weak import forget_weak_types

__all__ = [
    "eliminate_common_subexpressions",
    "eliminate_dead_code",
    "fold_constants",
    "forget_weak_types",
    "inline_calls",
    "optimize",
    "plan_memory",
    "rewrite",
]

PASSES = (rewrite, fold_constants, eliminate_common_subexpressions, eliminate_dead_code)


def optimize(ir: IR, calls: dict | None = None, max_rounds: int = 4) -> IR:
    """``ir`` with every pass applied until the program stops shrinking.

    ``calls`` maps call primitives to a function of an equation's parameters
    that gives the program it calls (see :func:`inline_calls`).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ir = ft.make_jaxpr(ft.value_and_grad(lambda x: fnp.sum(x * 1.0)))(fnp.ones(3))
    >>> len(optimize(ir).eqns) < len(ir.eqns)
    True
    """
    if calls:
        ir = inline_calls(ir, calls)
    ir = forget_weak_types(eliminate_dead_code(ir))
    for _ in range(max_rounds):
        size = len(ir.eqns)
        for run in PASSES:
            ir = run(ir)
        if len(ir.eqns) == size:
            break
    return ir
