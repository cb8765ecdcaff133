"""Decompositions and what is built on them: ``cholesky``, ``eigh``,
``eigvalsh``, ``eig``, ``eigvals``, ``svd``, ``svdvals``, ``qr``, ``pinv``,
``lstsq``, ``matrix_rank`` and ``cond``, with NumPy's signatures and results.

Derivatives at repeated eigenvalues or singular values: the values alone
(``eigvalsh``, ``eigvals``, ``svdvals``) have theirs; eigenvectors and
singular vectors there have none, and their derivatives come out infinite or
NaN (see ``fntrans.primitives.decompositions``).
"""

from __future__ import annotations

import numpy as np
from numpy.linalg._linalg import EighResult, EigResult, QRResult, SVDResult

from fntrans.core.interpreter import tracing
from fntrans.numpy._sorting import argsort
from fntrans.numpy._util import asarray, concrete
from fntrans.primitives import decompositions as dec
from fntrans.primitives import elementwise as ew
from fntrans.primitives import math_functions as mf
from fntrans.primitives.broadcasting import reduce_sum
from fntrans.primitives.indexing import getitem, take_along_axis
from fntrans.primitives.products import matmul
from fntrans.primitives.reductions import reduce_max_p
from fntrans.primitives.shape import reshape, transpose

__all__ = [
    "cholesky",
    "eigh",
    "eigvalsh",
    "eig",
    "eigvals",
    "svd",
    "svdvals",
    "qr",
    "pinv",
    "lstsq",
    "matrix_rank",
    "cond",
]


def _matrices(a, name: str):
    """``a`` as an inexact array of at least two dimensions (integers become float64)."""
    a = asarray(a)
    if a.ndim < 2:
        raise np.linalg.LinAlgError(
            f"{name}: {a.ndim}-dimensional array given. Array must be at least two-dimensional"
        )
    if a.dtype.kind not in "fc":
        a = ew.convert_element_type(a, dtype=np.dtype(np.float64))
    return a


def _square(a, name: str):
    a = _matrices(a, name)
    if a.shape[-1] != a.shape[-2]:
        raise np.linalg.LinAlgError(f"{name}: Last 2 dimensions of the array must be square")
    return a


def _adjoint(x):
    n = x.ndim
    x = transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))
    return ew.conj(x) if x.dtype.kind == "c" else x


def _differentiated(x) -> bool:
    """Whether a transform that differentiates traces ``x``."""
    return any(getattr(i, "differentiates", None) for i in tracing([x]))


def cholesky(a, /, *, upper: bool = False):
    """The Cholesky factor ``L`` (lower, ``a = L Lᴴ``) of Hermitian positive-definite
    ``a``, or ``Lᴴ`` with ``upper=True``; stacks of matrices too.

    Only the lower triangle of ``a`` is read, and the derivative is that of
    what is computed: a gradient is zero above the diagonal, and below it
    counts each entry for itself and its mirror image.

    Args:
        a: (..., n, n) Hermitian positive-definite matrices.
        upper: return the upper factor ``Lᴴ`` instead.

    Returns:
        (..., n, n) triangular factors.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> fnp.linalg.cholesky(fnp.array([[4.0, 2.0], [2.0, 5.0]]))
    array([[2., 0.],
           [1., 2.]])
    >>> ft.grad(lambda a: fnp.linalg.cholesky(a)[1, 1])(fnp.array([[4.0, 2.0], [2.0, 5.0]]))
    array([[ 0.0625,  0.    ],
           [-0.25  ,  0.25  ]])
    """
    low = dec.cholesky(_square(a, "cholesky"))
    return _adjoint(low) if upper else low


def eigh(a, UPLO: str = "L"):
    """Eigenvalues (ascending) and eigenvectors of Hermitian matrices:
    ``EighResult(eigenvalues, eigenvectors)``.

    Reads the ``UPLO`` ("L" or "U") triangle, and differentiates what it
    reads (the other triangle gets zero gradient). The eigenvector derivative divides by
    eigenvalue gaps: at exactly repeated eigenvalues it is infinite or NaN.

    Args:
        a: (..., n, n) Hermitian matrices.
        UPLO: the triangle to read.

    Returns:
        ``EighResult``: ``eigenvalues`` (..., n) real, ``eigenvectors`` (..., n, n)
        with the eigenvectors in columns.

    >>> import fntrans.numpy as fnp
    >>> w, v = fnp.linalg.eigh(fnp.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> w
    array([1., 3.])
    """
    w, v = dec.eigh(_square(a, "eigh"), lower=_lower(UPLO))
    return EighResult(w, v)


def _lower(uplo: str) -> bool:
    if uplo not in ("L", "U", "l", "u"):
        raise ValueError(f"UPLO argument must be 'L' or 'U', got {uplo!r}")
    return uplo in ("L", "l")


def eigvalsh(a, UPLO: str = "L"):
    """Eigenvalues (ascending) of Hermitian matrices; differentiable at repeated
    eigenvalues too (where they are only directionally differentiable, the
    derivative of their sum is exact).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(lambda a: fnp.linalg.eigvalsh(a)[-1])(fnp.eye(2) * [1.0, 2.0])
    array([[0., 0.],
           [0., 1.]])
    """
    return dec.eigh(_square(a, "eigvalsh"), lower=_lower(UPLO), eigenvectors=False)[0]


def eig(a):
    """Eigenvalues and right eigenvectors of general square matrices:
    ``EigResult(eigenvalues, eigenvectors)``, always complex (NumPy returns real
    arrays when every eigenvalue happens to be real).

    Each eigenvector has unit norm; its phase is LAPACK's choice, so
    differentiate only quantities that do not depend on it (``|v|``,
    ``v vᴴ``, ...). At repeated eigenvalues the eigenvector derivative is
    infinite or NaN.

    >>> import fntrans.numpy as fnp
    >>> w, v = fnp.linalg.eig(fnp.array([[2.0, 0.0], [0.0, 3.0]]))
    >>> w
    array([2.+0.j, 3.+0.j])
    """
    w, v = dec.eig(_square(a, "eig"))
    return EigResult(w, v)


def eigvals(a):
    """Eigenvalues of general square matrices, complex.

    >>> import fntrans.numpy as fnp
    >>> fnp.linalg.eigvals(fnp.array([[0.0, -1.0], [1.0, 0.0]]))
    array([0.+1.j, 0.-1.j])
    """
    return dec.eig(_square(a, "eigvals"), eigenvectors=False)[0]


def svd(a, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False):
    """Singular value decomposition ``a = U diag(S) Vh``: ``SVDResult(U, S, Vh)``,
    or ``S`` alone without ``compute_uv``.

    The singular values are differentiable everywhere they are distinct from
    zero; the singular vectors where the singular values are distinct and
    nonzero (else their derivatives are infinite or NaN). ``full_matrices=True``
    (NumPy's default) of a non-square matrix completes ``U`` or ``Vh`` with an
    arbitrary basis, which has no derivative: differentiating it raises, pass
    ``full_matrices=False``. With ``hermitian=True`` it is computed from
    ``eigh``, as NumPy does.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> a = fnp.array([[3.0, 0.0], [0.0, -2.0]])
    >>> fnp.linalg.svd(a, compute_uv=False)
    array([3., 2.])
    >>> ft.grad(lambda a: fnp.linalg.svd(a, compute_uv=False)[1])(a)
    array([[ 0.,  0.],
           [ 0., -1.]])
    """
    a = _matrices(a, "svd")
    if hermitian:
        return _hermitian_svd(a, compute_uv)
    if not compute_uv:
        return dec.svd(a, compute_uv=False)[0]
    m, n = a.shape[-2:]
    if full_matrices and m != n and _differentiated(a):
        raise ValueError(
            f"svd with full_matrices=True of a {m}x{n} matrix has no derivative: the "
            f"completed singular vectors are not unique. Pass full_matrices=False."
        )
    return SVDResult(*dec.svd(a, full_matrices=full_matrices and m != n))


def _hermitian_svd(a, compute_uv):
    """NumPy's SVD of Hermitian matrices: eigenvalues by decreasing magnitude,
    signs moved into ``Vh``."""
    if not compute_uv:
        s = mf.abs_p.bind(dec.eigh(a, eigenvectors=False)[0])
        return take_along_axis(s, argsort(-s, axis=-1), a.ndim - 2)
    w, u = dec.eigh(a)
    order = argsort(-mf.abs_p.bind(w), axis=-1)
    w = take_along_axis(w, order, a.ndim - 2)
    u = take_along_axis(u, reshape(order, order.shape[:-1] + (1,) + order.shape[-1:]), a.ndim - 1)
    s = mf.abs_p.bind(w)
    vh = _adjoint(ew.mul(u, reshape(mf.sign(w), w.shape[:-1] + (1,) + w.shape[-1:])))
    return SVDResult(u, s, vh)


def svdvals(x, /):
    """The singular values of (stacks of) matrices, in decreasing order.

    >>> import fntrans.numpy as fnp
    >>> fnp.linalg.svdvals(fnp.array([[0.0, 2.0], [1.0, 0.0]]))
    array([2., 1.])
    """
    return dec.svd(_matrices(x, "svdvals"), compute_uv=False)[0]


def qr(a, mode: str = "reduced"):
    """QR decomposition ``a = Q R``: ``QRResult(Q, R)`` for ``mode="reduced"``
    (or ``"complete"``), ``R`` for ``mode="r"``, NumPy's Householder form for
    ``"raw"`` (not differentiable).

    ``"complete"`` of a tall matrix completes ``Q`` with an arbitrary basis,
    which has no derivative: differentiating it raises, use ``"reduced"``.

    >>> import fntrans.numpy as fnp
    >>> q, r = fnp.linalg.qr(fnp.array([[3.0, 1.0], [4.0, 2.0]]))
    >>> fnp.allclose(q @ r, [[3.0, 1.0], [4.0, 2.0]])
    True
    """
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"Unrecognized mode '{mode}'")
    a = _matrices(a, "qr")
    m, n = a.shape[-2:]
    if mode == "raw" or (mode == "complete" and m > n):
        if _differentiated(a):
            raise ValueError(
                f"qr with mode={mode!r} of a {m}x{n} matrix has no derivative: "
                f"{'the Householder form' if mode == 'raw' else 'the completed Q'} is not "
                f"differentiable. Use mode='reduced'."
            )
        return _numpy_qr(concrete(a, f"qr(mode={mode!r})"), mode)
    q, r = dec.qr(a)
    return r if mode == "r" else QRResult(q, r)


def _numpy_qr(a, mode):
    from fntrans.core.constants import module_for

    out = module_for(a).linalg.qr(a, mode=mode)
    return out if mode == "raw" else QRResult(*out)


def pinv(a, rcond=None, hermitian: bool = False, *, rtol=np._NoValue):
    """The Moore-Penrose pseudo-inverse of (stacks of) matrices: singular values
    at or below ``rcond * max(s)`` count as zero.

    Differentiable where the rank does not change (equal singular values are
    fine): the derivative is Golub and Pereyra's.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> fnp.linalg.pinv(fnp.array([[2.0, 0.0], [0.0, 0.0]]))
    array([[0.5, 0. ],
           [0. , 0. ]])
    >>> ft.grad(lambda a: fnp.linalg.pinv(a)[0, 0])(fnp.eye(2))
    array([[-1.,  0.],
           [ 0.,  0.]])
    """
    a = _matrices(a, "pinv")
    if rcond is None:
        if rtol is np._NoValue:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(a.shape[-2:]) * np.finfo(a.dtype).eps
        else:
            rcond = rtol
    elif rtol is not np._NoValue:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    if np.ndim(rcond) != 0:
        raise TypeError("fntrans.numpy.linalg.pinv takes a scalar rcond (or rtol).")
    return dec.pinv(a, rcond=float(rcond), hermitian=hermitian)


def lstsq(a, b, rcond=None):
    """The least-squares solution ``x`` of ``a x = b``, as NumPy's ``lstsq``:
    ``(x, residuals, rank, s)``.

    ``x`` is ``pinv(a, rcond) @ b``, differentiable in ``a`` and ``b`` where
    the rank does not change; ``residuals`` (squared norms of ``b - a x``,
    when ``a`` is tall with full rank, else empty) and ``s`` (``a``'s singular
    values) are differentiable too; ``rank`` is an int.

    >>> import fntrans.numpy as fnp
    >>> x, res, rank, s = fnp.linalg.lstsq(fnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
    ...                                    fnp.array([1.0, 2.0, 3.0]))
    >>> x, rank
    (array([1., 2.]), 2)
    """
    a, b = asarray(a), asarray(b)
    if a.ndim != 2 or b.ndim not in (1, 2):
        raise np.linalg.LinAlgError(
            f"lstsq: a must be 2-dimensional and b 1- or 2-dimensional, got {a.ndim} and {b.ndim}"
        )
    m, n = a.shape
    if b.shape[0] != m:
        raise np.linalg.LinAlgError("Incompatible dimensions")
    dtype = np.result_type(a.dtype, b.dtype, np.float32)
    a, b = ew.convert_element_type(a, dtype=dtype), ew.convert_element_type(b, dtype=dtype)
    if rcond is None:
        rcond = np.finfo(np.float64).eps * max(m, n)
    x = matmul(dec.pinv(a, rcond=float(rcond), hermitian=False), b)
    s = dec.svd(a, compute_uv=False)[0]
    if min(m, n) == 0:
        rank = 0
    else:
        cutoff = ew.mul(getitem(ew.stop_gradient(s), 0), rcond)  # s is descending
        rank = int((concrete(ew.gt(s, cutoff), "lstsq's rank") != 0).sum())
    if rank == n and m > n:
        r = ew.sub(b, matmul(a, x))
        residuals = reduce_sum(
            ew.real(ew.mul(r, ew.conj(r))) if r.dtype.kind == "c" else ew.mul(r, r), (0,)
        )
        if b.ndim == 1:
            residuals = reshape(residuals, (1,))
    else:
        residuals = np.empty((0,), np.finfo(dtype).dtype)
    return x, residuals, rank, s


def matrix_rank(A, tol=None, hermitian: bool = False, *, rtol=None):
    """The number of singular values above ``tol`` (by default
    ``max(M, N) * eps * max(s)``). An integer: no derivative.

    >>> import fntrans.numpy as fnp
    >>> int(fnp.linalg.matrix_rank(fnp.array([[1.0, 2.0], [2.0, 4.0]])))
    1
    """
    A = asarray(A)
    if A.ndim < 2:
        return int(not concrete(ew.eq(A, 0), "matrix_rank").all())
    A = ew.stop_gradient(_matrices(A, "matrix_rank"))
    if hermitian:
        s = mf.abs_p.bind(dec.eigh(A, eigenvectors=False)[0])
    else:
        s = dec.svd(A, compute_uv=False)[0]
    if tol is None:
        if rtol is None:
            rtol = max(A.shape[-2:]) * np.finfo(s.dtype).eps
        tol = ew.mul(reduce_max_p.bind(s, axes=(s.ndim - 1,)), rtol)
        tol = reshape(tol, tol.shape + (1,))
    else:
        tol = np.asarray(tol)[..., np.newaxis]
    count = ew.gt(s, tol)
    return reduce_sum(ew.convert_element_type(count, dtype=np.dtype(np.intp)), (s.ndim - 1,))


def cond(x, p=None):
    """The condition number of (stacks of) matrices in the norm ``p`` (None, 2,
    -2, "fro", "nuc", 1, -1, inf, -inf). A constant under every transform: its
    derivative is zero.

    >>> import fntrans.numpy as fnp
    >>> float(fnp.linalg.cond(fnp.array([[2.0, 0.0], [0.0, 0.5]])))
    4.0
    """
    x = ew.stop_gradient(_matrices(x, "cond"))
    if p is None or p == 2 or p == -2:
        s = dec.svd(x, compute_uv=False)[0]
        first, last = getitem(s, (Ellipsis, 0)), getitem(s, (Ellipsis, -1))
        return ew.div(last, first) if p == -2 else ew.div(first, last)
    from fntrans.numpy import linalg

    _square(x, "cond")
    axes = (-2, -1)
    return ew.mul(linalg.norm(x, p, axis=axes), linalg.norm(linalg.inv(x), p, axis=axes))
