"""``while_loop`` and ``fori_loop``, and the ``while`` primitive.

``while`` takes the condition's closed-over values, the body's, then the
carry; its parameters hold the two programs. Its number of steps is known
only as it runs, so it has forward-mode rules but no reverse mode: a
``fori_loop`` with concrete bounds is a ``scan`` instead, which has both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import fntrans.numpy as fnp
from fntrans.core import constants
from fntrans.core.aval import aval_of
from fntrans.core.ir import eval_ir
from fntrans.core.primitive import Primitive
from fntrans.core.tracer import Tracer
from fntrans.lax import _errors
from fntrans.lax._carry import Carry, flat_body
from fntrans.lax._tracing import (
    batch_leading,
    batched_carry,
    broadcast_carry,
    inexact,
    join_closures,
    split_operands,
    tangents_above_primals,
    trace,
)
from fntrans.lax.scan import scan
from fntrans.primitives.elementwise import select
from fntrans.primitives.shape import reshape
from fntrans.tree import tree_leaves


def _while_impl(xp, *args, cond, body, cond_nconsts, body_nconsts):
    cond_consts, body_consts, carry = split_operands(args, cond_nconsts, body_nconsts)
    while cond.run(xp, *cond_consts, *carry)[0]:
        carry = body.run(xp, *body_consts, *carry)
    return tuple(carry)


def _while_shape(*avals, cond, body, cond_nconsts, body_nconsts):
    return tuple(avals[cond_nconsts + body_nconsts :])


def _while_jvp(primals, tangents, *, cond, body, cond_nconsts, body_nconsts):
    cond_consts, body_consts, carry = split_operands(primals, cond_nconsts, body_nconsts)
    _, const_dots, carry_dots = split_operands(tangents, cond_nconsts, body_nconsts)
    # every inexact carry gets a tangent: the body may give one to a carry that starts without
    const_nonzero = tuple(t is not None for t in const_dots)
    carry_nonzero = inexact(aval_of(c) for c in carry)
    nb, nc = len(body_consts), len(carry)
    nt = sum(const_nonzero)
    # the JVP program takes (consts, carry, const tangents, carry tangents): put
    # the constants' tangents with the constants
    order = [*range(nb), *range(nb + nc, nb + nc + nt), *range(nb, nb + nc)]
    order += range(nb + nc + nt, len(body.invars) + nt + sum(carry_nonzero))
    body_jvp = body.jvp(const_nonzero + carry_nonzero).permuted(order)
    dots = [constants.zeros_like(c) if t is None else t for c, t in zip(carry, carry_dots)]
    dots = [t for t, nz in zip(dots, carry_nonzero) if nz]
    cond_jvp = cond.padded([aval_of(t) for t in dots])
    outs = while_p.bind(
        *cond_consts,
        *body_consts,
        *(t for t in const_dots if t is not None),
        *carry,
        *dots,
        cond=cond_jvp,
        body=body_jvp,
        cond_nconsts=cond_nconsts,
        body_nconsts=nb + nt,
    )
    ans, out_dots = outs[:nc], iter(outs[nc:])
    if tangents_above_primals(primals, tangents):  # keep the primal outputs known
        ans = while_p.bind(
            *primals, cond=cond, body=body, cond_nconsts=cond_nconsts, body_nconsts=body_nconsts
        )
    return ans, tuple(next(out_dots) if nz else None for nz in carry_nonzero)


def _while_vjp(cts, ans, *args, needs, **params):
    raise _errors.reverse_while()


def _while_transpose(ct, *args, **params):
    raise _errors.reverse_while()


def _while_batch(prim, vals, dims, *, cond, body, cond_nconsts, body_nconsts):
    size = next(v.shape[d] for v, d in zip(vals, dims) if d is not None)
    cond_consts, body_consts, carry = split_operands(
        [batch_leading(v, d) for v, d in zip(vals, dims)], cond_nconsts, body_nconsts
    )
    parts = split_operands(dims, cond_nconsts, body_nconsts)
    cond_b, const_b, carry_b = (tuple(d is not None for d in part) for part in parts)
    carry_b = batched_carry(body, const_b, carry_b, (), size)
    if cond.batched(cond_b + carry_b, size)[1][0]:
        # a predicate per example: step while any example runs, and keep the
        # carry of those that have finished
        carry_b = (True,) * len(carry)
        cond, body = _stepping_while_any(cond, body, cond_b, const_b, size)
        body_consts = cond_consts + body_consts
    else:
        cond = cond.batched(cond_b + carry_b, size)[0]
        body = body.batched(const_b + carry_b, size, carry_b)[0]
    carry = broadcast_carry(carry, carry_b, dims[cond_nconsts + body_nconsts :], size)
    outs = while_p.bind(
        *cond_consts,
        *body_consts,
        *carry,
        cond=cond,
        body=body,
        cond_nconsts=len(cond_consts),
        body_nconsts=len(body_consts),
    )
    return outs, tuple(0 if b else None for b in carry_b)


def _stepping_while_any(cond, body, cond_b, const_b, size):
    """The condition and body of a loop over a batch with a predicate per
    example, every carry batched: the body also takes the condition's consts."""
    carry_b = (True,) * (len(body.invars) - len(const_b))
    cond_b_prog = cond.batched(cond_b + carry_b, size)[0]
    body_b_prog = body.batched(const_b + carry_b, size, carry_b)[0]
    nc, nb = len(cond_b), len(const_b)
    carry_avals = body_b_prog.in_avals[nb:]

    def any_running(*args):
        return [fnp.any(eval_ir(cond_b_prog, *args)[0])]

    def step(*args):
        cond_consts, body_consts, carry = args[:nc], args[nc : nc + nb], args[nc + nb :]
        running = eval_ir(cond_b_prog, *cond_consts, *carry)[0]
        new = eval_ir(body_b_prog, *body_consts, *carry)
        return [
            select(reshape(running, (size,) + (1,) * (len(c.shape) - 1)), n, c)
            for n, c in zip(new, carry)
        ]

    cond_avals = cond_b_prog.in_avals
    new_cond = trace(any_running, cond_avals)[0]
    new_body = trace(step, cond_avals[:nc] + body_b_prog.in_avals[:nb] + carry_avals)[0]
    return new_cond, new_body


while_p = Primitive(
    "while",
    impl=_while_impl,
    shape=_while_shape,
    jvp=_while_jvp,
    transpose=_while_transpose,
    vjp=_while_vjp,
    batch=_while_batch,
    multiple_results=True,
)


def while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any) -> Any:
    """``val = init_val; while cond_fun(val): val = body_fun(val)``, as one
    operation that transforms can trace, where ``cond_fun`` may depend on
    traced values (under ``jit``, ``make_jaxpr`` or ``vmap``).

    ``body_fun`` must return a carry of the same structure, shapes and dtypes
    as ``init_val``. Forward mode (``jvp``, ``jacfwd``) differentiates it;
    reverse mode cannot, as the number of steps is not known in advance: use
    ``scan``, or ``fori_loop`` with concrete bounds, for that.

    Args:
        cond_fun: the carry to a scalar boolean.
        body_fun: the carry to the next carry.
        init_val: the initial carry (a pytree of arrays).

    Returns:
        The final carry.

    >>> from fntrans import lax
    >>> print(lax.while_loop(lambda x: x < 100.0, lambda x: 2.0 * x, 3.0))
    192.0
    """
    carry = Carry("while_loop", "body_fun", init_val, "init_val")
    avals = carry.avals

    def flat_cond(*args):
        pred = cond_fun(carry.unflatten(args))
        aval = aval_of(pred)
        if aval.shape != () or aval.dtype.kind != "b":
            raise _errors.not_scalar_predicate("while_loop", "the condition", "cond_fun", aval)
        return [pred]

    traced = [trace(flat_cond, avals, carry.leaves), trace(flat_body(carry, body_fun), avals)]
    (cond, body), closures = join_closures(traced)
    # both programs take the closures first, the carry after
    n = len(avals)
    order = [*range(n, n + len(closures)), *range(n)]
    outs = while_p.bind(
        *closures,
        *closures,
        *carry.leaves,
        cond=cond.permuted(order),
        body=body.permuted(order),
        cond_nconsts=len(closures),
        body_nconsts=len(closures),
    )
    return carry.unflatten(outs)


def _is_concrete_int(x) -> bool:
    return not isinstance(x, Tracer) and aval_of(x).shape == () and aval_of(x).dtype.kind in "iu"


def fori_loop(lower: Any, upper: Any, body_fun: Callable, init_val: Any) -> Any:
    """``val = init_val; for i in range(lower, upper): val = body_fun(i, val)``.

    With concrete bounds (Python or NumPy integers) it is a ``scan`` with a
    fixed number of steps, differentiable in both modes; with traced bounds a
    ``while_loop``, differentiable in forward mode only. ``i`` is an integer
    array of the bounds' dtype.

    Args:
        lower: the first value of ``i`` (an integer).
        upper: the end of the range, not reached (an integer).
        body_fun: ``(i, val) -> val``, keeping the carry's structure and types.
        init_val: the initial carry (a pytree of arrays).

    Returns:
        The final carry.

    >>> import fntrans as ft
    >>> from fntrans import lax
    >>> power = lambda x: lax.fori_loop(0, 3, lambda i, acc: acc * x, 1.0)
    >>> print(power(2.0), ft.grad(power)(2.0))
    8.0 12.0
    """
    for name, bound in (("lower", lower), ("upper", upper)):
        aval = aval_of(bound)
        if aval.shape != () or aval.dtype.kind not in "iu":
            raise TypeError(
                f"fori_loop: {name} must be a scalar integer, but got {aval.str_short()}."
            )
    if _is_concrete_int(lower) and _is_concrete_int(upper):
        dtype = np.result_type(aval_of(lower).dtype, aval_of(upper).dtype)
        # the loop counter lives where the carry does (a device array on CuPy)
        like = next(iter(tree_leaves(init_val)), None)
        steps = constants.arange(max(int(lower), int(upper)) - int(lower), dtype, like=like)
        steps = steps + int(lower) if int(lower) else steps
        return scan(lambda val, i: (body_fun(i, val), None), init_val, steps)[0]

    def step(state):
        i, stop, val = state
        return i + 1, stop, body_fun(i, val)

    dtype = np.result_type(aval_of(lower).dtype, aval_of(upper).dtype)
    start = fnp.asarray(lower).astype(dtype)
    stop = fnp.asarray(upper).astype(dtype)
    return while_loop(lambda state: state[0] < state[1], step, (start, stop, init_val))[2]


__all__ = ["fori_loop", "while_loop", "while_p"]
