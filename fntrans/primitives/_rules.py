"""Shared pieces of primitive rules: shape rules, unbroadcasting, constructors."""

from __future__ import annotations

import numpy as np

from fntrans.core.aval import ShapedArray, all_weak
from fntrans.core.primitive import Primitive

_WEAK_TYPE = {"b": bool, "i": int, "u": int, "f": float, "c": complex}


def _promotion_type(aval):
    return _WEAK_TYPE[aval.dtype.kind] if aval.weak_type else aval.dtype


def ufunc_shape(ufunc):
    """Shape rule of an elementwise primitive that computes like NumPy's ``ufunc``:
    NumPy broadcasting, NumPy's dtype resolution (weak Python scalars included)."""

    def shape(*avals, **params):
        out_shape = np.broadcast_shapes(*(a.shape for a in avals))
        dtypes = ufunc.resolve_dtypes(tuple(_promotion_type(a) for a in avals) + (None,))
        dtype = dtypes[-1]
        weak = all_weak(*avals) and dtype.kind not in "b"
        return ShapedArray(out_shape, dtype, weak)

    return shape


def shape_of(x) -> tuple:
    """The shape of an array, tracer, Undefined or scalar."""
    shape = getattr(x, "shape", None)
    return np.shape(x) if shape is None else shape


def dtype_of(x):
    dtype = getattr(x, "dtype", None)
    return np.result_type(x) if dtype is None else dtype


def unbroadcast(ct, shape):
    """Sums ``ct`` down to ``shape``: the transpose of NumPy broadcasting."""
    ct_shape = ct.shape
    if ct_shape == shape:
        return ct
    from fntrans.primitives.reductions import reduce_sum
    from fntrans.primitives.structural import reshape

    shape = tuple(shape)
    lead = len(ct_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and ct_shape[lead + i] != 1
    )
    if axes:
        ct = reduce_sum(ct, axes)
    return reshape(ct, shape) if ct.shape != shape else ct


def zero_jvp(prim_getter):
    """JVP of a primitive whose derivative is zero (comparisons, floor, sign, ...)."""

    def jvp(primals, tangents, **params):
        return prim_getter().bind(*primals, **params), None

    return jvp


def zero_vjp(ct, ans, *args, needs, **params):
    return (None,) * len(args)


def unary(name: str, *, ufunc=None, jvp=None, zero_derivative=False, vjp=None, batch=None):
    """An elementwise primitive of one argument computed by NumPy's ``ufunc``.

    ``jvp(t, ans, x)`` gives the tangent; a diagonal Jacobian is its own
    transpose, so the same function applied to the cotangent is the VJP (no
    conjugation for complex inputs, which gives JAX's convention).
    """
    ufunc = ufunc or getattr(np, name)
    ufunc_name = ufunc.__name__
    prim = None

    def impl(xp, x):
        return ufunc(x) if xp is np else getattr(xp, ufunc_name)(x)

    if zero_derivative:
        prim_jvp, prim_vjp = zero_jvp(lambda: prim), zero_vjp
    else:

        def prim_jvp(primals, tangents):
            (x,), (t,) = primals, tangents
            ans = prim.bind(x)
            return ans, jvp(t, ans, x)

        def prim_vjp(ct, ans, x, *, needs):
            return (jvp(ct, ans, x),)

    prim = Primitive(
        name,
        impl=impl,
        shape=ufunc_shape(ufunc),
        jvp=prim_jvp,
        vjp=vjp or prim_vjp,
        batch=batch or elementwise_batch,
    )
    return prim


def comparison(name: str, ufunc=None):
    """A binary elementwise primitive with a boolean (derivative-free) result."""
    ufunc = ufunc or getattr(np, name)
    ufunc_name = ufunc.__name__
    prim = None

    def impl(xp, x, y):
        return ufunc(x, y) if xp is np else getattr(xp, ufunc_name)(x, y)

    prim = Primitive(
        name,
        impl=impl,
        shape=ufunc_shape(ufunc),
        jvp=zero_jvp(lambda: prim),
        vjp=zero_vjp,
        batch=elementwise_batch,
    )
    return prim


# imported last: the batching helpers build on structural primitives, which use this module
from fntrans.primitives._batching import elementwise_batch  # noqa: E402
