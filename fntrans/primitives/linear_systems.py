"""Linear systems: ``solve``, ``inv``, ``slogdet``, ``det`` and ``adjugate``.

Each works on stacks of square matrices (leading batch axes, broadcast
between the operands of ``solve`` as NumPy's gufuncs do) with one LAPACK
call. Their rules reuse the forward result: ``solve``'s VJP solves once with
the transposed matrix, ``inv``'s VJP multiplies by the inverse it returned,
``slogdet``'s VJP is the inverse transposed. ``det``'s derivative is the
adjugate, which stays defined where the matrix is singular.

Cotangents follow JAX's convention for complex numbers (the transpose of the
linear map, without conjugation).
"""

from __future__ import annotations

import numpy as np

from fntrans.core.aval import ShapedArray, dtype_of, real_dtype, result_dtype, shape_of
from fntrans.core.primitive import Primitive
from fntrans.primitives._util import batch_axis_first
from fntrans.primitives.broadcasting import reduce_sum, unbroadcast
from fntrans.primitives.elementwise import add, div, imag, mul, neg, real, sub
from fntrans.primitives.products import matmul
from fntrans.primitives.shape import move_axis, reshape, swap_last

# ---- shared helpers ----


def _check_square(shape):
    """NumPy's errors for an operand that is not a stack of square matrices."""
    if len(shape) < 2:
        raise np.linalg.LinAlgError(
            f"{len(shape)}-dimensional array given. Array must be at least two-dimensional"
        )
    if shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")


def _sum_last_two(x):
    n = len(shape_of(x))
    return reduce_sum(x, (n - 2, n - 1))


def _as_column(x):
    """A stack of scalars as a stack of 1x1 matrices, to scale stacks of matrices."""
    return reshape(x, tuple(shape_of(x)) + (1, 1))


# From this size on, a Hermitian NumPy matrix is first factored by Cholesky
# (half LU's work, and inverted in a third of LU's), as MATLAB's backslash
# does; where it is not positive definite, LU takes over.
_CHOLESKY_FROM = 32


def _cholesky_or_none(xp, a):
    """LAPACK's lower Cholesky factor of ``a``, Fortran-ordered (its upper
    triangle holds what ``a`` had there), if ``a`` is one large Hermitian
    positive definite NumPy matrix, else None."""
    if xp is not np or a.ndim != 2 or a.shape[0] < _CHOLESKY_FROM or a.dtype.char not in "fdFD":
        return None
    if not (a == (a.T.conj() if a.dtype.kind == "c" else a.T)).all():
        return None
    from scipy.linalg import lapack

    (potrf,) = lapack.get_lapack_funcs(("potrf",), (a,))
    # NumPy's reordering copy: f2py's own, for a C-ordered input, is several times slower
    factor, info = potrf(np.array(a, order="F"), lower=1, clean=0, overwrite_a=1)
    return factor if info == 0 else None


def _lapack(name, factor):
    from scipy.linalg import lapack

    return lapack.get_lapack_funcs((name,), (factor,))[0]


# ---- solve: a @ x = b for stacks of matrices b ----
#
# ``b`` is always a stack of matrices (..., M, K) here; fntrans.numpy turns a
# vector right-hand side into one column and back.


def _solve_shape(a, b):
    _check_square(a.shape)
    if len(b.shape) < 2 or b.shape[-2] != a.shape[-1]:
        raise ValueError(
            f"solve: b of shape {b.shape} does not match a of shape {a.shape} "
            f"(b must be a stack of matrices with {a.shape[-1]} rows)"
        )
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return ShapedArray(batch + b.shape[-2:], result_dtype(a, b))


def _solve_impl(xp, a, b):
    if b.ndim == 2 and a.dtype == b.dtype:
        factor = _cholesky_or_none(xp, a)
        if factor is not None:
            b = np.array(b, order="F")  # NumPy's reordering copy, not f2py's slower one
            return _lapack("potrs", factor)(factor, b, lower=1, overwrite_b=1)[0]
    return xp.linalg.solve(a, b)


def _solve_jvp(primals, tangents):
    a, b = primals
    ta, tb = tangents
    ans = solve(a, b)
    # d(a^-1 b) = a^-1 (db - da x)
    rhs = tb
    if ta is not None:
        term = matmul(ta, ans)
        rhs = neg(term) if rhs is None else sub(rhs, term)
    return ans, solve(a, rhs)


def _solve_vjp(ct, ans, a, b, *, needs):
    ct_b = solve(swap_last(a), ct)
    ct_a = None
    if needs[0]:
        ct_a = unbroadcast(neg(matmul(ct_b, swap_last(ans))), shape_of(a))
    return ct_a, unbroadcast(ct_b, shape_of(b)) if needs[1] else None


def _solve_batch(prim, vals, dims):
    """Batch axes first, batched operands padded with size-1 axes to the same
    number of batch axes; NumPy's broadcasting lines up the unbatched one."""
    (a, b), (da, db) = vals, dims
    rank = max(len(a.shape) - (da is not None), len(b.shape) - (db is not None))
    moved = []
    for x, d in ((a, da), (b, db)):
        if d is not None:
            x = move_axis(x, d, 0)
            x = reshape(x, x.shape[:1] + (1,) * (rank + 1 - len(x.shape)) + x.shape[1:])
        moved.append(x)
    return solve(*moved), 0


solve_p = Primitive(
    "solve",
    impl=_solve_impl,
    shape=_solve_shape,
    jvp=_solve_jvp,
    vjp=_solve_vjp,
    batch=_solve_batch,
)


def solve(a, b):
    """``x`` with ``a @ x == b``, for stacks of matrices ``b``."""
    return solve_p.bind(a, b)


# ---- inv ----


def _inv_shape(a):
    _check_square(a.shape)
    return ShapedArray(a.shape, a.dtype)


def _inv_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    ans = inv(a)
    return ans, neg(matmul(ans, matmul(t, ans)))


def _inv_vjp(ct, ans, a, *, needs):
    ans_t = swap_last(ans)
    return (neg(matmul(ans_t, matmul(ct, ans_t))),)


def _inv_impl(xp, a):
    factor = _cholesky_or_none(xp, a)
    if factor is None:
        return xp.linalg.inv(a)
    # potri fills the lower triangle; the upper one is its conjugate transpose
    lower = _lapack("potri", factor)(factor, lower=1, overwrite_c=1)[0]
    upper = lower.T.conj() if lower.dtype.kind == "c" else lower.T
    return np.where(np.tri(len(lower), dtype=bool), lower, upper)


inv_p = Primitive(
    "inv",
    impl=_inv_impl,
    shape=_inv_shape,
    jvp=_inv_jvp,
    vjp=_inv_vjp,
    batch=batch_axis_first,
)

inv = inv_p.bind

# ---- slogdet: (sign, log|det|) ----
#
# With t = tr(a^-1 da): d log|det| = Re(t) and d sign = sign * i Im(t) (zero
# for real matrices, whose sign is piecewise constant).


def _slogdet_shape(a):
    _check_square(a.shape)
    batch = a.shape[:-2]
    return ShapedArray(batch, a.dtype), ShapedArray(batch, real_dtype(a.dtype))


def _slogdet_impl(xp, a):
    factor = _cholesky_or_none(xp, a)
    if factor is not None:  # det = prod(diag(L))**2 > 0
        return a.dtype.type(1), 2 * np.log(factor.diagonal().real).sum()
    sign, logabsdet = xp.linalg.slogdet(a)
    return sign, logabsdet


def _slogdet_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    sign, logabsdet = slogdet(a)
    trace = _sum_last_two(mul(swap_last(inv(a)), t))
    if dtype_of(a).kind != "c":
        return (sign, logabsdet), (None, trace)
    sign_dot = mul(sign, mul(1j, imag(trace)))
    return (sign, logabsdet), (sign_dot, real(trace))


def _slogdet_vjp(ct, ans, a, *, needs):
    ct_sign, ct_logabsdet = ct
    g = ct_logabsdet
    if dtype_of(a).kind == "c" and ct_sign is not None:
        # the transpose of ct_sign -> sign * i Im(t) is ct_sign -> i Im(sign ct_sign)
        term = mul(1j, imag(mul(ans[0], ct_sign)))
        g = term if g is None else add(g, term)
    if g is None:
        return (None,)
    return (mul(_as_column(g), swap_last(inv(a))),)


slogdet_p = Primitive(
    "slogdet",
    impl=_slogdet_impl,
    shape=_slogdet_shape,
    jvp=_slogdet_jvp,
    vjp=_slogdet_vjp,
    batch=batch_axis_first,
    multiple_results=True,
)


def slogdet(a):
    """``(sign, log|det a|)`` of a stack of square matrices."""
    return slogdet_p.bind(a)


# ---- det, and the adjugate that is its derivative ----


def _det_shape(a):
    _check_square(a.shape)
    return ShapedArray(a.shape[:-2], a.dtype)


def _det_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    # d det = tr(adj(a) da)
    return det(a), _sum_last_two(mul(swap_last(adjugate(a)), t))


def _det_vjp(ct, ans, a, *, needs):
    return (mul(_as_column(ct), swap_last(adjugate(a))),)


det_p = Primitive(
    "det",
    impl=lambda xp, a: xp.linalg.det(a),
    shape=_det_shape,
    jvp=_det_jvp,
    vjp=_det_vjp,
    batch=batch_axis_first,
)

det = det_p.bind


def _adjugate_impl(xp, a):
    """``det(a) inv(a)``, or, where some matrix of the stack is singular, from
    the SVD ``a = u diag(s) vh``: ``adj(a) = det(u) det(vh) v diag(p) u^H``
    with ``p_i`` the product of the singular values other than ``s_i``."""
    try:
        return xp.linalg.det(a)[..., None, None] * xp.linalg.inv(a)
    except np.linalg.LinAlgError:
        pass
    u, s, vh = xp.linalg.svd(a)
    n = s.shape[-1]
    ones = xp.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([s[..., 1:], ones], axis=-1), -1), -1), -1)
    p = (before * after).astype(a.dtype) if n else s.astype(a.dtype)
    scale = xp.linalg.det(u) * xp.linalg.det(vh)
    v = xp.conj(xp.swapaxes(vh, -1, -2))
    uh = xp.conj(xp.swapaxes(u, -1, -2))
    return scale[..., None, None] * ((v * p[..., None, :]) @ uh)


def _adjugate_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    # adj(a) = det(a) a^-1, so d adj = (tr(adj da) adj - adj da adj) / det;
    # not defined where a is singular (the first derivative of det is)
    adj = adjugate(a)
    d = _as_column(det(a))
    trace = _as_column(_sum_last_two(mul(swap_last(adj), t)))
    return adj, div(sub(mul(trace, adj), matmul(adj, matmul(t, adj))), d)


def _adjugate_vjp(ct, ans, a, *, needs):
    adj_t = swap_last(ans)
    d = _as_column(det(a))
    trace = _as_column(_sum_last_two(mul(ct, ans)))
    return (div(sub(mul(trace, adj_t), matmul(adj_t, matmul(ct, adj_t))), d),)


adjugate_p = Primitive(
    "adjugate",
    impl=_adjugate_impl,
    shape=_inv_shape,
    jvp=_adjugate_jvp,
    vjp=_adjugate_vjp,
    batch=batch_axis_first,
)

adjugate = adjugate_p.bind


__all__ = ["solve_p", "inv_p", "slogdet_p", "det_p", "adjugate_p"]
