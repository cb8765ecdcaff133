"""Op-table cases for matrix decompositions: cholesky, triangular solves, eigh, eig, svd, qr, lu, and what is built on them.

Structured inputs come from small perturbations of well-separated matrices,
so every draw (zeros included) stays away from ties, rank changes and sign
flips of LAPACK's conventions: positive-definite matrices for Cholesky,
diagonals with distinct entries (eigenvalues, singular values) plus a
perturbation of at most 0.15 per entry, and triangles with diagonals in
[1.8, 2.2]. Eigenvectors and singular vectors enter only through quantities that
do not depend on their sign or phase, and ``eig``'s results only through
sums over eigenvalues (LAPACK's order of them is not continuous).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fntrans.numpy as fnp
import fntrans.scipy.linalg as fsl
from fntrans.primitives import decompositions as dec
from tests.op_cases import OpCase


def _entries(data, shape, bound, with_imag):
    floats = st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)
    x = data.draw(hnp.arrays(np.float64, shape, elements=floats))
    if with_imag:
        x = x + 1j * data.draw(hnp.arrays(np.float64, shape, elements=floats))
    return x


def _perturbed(data, shape, base, with_imag, bound=0.15):
    """``base`` (broadcast to ``shape``) plus a small drawn perturbation."""
    return np.broadcast_to(base, shape) + _entries(data, shape, bound, with_imag)


def _permuted_diagonal(data, values, rows, cols):
    """A rows x cols matrix with ``values`` on a permuted diagonal."""
    k = min(rows, cols)
    order = data.draw(st.permutations(range(k)))
    base = np.zeros((rows, cols))
    base[np.arange(k), np.arange(k)] = np.asarray(values[:k])[order]
    return base


def draw_positive_definite(data, shapes, with_imag=False):
    """Hermitian positive-definite ``X Xᴴ + n I`` for the first shape; the
    others are drawn plainly."""
    (shape, *rest) = shapes
    n = shape[-1]
    x = _entries(data, shape, 1.0, with_imag)
    a = x @ np.conj(np.swapaxes(x, -1, -2)) + n * np.eye(n)
    return [a] + [_entries(data, s, 2.0, with_imag) for s in rest]


# eigenvalues of distinct magnitudes, pairwise at least 2 apart, none near 0
_SPREAD = np.array([-3.0, 1.0, 5.0, -7.0, 9.0])


def draw_distinct_eigenvalues(data, shapes, with_imag=False):
    """Symmetric-looking matrices whose eigenvalues stay well apart (the
    functions take the Hermitian part)."""
    (shape,) = shapes
    n = shape[-1]
    return [_perturbed(data, shape, _permuted_diagonal(data, _SPREAD, n, n), with_imag)]


def draw_distinct_singular_values(data, shapes, with_imag=False):
    """Matrices with singular values near 2, 4, 6, ... (a permuted diagonal, so
    pivots and signs vary) and further arguments drawn plainly."""
    (shape, *rest) = shapes
    base = _permuted_diagonal(data, 2.0 * np.arange(1, 6), *shape[-2:])
    return [_perturbed(data, shape, base, with_imag)] + [
        _entries(data, s, 2.0, with_imag) for s in rest
    ]


def draw_diagonally_dominant(data, shapes, with_imag=False):
    """Matrices with a large, positive diagonal and entries below it kept from
    zero (well-conditioned triangles; QR's Householder signs cannot flip, as
    they do where a column is already triangular), further arguments drawn
    plainly."""
    (shape, *rest) = shapes
    rows, cols = shape[-2:]
    base = np.eye(rows, cols) * 2.0 + np.tri(rows, cols, -1) * 0.5
    if with_imag:  # LAPACK's complex reflectors switch convention at real pivots
        base = base + 0.3j * np.tri(rows, cols)
    return [_perturbed(data, shape, base, with_imag, bound=0.2)] + [
        _entries(data, s, 2.0, with_imag) for s in rest
    ]


def draw_general_eigenvalues(data, shapes, with_imag=False):
    """Square matrices with a complex pair 1 ± 2i and a real eigenvalue -2 (for
    n = 3), or distinct real ones, perturbed."""
    (shape,) = shapes
    n = shape[-1]
    if n == 3:
        base = np.array([[1.0, -2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, -2.0]])
    else:
        base = np.diag(_SPREAD[:n])
    return [_perturbed(data, shape, base, with_imag)]


def _swap(a):
    return fnp.swapaxes(a, -1, -2)


def _adj(a):
    return fnp.conj(_swap(a))


def _herm(a):
    return (a + _adj(a)) / 2


def _abs2(v):
    return fnp.real(v * fnp.conj(v))


def _real_and_imag(z):
    """A complex result as real numbers (float32 stays float32)."""
    return fnp.real(z) + 2.0 * fnp.imag(z)


def _eigh_invariants(w, v):
    """Phase-free functions of eigenpairs: weights of |v|², and v diag(w²) vᴴ."""
    return _abs2(v) * w[..., None, :] + (v * w[..., None, :] ** 2) @ _adj(v)


def _svd_invariants(a, u, s, vh):
    """Phase-free functions of singular triplets, shaped like ``a``."""
    left = (u * s[..., None, :]) @ _adj(u)
    right = (_adj(vh) * s[..., None, :] ** 2) @ vh
    return left @ a + a @ right + _abs2(u) @ _abs2(vh)


MATRICES = [((3, 3),), ((2, 3, 3),)]
RECTANGLES = [((3, 3),), ((4, 3),), ((3, 4),), ((2, 4, 3),)]

CASES = [
    # NumPy
    OpCase(
        "linalg_cholesky",
        lambda a: fnp.linalg.cholesky(_herm(a)),
        MATRICES,
        draw=draw_positive_definite,
        complex_ok=True,
    ),
    OpCase(
        "linalg_cholesky_upper",
        lambda a: fnp.linalg.cholesky(_herm(a), upper=True),
        [((3, 3),)],
        draw=draw_positive_definite,
        complex_ok=True,
    ),
    OpCase(
        "linalg_eigh",
        lambda a: _eigh_invariants(*fnp.linalg.eigh(_herm(a))),
        MATRICES,
        draw=draw_distinct_eigenvalues,
        complex_ok=True,
    ),
    OpCase(
        "linalg_eigh_upper",
        lambda a: _eigh_invariants(*fnp.linalg.eigh(_herm(a), UPLO="U")),
        [((3, 3),)],
        draw=draw_distinct_eigenvalues,
    ),
    OpCase(
        "linalg_eigvalsh",
        lambda a: fnp.linalg.eigvalsh(_herm(a)),
        MATRICES,
        draw=draw_distinct_eigenvalues,
        complex_ok=True,
    ),
    OpCase(
        "linalg_eig",
        lambda a: (lambda w, v: _real_and_imag(fnp.sum(_abs2(v) * w[..., None, :], axis=-1)))(
            *fnp.linalg.eig(a)
        ),
        [((3, 3),), ((2, 2),), ((2, 3, 3),)],
        draw=draw_general_eigenvalues,
        complex_ok=True,
    ),
    OpCase(
        "linalg_eigvals",
        lambda a: (lambda w: _real_and_imag(fnp.sum(w**3, axis=-1) + fnp.prod(w, axis=-1)))(
            fnp.linalg.eigvals(a)
        ),
        [((3, 3),), ((2, 3, 3),)],
        draw=draw_general_eigenvalues,
        complex_ok=True,
    ),
    OpCase(
        "linalg_svd",
        lambda a: _svd_invariants(a, *fnp.linalg.svd(a, full_matrices=False)),
        RECTANGLES,
        draw=draw_distinct_singular_values,
        complex_ok=True,
    ),
    OpCase(
        "linalg_svd_square_full",
        lambda a: (lambda u, s, vh: u @ vh * s[..., :1, None])(*fnp.linalg.svd(a)),
        MATRICES,
        draw=draw_distinct_singular_values,
        complex_ok=True,
    ),
    OpCase(
        "linalg_svd_values",
        lambda a: fnp.linalg.svd(a, compute_uv=False) + fnp.linalg.svdvals(a) ** 2,
        RECTANGLES,
        draw=draw_distinct_singular_values,
        complex_ok=True,
    ),
    OpCase(
        "linalg_svd_hermitian",
        lambda a: (lambda u, s, vh: (u * s[..., None, :] ** 2) @ vh + s[..., None, :])(
            *fnp.linalg.svd(_herm(a), hermitian=True)
        ),
        MATRICES,
        draw=draw_distinct_eigenvalues,
    ),
    OpCase(
        "linalg_qr",
        lambda a: (lambda q, r: q @ (r * r))(*fnp.linalg.qr(a)),
        RECTANGLES,
        draw=draw_diagonally_dominant,
        complex_ok=True,
    ),
    OpCase(
        "linalg_qr_r",
        lambda a: fnp.linalg.qr(a, mode="r"),
        [((4, 3),)],
        draw=draw_diagonally_dominant,
    ),
    OpCase(
        "linalg_pinv",
        fnp.linalg.pinv,
        RECTANGLES,
        draw=draw_distinct_singular_values,
        complex_ok=True,
    ),
    OpCase(
        "linalg_lstsq",
        lambda a, b: (lambda x, res, rank, s: x * fnp.sum(res) + fnp.sum(s))(
            *fnp.linalg.lstsq(a, b)
        ),
        [((4, 3), (4, 2)), ((3, 3), (3, 2)), ((3, 4), (3, 1))],
        draw=draw_distinct_singular_values,
        concrete_only=True,
        complex_ok=True,
    ),
    OpCase(
        "linalg_lstsq_vector",
        lambda a, b: (lambda x, res, rank, s: fnp.concatenate([x, res]))(*fnp.linalg.lstsq(a, b)),
        [((4, 3), (4,))],
        draw=draw_distinct_singular_values,
        concrete_only=True,
    ),
    # the primitives of the Cholesky rules (their fast paths take one real matrix)
    OpCase(
        "cholesky_triangular_matmul",
        lambda a, b: (
            dec.triangular_matmul(a, b, lower=True)
            + dec.triangular_matmul(a, b, lower=True, trans=1)
        ),
        [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2))],
        draw=draw_diagonally_dominant,
        complex_ok=True,
    ),
    OpCase(
        "cholesky_triangular_matmul_upper_C",
        lambda a, b: dec.triangular_matmul(a, b, lower=False, trans=2),
        [((3, 3), (3, 2))],
        draw=draw_diagonally_dominant,
        complex_ok=True,
    ),
    OpCase(
        "cholesky_congruence_solve",
        lambda t, s: dec.congruence_solve(t, s, lower=True),
        [((3, 3), (3, 3)), ((2, 3, 3), (2, 3, 3))],
        draw=draw_diagonally_dominant,
        complex_ok=True,
    ),
    OpCase(
        "cholesky_congruence_solve_upper",
        lambda t, s: dec.congruence_solve(_swap(t), s, lower=False),
        [((3, 3), (3, 3))],
        draw=draw_diagonally_dominant,
        complex_ok=True,
    ),
    # SciPy
    OpCase(
        "scipy_solve_triangular",
        lambda a, b: fsl.solve_triangular(a, b, lower=True),
        [((3, 3), (3, 2)), ((3, 3), (3,)), ((2, 3, 3), (2, 3, 1))],
        draw=draw_diagonally_dominant,
        complex_ok=True,
    ),
    OpCase(
        "scipy_solve_triangular_T",
        lambda a, b: fsl.solve_triangular(a, b, trans="T", unit_diagonal=True),
        [((3, 3), (3, 2)), ((2, 3, 3), (3,))],
        draw=draw_diagonally_dominant,
        complex_ok=True,
    ),
    OpCase(
        "scipy_solve_triangular_C",
        lambda a, b: fsl.solve_triangular(a, b, trans=2, lower=True),
        [((3, 3), (3, 2))],
        draw=draw_diagonally_dominant,
        complex_ok=True,
    ),
    OpCase(
        "scipy_cholesky",
        lambda a: fsl.cholesky(_herm(a)),
        [((3, 3),)],
        draw=draw_positive_definite,
        complex_ok=True,
    ),
    OpCase(
        "scipy_cho_solve",
        lambda a, b: fsl.cho_solve(fsl.cho_factor(_herm(a), lower=True), b),
        [((3, 3), (3, 2)), ((3, 3), (3,))],
        draw=draw_positive_definite,
        complex_ok=True,
    ),
    OpCase(
        "scipy_cho_solve_upper",
        lambda a, b: fsl.cho_solve(fsl.cho_factor(_herm(a)), b),
        [((3, 3), (3,)), ((2, 3, 3), (2, 3, 2))],
        draw=draw_positive_definite,
        complex_ok=True,
    ),
    OpCase(
        "scipy_lu_factor",
        lambda a: fsl.lu_factor(a)[0],
        [((3, 3),), ((2, 3, 3),)],
        draw=draw_distinct_singular_values,
        complex_ok=True,
    ),
    OpCase(
        "scipy_lu_solve",
        lambda a, b: fsl.lu_solve(fsl.lu_factor(a), b),
        [((3, 3), (3, 2)), ((3, 3), (3,))],
        draw=draw_distinct_singular_values,
        complex_ok=True,
    ),
    OpCase(
        "scipy_lu_solve_trans",
        lambda a, b: (
            fsl.lu_solve(fsl.lu_factor(a), b, trans=1) + fsl.lu_solve(fsl.lu_factor(a), b, trans=2)
        ),
        [((3, 3), (3, 2))],
        draw=draw_distinct_singular_values,
        complex_ok=True,
    ),
    OpCase(
        "scipy_eigh",
        lambda a: _eigh_invariants(*fsl.eigh(_herm(a), lower=False)),
        [((3, 3),)],
        draw=draw_distinct_eigenvalues,
        complex_ok=True,
    ),
    OpCase(
        "scipy_eigh_generalized",
        lambda a, b: (lambda w, v: _eigh_invariants(w, v))(
            *fsl.eigh(_herm(a), b @ _adj(b) + 3.0 * fnp.eye(3, dtype=b.dtype, like=b))
        ),
        [((3, 3), (3, 3))],
        draw=lambda data, shapes, with_imag=False: [
            draw_distinct_eigenvalues(data, shapes[:1], with_imag)[0],
            _entries(data, shapes[1], 0.3, with_imag),
        ],
        complex_ok=True,
    ),
    OpCase(
        "scipy_block_diag",
        lambda a, b: fsl.block_diag(a, b, a * 2.0),
        [((2, 2), (1, 3)), ((2, 2), (3,))],
        complex_ok=True,
    ),
]
