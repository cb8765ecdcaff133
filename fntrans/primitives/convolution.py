"""N-d convolution, ``conv``: the full or valid convolution of two arrays over
their trailing axes, with leading batch axes that broadcast.

Convolution is bilinear, and its transpose in one operand is a correlation
with the other (a convolution with the other flipped): the full convolution
transposes to valid ones and the valid one to a full one, so one primitive
with two modes is closed under differentiation. SciPy's ``same`` mode is a
slice of the full one, and a correlation is a convolution with the second
operand flipped and conjugated (``convolve`` and ``correlate`` below).
"""

from __future__ import annotations

import numpy as np

from fntrans.backend import scipy_module
from fntrans.core.aval import ShapedArray, all_weak, dtype_of, result_dtype, shape_of
from fntrans.core.primitive import Primitive
from fntrans.primitives.broadcasting import unbroadcast
from fntrans.primitives.elementwise import add, conj
from fntrans.primitives.indexing import getitem
from fntrans.primitives.shape import move_axis, reshape

# ---- conv ----
#
# ``conv(a, b, mode, batch_ndim, method)``: a and b have the same rank; their
# first ``batch_ndim`` axes are batch axes (equal or 1, broadcast), the rest
# are convolved. In ``valid`` mode a is at least as long as b on every
# convolved axis (``convolve`` below swaps them otherwise).


def _conv_shape(a, b, *, mode, batch_ndim, method):
    if a.ndim != b.ndim:
        raise ValueError(
            f"convolve: operands must have the same number of dimensions, but they have "
            f"shapes {a.shape} and {b.shape}."
        )
    batch = np.broadcast_shapes(a.shape[:batch_ndim], b.shape[:batch_ndim])
    pairs = zip(a.shape[batch_ndim:], b.shape[batch_ndim:])
    if mode == "full":
        conv = tuple(n + m - 1 for n, m in pairs)
    else:
        conv = tuple(n - m + 1 for n, m in pairs)
    return ShapedArray(batch + conv, result_dtype(a, b), all_weak(a, b))


def _convolve_one(xp, a, b, mode, method):
    if a.ndim == 1 and method == "direct":
        return xp.convolve(a, b, mode)  # NumPy's own loop, as np.convolve computes it
    return scipy_module(xp, "signal").convolve(a, b, mode=mode, method=method)


def _conv_impl(xp, a, b, *, mode, batch_ndim, method):
    if batch_ndim == 0:
        return _convolve_one(xp, a, b, mode, method)
    signal = scipy_module(xp, "signal")
    if method == "fft":  # SciPy's FFT convolution broadcasts over the other axes itself
        return signal.fftconvolve(a, b, mode=mode, axes=tuple(range(batch_ndim, a.ndim)))
    a_batch, b_batch = a.shape[:batch_ndim], b.shape[:batch_ndim]
    # a size-1 axis convolves with any axis into that axis unchanged: then one
    # N-d convolution does the whole batch
    if all(d == 1 for d in b_batch) or (mode == "full" and all(d == 1 for d in a_batch)):
        return signal.convolve(a, b, mode=mode, method=method)
    batch = np.broadcast_shapes(a_batch, b_batch)
    a = xp.broadcast_to(a, batch + a.shape[batch_ndim:]).reshape((-1,) + a.shape[batch_ndim:])
    b = xp.broadcast_to(b, batch + b.shape[batch_ndim:]).reshape((-1,) + b.shape[batch_ndim:])
    out = xp.stack([_convolve_one(xp, x, y, mode, method) for x, y in zip(a, b)])
    return out.reshape(batch + out.shape[1:])


def _conv_jvp(primals, tangents, **params):
    # bilinear: the tangent is the sum over operands of conv with that operand's tangent
    a, b = primals
    ta, tb = tangents
    ans = conv_p.bind(a, b, **params)
    out = None if ta is None else conv_p.bind(ta, b, **params)
    if tb is not None:
        term = conv_p.bind(a, tb, **params)
        out = term if out is None else add(out, term)
    return ans, out


def flip(x, batch_ndim: int):
    """``x`` reversed along every axis after the first ``batch_ndim``."""
    rank = len(shape_of(x))
    return getitem(x, (slice(None),) * batch_ndim + (slice(None, None, -1),) * (rank - batch_ndim))


def _conv_vjp(ct, ans, a, b, *, mode, batch_ndim, method, needs):
    # bilinear: as a transpose, linear in the one undefined operand. With
    # c = a * b (full), a's cotangent is ct correlated with b: valid(ct, flip(b));
    # with c = valid(a, b), it is full(ct, flip(b)), and b's is flip(valid(a, flip(ct))).
    params = dict(batch_ndim=batch_ndim, method=method)
    ct_a = ct_b = None
    if mode == "full":
        if needs[0]:
            ct_a = conv_p.bind(ct, flip(b, batch_ndim), mode="valid", **params)
        if needs[1]:
            ct_b = conv_p.bind(ct, flip(a, batch_ndim), mode="valid", **params)
    else:
        if needs[0]:
            ct_a = conv_p.bind(ct, flip(b, batch_ndim), mode="full", **params)
        if needs[1]:
            flipped = conv_p.bind(a, flip(ct, batch_ndim), mode="valid", **params)
            ct_b = flip(flipped, batch_ndim)
    return (
        None if ct_a is None else unbroadcast(ct_a, shape_of(a)),
        None if ct_b is None else unbroadcast(ct_b, shape_of(b)),
    )


def _conv_batch(prim, vals, dims, *, mode, batch_ndim, method):
    """The mapped axis becomes one more leading batch axis (size 1 where unbatched)."""
    a, b = (
        reshape(v, (1,) + tuple(shape_of(v))) if d is None else move_axis(v, d, 0)
        for v, d in zip(vals, dims)
    )
    return conv_p.bind(a, b, mode=mode, batch_ndim=batch_ndim + 1, method=method), 0


conv_p = Primitive(
    "conv",
    impl=_conv_impl,
    shape=_conv_shape,
    jvp=_conv_jvp,
    vjp=_conv_vjp,
    vjp_transposes=True,
    batch=_conv_batch,
)

_MODES = ("full", "valid", "same")
_METHODS = ("auto", "direct", "fft")


def convolve(a, b, mode: str = "full", *, method: str = "auto", batch_ndim: int = 0):
    """SciPy's ``convolve`` of ``a`` and ``b`` over their axes after the first
    ``batch_ndim``: ``full``, ``valid`` (the longer operand first, whichever it
    is) or ``same`` (the full result's centre, shaped like ``a``)."""
    if mode not in _MODES:
        raise ValueError(f"convolve: mode must be 'full', 'valid' or 'same', not {mode!r}.")
    if method not in _METHODS:
        raise ValueError(f"convolve: method must be 'auto', 'direct' or 'fft', not {method!r}.")
    params = dict(batch_ndim=batch_ndim, method=method)
    if mode == "valid":
        n, m = shape_of(a)[batch_ndim:], shape_of(b)[batch_ndim:]
        if all(i >= j for i, j in zip(n, m)):
            return conv_p.bind(a, b, mode="valid", **params)
        if all(j >= i for i, j in zip(n, m)):
            return conv_p.bind(b, a, mode="valid", **params)
        raise ValueError(
            f"convolve: in 'valid' mode one operand must be at least as large as the other "
            f"in every dimension, but they have shapes {shape_of(a)} and {shape_of(b)}."
        )
    full = conv_p.bind(a, b, mode="full", **params)
    if mode == "full":
        return full
    # 'same': the centre of the full result, as SciPy's _centered takes it
    starts = [(m - 1) // 2 for m in shape_of(b)[batch_ndim:]]
    index = tuple(slice(s, s + n) for s, n in zip(starts, shape_of(a)[batch_ndim:]))
    return getitem(full, (slice(None),) * batch_ndim + index)


def correlate(a, b, mode: str = "full", *, method: str = "auto", batch_ndim: int = 0):
    """SciPy's ``correlate``: ``convolve`` with ``b`` flipped and conjugated."""
    if dtype_of(b).kind == "c":
        b = conj(b)
    return convolve(a, flip(b, batch_ndim), mode, method=method, batch_ndim=batch_ndim)


__all__ = ["conv_p"]
