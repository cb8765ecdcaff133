"""Matrix functions: ``expm``, ``sqrtm``, and the Sylvester solve that
``sqrtm``'s derivative needs.

Each works on a matrix or on a stack of them (``(..., n, n)``), through
SciPy's own kernels (``scipy.linalg`` or the backend's counterpart).

- ``expm``'s derivative is its Fréchet derivative ``L(A, E)``, the top-right
  block of ``expm([[A, E], [0, A]])``; its transpose is ``L(Aᵀ, G)``. Both
  rules bind ``expm`` on the larger matrix, so they differentiate again.
- ``sqrtm``'s derivative ``dX`` solves the Sylvester equation
  ``X dX + dX X = dA`` at ``X = sqrtm(A)``; its transpose solves the same
  equation at ``Xᵀ``. ``solve_sylvester`` is a primitive with rules of its
  own, so second derivatives work too.
"""

from __future__ import annotations

import numpy as np

from fntrans.backend import array_module, scipy_module
from fntrans.core import constants
from fntrans.core.aval import (
    ShapedArray,
    all_weak,
    aval_of,
    dtype_of,
    is_inexact,
    result_dtype,
    shape_of,
)
from fntrans.core.primitive import Primitive
from fntrans.core.tracer import Tracer
from fntrans.primitives.broadcasting import bdim_to_front, reduce_sum, unbroadcast
from fntrans.primitives.elementwise import conj, mul, neg, real, sub
from fntrans.primitives.joining import join, split
from fntrans.primitives.products import matmul
from fntrans.primitives.shape import reshape, swap_last


def _linalg_function(xp, name: str):
    function = getattr(scipy_module(xp, "linalg"), name, None)
    if function is None:
        raise NotImplementedError(
            f"scipy.linalg.{name} has no counterpart for arrays of {xp.__name__}: "
            f"move the arrays to the host (NumPy) to use it."
        )
    return function


def _square_shape(name: str, x):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"{name} expects a square matrix or a stack of them (shape (..., n, n)), "
            f"but got an array of shape {tuple(x.shape)}."
        )
    dtype = x.dtype if is_inexact(x.dtype) else np.dtype(np.float64)
    return ShapedArray(x.shape, dtype, x.weak_type)


def _leading_batch(prim, vals, dims, **params):
    """Batching rule of the matrix primitives: SciPy's kernels take leading
    batch axes, so the batch goes first (broadcast where an operand has none),
    then size-1 axes, so that stacks of different depths line up as NumPy's
    batch broadcasting expects."""
    size = next(v.shape[d] for v, d in zip(vals, dims) if d is not None)
    rank = max(len(v.shape) - (d is not None) for v, d in zip(vals, dims))
    moved = []
    for v, d in zip(vals, dims):
        v = bdim_to_front(v, d, size)
        moved.append(reshape(v, (size,) + (1,) * (rank + 1 - len(v.shape)) + v.shape[1:]))
    return prim.bind(*moved, **params), 0


# ---- expm ----


def _frechet(a, e):
    """``L(a, e)``, the derivative of ``expm`` at ``a`` along ``e``: the top-right
    block of the exponential of the block matrix ``[[a, e], [0, a]]``."""
    rows, cols = len(shape_of(a)) - 2, len(shape_of(a)) - 1
    n = shape_of(a)[-1]
    zero = constants.full(shape_of(a), 0, np.result_type(dtype_of(a), dtype_of(e)), like=a)
    block = join(
        [join([a, e], axis=cols, new_axis=False), join([zero, a], axis=cols, new_axis=False)],
        axis=rows,
        new_axis=False,
    )
    top, _ = split(expm_p.bind(block), (n, n), rows)
    return split(top, (n, n), cols)[1]


def _expm_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    return expm_p.bind(a), _frechet(a, t)


def _expm_vjp(ct, ans, a, *, needs):
    # <G, L(A, E)> = <L(Aᵀ, G), E>: the Fréchet derivative is transposed by
    # transposing A (the plain transpose, also for complex A)
    return (_frechet(swap_last(a), ct),)


expm_p = Primitive(
    "expm",
    impl=lambda xp, a: _linalg_function(xp, "expm")(a),
    shape=lambda a: _square_shape("expm", a),
    jvp=_expm_jvp,
    vjp=_expm_vjp,
    batch=_leading_batch,
)


# ---- solve_sylvester: a x + x b = q ----


def _sylvester_shape(a, b, q):
    for name, x in (("a", a), ("b", b)):
        _square_shape(f"solve_sylvester (argument {name})", x)
    if q.shape[-2:] != (a.shape[-1], b.shape[-1]):
        raise ValueError(
            f"solve_sylvester: q must have shape (..., {a.shape[-1]}, {b.shape[-1]}) for a of "
            f"shape {tuple(a.shape)} and b of shape {tuple(b.shape)}, but has shape "
            f"{tuple(q.shape)}."
        )
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2], q.shape[:-2])
    dtype = result_dtype(a, b, q)
    dtype = dtype if is_inexact(dtype) else np.dtype(np.float64)
    return ShapedArray(batch + q.shape[-2:], dtype, all_weak(a, b, q))


def _sylvester_impl(xp, a, b, q):
    x = _linalg_function(xp, "solve_sylvester")(a, b, q)
    dtype = np.result_type(a.dtype, b.dtype, q.dtype)
    return x.astype(dtype, copy=False) if is_inexact(dtype) else x


def _sylvester_jvp(primals, tangents):
    # a dx + dx b = dq - da x - x db
    a, b, q = primals
    ta, tb, tq = tangents
    x = solve_sylvester_p.bind(a, b, q)
    rhs = tq
    for term in (None if ta is None else matmul(ta, x), None if tb is None else matmul(x, tb)):
        if term is not None:
            rhs = neg(term) if rhs is None else sub(rhs, term)
    return x, solve_sylvester_p.bind(a, b, rhs)


def _sylvester_vjp(ct, ans, a, b, q, *, needs):
    # the adjoint solve aᵀ y + y bᵀ = ct gives q's cotangent; a's and b's follow
    # from dx = solve(dq - da x - x db)
    y = solve_sylvester_p.bind(swap_last(a), swap_last(b), ct)
    return (
        unbroadcast(neg(matmul(y, swap_last(ans))), shape_of(a)) if needs[0] else None,
        unbroadcast(neg(matmul(swap_last(ans), y)), shape_of(b)) if needs[1] else None,
        unbroadcast(y, shape_of(q)) if needs[2] else None,
    )


solve_sylvester_p = Primitive(
    "solve_sylvester",
    impl=_sylvester_impl,
    shape=_sylvester_shape,
    jvp=_sylvester_jvp,
    vjp=_sylvester_vjp,
    batch=_leading_batch,
)


# ---- sqrtm ----


def _sqrtm_impl(xp, a):
    x = _linalg_function(xp, "sqrtm")(a)
    if x.dtype.kind == "c" and a.dtype.kind != "c":
        raise ValueError(
            "sqrtm: the real matrix has an eigenvalue on the negative real axis, so its "
            "principal square root is complex, while a transform expects a real result. "
            "Pass A.astype(complex) to differentiate the complex square root."
        )
    return x


def _sqrtm_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    x = sqrtm_p.bind(a)
    return x, solve_sylvester_p.bind(x, x, t)


def _sqrtm_vjp(ct, ans, a, *, needs):
    # dX = S⁻¹(dA) with S(Y) = X Y + Y X; S's transpose is the same map at Xᵀ
    xt = swap_last(ans)
    return (solve_sylvester_p.bind(xt, xt, ct),)


sqrtm_p = Primitive(
    "sqrtm",
    impl=_sqrtm_impl,
    shape=lambda a: _square_shape("sqrtm", a),
    jvp=_sqrtm_jvp,
    vjp=_sqrtm_vjp,
    batch=_leading_batch,
)


# ---- the functions, with SciPy's semantics ----


def _check_square(name: str, a) -> None:
    if isinstance(a, Tracer):
        _square_shape(name, aval_of(a))


def expm(A):
    """The matrix exponential of ``A`` (or of each matrix of a stack), as
    ``scipy.linalg.expm``: Padé approximation with scaling and squaring.

    Differentiable to any order: the derivative is the Fréchet derivative,
    computed as a block of the exponential of a matrix twice the size.

    Args:
        A: a square matrix, or a stack of them (shape ``(..., n, n)``).

    Returns:
        ``expm(A)``, with ``A``'s shape and (inexact) dtype.

    >>> import numpy as np
    >>> import fntrans as ft
    >>> from fntrans.primitives.matrix_functions import expm
    >>> A = np.array([[0.0, 1.0], [-1.0, 0.0]])
    >>> np.round(expm(A), 6)  # a rotation by one radian
    array([[ 0.540302,  0.841471],
           [-0.841471,  0.540302]])
    >>> print(round(float(ft.grad(lambda t: expm(t * A)[0, 1])(1.0)), 6))  # d sin t / dt
    0.540302
    """
    _check_square("expm", A)
    return expm_p.bind(A)


def sqrtm(A, disp: bool = True, blocksize: int | None = None):
    """The principal matrix square root of ``A`` (or of each matrix of a stack),
    as ``scipy.linalg.sqrtm``: ``X`` with ``X @ X == A`` and eigenvalues in the
    right half plane.

    Differentiable to any order where the square root is (no eigenvalue of
    ``A`` at zero): ``dX`` solves the Sylvester equation ``X dX + dX X = dA``.
    On a real matrix with an eigenvalue on the negative real axis SciPy returns
    a complex result; outside a transform so does this function, while inside
    one it raises a ``ValueError`` (pass ``A.astype(complex)`` there).

    Args:
        A: a square matrix, or a stack of them (shape ``(..., n, n)``).
        disp: as SciPy's (deprecated there): ``False`` also returns the error
            estimate ``norm(X @ X - A, 'fro')**2 / norm(A, 'fro')``.
        blocksize: accepted for SciPy's signature and ignored, as in SciPy.

    Returns:
        ``X``, with ``A``'s shape; ``(X, errest)`` when ``disp`` is false.

    >>> import numpy as np
    >>> import fntrans as ft
    >>> from fntrans.primitives.matrix_functions import sqrtm
    >>> A = np.array([[1.0, 3.0], [1.0, 4.0]])
    >>> sqrtm(A)
    array([[0.75592895, 1.13389342],
           [0.37796447, 1.88982237]])
    >>> print(round(float(ft.grad(lambda a: sqrtm(a * np.eye(2))[0, 0])(4.0)), 6))  # 1/(2√4)
    0.25
    """
    del blocksize
    if isinstance(A, Tracer):
        _check_square("sqrtm", A)
        X = sqrtm_p.bind(A)
    else:
        xp = array_module((A,))
        A = xp.asarray(A)
        X = _linalg_function(xp, "sqrtm")(A)  # SciPy's semantics, complex results included
    if disp:
        return X
    residual = sub(matmul(X, X), A)
    squared = reduce_sum(real(mul(conj(residual), residual)), (X.ndim - 2, X.ndim - 1))
    norm_a = reduce_sum(real(mul(conj(A), A)), (X.ndim - 2, X.ndim - 1)) ** 0.5
    return X, squared / norm_a


def solve_sylvester(a, b, q):
    """The solution ``x`` of the Sylvester equation ``a @ x + x @ b = q`` (or of
    each equation of a stack), as ``scipy.linalg.solve_sylvester``
    (Bartels–Stewart). Differentiable in ``a``, ``b`` and ``q`` to any order.

    Args:
        a: shape ``(..., m, m)``.
        b: shape ``(..., n, n)``.
        q: shape ``(..., m, n)``.

    Returns:
        ``x``, shape ``(..., m, n)``.

    >>> import numpy as np
    >>> from fntrans.primitives.matrix_functions import solve_sylvester
    >>> a, b = np.diag([1.0, 2.0]), np.diag([3.0, 4.0])
    >>> solve_sylvester(a, b, np.ones((2, 2)))  # x_ij = 1 / (a_i + b_j)
    array([[0.25      , 0.2       ],
           [0.2       , 0.16666667]])
    """
    return solve_sylvester_p.bind(a, b, q)


__all__ = ["expm_p", "solve_sylvester_p", "sqrtm_p"]
