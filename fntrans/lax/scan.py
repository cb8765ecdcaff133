"""``scan`` and ``map``, and the ``scan`` primitive.

``scan`` takes the closed-over values, the initial carry, then the stacked
inputs ``xs``; its ``body`` program maps ``(consts, carry, x)`` to ``(carry,
y)``. Its number of steps is fixed, so reverse mode works: the backward pass
is a scan in the other direction over the carries of the forward pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fntrans.core import constants
from fntrans.core.aval import ShapedArray, aval_of
from fntrans.core.ir import IR, eval_ir
from fntrans.core.primitive import Primitive
from fntrans.interpreters.ad_util import instantiate
from fntrans.lax._carry import Carry
from fntrans.lax._tracing import (
    Program,
    as_operand,
    batch_leading,
    batched_carry,
    broadcast_carry,
    inexact,
    split_operands,
    tangents_above_primals,
    trace,
    transpose_from_vjp,
    zeros_for,
)
from fntrans.primitives.elementwise import add
from fntrans.primitives.shape import move_axis
from fntrans.tree import tree_flatten, tree_unflatten


def _scan_impl(xp, *args, body, n_consts, n_carry, length, reverse, unroll):
    consts, carry, xs = split_operands(args, n_consts, n_carry)
    steps = range(length - 1, -1, -1) if reverse else range(length)
    ys = []
    for i in steps:
        outs = body.run(xp, *consts, *carry, *(x[i] for x in xs))
        carry = outs[:n_carry]
        ys.append(outs[n_carry:])
    if reverse:
        ys.reverse()
    y_avals = body.out_avals[n_carry:]
    stacked = [
        xp.stack([y[j] for y in ys]) if ys else xp.zeros((0,) + a.shape, a.dtype)
        for j, a in enumerate(y_avals)
    ]
    return (*carry, *stacked)


def _scan_shape(*avals, body, n_consts, n_carry, length, reverse, unroll):
    carry = [a.update(weak_type=False) for a in avals[n_consts : n_consts + n_carry]]
    ys = [ShapedArray((length,) + a.shape, a.dtype) for a in body.out_avals[n_carry:]]
    return (*carry, *ys)


def _scan_jvp(primals, tangents, *, body, n_consts, n_carry, **params):
    consts, carry, xs = split_operands(primals, n_consts, n_carry)
    const_dots, carry_dots, x_dots = split_operands(tangents, n_consts, n_carry)
    # every inexact carry gets a tangent: a step may give one to a carry that starts without
    const_nz = tuple(t is not None for t in const_dots)
    carry_nz = inexact(aval_of(c) for c in carry)
    x_nz = tuple(t is not None for t in x_dots)
    nc, nk, nx = len(consts), len(carry), len(xs)
    tc, tk, tx = sum(const_nz), sum(carry_nz), sum(x_nz)
    n_y = len(body.outvars) - nk
    y_nz = inexact(body.out_avals[nk:])
    # the JVP program takes (consts, carry, xs, their tangents) and gives
    # (carry, ys, their tangents): put each tangent beside its kind
    base = nc + nk + nx
    in_order = [*range(nc), *range(base, base + tc), *range(nc, nc + nk)]
    in_order += [*range(base + tc, base + tc + tk), *range(nc + nk, base)]
    in_order += range(base + tc + tk, base + tc + tk + tx)
    out_order = [*range(nk), *range(nk + n_y, nk + n_y + tk), *range(nk, nk + n_y)]
    out_order += range(nk + n_y + tk, nk + n_y + tk + sum(y_nz))
    program = body.jvp(const_nz + carry_nz + x_nz).permuted(in_order, out_order)
    carry_dots = [instantiate(t, c) for c, t, nz in zip(carry, carry_dots, carry_nz) if nz]
    outs = scan_p.bind(
        *consts,
        *(t for t in const_dots if t is not None),
        *carry,
        *carry_dots,
        *xs,
        *(t for t in x_dots if t is not None),
        body=program,
        n_consts=nc + tc,
        n_carry=nk + tk,
        **params,
    )
    out_carry, out_carry_dots = outs[:nk], iter(outs[nk : nk + tk])
    ys, y_dots = outs[nk + tk : nk + tk + n_y], iter(outs[nk + tk + n_y :])
    dots = [next(out_carry_dots) if nz else None for nz in carry_nz]
    dots += [next(y_dots) if nz else None for nz in y_nz]
    if tangents_above_primals(primals, tangents):  # keep the primal outputs known
        known = scan_p.bind(*primals, body=body, n_consts=n_consts, n_carry=n_carry, **params)
        return known, tuple(dots)
    return (*out_carry, *ys), tuple(dots)


def _scan_vjp(cts, ans, *args, needs, body, n_consts, n_carry, length, reverse, unroll):
    consts, init, xs = split_operands(args, n_consts, n_carry)
    body_like = args[0] if args else None  # where the zeros go
    need_c, need_k, need_x = (tuple(n) for n in split_operands(needs, n_consts, n_carry))
    carry_diff = inexact(aval_of(c) for c in init)
    y_diff = inexact(body.out_avals[n_carry:])
    n_y = len(y_diff)
    # the forward pass again, keeping the carry each step starts from
    keeping = body.derived("keeping carries", lambda: _keeping_carries(body, n_consts, n_carry))
    outs = scan_p.bind(
        *args,
        body=keeping,
        n_consts=n_consts,
        n_carry=n_carry,
        length=length,
        reverse=reverse,
        unroll=unroll,
    )
    carries = outs[n_carry + n_y :]
    backward = body.derived(
        ("backward", need_c, need_x),
        lambda: _backward_body(body, n_consts, n_carry, need_c, carry_diff, need_x, y_diff),
    )
    out_avals = _scan_shape(
        *(aval_of(a) for a in args),
        body=body,
        n_consts=n_consts,
        n_carry=n_carry,
        length=length,
        reverse=reverse,
        unroll=unroll,
    )
    ct_carry = [
        zeros_for(c, a, body_like) for c, a, d in zip(cts, out_avals[:n_carry], carry_diff) if d
    ]
    acc = [constants.zeros_like(c) for c, need in zip(consts, need_c) if need]
    ct_ys = [
        zeros_for(c, a, body_like)
        for c, a, d in zip(cts[n_carry:], out_avals[n_carry:], y_diff)
        if d
    ]
    n_back = len(ct_carry) + len(acc)
    outs = scan_p.bind(
        *consts,
        *ct_carry,
        *acc,
        *xs,
        *carries,
        *ct_ys,
        body=backward,
        n_consts=n_consts,
        n_carry=n_back,
        length=length,
        reverse=not reverse,
        unroll=unroll,
    )
    ct_init, ct_consts = iter(outs[: len(ct_carry)]), iter(outs[len(ct_carry) : n_back])
    ct_xs = iter(outs[n_back:])
    ct_init = [next(ct_init) if d else None for d in carry_diff]
    cts_in = [next(ct_consts) if need else None for need in need_c]
    cts_in += [ct if need else None for ct, need in zip(ct_init, need_k)]
    cts_in += [next(ct_xs) if need else None for need in need_x]
    return tuple(cts_in)


def _keeping_carries(body: Program, n_consts: int, n_carry: int) -> Program:
    """``body`` that also gives the carry it was given, as an extra ``y``."""
    carries = body.invars[n_consts : n_consts + n_carry]
    return Program(IR(body.invars, body.constvars, body.consts, body.eqns, body.outvars + carries))


def _backward_body(body, n_consts, n_carry, need_c, carry_diff, need_x, y_diff) -> Program:
    """One step back: ``(consts, (ct_carry, ct_consts), (x, carry, ct_y))`` to
    ``((ct_carry, ct_consts), ct_x)``, the consts' cotangents summed over steps."""
    step = body.vjp(need_c + carry_diff + need_x, carry_diff + y_diff)
    n_x = len(need_x)
    n_kd, n_cd = sum(carry_diff), sum(need_c)

    def backward(*args):
        consts, rest = args[:n_consts], args[n_consts:]
        ct_carry, acc, rest = rest[:n_kd], rest[n_kd : n_kd + n_cd], rest[n_kd + n_cd :]
        xs, carry, ct_ys = rest[:n_x], rest[n_x : n_x + n_carry], rest[n_x + n_carry :]
        outs = eval_ir(step, *consts, *carry, *xs, *ct_carry, *ct_ys)
        ct_consts, ct_carry_in, ct_xs = outs[:n_cd], outs[n_cd : n_cd + n_kd], outs[n_cd + n_kd :]
        return [*ct_carry_in, *(add(a, c) for a, c in zip(acc, ct_consts)), *ct_xs]

    avals = body.in_avals
    const_avals, carry_avals = avals[:n_consts], avals[n_consts : n_consts + n_carry]
    y_avals = body.out_avals[n_carry:]
    in_avals = [
        *const_avals,
        *(a for a, d in zip(carry_avals, carry_diff) if d),
        *(a for a, need in zip(const_avals, need_c) if need),
        *avals[n_consts + n_carry :],
        *carry_avals,
        *(a for a, d in zip(y_avals, y_diff) if d),
    ]
    return trace(backward, in_avals)[0]


def _scan_batch(prim, vals, dims, *, body, n_consts, n_carry, length, reverse, unroll):
    size = next(v.shape[d] for v, d in zip(vals, dims) if d is not None)
    consts, carry, xs = split_operands(vals, n_consts, n_carry)
    const_d, carry_d, x_d = split_operands(dims, n_consts, n_carry)
    consts = [batch_leading(c, d) for c, d in zip(consts, const_d)]
    carry = [batch_leading(c, d) for c, d in zip(carry, carry_d)]
    # the batch axis of xs goes second, so that each step's slice has it first
    xs = [x if d is None else move_axis(x, d, 1) for x, d in zip(xs, x_d)]
    const_b, carry_b, x_b = (tuple(d is not None for d in part) for part in (const_d, carry_d, x_d))
    carry_b = batched_carry(body, const_b, carry_b, x_b, size)
    n_y = len(body.outvars) - n_carry
    program, out_b = body.batched(const_b + carry_b + x_b, size, carry_b + (False,) * n_y)
    carry = broadcast_carry(carry, carry_b, carry_d, size)
    outs = prim.bind(
        *consts,
        *carry,
        *xs,
        body=program,
        n_consts=n_consts,
        n_carry=n_carry,
        length=length,
        reverse=reverse,
        unroll=unroll,
    )
    out_dims = [0 if b else None for b in carry_b] + [1 if b else None for b in out_b[n_carry:]]
    return outs, tuple(out_dims)


scan_p = Primitive(
    "scan",
    impl=_scan_impl,
    shape=_scan_shape,
    jvp=_scan_jvp,
    transpose=transpose_from_vjp(_scan_vjp),
    vjp=_scan_vjp,
    batch=_scan_batch,
    multiple_results=True,
)


def _leading_length(x_leaves, x_tree, length) -> int:
    lengths = set()
    for x in x_leaves:
        shape = aval_of(x).shape
        if not shape:
            raise ValueError(
                f"scan: every leaf of xs must have a leading axis to scan over, but one is a "
                f"scalar ({aval_of(x).str_short()}) in xs of structure {x_tree}."
            )
        lengths.add(shape[0])
    if length is not None:
        lengths.add(int(length))
    if len(lengths) > 1:
        raise ValueError(
            f"scan: the leading axes of xs (and length, if given) must agree, but got the "
            f"lengths {sorted(lengths)}."
        )
    if not lengths:
        raise ValueError("scan: give xs or length, so that the number of steps is known.")
    return lengths.pop()


def scan(
    f: Callable,
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """A loop carrying a state through the slices of ``xs``, as one operation
    that every transform traces, reverse mode included.

    Computes, with ``f(carry, x) -> (carry, y)``::

        carry = init
        for x in xs:            # the leading axis of every leaf of xs
            carry, y = f(carry, x)
            ys.append(y)
        return carry, stack(ys)  # each leaf of the ys stacked on a new leading axis

    Args:
        f: ``(carry, x) -> (carry, y)``, keeping the carry's structure, shapes
            and dtypes. It may close over other values.
        init: the initial carry (a pytree of arrays).
        xs: the inputs (a pytree of arrays with the same leading length), or
            None, then ``x`` is None and ``length`` gives the number of steps.
        length: the number of steps, when ``xs`` is None.
        reverse: run from the last slice to the first (``ys`` stay in the order of ``xs``).
        unroll: accepted for JAX compatibility; every step runs in turn.

    Returns:
        ``(carry, ys)``.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> from fntrans import lax
    >>> cumsum = lambda xs: lax.scan(lambda c, x: (c + x, c + x), 0.0, xs)
    >>> print(cumsum(fnp.array([1.0, 2.0, 3.0])))
    (np.float64(6.0), array([1., 3., 6.]))
    >>> ft.grad(lambda xs: cumsum(xs)[1].sum())(fnp.array([1.0, 2.0, 3.0]))
    array([3., 2., 1.])
    """
    x_leaves, x_tree = tree_flatten(xs)
    x_leaves = [as_operand(x) for x in x_leaves]
    length = _leading_length(x_leaves, x_tree, length)
    carry = Carry("scan", "f", init, "init")
    n_carry = len(carry.avals)
    x_avals = [aval_of(x).update(shape=aval_of(x).shape[1:], weak_type=False) for x in x_leaves]
    y_tree = []

    def step(*args):
        out = f(carry.unflatten(args[:n_carry]), tree_unflatten(x_tree, list(args[n_carry:])))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            got = f"{len(out)} values" if isinstance(out, (tuple, list)) else "one value"
            raise TypeError(
                f"scan: f must return a pair (carry, y), but it returned {got}. Return "
                f"(carry, None) when there is nothing to stack."
            )
        y_leaves, tree = tree_flatten(out[1])
        y_tree[:] = [tree]
        return carry.checked(out[0]) + y_leaves

    body, closures = trace(step, carry.avals + x_avals, carry.leaves + x_leaves)
    n_in = n_carry + len(x_leaves)
    order = [*range(n_in, n_in + len(closures)), *range(n_in)]  # the closures first
    outs = scan_p.bind(
        *closures,
        *carry.leaves,
        *x_leaves,
        body=body.permuted(order),
        n_consts=len(closures),
        n_carry=n_carry,
        length=length,
        reverse=bool(reverse),
        unroll=unroll,
    )
    return carry.unflatten(outs[:n_carry]), tree_unflatten(y_tree[0], list(outs[n_carry:]))


def map(f: Callable, xs: Any) -> Any:
    """``f`` applied to each slice of ``xs`` along its leading axis, results
    stacked: a ``scan`` without a carry (one slice at a time, unlike ``vmap``).

    >>> import fntrans.numpy as fnp
    >>> from fntrans import lax
    >>> lax.map(lambda row: fnp.sum(row**2), fnp.arange(6.0).reshape(3, 2))
    array([ 1., 13., 41.])
    """
    return scan(lambda carry, x: (carry, f(x)), (), xs)[1]
