"""SciPy's linear algebra (``scipy.linalg``): triangular solves, Cholesky and
LU factorizations and their solves, ``eigh`` and ``block_diag``, with SciPy's
signatures, differentiable and batchable.

The factorizations reuse themselves in reverse mode: a gradient through
``cho_factor`` and ``cho_solve`` costs triangular solves with the factor, not
a new factorization. ``overwrite_*`` and ``check_finite`` are accepted and
ignored (fntrans never writes into its inputs).

>>> import numpy as np
>>> import fntrans as ft
>>> import fntrans.scipy.linalg as fsl
>>> K = np.array([[2.0, 0.5], [0.5, 1.0]])
>>> y = np.array([1.0, -1.0])
>>> def quad(K):
...     return y @ fsl.cho_solve(fsl.cho_factor(K), y)
>>> x = np.linalg.solve(K, y)
>>> g = ft.grad(quad)(K)  # zero above the diagonal: cho_factor reads one triangle
>>> print(np.allclose((g + g.T) / 2, -np.outer(x, x)))
True
"""

from __future__ import annotations

import numpy as np

from fntrans.core.constants import module_for
from fntrans.numpy._util import asarray
from fntrans.primitives import decompositions as dec
from fntrans.primitives import elementwise as ew
from fntrans.primitives.broadcasting import broadcast_to
from fntrans.primitives.indexing import getitem
from fntrans.primitives.joining import join
from fntrans.primitives.matrix_functions import expm, solve_sylvester, sqrtm
from fntrans.primitives.shape import reshape, transpose
from fntrans.scipy.special import logsumexp

__all__ = [
    "block_diag",
    "cho_factor",
    "cho_solve",
    "cholesky",
    "eigh",
    "expm",
    "logsumexp",
    "lu_factor",
    "lu_solve",
    "solve_banded",
    "solve_sylvester",
    "solve_triangular",
    "sqrtm",
]

_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2, "n": 0, "t": 1, "c": 2}


def _inexact(a):
    a = asarray(a)
    if a.dtype.kind not in "fc":
        a = ew.convert_element_type(a, dtype=np.dtype(np.float64))
    return a


def _square(a, name: str):
    a = _inexact(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name}: expected square matrix, got shape {tuple(a.shape)}.")
    return a


def _adjoint(x):
    n = x.ndim
    x = transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))
    return ew.conj(x) if x.dtype.kind == "c" else x


def _solve_with(a, b, name, solve):
    """Applies ``solve(a, b_matrix)`` to ``b`` of shape (n,) or (..., n, k), with
    SciPy's batch broadcasting: a 1-d ``b`` is one vector for every matrix."""
    b = _inexact(b)
    n = a.shape[-1]
    vector = b.ndim == 1
    if b.ndim == 0 or b.shape[-1 if vector else -2] != n:
        raise ValueError(
            f"{name}: shapes of a {tuple(a.shape)} and b {tuple(b.shape)} are incompatible."
        )
    if vector:
        b = reshape(b, (n, 1))
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = broadcast_to(a, batch + a.shape[-2:])
    b = broadcast_to(b, batch + b.shape[-2:])
    x = solve(a, b)
    return reshape(x, x.shape[:-1]) if vector else x


def solve_triangular(
    a,
    b,
    trans=0,
    lower: bool = False,
    unit_diagonal: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
):
    """Solves ``op(a) x = b`` for triangular ``a``, reading only its ``lower``
    (or upper) triangle, and not its diagonal with ``unit_diagonal``.

    Args:
        a: (..., n, n) triangular matrices.
        b: (n,) or (..., n, k) right-hand sides.
        trans: 0 or "N" (``a x = b``), 1 or "T" (``aᵀ x = b``), 2 or "C" (``aᴴ x = b``).
        lower: use the lower triangle (else the upper one).
        unit_diagonal: take ``a``'s diagonal to be ones.

    Returns:
        ``x``, shaped like ``b`` (with the batch dimensions broadcast).

    The derivative with respect to ``a`` lives on the triangle that is read.

    >>> import fntrans.numpy as fnp
    >>> import fntrans.scipy.linalg as fsl
    >>> fsl.solve_triangular(fnp.array([[2.0, 0.0], [1.0, 1.0]]), fnp.array([2.0, 3.0]), lower=True)
    array([1., 2.])
    """
    if trans not in _TRANS:
        raise ValueError(
            f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}."
        )
    a = _square(a, "solve_triangular")
    params = dict(lower=bool(lower), trans=_TRANS[trans], unit_diagonal=bool(unit_diagonal))
    return _solve_with(a, b, "solve_triangular", lambda a, b: dec.triangular_solve(a, b, **params))


def cholesky(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """The Cholesky factor of Hermitian positive-definite ``a``: upper ``U`` with
    ``a = Uᴴ U`` (from ``a``'s upper triangle), or lower ``L`` with ``a = L Lᴴ``
    (from its lower triangle) with ``lower=True``.

    The derivative is that of what is computed: zero in the triangle not read.

    >>> import fntrans.numpy as fnp
    >>> import fntrans.scipy.linalg as fsl
    >>> fsl.cholesky(fnp.array([[4.0, 2.0], [2.0, 5.0]]))
    array([[2., 1.],
           [0., 2.]])
    """
    a = _square(a, "cholesky")
    if lower:
        return dec.cholesky(a)
    return _adjoint(dec.cholesky(_adjoint(a)))


def cho_factor(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """``(c, lower)`` for ``cho_solve``: ``c`` is ``cholesky(a, lower)``, with
    zeros in the triangle it does not use.

    >>> import fntrans.numpy as fnp
    >>> import fntrans.scipy.linalg as fsl
    >>> c, low = fsl.cho_factor(fnp.array([[4.0, 2.0], [2.0, 5.0]]), lower=True)
    >>> c
    array([[2., 0.],
           [1., 2.]])
    """
    return cholesky(a, lower=lower), bool(lower)


def cho_solve(c_and_lower, b, overwrite_b: bool = False, check_finite: bool = True):
    """Solves ``a x = b`` given ``cho_factor(a)``: two triangular solves with the
    factor (only its triangle is read).

    >>> import fntrans.numpy as fnp
    >>> import fntrans.scipy.linalg as fsl
    >>> a = fnp.array([[4.0, 2.0], [2.0, 5.0]])
    >>> fsl.cho_solve(fsl.cho_factor(a), fnp.array([6.0, 7.0]))
    array([1., 1.])
    """
    c, lower = c_and_lower
    c = _square(c, "cho_solve")
    lower = bool(lower)

    def solve(c, b):
        if lower:  # a = L Lᴴ
            y = dec.triangular_solve(c, b, lower=True)
            return dec.triangular_solve(c, y, lower=True, trans=2)
        y = dec.triangular_solve(c, b, lower=False, trans=2)  # a = Uᴴ U
        return dec.triangular_solve(c, y, lower=False)

    return _solve_with(c, b, "cho_solve", solve)


def lu_factor(a, overwrite_a: bool = False, check_finite: bool = True):
    """LU decomposition with partial pivoting of square ``a``: ``(lu, piv)`` as
    SciPy's, ``lu`` holding ``U`` and the unit lower ``L`` below the diagonal,
    ``piv`` the (0-based) row interchanges, which carry no derivative.

    >>> import fntrans.numpy as fnp
    >>> import fntrans.scipy.linalg as fsl
    >>> lu, piv = fsl.lu_factor(fnp.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> piv
    array([1, 1], dtype=int32)
    """
    return dec.lu(_square(a, "lu_factor"))


def lu_solve(lu_and_piv, b, trans=0, overwrite_b: bool = False, check_finite: bool = True):
    """Solves ``op(a) x = b`` given ``lu_factor(a)`` (``trans``: 0 ``a``, 1 ``aᵀ``,
    2 ``aᴴ``).

    >>> import fntrans.numpy as fnp
    >>> import fntrans.scipy.linalg as fsl
    >>> a = fnp.array([[1.0, 2.0], [3.0, 4.0]])
    >>> fsl.lu_solve(fsl.lu_factor(a), fnp.array([5.0, 11.0]))
    array([1., 2.])
    """
    if trans not in _TRANS:
        raise ValueError(f"lu_solve: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}.")
    trans = _TRANS[trans]
    lu, piv = lu_and_piv
    lu = _square(lu, "lu_solve")
    piv = asarray(piv)

    def solve(lu, b):
        perm = dec.pivots_to_permutation(broadcast_to(piv, lu.shape[:-1]), inverse=trans != 0)
        if trans == 0:  # a[perm] = L U
            y = dec.triangular_solve(lu, dec.rows(b, perm), lower=True, unit_diagonal=True)
            return dec.triangular_solve(lu, y, lower=False)
        y = dec.triangular_solve(lu, b, lower=False, trans=trans)
        y = dec.triangular_solve(lu, y, lower=True, trans=trans, unit_diagonal=True)
        return dec.rows(y, perm)

    return _solve_with(lu, b, "lu_solve", solve)


def eigh(
    a,
    b=None,
    *,
    lower: bool = True,
    eigvals_only: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    type: int = 1,
    check_finite: bool = True,
    subset_by_index=None,
    subset_by_value=None,
    driver=None,
):
    """Eigenvalues (ascending) and eigenvectors of Hermitian ``a``, or of the
    generalized problem ``a v = w b v`` with positive-definite ``b`` (then
    ``vᴴ b v = I``): ``w`` or ``(w, v)``.

    Reads the ``lower`` (or upper) triangle of ``a`` (of ``b`` in the
    generalized problem, which takes ``a``'s Hermitian part ``(a + aᴴ) / 2``);
    derivatives are those of what is read. Eigenvector derivatives at exactly
    repeated eigenvalues are infinite or NaN. ``driver`` is ignored;
    ``subset_by_index`` selects after computing them all; ``type`` other than 1
    and ``subset_by_value`` are not supported.

    >>> import fntrans.numpy as fnp
    >>> import fntrans.scipy.linalg as fsl
    >>> fsl.eigh(fnp.array([[2.0, 1.0], [1.0, 2.0]]), eigvals_only=True)
    array([1., 3.])
    """
    if type != 1 or subset_by_value is not None:
        raise NotImplementedError(
            "fntrans.scipy.linalg.eigh supports type=1 without subset_by_value."
        )
    a = _square(a, "eigh")
    if b is not None:
        b = _square(b, "eigh")
        if not lower:  # read b's upper triangle, as SciPy does
            b = _adjoint(b)
        low = dec.cholesky(b)
        # a v = w b v  <=>  (L⁻¹ a L⁻ᴴ) y = w y with v = L⁻ᴴ y
        c = dec.triangular_solve(low, ew.mul(ew.add(a, _adjoint(a)), 0.5), lower=True)
        c = dec.triangular_solve(low, _adjoint(c), lower=True)
        w, y = dec.eigh(c, lower=True, eigenvectors=not eigvals_only) + (None,) * eigvals_only
        v = None if eigvals_only else dec.triangular_solve(low, y, lower=True, trans=2)
    else:
        w, v = dec.eigh(a, lower=lower, eigenvectors=not eigvals_only) + (None,) * eigvals_only
    if subset_by_index is not None:
        first, last = subset_by_index
        n = a.shape[-1]
        if not 0 <= first <= last < n:
            raise ValueError(f"eigh: subset_by_index {subset_by_index} out of range for n={n}.")
        w = getitem(w, (Ellipsis, slice(first, last + 1)))
        if v is not None:
            v = getitem(v, (Ellipsis, slice(None), slice(first, last + 1)))
    return w if eigvals_only else (w, v)


def block_diag(*arrs):
    """The block-diagonal matrix of ``arrs`` (0- and 1-d ones count as one row).

    >>> import fntrans.numpy as fnp
    >>> import fntrans.scipy.linalg as fsl
    >>> fsl.block_diag(fnp.array([[1.0]]), fnp.array([2.0, 3.0]))
    array([[1., 0., 0.],
           [0., 2., 3.]])
    """
    if not arrs:
        return np.empty((1, 0))
    blocks = []
    for a in arrs:
        a = asarray(a)
        if a.ndim > 2:
            raise ValueError(
                f"block_diag: arguments must have 2 or fewer dimensions, got {a.ndim}."
            )
        blocks.append(reshape(a, (1,) * (2 - a.ndim) + a.shape))
    dtype = np.result_type(*(b.dtype for b in blocks))
    total = sum(b.shape[1] for b in blocks)
    xp = module_for(blocks[0])
    rows, start = [], 0
    for b in blocks:
        r, c = b.shape
        if b.dtype != dtype:
            b = ew.convert_element_type(b, dtype=dtype)
        pieces = [xp.zeros((r, start), dtype), b, xp.zeros((r, total - start - c), dtype)]
        rows.append(join(pieces, axis=1, new_axis=False))
        start += c
    return join(rows, axis=0, new_axis=False)


def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """Solves ``a x = b`` for a banded ``a`` given in LAPACK's band storage, as
    SciPy's ``solve_banded``: ``ab[u + i - j, j] == a[i, j]``.

    Differentiable in ``ab`` and ``b``; it solves with the dense matrix
    (O(n^3), like ``fnp.linalg.solve``), which suits the small and medium
    systems that derivatives are taken of.

    >>> import numpy as np
    >>> import fntrans.scipy.linalg as fsl
    >>> ab = np.array([[0.0, 1.0, 1.0], [4.0, 4.0, 4.0], [1.0, 1.0, 0.0]])
    >>> print(fsl.solve_banded((1, 1), ab, np.array([5.0, 6.0, 5.0])))
    [1. 1. 1.]
    """
    import fntrans.numpy as fnp

    lower, upper = l_and_u
    ab = asarray(ab)
    n = ab.shape[-1]
    i, j = np.indices((n, n))
    band = upper + i - j
    inside = (band >= 0) & (band <= lower + upper)
    dense = fnp.where(inside, ab[np.clip(band, 0, lower + upper), j], 0.0)
    return fnp.linalg.solve(dense, b)
