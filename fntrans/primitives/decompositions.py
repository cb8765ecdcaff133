"""Matrix decompositions: cholesky, triangular_solve, eigh, eig, svd, qr, lu,
and pinv; and triangular_matmul and congruence_solve, the BLAS/LAPACK
triangular products that make the Cholesky rules cheap.

Every primitive works on stacks of matrices (leading batch dimensions), so
its batching rule moves the batch axis first and binds it again. The rules
bind matmul, einsum, elementwise operations and these primitives, so they
differentiate again. Reverse-mode rules reuse the factorization in ``ans``.

Conventions shared by the rules:

- Hermitian inputs (cholesky, eigh): LAPACK reads one triangle; the
  derivatives are those of ``f((A + Aᴴ) / 2)``, so tangents are made
  Hermitian and cotangents come out Hermitian, as in JAX, autograd and
  PyTorch.
- Complex numbers: a VJP is the transpose of the JVP under the bilinear
  pairing ``Re sum(x * y)`` (no conjugation), JAX's convention.
- Eigenvector and singular-vector derivatives hold ``1 / (λj - λi)``: at
  exactly repeated values they are infinite or NaN, never a finite wrong
  number. Derivatives of the values alone never form those ratios.
"""

from __future__ import annotations

import numpy as np

from fntrans.backend import scipy_module
from fntrans.core.aval import ShapedArray, dtype_of, real_dtype, shape_of
from fntrans.core.constants import module_for
from fntrans.core.primitive import Primitive
from fntrans.primitives._util import batch_axis_first
from fntrans.primitives.broadcasting import bdim_to_front
from fntrans.primitives.elementwise import add, conj, div, mul, neg, real, sub
from fntrans.primitives.indexing import along, take_along_axis
from fntrans.primitives.joining import join
from fntrans.primitives.products import einsum, matmul
from fntrans.primitives.shape import move_axis, reshape, swap_last

# ---- helpers over the last two axes ----


def _complex(x) -> bool:
    return dtype_of(x).kind == "c"


def _conj(x):
    return conj(x) if _complex(x) else x


def _adj(x):
    """The conjugate transpose."""
    return _conj(swap_last(x))


def _hermitian_part(x):
    return mul(add(x, _adj(x)), 0.5)


def _triangle_weights(x, lower: bool):
    """2 below (``lower``) or above the diagonal, 1 on it, 0 elsewhere.

    A function that reads only one triangle of a Hermitian matrix (LAPACK's
    cholesky and eigh, as NumPy calls them) sees ``herm(A ∘ W)``: its tangent
    is ``herm(dA ∘ W)``, and the transpose takes the gradient ``Ā`` of that
    Hermitian matrix to ``herm(Ā) ∘ W``, zero in the triangle never read. So
    the derivatives are those of the values computed, as finite differences
    see them.
    """
    xp = module_for(x)
    n = shape_of(x)[-1]
    tri = xp.tri(n, dtype=real_dtype(dtype_of(x)))
    weights = 2.0 * (tri if lower else tri.T)
    xp.fill_diagonal(weights, 1.0)
    return weights


def _tri_mask(x, k: int, lower: bool):
    """A constant mask of ``x``'s matrices: on and below diagonal ``k`` (``lower``),
    or on and above it."""
    rows, cols = shape_of(x)[-2:]
    tri = module_for(x).tri(rows, cols, k if lower else k - 1, dtype=real_dtype(dtype_of(x)))
    return tri if lower else 1 - tri


def _tril(x, k: int = 0):
    return mul(x, _tri_mask(x, k, True))


def _triu(x, k: int = 0):
    return mul(x, _tri_mask(x, k, False))


def _eye(n: int, like):
    return module_for(like).eye(n, dtype=real_dtype(dtype_of(like)))


def _batch_letters(x, core: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[: len(shape_of(x)) - core]


def _diag(x):
    """The diagonals of a stack of matrices."""
    b = _batch_letters(x, 2)
    return einsum(f"{b}ii->{b}i", x)


def _diag_embed(d):
    """Diagonal matrices with the vectors ``d`` on their diagonals."""
    n = shape_of(d)[-1]
    return mul(_as_row(d), _eye(n, d))


def _as_row(d):
    """``d[..., None, :]``: multiplies the columns of a matrix."""
    return reshape(d, shape_of(d)[:-1] + (1, shape_of(d)[-1]))


def _as_column(d):
    """``d[..., :, None]``: multiplies the rows of a matrix."""
    return reshape(d, shape_of(d) + (1,))


def _imag_diag(x):
    """``i Im(diag(x))`` as diagonal matrices (zero for real ``x``: None)."""
    if not _complex(x):
        return None
    d = _diag(x)
    return _diag_embed(mul(sub(d, conj(d)), 0.5))


def _gap_inverse(w):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it: infinite at ties."""
    eye = _eye(shape_of(w)[-1], w)
    gaps = sub(_as_row(w), _as_column(w))
    return sub(div(1.0, add(gaps, eye)), eye)


def _add(x, y):
    """``x + y`` where either may be a symbolic zero (None)."""
    if x is None:
        return y
    return x if y is None else add(x, y)


def _square_matrices(name, a):
    if len(a.shape) < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(
            f"{name}: expected a (stack of) square matrices of shape (..., n, n), "
            f"got shape {tuple(a.shape)}."
        )


def _stacked(xp, fn, a, *rest, core: int = 2):
    """``fn`` applied to each matrix of a stack (for LAPACK wrappers without
    batch support), results stacked back."""
    batch = a.shape[: a.ndim - core]
    if not batch:
        return fn(a, *rest)
    flat = [x.reshape((-1,) + x.shape[len(batch) :]) for x in (a, *rest)]
    results = [fn(*items) for items in zip(*flat)]
    if isinstance(results[0], tuple):
        return tuple(
            xp.stack(parts).reshape(batch + parts[0].shape) if parts else None
            for parts in zip(*results)
        )
    return xp.stack(results).reshape(batch + results[0].shape)


def _lapack_matrices(xp, *arrays, kinds: str = "fdFD") -> bool:
    """Whether ``arrays`` are nonempty NumPy matrices of one dtype that LAPACK
    takes (``kinds``): the fast paths call LAPACK or BLAS on them directly, the
    other cases (stacks, CuPy, mixed or other dtypes) go the generic way."""
    first = arrays[0]
    return (
        xp is np
        and all(
            type(x) is np.ndarray and x.ndim == 2 and x.size and x.dtype == first.dtype
            for x in arrays
        )
        and first.dtype.char in kinds
    )


# ---- triangular_solve ----
#
# Solves op(A) X = B for X, with A triangular (only the ``lower`` or upper
# triangle is read; with ``unit_diagonal`` not its diagonal either) and op
# one of: 0 A, 1 Aᵀ, 2 Aᴴ. A is (..., n, n), B is (..., n, k) with the same
# batch dimensions.


def _triangular_solve_shape(a, b, *, lower, trans, unit_diagonal):
    _square_matrices("triangular_solve", a)
    if len(b.shape) != len(a.shape) or b.shape[:-2] != a.shape[:-2] or b.shape[-2] != a.shape[-1]:
        raise ValueError(
            f"triangular_solve: a of shape {tuple(a.shape)} needs b of shape "
            f"{tuple(a.shape[:-1])} + (k,), got {tuple(b.shape)}."
        )
    return ShapedArray(b.shape, np.result_type(a.dtype, b.dtype))


def _triangular_solve_impl(xp, a, b, *, lower, trans, unit_diagonal):
    dtype = np.result_type(a.dtype, b.dtype)
    linalg = scipy_module(xp, "linalg")

    def solve(a, b):
        return linalg.solve_triangular(
            a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal, check_finite=False
        )

    out = solve(a, b) if a.ndim == 2 else _stacked(xp, solve, a, b)
    return out if out.dtype == dtype else out.astype(dtype)


def triangular_solve(a, b, *, lower: bool, trans: int = 0, unit_diagonal: bool = False):
    """``op(a)⁻¹ b`` for triangular ``a`` (op: 0 none, 1 transpose, 2 conjugate
    transpose), reading only ``a``'s ``lower`` (or upper) triangle."""
    return triangular_solve_p.bind(a, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal)


def _read_triangle(x, lower, unit_diagonal):
    """The entries of ``x`` that a triangular solve reads."""
    k = (-1 if lower else 1) if unit_diagonal else 0
    return _tril(x, k) if lower else _triu(x, k)


def _op(x, trans):
    return x if trans == 0 else swap_last(x) if trans == 1 else _adj(x)


def _triangular_solve_jvp(primals, tangents, *, lower, trans, unit_diagonal):
    (a, b), (a_dot, b_dot) = primals, tangents
    params = dict(lower=lower, trans=trans, unit_diagonal=unit_diagonal)
    x = triangular_solve(a, b, **params)
    # op(A) X = B  =>  op(A) dX = dB - op(dA) X
    rhs = b_dot
    if a_dot is not None:
        term = matmul(_op(_read_triangle(a_dot, lower, unit_diagonal), trans), x)
        rhs = neg(term) if rhs is None else sub(rhs, term)
    return x, triangular_solve(a, rhs, **params)


def _triangular_solve_vjp(ct, x, a, b, *, lower, trans, unit_diagonal, needs):
    # B̄ = op(A)⁻ᵀ X̄ (a plain transpose: JAX's convention for complex numbers)
    if trans == 2 and _complex(a):
        b_ct = conj(triangular_solve(a, conj(ct), lower=lower, unit_diagonal=unit_diagonal))
    else:
        b_ct = triangular_solve(
            a, ct, lower=lower, trans=1 if trans == 0 else 0, unit_diagonal=unit_diagonal
        )
    a_ct = None
    if needs[0]:
        if x is None:
            x = triangular_solve(a, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal)
        # dX = -op(A)⁻¹ op(dA) X: op(dA)'s cotangent is -B̄ Xᵀ, then undo op
        if trans == 0:
            a_ct = matmul(b_ct, swap_last(x))
        else:
            a_ct = matmul(x, swap_last(b_ct))
            if trans == 2:
                a_ct = _conj(a_ct)
        a_ct = neg(_read_triangle(a_ct, lower, unit_diagonal))
    return a_ct, b_ct if needs[1] else None


def _triangular_batch(prim, vals, dims, **params):
    (a, b), (da, db) = vals, dims
    if da is None and len(a.shape) == 2:
        # one matrix against a batch of right-hand sides: the batch joins b's
        # columns, one LAPACK call for all of them
        b = move_axis(b, db, 1)  # (n, B, k)
        n, size, k = b.shape
        out = prim.bind(a, reshape(b, (n, size * k)), **params)
        return reshape(out, (n, size, k)), 1
    size = a.shape[da] if da is not None else b.shape[db]
    return prim.bind(bdim_to_front(a, da, size), bdim_to_front(b, db, size), **params), 0


triangular_solve_p = Primitive(
    "triangular_solve",
    impl=_triangular_solve_impl,
    shape=_triangular_solve_shape,
    jvp=_triangular_solve_jvp,
    vjp=_triangular_solve_vjp,
    batch=_triangular_batch,
)


# ---- triangular_matmul ----
#
# op(T) @ B with T the ``lower`` (or upper) triangle of A, op as in
# triangular_solve: BLAS's trmm, half a general product's work.


def _triangular_matmul_shape(a, b, *, lower, trans):
    return _triangular_solve_shape(a, b, lower=lower, trans=trans, unit_diagonal=False)


def _triangular_matmul_impl(xp, a, b, *, lower, trans):
    if _lapack_matrices(xp, a, b):
        from scipy.linalg import blas

        trmm = blas.get_blas_funcs("trmm", (a,))
        # (op(T) B)ᵀ = Bᵀ op(T)ᵀ, on the Fortran views aᵀ and bᵀ (no copies of
        # C-ordered inputs); op(T)ᵀ is the same op applied to the matrix aᵀ
        return trmm(1.0, a.T, b.T, side=1, lower=not lower, trans_a=trans).T
    t = xp.tril(a) if lower else xp.triu(a)
    if trans:
        t = xp.swapaxes(t, -1, -2)
        if trans == 2:
            t = xp.conj(t)
    out = xp.matmul(t, b)
    dtype = np.result_type(a.dtype, b.dtype)
    return out if out.dtype == dtype else out.astype(dtype)


def triangular_matmul(a, b, *, lower: bool, trans: int = 0):
    """``op(T) @ b`` with ``T`` the ``lower`` (or upper) triangle of ``a`` (op:
    0 none, 1 transpose, 2 conjugate transpose)."""
    return triangular_matmul_p.bind(a, b, lower=lower, trans=trans)


def _triangular_matmul_jvp(primals, tangents, *, lower, trans):
    (a, b), (a_dot, b_dot) = primals, tangents
    params = dict(lower=lower, trans=trans)
    out = None if a_dot is None else triangular_matmul(a_dot, b, **params)
    if b_dot is not None:
        out = _add(out, triangular_matmul(a, b_dot, **params))
    return triangular_matmul(a, b, **params), out


def _triangular_matmul_vjp(ct, ans, a, b, *, lower, trans, needs):
    # bilinear: also the transpose rule, so it reads only the defined argument
    a_ct = b_ct = None
    if needs[0]:
        # op(T)'s cotangent is ct bᵀ; undo op, keep the triangle read
        g = matmul(ct, swap_last(b)) if trans == 0 else matmul(b, swap_last(ct))
        a_ct = _read_triangle(_conj(g) if trans == 2 else g, lower, False)
    if needs[1]:  # op(T)ᵀ ct
        if trans == 2 and _complex(a):
            b_ct = conj(triangular_matmul(a, conj(ct), lower=lower))
        else:
            b_ct = triangular_matmul(a, ct, lower=lower, trans=1 if trans == 0 else 0)
    return a_ct, b_ct


triangular_matmul_p = Primitive(
    "triangular_matmul",
    impl=_triangular_matmul_impl,
    shape=_triangular_matmul_shape,
    jvp=_triangular_matmul_jvp,
    vjp=_triangular_matmul_vjp,
    batch=_triangular_batch,
    vjp_transposes=True,
)


# ---- congruence_solve ----
#
# X = T⁻ᴴ H T⁻¹ with T the ``lower`` (or upper) triangle of t and H = (S + Sᴴ) / 2:
# the Hermitian congruence by an inverse triangle, which the Cholesky rules
# need. LAPACK's sygst does it in half the work of two triangular solves.


def _congruence_solve_shape(t, s, *, lower):
    _square_matrices("congruence_solve", t)
    if s.shape != t.shape:
        raise ValueError(
            f"congruence_solve: t of shape {tuple(t.shape)} needs s of the same shape, "
            f"got {tuple(s.shape)}."
        )
    return ShapedArray(s.shape, np.result_type(t.dtype, s.dtype))


def _congruence_solve_impl(xp, t, s, *, lower):
    if _lapack_matrices(xp, t, s, kinds="fd"):
        from scipy.linalg import lapack

        if lower:  # with J the reversal, T⁻ᵀ H T⁻¹ = J U⁻ᵀ (J H J) U⁻¹ J, U = J T J upper
            t, s = t[::-1, ::-1], s[::-1, ::-1]
        # Fortran-ordered operands made here (f2py's own reordering copies are slow):
        # H is symmetric, so its transpose is itself in Fortran order
        h = s + s.T
        h *= 0.5
        lower_b = np.asfortranarray(t.T)  # B = Uᵀ
        sygst = lapack.get_lapack_funcs("sygst", (t,))
        # B⁻¹ H B⁻ᵀ = U⁻ᵀ H U⁻¹, in the lower triangle of the (Fortran) result
        c, _ = sygst(h.T, lower_b, itype=1, lower=1, overwrite_a=1)
        if lower:
            c = c[::-1, ::-1]  # its upper triangle now
        return (
            np.where(np.tri(len(c), dtype=bool, k=-1), c.T, c)
            if lower
            else np.where(np.tri(len(c), dtype=bool), c, c.T)
        )
    linalg = scipy_module(xp, "linalg")
    h = (s + xp.conj(xp.swapaxes(s, -1, -2))) * 0.5

    def congruence(t, h):
        if not h.size:
            return h
        y = linalg.solve_triangular(t, h, trans=2, lower=lower, check_finite=False)
        # T⁻ᴴ (T⁻ᴴ H)ᴴ = T⁻ᴴ H T⁻¹
        return linalg.solve_triangular(t, y.conj().T, trans=2, lower=lower, check_finite=False)

    x = congruence(t, h) if t.ndim == 2 else _stacked(xp, congruence, t, h)
    x = (x + xp.conj(xp.swapaxes(x, -1, -2))) * 0.5
    dtype = np.result_type(t.dtype, s.dtype)
    return x if x.dtype == dtype else x.astype(dtype)


def congruence_solve(t, s, *, lower: bool):
    """``T⁻ᴴ ((s + sᴴ) / 2) T⁻¹`` with ``T`` the ``lower`` (or upper) triangle of ``t``."""
    return congruence_solve_p.bind(t, s, lower=lower)


def _congruence_solve_jvp(primals, tangents, *, lower):
    (t, s), (t_dot, s_dot) = primals, tangents
    x = congruence_solve(t, s, lower=lower)
    out = None if s_dot is None else congruence_solve(t, s_dot, lower=lower)
    if t_dot is not None:
        # dX = -(Z + Zᴴ) with Z = X dT T⁻¹ = (T⁻ᴴ (X dT)ᴴ)ᴴ
        xdt = matmul(x, _read_triangle(t_dot, lower, False))
        z = _adj(triangular_solve(t, _adj(xdt), lower=lower, trans=2))
        out = _add(out, neg(add(z, _adj(z))))
    return x, out


def _congruence_solve_vjp(ct, x, t, s, *, lower, needs):
    t_ct = s_ct = None
    if needs[0]:
        # Z̄ = -(X̄ + X̄ᴴ), and T̄ = Xᵀ Z̄ T⁻ᵀ = (T⁻¹ (Xᵀ Z̄)ᵀ)ᵀ on T's triangle
        w = matmul(swap_last(x), neg(add(ct, _adj(ct))))
        t_ct = _read_triangle(
            swap_last(triangular_solve(t, swap_last(w), lower=lower)), lower, False
        )
    if needs[1]:
        # S̄ = conj(T)⁻¹ herm(X̄) T⁻ᵀ: the congruence by the inverse of Tᵀ
        s_ct = congruence_solve(swap_last(t), ct, lower=not lower)
    return t_ct, s_ct


def _both_to_front(prim, vals, dims, **params):
    (a, b), (da, db) = vals, dims
    size = shape_of(a)[da] if da is not None else shape_of(b)[db]
    return prim.bind(bdim_to_front(a, da, size), bdim_to_front(b, db, size), **params), 0


congruence_solve_p = Primitive(
    "congruence_solve",
    impl=_congruence_solve_impl,
    shape=_congruence_solve_shape,
    jvp=_congruence_solve_jvp,
    vjp=_congruence_solve_vjp,
    batch=_both_to_front,
)


# ---- cholesky ----
#
# L lower triangular with A = L Lᴴ, from A's lower triangle (NumPy's).


def _cholesky_shape(a):
    _square_matrices("cholesky", a)
    return ShapedArray(a.shape, a.dtype)


def _cholesky_impl(xp, a):
    if not _lapack_matrices(xp, a):
        return xp.linalg.cholesky(a)
    from scipy.linalg import lapack

    # The Fortran view aᵀ has a's lower triangle as its upper one, and LAPACK's
    # upper factor U of aᵀ = conj(a) is Lᵀ: no copy in, none out (NumPy's
    # cholesky copies and transposes both ways)
    potrf = lapack.get_lapack_funcs("potrf", (a,))
    upper, info = potrf(a.T, lower=0, clean=1)
    if info > 0:
        raise np.linalg.LinAlgError("Matrix is not positive definite")
    return upper.T


def cholesky(a):
    """The lower Cholesky factor of Hermitian positive-definite ``a``."""
    return cholesky_p.bind(a)


# Φ(X): the lower triangle of X with its diagonal halved
def _phi(x):
    xp = module_for(x)
    mask = xp.tri(shape_of(x)[-1], dtype=real_dtype(dtype_of(x)))
    xp.fill_diagonal(mask, 0.5)
    return mul(x, mask)


def _cholesky_jvp(primals, tangents):
    (a,), (a_dot,) = primals, tangents
    low = cholesky(a)
    # dL = L Φ(L⁻¹ herm(dA ∘ W) L⁻ᴴ), a congruence by the inverse of the upper Lᴴ
    inner = congruence_solve(_adj(low), mul(a_dot, _triangle_weights(a_dot, True)), lower=False)
    return low, triangular_matmul(low, _phi(inner), lower=True)


def _cholesky_vjp(ct, low, a, *, needs):
    # Ā = (L⁻ᵀ herm(Φ(Lᵀ L̄)) conj(L)⁻¹) ∘ W, a congruence by the inverse of conj(L)
    p = _phi(triangular_matmul(low, ct, lower=True, trans=1))
    return (mul(congruence_solve(_conj(low), p, lower=True), _triangle_weights(low, True)),)


cholesky_p = Primitive(
    "cholesky",
    impl=_cholesky_impl,
    shape=_cholesky_shape,
    jvp=_cholesky_jvp,
    vjp=_cholesky_vjp,
    batch=batch_axis_first,
)


# ---- eigh ----
#
# w ascending (real), V unitary with A = V diag(w) Vᴴ, from A's ``lower`` (or
# upper) triangle. Without ``eigenvectors`` only (w,) is computed; the rules
# then compute V themselves.


def _eigh_shape(a, *, lower, eigenvectors):
    _square_matrices("eigh", a)
    w = ShapedArray(a.shape[:-1], real_dtype(a.dtype))
    return (w, ShapedArray(a.shape, a.dtype)) if eigenvectors else (w,)


def _eigh_impl(xp, a, *, lower, eigenvectors):
    uplo = "L" if lower else "U"
    if eigenvectors:
        return tuple(xp.linalg.eigh(a, UPLO=uplo))
    return (xp.linalg.eigvalsh(a, UPLO=uplo),)


def eigh(a, *, lower: bool = True, eigenvectors: bool = True):
    """``(w, v)`` (or ``(w,)``) of Hermitian ``a``."""
    return eigh_p.bind(a, lower=lower, eigenvectors=eigenvectors)


def _eigh_jvp(primals, tangents, *, lower, eigenvectors):
    (a,), (a_dot,) = primals, tangents
    w, v = eigh(a, lower=lower)
    m = matmul(_adj(v), matmul(_hermitian_part(mul(a_dot, _triangle_weights(a_dot, lower))), v))
    w_dot = _diag(m)
    if _complex(w_dot):
        w_dot = real(w_dot)
    if not eigenvectors:
        return (w,), (w_dot,)
    # dV = V (F ∘ Vᴴ dA V)
    return (w, v), (w_dot, matmul(v, mul(_gap_inverse(w), m)))


def _eigh_vjp(ct, ans, a, *, lower, eigenvectors, needs):
    w_ct, v_ct = ct if eigenvectors else (ct[0], None)
    w, v = ans if eigenvectors else eigh(a, lower=lower)
    # Ā = herm(conj(V) G Vᵀ), G = diag(w̄) + F ∘ (Vᵀ V̄); F only where V̄ is used
    g = None if w_ct is None else _diag_embed(w_ct)
    if v_ct is not None:
        g = _add(g, mul(_gap_inverse(w), matmul(swap_last(v), v_ct)))
    a_ct = _hermitian_part(matmul(_conj(v), matmul(g, swap_last(v))))
    return (mul(a_ct, _triangle_weights(a_ct, lower)),)


eigh_p = Primitive(
    "eigh",
    impl=_eigh_impl,
    shape=_eigh_shape,
    jvp=_eigh_jvp,
    vjp=_eigh_vjp,
    batch=batch_axis_first,
    multiple_results=True,
)


# ---- lu ----
#
# LAPACK's packed LU of a square matrix, as scipy.linalg.lu_factor: A[perm] =
# L U, with L unit lower (below the diagonal of ``lu``) and U upper (on and
# above it); ``piv`` are the row interchanges (0-based), with no derivative.


def _lu_shape(a):
    _square_matrices("lu", a)
    return ShapedArray(a.shape, a.dtype), ShapedArray(a.shape[:-1], np.int32)


def _lu_impl(xp, a):
    linalg = scipy_module(xp, "linalg")

    def factor(a):
        lu, piv = linalg.lu_factor(a, check_finite=False)
        return lu, piv.astype(np.int32, copy=False)

    if a.shape[-1] == 0:
        return a.copy(), xp.zeros(a.shape[:-1], np.int32)
    return factor(a) if a.ndim == 2 else _stacked(xp, factor, a)


def lu(a):
    """``(lu, piv)`` of square ``a``, as scipy.linalg.lu_factor."""
    return lu_p.bind(a)


def _unit_lower(lu):
    return add(_tril(lu, -1), _eye(shape_of(lu)[-1], lu))


def rows(x, perm):
    """``x[..., perm, :]`` with a permutation per matrix."""
    return take_along_axis(x, reshape(perm, shape_of(perm) + (1,)), len(shape_of(x)) - 2)


def _lu_jvp(primals, tangents):
    (a,), (a_dot,) = primals, tangents
    packed, piv = lu(a)
    # L⁻¹ P dA U⁻¹ = L⁻¹ dL + dU U⁻¹: strictly lower plus upper
    x = triangular_solve(
        packed, rows(a_dot, pivots_to_permutation(piv)), lower=True, unit_diagonal=True
    )
    x = swap_last(triangular_solve(packed, swap_last(x), lower=False, trans=1))
    lu_dot = add(matmul(_unit_lower(packed), _tril(x, -1)), matmul(_triu(x), _triu(packed)))
    return (packed, piv), (lu_dot, None)


def _lu_vjp(ct, ans, a, *, needs):
    packed, piv = ans
    lu_ct = ct[0]
    x_ct = add(
        _tril(matmul(swap_last(_unit_lower(packed)), _tril(lu_ct, -1)), -1),
        _triu(matmul(_triu(lu_ct), swap_last(_triu(packed)))),
    )
    z = triangular_solve(packed, x_ct, lower=True, trans=1, unit_diagonal=True)
    z = swap_last(triangular_solve(packed, swap_last(z), lower=False))
    return (rows(z, pivots_to_permutation(piv, inverse=True)),)


lu_p = Primitive(
    "lu",
    impl=_lu_impl,
    shape=_lu_shape,
    jvp=_lu_jvp,
    vjp=_lu_vjp,
    batch=batch_axis_first,
    multiple_results=True,
)


def _permutation_impl(xp, piv, *, inverse):
    if piv.size == 0:
        return xp.zeros(piv.shape, np.intp)
    if xp is np:
        return _permutation_on_host(piv, inverse)
    return _permutation_on_device(xp, piv, inverse)


def _permutation_on_host(piv, inverse):
    """LAPACK's interchanges applied in order, in Python: the fastest way for a
    few matrices on the host."""
    batch = piv.shape[:-1]
    flat = piv.reshape(-1, piv.shape[-1])
    perms = np.empty(flat.shape, dtype=np.intp)
    for row, swaps in zip(perms, flat.tolist()):
        perm = list(range(len(swaps)))
        for i, p in enumerate(swaps):
            perm[i], perm[p] = perm[p], perm[i]
        row[:] = perm
        if inverse:
            row[perm] = np.arange(len(perm))
    return perms.reshape(batch + piv.shape[-1:])


def _permutation_on_device(xp, piv, inverse):
    """LAPACK's interchanges applied in order, as one swap of device arrays per
    column (for all matrices at once): reading the pivots back to the host
    would wait for the device."""
    n = piv.shape[-1]
    flat = piv.reshape(-1, n)
    matrices = xp.arange(flat.shape[0])
    perm = xp.empty(flat.shape, dtype=np.intp)
    perm[...] = xp.arange(n)
    for i in range(n):
        p = flat[:, i]
        at_i, at_p = perm[:, i].copy(), perm[matrices, p]
        perm[matrices, p] = at_i
        perm[:, i] = at_p
    if inverse:
        inv = xp.empty_like(perm)
        inv[matrices[:, None], perm] = xp.arange(n)
        perm = inv
    return perm.reshape(piv.shape)


pivots_to_permutation_p = Primitive(
    "pivots_to_permutation",
    impl=_permutation_impl,
    shape=lambda piv, *, inverse: ShapedArray(piv.shape, np.intp),
    zero_derivative=True,
    batch=batch_axis_first,
)


def pivots_to_permutation(piv, inverse: bool = False):
    """The row permutation ``perm`` (``A[perm] = L U``) that LU's pivots make,
    or its inverse."""
    return pivots_to_permutation_p.bind(piv, inverse=inverse)


def solve(a, b):
    """``a⁻¹ b`` for square ``a`` and (..., n, k) ``b``, through ``lu``."""
    packed, piv = lu(a)
    y = triangular_solve(
        packed, rows(b, pivots_to_permutation(piv)), lower=True, unit_diagonal=True
    )
    return triangular_solve(packed, y, lower=False)


# ---- eig ----
#
# w and V complex (also for real A), A V = V diag(w), each column of V of
# unit norm as NumPy returns it (its phase is LAPACK's choice).


def _complex_dtype(dtype):
    return np.result_type(dtype, np.complex64)


def _eig_shape(a, *, eigenvectors):
    _square_matrices("eig", a)
    dtype = _complex_dtype(a.dtype)
    w = ShapedArray(a.shape[:-1], dtype)
    return (w, ShapedArray(a.shape, dtype)) if eigenvectors else (w,)


def _eig_impl(xp, a, *, eigenvectors):
    dtype = _complex_dtype(a.dtype)
    if eigenvectors:
        w, v = xp.linalg.eig(a)
        return w.astype(dtype, copy=False), v.astype(dtype, copy=False)
    return (xp.linalg.eigvals(a).astype(dtype, copy=False),)


def eig(a, *, eigenvectors: bool = True):
    """``(w, v)`` (or ``(w,)``) of a general square ``a``, complex."""
    return eig_p.bind(a, eigenvectors=eigenvectors)


def _eig_jvp(primals, tangents, *, eigenvectors):
    (a,), (a_dot,) = primals, tangents
    w, v = eig(a)
    m = solve(v, matmul(a_dot, v))  # V⁻¹ dA V
    w_dot = _diag(m)
    if not eigenvectors:
        return (w,), (w_dot,)
    v_dot = matmul(v, mul(_gap_inverse(w), m))
    # keep unit norm: remove each column's component Re(vᴴ dv) along v
    along_v = real(einsum(_spec(v, "ij,ij->j"), conj(v), v_dot))
    return (w, v), (w_dot, sub(v_dot, mul(v, _as_row(along_v))))


def _spec(x, core: str) -> str:
    """``core`` ("ij,ij->j") with ``x``'s batch dimensions in front of every operand."""
    b = _batch_letters(x, 2)
    inputs, output = core.split("->")
    return ",".join(b + s for s in inputs.split(",")) + "->" + b + output


def _eig_vjp(ct, ans, a, *, eigenvectors, needs):
    w_ct, v_ct = ct if eigenvectors else (ct[0], None)
    w, v = ans if eigenvectors else eig(a)
    g = None if w_ct is None else _diag_embed(w_ct)
    if v_ct is not None:
        # the normalization's transpose, then Ḡ += F ∘ (Vᵀ V̄)
        norm_ct = real(einsum(_spec(v, "ij,ij->j"), v_ct, v))
        v_ct = sub(v_ct, mul(conj(v), _as_row(norm_ct)))
        g = _add(g, mul(_gap_inverse(w), matmul(swap_last(v), v_ct)))
    # Ā = V⁻ᵀ G Vᵀ
    a_ct = solve(swap_last(v), matmul(g, swap_last(v)))
    return (a_ct if _complex(a) else real(a_ct),)


eig_p = Primitive(
    "eig",
    impl=_eig_impl,
    shape=_eig_shape,
    jvp=_eig_jvp,
    vjp=_eig_vjp,
    batch=batch_axis_first,
    multiple_results=True,
)


# ---- svd ----
#
# The reduced SVD A = U diag(s) Vh: U (..., m, k), s (..., k) descending, Vh
# (..., k, n), k = min(m, n). ``full_matrices`` (NumPy's default) completes U
# or Vh to square: its extra columns are any basis of a complement, so they
# have no derivative and the rules raise for non-square input.


def _svd_shape(a, *, compute_uv, full_matrices):
    if len(a.shape) < 2:
        raise ValueError(f"svd: expected a (stack of) matrices, got shape {tuple(a.shape)}.")
    *batch, m, n = a.shape
    batch, k = tuple(batch), min(m, n)
    s = ShapedArray(batch + (k,), real_dtype(a.dtype))
    if not compute_uv:
        return (s,)
    u_cols, vh_rows = (m, n) if full_matrices else (k, k)
    return (
        ShapedArray(batch + (m, u_cols), a.dtype),
        s,
        ShapedArray(batch + (vh_rows, n), a.dtype),
    )


def _svd_impl(xp, a, *, compute_uv, full_matrices):
    if compute_uv:
        return tuple(xp.linalg.svd(a, full_matrices=full_matrices))
    return (xp.linalg.svd(a, compute_uv=False),)


def svd(a, *, compute_uv: bool = True, full_matrices: bool = False):
    """``(u, s, vh)`` (or ``(s,)``) of ``a``."""
    return svd_p.bind(a, compute_uv=compute_uv, full_matrices=full_matrices)


def _check_reduced(a, compute_uv, full_matrices):
    m, n = shape_of(a)[-2:]
    if compute_uv and full_matrices and m != n:
        raise ValueError(
            f"svd with full_matrices=True of a {m}x{n} matrix has no derivative: the "
            f"completed singular vectors are not unique. Pass full_matrices=False."
        )


def _svd_jvp(primals, tangents, *, compute_uv, full_matrices):
    (a,), (a_dot,) = primals, tangents
    _check_reduced(a, compute_uv, full_matrices)
    u, s, vh = svd(a)
    v = _adj(vh)
    p = matmul(_adj(u), matmul(a_dot, v))  # Uᴴ dA V
    s_dot = _diag(p)
    if _complex(s_dot):
        s_dot = real(s_dot)
    if not compute_uv:
        return (s,), (s_dot,)
    m, n = shape_of(a)[-2:]
    f = _gap_inverse(mul(s, s))
    s_row, s_col = _as_row(s), _as_column(s)
    ps = mul(p, s_row)
    u_inner = mul(f, add(ps, _adj(ps)))  # F ∘ (dP S + S dPᴴ)
    phase = _imag_diag(p)  # the phase of complex singular vectors, put in U
    if phase is not None:
        u_inner = add(u_inner, div(phase, s_row))
    sp = mul(s_col, p)
    u_dot = matmul(u, u_inner)
    v_dot = matmul(v, mul(f, add(sp, _adj(sp))))  # F ∘ (S dP + dPᴴ S)
    if m > n:  # the part of dA V outside U's columns
        dav = matmul(a_dot, v)
        u_dot = add(u_dot, div(sub(dav, matmul(u, matmul(_adj(u), dav))), s_row))
    if n > m:
        dahu = matmul(_adj(a_dot), u)
        v_dot = add(v_dot, div(sub(dahu, matmul(v, matmul(vh, dahu))), s_row))
    return (u, s, vh), (u_dot, s_dot, _adj(v_dot))


def _svd_vjp(ct, ans, a, *, compute_uv, full_matrices, needs):
    _check_reduced(a, compute_uv, full_matrices)
    u_ct, s_ct, vh_ct = ct if compute_uv else (None, ct[0], None)
    u, s, vh = ans if compute_uv else svd(a)
    m, n = shape_of(a)[-2:]
    s_row, s_col = _as_row(s), _as_column(s)
    p_ct = None if s_ct is None else _diag_embed(s_ct)
    a_ct = None
    if u_ct is not None or vh_ct is not None:
        f = _gap_inverse(mul(s, s))
    if u_ct is not None:
        ju = matmul(swap_last(u), u_ct)  # Uᵀ Ū
        p_ct = _add(p_ct, mul(mul(f, sub(ju, _adj(ju))), s_row))
        phase = _imag_diag(ju)
        if phase is not None:
            p_ct = add(p_ct, div(phase, s_row))
        if m > n:
            a_ct = matmul(div(sub(u_ct, matmul(_conj(u), ju)), s_row), _conj(vh))
    if vh_ct is not None:
        v_ct = _adj(vh_ct)
        jv = matmul(_conj(vh), v_ct)  # Vᵀ V̄
        p_ct = _add(p_ct, mul(s_col, mul(f, sub(jv, _adj(jv)))))
        if n > m:
            term = matmul(div(_conj(u), s_row), sub(vh_ct, matmul(_adj(jv), _conj(vh))))
            a_ct = _add(a_ct, term)
    # dP = Uᴴ dA V  =>  Ā = conj(U) P̄ Vᵀ
    if p_ct is not None:
        a_ct = _add(a_ct, matmul(_conj(u), matmul(p_ct, _conj(vh))))
    return (a_ct,)


svd_p = Primitive(
    "svd",
    impl=_svd_impl,
    shape=_svd_shape,
    jvp=_svd_jvp,
    vjp=_svd_vjp,
    batch=batch_axis_first,
    multiple_results=True,
)


# ---- qr ----
#
# The reduced QR A = Q R: Q (..., m, k) with orthonormal columns, R (..., k, n)
# upper triangular, k = min(m, n), R's diagonal real (LAPACK's Householder
# convention). For wide A = [X | Y]: X = Q R1 and R2 = Qᴴ Y.


def _qr_shape(a):
    if len(a.shape) < 2:
        raise ValueError(f"qr: expected a (stack of) matrices, got shape {tuple(a.shape)}.")
    *batch, m, n = a.shape
    k = min(m, n)
    return ShapedArray(tuple(batch) + (m, k), a.dtype), ShapedArray(tuple(batch) + (k, n), a.dtype)


def qr(a):
    """``(q, r)``, the reduced QR decomposition of ``a``."""
    return qr_p.bind(a)


def _columns(x, start, stop):
    return along(x, len(shape_of(x)) - 1, slice(start, stop))


def _qr_jvp(primals, tangents):
    (a,), (a_dot,) = primals, tangents
    q, r = qr(a)
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    r1 = _columns(r, 0, k) if n > k else r
    x_dot = _columns(a_dot, 0, k) if n > k else a_dot
    # B = dX R1⁻¹, C = Qᴴ B = Qᴴ dQ + dR1 R1⁻¹: skew-Hermitian plus upper triangular
    b = swap_last(triangular_solve(r1, swap_last(x_dot), lower=False, trans=1))
    c = matmul(_adj(q), b)
    low = _tril(c, -1)
    omega = _add(sub(low, _adj(low)), _imag_diag(c))
    q_dot = add(matmul(q, sub(omega, c)), b)
    r_dot = matmul(sub(c, omega), r1)
    if n > k:
        y_dot = _columns(a_dot, k, n)
        r2_dot = matmul(_adj(q), sub(y_dot, matmul(q_dot, _columns(r, k, n))))
        r_dot = join([r_dot, r2_dot], axis=len(shape_of(a)) - 1, new_axis=False)
    return (q, r), (q_dot, r_dot)


def _qr_vjp(ct, ans, a, *, needs):
    q_ct, r_ct = ct
    q, r = ans
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    r1 = _columns(r, 0, k) if n > k else r
    y_ct = None
    if n > k:
        if r_ct is not None:
            r2_ct = _columns(r_ct, k, n)
            r_ct = _columns(r_ct, 0, k)
            y_ct = matmul(_conj(q), r2_ct)
            q_ct = _add(q_ct, neg(matmul(y_ct, swap_last(_columns(r, k, n)))))
        else:
            y_ct = module_for(a).zeros(shape_of(a)[:-1] + (n - k,), dtype_of(a))
    x = None if r_ct is None else matmul(r_ct, swap_last(r1))
    if q_ct is not None:
        x = _add(x, neg(matmul(swap_last(q), q_ct)))
    # C̄: X's upper triangle, its conjugate transpose below, Re of its diagonal
    d = _diag(x)
    c_ct = add(add(_triu(x, 1), _tril(_adj(x), -1)), _diag_embed(real(d) if _complex(d) else d))
    b_ct = _add(q_ct, matmul(_conj(q), c_ct))
    a_ct = swap_last(triangular_solve(r1, swap_last(b_ct), lower=False))  # B̄ R1⁻ᵀ
    if y_ct is not None:
        a_ct = join([a_ct, y_ct], axis=len(shape_of(a)) - 1, new_axis=False)
    return (a_ct,)


qr_p = Primitive(
    "qr",
    impl=lambda xp, a: tuple(xp.linalg.qr(a, mode="reduced")),
    shape=_qr_shape,
    jvp=_qr_jvp,
    vjp=_qr_vjp,
    batch=batch_axis_first,
    multiple_results=True,
)


# ---- pinv ----
#
# The Moore-Penrose pseudo-inverse, singular values at or below rcond * max(s)
# treated as zero. Its derivative (Golub & Pereyra) holds where the rank is
# locally constant, ties of singular values included:
# dP = -P dA P + P Pᴴ dAᴴ (I - A P) + (I - P A) dAᴴ Pᴴ P.


def _pinv_shape(a, *, rcond, hermitian):
    if len(a.shape) < 2:
        raise ValueError(f"pinv: expected a (stack of) matrices, got shape {tuple(a.shape)}.")
    return ShapedArray(a.shape[:-2] + (a.shape[-1], a.shape[-2]), a.dtype)


def pinv(a, *, rcond: float, hermitian: bool = False):
    """The pseudo-inverse of ``a``."""
    return pinv_p.bind(a, rcond=rcond, hermitian=hermitian)


def _pinv_jvp(primals, tangents, *, rcond, hermitian):
    (a,), (a_dot,) = primals, tangents
    p = pinv(a, rcond=rcond, hermitian=hermitian)
    a_dot_h, p_h = _adj(a_dot), _adj(p)
    out = neg(matmul(p, matmul(a_dot, p)))
    left = matmul(matmul(p, p_h), a_dot_h)  # P Pᴴ dAᴴ (I - A P)
    out = add(out, sub(left, matmul(matmul(left, a), p)))
    right = matmul(a_dot_h, matmul(p_h, p))  # (I - P A) dAᴴ Pᴴ P
    out = add(out, sub(right, matmul(p, matmul(a, right))))
    return p, out


def _pinv_vjp(ct, p, a, *, rcond, hermitian, needs):
    # the transpose of the JVP (x ↦ A x B has transpose y ↦ Aᵀ y Bᵀ, and
    # dAᴴ's puts a conjugate transpose around it)
    p_t, ct_h = swap_last(p), _adj(ct)
    out = neg(matmul(p_t, matmul(ct, p_t)))
    left = matmul(ct_h, matmul(_conj(p), p_t))
    out = add(out, sub(left, matmul(_conj(a), matmul(_conj(p), left))))
    right = matmul(matmul(p_t, _conj(p)), ct_h)
    out = add(out, sub(right, matmul(matmul(right, _conj(p)), _conj(a))))
    return (out,)


pinv_p = Primitive(
    "pinv",
    impl=lambda xp, a, *, rcond, hermitian: (
        xp.linalg.pinv(a, rcond=rcond, hermitian=True) if hermitian else xp.linalg.pinv(a, rcond)
    ),
    shape=_pinv_shape,
    jvp=_pinv_jvp,
    vjp=_pinv_vjp,
    batch=batch_axis_first,
)

__all__ = [
    "triangular_solve_p",
    "triangular_matmul_p",
    "congruence_solve_p",
    "cholesky_p",
    "eigh_p",
    "lu_p",
    "pivots_to_permutation_p",
    "eig_p",
    "svd_p",
    "qr_p",
    "pinv_p",
]
