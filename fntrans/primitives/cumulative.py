"""Cumulative sums and products along an axis.

``cumsum`` is linear: its transpose is the cumulative sum in the other
direction. ``cumprod`` has rules that never divide by the input, so they stay
exact where it has zeros, to every order: the
derivative of a cumulative product solves the linear recurrence
``h[k] = x[k] h[k-1] + b[k]``, which ``_affine_scan`` evaluates with
log2(n) rounds of products and sums (every one a primitive again).
"""

from __future__ import annotations

import numpy as np

from fntrans.core.aval import shape_of
from fntrans.core.primitive import Primitive
from fntrans.primitives.elementwise import add, mul
from fntrans.primitives.indexing import along
from fntrans.primitives.joining import join


def _flip(x, axis):
    return along(x, axis, slice(None, None, -1))


def _cumulative_impl(name):
    def impl(xp, x, *, axis, reverse):
        scan = getattr(xp, name)
        if not reverse:
            return scan(x, axis=axis)
        return xp.flip(scan(xp.flip(x, axis), axis=axis), axis)

    return impl


def _cumulative_shape(name):
    def shape(x, *, axis, reverse):
        return x.update(dtype=getattr(np, name)(np.empty(0, x.dtype)).dtype)

    return shape


def _cumulative_batch(prim, vals, dims, *, axis, reverse):
    # the batch axis stays where it is; the scanned axis moves past it if after
    (x,), (d,) = vals, dims
    return prim.bind(x, axis=axis + (d <= axis), reverse=reverse), d


# ---- cumsum ----

cumsum_p = Primitive(
    "cumsum",
    impl=_cumulative_impl("cumsum"),
    shape=_cumulative_shape("cumsum"),
    jvp=lambda primals, tangents, *, axis, reverse: (
        cumsum(primals[0], axis, reverse),
        cumsum(tangents[0], axis, reverse),
    ),
    transpose=lambda ct, x, *, axis, reverse: (cumsum(ct, axis, not reverse),),
    batch=_cumulative_batch,
)


def cumsum(x, axis: int, reverse: bool = False):
    """Cumulative sum of ``x`` along ``axis`` (from the end if ``reverse``)."""
    return cumsum_p.bind(x, axis=axis, reverse=reverse)


# ---- cumprod ----


def _affine_scan(a, b, axis):
    """``h`` with ``h[k] = a[k] h[k-1] + b[k]`` along ``axis`` and ``h[-1] = 0``
    (so ``a[0]`` is unused), by recursive doubling: round ``o`` composes each
    affine map with the one ``o`` places before it."""
    n = shape_of(b)[axis]
    offset = 1
    while offset < n:
        head, tail, before = slice(None, offset), slice(offset, None), slice(None, n - offset)
        a_tail = along(a, axis, tail)
        b = join(
            [
                along(b, axis, head),
                add(along(b, axis, tail), mul(a_tail, along(b, axis, before))),
            ],
            axis=axis,
            new_axis=False,
        )
        if 2 * offset < n:
            a = join(
                [along(a, axis, head), mul(a_tail, along(a, axis, before))],
                axis=axis,
                new_axis=False,
            )
        offset *= 2
    return b


def _shifted_product(y, v, axis):
    """``[v[0], y[0] v[1], y[1] v[2], ...]``: ``v`` times the exclusive product."""
    first, rest = along(v, axis, slice(None, 1)), along(v, axis, slice(1, None))
    return join([first, mul(along(y, axis, slice(None, -1)), rest)], axis=axis, new_axis=False)


def _forward_cumprod_jvp(x, y, t, axis):
    # y[k] = x[k] y[k-1], so dy[k] = x[k] dy[k-1] + y[k-1] t[k]
    return _affine_scan(x, _shifted_product(y, t, axis), axis)


def _forward_cumprod_vjp(x, y, ct, axis):
    # dy[k]/dx[i] = y[i-1] prod(x[i+1..k]); the sums over k obey the recurrence
    # r[i] = ct[i] + x[i+1] r[i+1], a forward scan on the flipped axis
    x_flipped = _flip(x, axis)
    links = join(
        [along(x_flipped, axis, slice(None, 1)), along(x_flipped, axis, slice(None, -1))],
        axis=axis,
        new_axis=False,
    )
    r = _flip(_affine_scan(links, _flip(ct, axis), axis), axis)
    return _shifted_product(y, r, axis)


def _in_direction(rule, reverse, axis, *arrays):
    """``rule`` written for a forward scan, applied in the direction asked for."""
    if shape_of(arrays[0])[axis] <= 1:
        return arrays[-1]  # one element per scan: the derivative is the identity
    if not reverse:
        return rule(*arrays, axis)
    return _flip(rule(*(_flip(a, axis) for a in arrays), axis), axis)


def _cumprod_jvp(primals, tangents, *, axis, reverse):
    (x,), (t,) = primals, tangents
    y = cumprod(x, axis, reverse)
    return y, _in_direction(_forward_cumprod_jvp, reverse, axis, x, y, t)


def _cumprod_vjp(ct, ans, x, *, axis, reverse, needs):
    return (_in_direction(_forward_cumprod_vjp, reverse, axis, x, ans, ct),)


cumprod_p = Primitive(
    "cumprod",
    impl=_cumulative_impl("cumprod"),
    shape=_cumulative_shape("cumprod"),
    jvp=_cumprod_jvp,
    vjp=_cumprod_vjp,
    batch=_cumulative_batch,
)


def cumprod(x, axis: int, reverse: bool = False):
    """Cumulative product of ``x`` along ``axis`` (from the end if ``reverse``)."""
    return cumprod_p.bind(x, axis=axis, reverse=reverse)


__all__ = ["cumsum_p", "cumprod_p"]
