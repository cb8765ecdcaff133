"""Shape primitives: reshape and transpose (both linear, so each VJP comes
from its transpose rule)."""

from __future__ import annotations

import numpy as np

from fntrans.core.aval import shape_of
from fntrans.core.primitive import Primitive

# ---- reshape ----


def _reshape_impl(xp, x, *, shape):
    return x.reshape(shape) if hasattr(x, "reshape") else xp.reshape(x, shape)


def method_call(method: str, keyword: str | None = None):
    """jit's one-line form of ``x.method(param)`` (or ``x.method(keyword=param)``)
    on a computed array (a literal, or a Python number passed in, has no such
    method) for a primitive of one parameter."""
    given = f"{keyword}=" if keyword else ""

    def emit(xp, x, **params):
        (value,) = params.values()
        return f"{x}.{method}({given}{value!r})" if x.isidentifier() else None

    return emit


reshape_p = Primitive(
    "reshape",
    impl=_reshape_impl,
    emit=method_call("reshape"),
    shape=lambda x, *, shape: x.update(shape=shape),
    jvp=lambda primals, tangents, *, shape: (
        reshape_p.bind(primals[0], shape=shape),
        reshape_p.bind(tangents[0], shape=shape),
    ),
    transpose=lambda ct, x, *, shape: (reshape(ct, x.shape),),
    vjp=lambda ct, ans, x, *, shape, needs: (reshape_p.bind(ct, shape=x.shape),),
    batch=lambda prim, vals, dims, *, shape: (
        reshape(move_axis(vals[0], dims[0], 0), vals[0].shape[dims[0] : dims[0] + 1] + shape),
        0,
    ),
)


def reshape(x, shape):
    """``x`` with a new (fully specified) shape; a no-op when it has it already."""
    shape = tuple(shape)
    if shape_of(x) == shape:
        return x
    return reshape_p.bind(x, shape=shape)


# ---- transpose ----

transpose_p = Primitive(
    "transpose",
    impl=lambda xp, x, *, axes: x.transpose(axes),
    emit=method_call("transpose"),
    shape=lambda x, *, axes: x.update(shape=tuple(x.shape[a] for a in axes)),
    jvp=lambda primals, tangents, *, axes: (
        transpose_p.bind(primals[0], axes=axes),
        transpose_p.bind(tangents[0], axes=axes),
    ),
    transpose=lambda ct, x, *, axes: (transpose_p.bind(ct, axes=tuple(np.argsort(axes).tolist())),),
    # per-example axis a is axis a + (a >= d) of the batch; the batch axis goes first
    batch=lambda prim, vals, dims, *, axes: (
        transpose_p.bind(vals[0], axes=(dims[0],) + tuple(a + (a >= dims[0]) for a in axes)),
        0,
    ),
)


def transpose(x, axes):
    axes = tuple(axes)
    if axes == tuple(range(len(axes))):
        return x
    return transpose_p.bind(x, axes=axes)


# ---- axis helpers for batching rules ----


def move_axis(x, src: int, dst: int):
    """``x`` with axis ``src`` moved to position ``dst``."""
    if src == dst:
        return x
    order = [i for i in range(len(x.shape)) if i != src]
    order.insert(dst, src)
    return transpose(x, tuple(order))


__all__ = ["reshape_p", "transpose_p"]


def swap_last(x):
    """``x`` with its last two axes swapped: the matrix transpose of a stack."""
    n = len(shape_of(x))
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))
