"""Fusion: chains of elementwise equations as one compiled kernel each.

``fuse(ir, xp)`` finds groups of elementwise equations over one shape
(``groups``), maybe closed by ``reduce_sum``, and replaces each with one
``fused_elementwise`` equation whose kernel computes the whole group in one
pass over memory: a Numba loop nest on NumPy arrays (``numba_kernels``,
cached on disk), a ``cupy.ElementwiseKernel`` on CuPy arrays
(``cupy_kernels``). Without Numba, ``fuse`` leaves NumPy programs as they
are.

A kernel call costs a few microseconds more than a NumPy call, and a Numba
loop computes ``tanh`` or ``exp`` one element at a time where NumPy uses
vector instructions: on the CPU only cheap operations (arithmetic,
comparisons, ``select``) are fused by default, and only over at least
``min_elements`` elements.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from fntrans.core.ir import IR, Eqn, Literal
from fntrans.interpreters.fusion import cupy_kernels, numba_kernels
from fntrans.interpreters.fusion.groups import Group, find_groups
from fntrans.interpreters.fusion.ops import CHEAP, DTYPES, operation
from fntrans.interpreters.fusion.primitive import Kernels, fused_elementwise_p

__all__ = ["Group", "find_groups", "fusible", "fuse", "fused_elementwise_p"]

# groups over fewer elements run as NumPy calls (measured: benchmarks/bench_fusion.py)
MIN_ELEMENTS = 1 << 16


def _plain_number(v) -> bool:
    return isinstance(v.value, (bool, int, float, np.bool_, np.integer, np.floating))


def fusible(eqn, min_elements: int = 0, transcendental: bool = True) -> bool:
    """Whether ``eqn`` is elementwise in a form the kernels compile, over at
    least ``min_elements`` elements (and, unless ``transcendental``, one of
    the cheap operations: arithmetic, comparisons, ``select``...)."""
    op = operation(eqn)
    if op is None or op == "reduce_sum" or len(eqn.outvars) != 1:
        return False
    if not transcendental and op not in CHEAP:
        return False
    out = eqn.outvars[0].aval
    if not out.shape or math.prod(out.shape) < max(min_elements, 1):
        return False
    if out.dtype not in DTYPES:
        return False
    return all(
        v.aval.dtype in DTYPES if type(v) is not Literal else _plain_number(v) for v in eqn.invars
    )


def _reducible(eqn) -> bool:
    return operation(eqn) == "reduce_sum" and eqn.outvars[0].aval.dtype.kind == "f"


def fuse(
    ir: IR,
    xp=np,
    *,
    min_size: int = 3,
    min_elements: int = MIN_ELEMENTS,
    reductions: bool = False,
    transcendental: bool | None = None,
) -> IR:
    """``ir`` with each group of at least ``min_size`` elementwise equations
    over at least ``min_elements`` elements (closed by its ``reduce_sum``
    equations where ``reductions``) replaced by one ``fused_elementwise``
    equation, for programs running on the array module ``xp``. Closing
    reductions are off by default: a sum inside a Numba loop is computed in
    order, one element at a time, which keeps the loop from using vector
    instructions (measured slower than NumPy's sum after the kernel). The program is
    returned unchanged where no kernel compiler serves ``xp`` (NumPy without
    Numba). ``transcendental`` says whether ``tanh``, ``exp``, ``sin``... go
    into kernels (by default only on the GPU: Numba computes them one element
    at a time, several times slower than NumPy's vector code).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ir = ft.make_jaxpr(lambda x: fnp.sum(1.0 - fnp.tanh(x) ** 2))(fnp.ones(3))
    >>> fused = fuse(ir, min_elements=0, transcendental=True, reductions=True)
    >>> names = [e.prim.name for e in fused.eqns]
    >>> names == ["fused_elementwise"] or not numba_kernels.available()
    True
    """
    if xp is np:
        if not numba_kernels.available():
            return ir
    elif not cupy_kernels.supports(xp):
        return ir
    else:
        reductions = False  # the GPU kernels are elementwise only
    if transcendental is None:
        transcendental = xp is not np
    groups = find_groups(
        ir,
        lambda eqn: fusible(eqn, min_elements, transcendental),
        _reducible if reductions else None,
        min_size,
    )
    if not groups:
        return ir
    return _replace(ir, groups)


def _replace(ir: IR, groups: list) -> IR:
    """``ir`` with each group's equations replaced by one fused equation,
    in an order where every value is computed before it is read."""
    member_of = {}
    for g, group in enumerate(groups):
        for index in group.members + group.reductions:
            member_of[index] = g
    returned = {v for v in ir.outvars if type(v) is not Literal}
    read_by = {}  # variable -> the groups reading it (None: an equation of no group)
    for index, eqn in enumerate(ir.eqns):
        for v in eqn.invars:
            if type(v) is not Literal:
                read_by.setdefault(v, set()).add(member_of.get(index))
    nodes = []  # (position, equation)
    for g, group in enumerate(groups):
        indices = sorted(group.members + group.reductions)
        eqns = [ir.eqns[i] for i in indices]
        made = {v for e in eqns for v in e.outvars}
        inputs = []
        for e in eqns:
            for v in e.invars:
                if type(v) is not Literal and v not in made and v not in inputs:
                    inputs.append(v)
        outputs = [
            v for e in eqns for v in e.outvars if v in returned or read_by.get(v, set()) - {g}
        ]
        program = IR(inputs, [], [], eqns, outputs)
        params = {"program": program, "kernels": Kernels(program, group.shape)}
        nodes.append((indices[-1], Eqn(fused_elementwise_p, inputs, outputs, params)))
    nodes += [(i, eqn) for i, eqn in enumerate(ir.eqns) if i not in member_of]
    eqns = _topological(nodes)
    return IR(ir.invars, ir.constvars, ir.consts, eqns, ir.outvars, ir.in_names, ir.out_names)


def _topological(nodes: list) -> list:
    """The equations in an order where each comes after those it reads,
    otherwise as close to their positions as that allows."""
    maker = {v: k for k, (_, eqn) in enumerate(nodes) for v in eqn.outvars}
    waiting = [0] * len(nodes)
    readers = [[] for _ in nodes]
    for k, (_, eqn) in enumerate(nodes):
        for m in {maker[v] for v in eqn.invars if type(v) is not Literal and v in maker}:
            waiting[k] += 1
            readers[m].append(k)
    ready = [(position, k) for k, (position, _) in enumerate(nodes) if not waiting[k]]
    heapq.heapify(ready)
    order = []
    while ready:
        _, k = heapq.heappop(ready)
        order.append(nodes[k][1])
        for r in readers[k]:
            waiting[r] -= 1
            if not waiting[r]:
                heapq.heappush(ready, (nodes[r][0], r))
    assert len(order) == len(nodes), "fusion made a cycle"
    return order
