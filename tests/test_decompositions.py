"""Matrix decompositions: values against NumPy and SciPy, keywords, stacked
and float32 inputs, behaviour at repeated eigenvalues and singular values,
and errors. Derivatives are checked by the op table
(tests/op_cases_decompositions.py)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import scipy.linalg as sl

import fntrans as ft
import fntrans.numpy as fnp
import fntrans.scipy.linalg as fsl
from fntrans.primitives import decompositions as dec
from fntrans.test_util import check_grads

RNG = np.random.default_rng(7)


def spd(n, batch=()):
    x = RNG.standard_normal(batch + (n, n))
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)


def hpd(n):
    x = RNG.standard_normal((n, n)) + 1j * RNG.standard_normal((n, n))
    return x @ x.conj().T + n * np.eye(n)


def sym(a):
    return (a + fnp.swapaxes(a, -1, -2)) / 2


# ---- values ----


@pytest.mark.parametrize("a", [spd(4), spd(3, (2,)), hpd(3), spd(3).astype(np.float32)])
def test_cholesky_matches_numpy(a):
    got = fnp.linalg.cholesky(a)
    assert type(got) is np.ndarray and got.dtype == a.dtype
    np.testing.assert_allclose(got, np.linalg.cholesky(a), rtol=1e-5)
    np.testing.assert_allclose(
        fnp.linalg.cholesky(a, upper=True), np.linalg.cholesky(a, upper=True), rtol=1e-5
    )


def test_eigh_and_eigvalsh_match_numpy_for_both_triangles():
    a = RNG.standard_normal((2, 4, 4))
    for uplo in ("L", "U"):
        w, v = fnp.linalg.eigh(a, UPLO=uplo)
        want = np.linalg.eigh(a, UPLO=uplo)
        np.testing.assert_allclose(w, want.eigenvalues)
        np.testing.assert_allclose(np.abs(v), np.abs(want.eigenvectors), atol=1e-12)
        np.testing.assert_allclose(fnp.linalg.eigvalsh(a, UPLO=uplo), want.eigenvalues)
    assert type(fnp.linalg.eigh(a)).__name__ == "EighResult"


def test_eig_is_complex_and_matches_numpy():
    a = RNG.standard_normal((3, 3))
    w, v = fnp.linalg.eig(a)
    assert w.dtype == np.complex128 and v.dtype == np.complex128
    np.testing.assert_allclose(a @ v, v * w, atol=1e-12)
    np.testing.assert_allclose(np.sort_complex(fnp.linalg.eigvals(a)), np.sort_complex(w))
    assert fnp.linalg.eig(a.astype(np.float32)).eigenvalues.dtype == np.complex64


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 5)])
def test_svd_matches_numpy(shape):
    a = RNG.standard_normal(shape)
    for full in (True, False):
        u, s, vh = fnp.linalg.svd(a, full_matrices=full)
        want = np.linalg.svd(a, full_matrices=full)
        assert u.shape == want.U.shape and vh.shape == want.Vh.shape
        np.testing.assert_allclose(s, want.S)
    np.testing.assert_allclose(fnp.linalg.svd(a, compute_uv=False), want.S)
    np.testing.assert_allclose(fnp.linalg.svdvals(a), want.S)


def test_hermitian_svd_matches_numpy():
    a = spd(3) - 4 * np.eye(3)
    got, want = fnp.linalg.svd(a, hermitian=True), np.linalg.svd(a, hermitian=True)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-12)
    np.testing.assert_allclose(fnp.linalg.svd(a, compute_uv=False, hermitian=True), want.S)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
def test_qr_modes_match_numpy(shape):
    a = RNG.standard_normal(shape)
    for mode in ("reduced", "complete"):
        q, r = fnp.linalg.qr(a, mode=mode)
        want = np.linalg.qr(a, mode=mode)
        np.testing.assert_allclose(q, want.Q)
        np.testing.assert_allclose(r, want.R)
    np.testing.assert_allclose(fnp.linalg.qr(a, mode="r"), np.linalg.qr(a, mode="r"))
    if len(shape) == 2:
        for g, w in zip(fnp.linalg.qr(a, mode="raw"), np.linalg.qr(a, mode="raw")):
            np.testing.assert_allclose(g, w)


def test_pinv_lstsq_rank_and_cond_match_numpy():
    a = RNG.standard_normal((5, 3))
    b = RNG.standard_normal((5, 2))
    np.testing.assert_allclose(fnp.linalg.pinv(a), np.linalg.pinv(a), atol=1e-12)
    np.testing.assert_allclose(
        fnp.linalg.pinv(a, rtol=None), np.linalg.pinv(a, rtol=None), atol=1e-12
    )
    for got, want in zip(fnp.linalg.lstsq(a, b), np.linalg.lstsq(a, b)):
        np.testing.assert_allclose(got, want, atol=1e-12)
    x, residuals, rank, s = fnp.linalg.lstsq(a[:2], b[:2, 0])  # wide: no residuals
    assert residuals.shape == (0,) and rank == 2
    low_rank = np.outer(np.arange(1.0, 4.0), [1.0, 2.0])
    assert fnp.linalg.matrix_rank(low_rank) == 1
    assert fnp.linalg.matrix_rank(np.zeros(3)) == 0
    np.testing.assert_array_equal(fnp.linalg.matrix_rank(np.stack([low_rank, a[:3, :2]])), [1, 2])
    for p in (None, 2, -2):
        np.testing.assert_allclose(fnp.linalg.cond(a, p), np.linalg.cond(a, p))


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T", "C"])
def test_solve_triangular_matches_scipy(lower, trans):
    a = RNG.standard_normal((4, 4)) + 1j * RNG.standard_normal((4, 4)) + 4 * np.eye(4)
    b = RNG.standard_normal((4, 2))
    for unit in (False, True):
        kw = dict(trans=trans, lower=lower, unit_diagonal=unit)
        np.testing.assert_allclose(
            fsl.solve_triangular(a, b, **kw), sl.solve_triangular(a, b, **kw), atol=1e-12
        )
        np.testing.assert_allclose(
            fsl.solve_triangular(a, b[:, 0], **kw), sl.solve_triangular(a, b[:, 0], **kw)
        )


def test_solve_triangular_broadcasts_stacks_as_scipy():
    a = np.tril(RNG.standard_normal((3, 4, 4))) + 4 * np.eye(4)
    for b in (RNG.standard_normal(4), RNG.standard_normal((4, 2)), RNG.standard_normal((3, 4, 1))):
        np.testing.assert_allclose(
            fsl.solve_triangular(a, b, lower=True), sl.solve_triangular(a, b, lower=True)
        )


def test_float32_stays_float32():
    a = spd(3).astype(np.float32)
    b = np.ones((3, 2), np.float32)
    assert fsl.solve_triangular(a, b, lower=True).dtype == np.float32
    assert fsl.cho_solve(fsl.cho_factor(a), b).dtype == np.float32
    assert fsl.lu_solve(fsl.lu_factor(a), b).dtype == np.float32
    assert all(x.dtype == np.float32 for x in fnp.linalg.eigh(a))
    assert all(x.dtype == np.float32 for x in fnp.linalg.svd(a))
    assert fnp.linalg.pinv(a).dtype == np.float32
    g = ft.grad(lambda a: fnp.sum(fnp.linalg.cholesky(a)))(a)
    assert g.dtype == np.float32


def test_scipy_factorizations_match_scipy():
    a = spd(4)
    b = RNG.standard_normal((4, 2))
    np.testing.assert_allclose(fsl.cholesky(a), sl.cholesky(a))
    np.testing.assert_allclose(fsl.cholesky(a, lower=True), sl.cholesky(a, lower=True))
    for lower in (True, False):
        c, low = fsl.cho_factor(a, lower=lower)
        assert low is lower
        np.testing.assert_allclose(fsl.cho_solve((c, low), b), np.linalg.solve(a, b))
        # cho_solve reads only the factor's triangle, as SciPy's does
        c_scipy = sl.cho_factor(a, lower=lower)
        np.testing.assert_allclose(fsl.cho_solve(c_scipy, b), np.linalg.solve(a, b))
    g = RNG.standard_normal((4, 4))
    lu, piv = fsl.lu_factor(g)
    lu_want, piv_want = sl.lu_factor(g)
    np.testing.assert_allclose(lu, lu_want)
    np.testing.assert_array_equal(piv, piv_want)
    for trans in (0, 1, 2):
        np.testing.assert_allclose(
            fsl.lu_solve((lu, piv), b, trans=trans), sl.lu_solve((lu, piv), b, trans=trans)
        )


def test_scipy_eigh_keywords():
    a, b = RNG.standard_normal((4, 4)), spd(4)
    for lower in (True, False):
        np.testing.assert_allclose(
            fsl.eigh(a, lower=lower, eigvals_only=True), sl.eigh(a, lower=lower, eigvals_only=True)
        )
    a = a + a.T
    w, v = fsl.eigh(a, b)
    w_want, v_want = sl.eigh(a, b)
    np.testing.assert_allclose(w, w_want)
    np.testing.assert_allclose(np.abs(v), np.abs(v_want), atol=1e-12)
    np.testing.assert_allclose(v.T @ b @ v, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(
        fsl.eigh(a, subset_by_index=(1, 2), eigvals_only=True),
        sl.eigh(a, subset_by_index=(1, 2), eigvals_only=True),
    )
    with pytest.raises(NotImplementedError, match="subset_by_value"):
        fsl.eigh(a, subset_by_value=(0, 1))


def test_block_diag_matches_scipy():
    blocks = [np.ones((2, 2)), np.array([3.0, 4.0]), np.array(5.0), np.ones((1, 0))]
    np.testing.assert_array_equal(fsl.block_diag(*blocks), sl.block_diag(*blocks))
    assert fsl.block_diag().shape == sl.block_diag().shape
    assert fsl.block_diag(np.ones(2, np.float32), 1j).dtype == np.complex128


# ---- transforms ----


def test_numpy_linalg_on_a_traced_value_dispatches_here():
    a = spd(3)

    def f(a):
        w, v = np.linalg.eigh(a)
        return np.sum(w) + np.sum(np.linalg.cholesky(a)) + np.sum(np.linalg.svd(a)[1])

    want = ft.grad(
        lambda a: (
            fnp.sum(fnp.linalg.eigh(a)[0])
            + fnp.sum(fnp.linalg.cholesky(a))
            + fnp.sum(fnp.linalg.svd(a)[1])
        )
    )(a)
    np.testing.assert_allclose(ft.grad(f)(a), want)


def test_make_jaxpr_knows_the_shapes():
    a = spd(3, (2,))

    def f(a):
        u, s, vh = fnp.linalg.svd(a, full_matrices=False)
        q, r = fnp.linalg.qr(a)
        lu, piv = fsl.lu_factor(a)
        return (
            fnp.sum(fnp.linalg.cholesky(a))
            + fnp.sum(fnp.linalg.eigvalsh(a))
            + fnp.sum(s)
            + fnp.sum(r * r)
            + fnp.sum(fsl.lu_solve((lu, piv), a[..., :1]))
            + fnp.sum(fnp.real(fnp.linalg.eigvals(a)))
        )

    text = str(ft.make_jaxpr(f)(a))
    for name in ("cholesky", "eigh", "svd", "qr", "lu", "eig"):
        assert name in text
    text = str(ft.make_jaxpr(ft.grad(f))(a))
    assert "triangular_solve" in text and "pivots_to_permutation" in text


def test_gradient_reuses_the_factor():
    """A Gaussian log-likelihood's gradient costs triangular solves and products,
    never a second factorization."""
    k, y = spd(4), RNG.standard_normal(4)

    def nll(k):
        low = fnp.linalg.cholesky(k)
        z = fsl.solve_triangular(low, y, lower=True)
        return 0.5 * z @ z + fnp.sum(fnp.log(fnp.diagonal(low)))

    program = str(ft.make_jaxpr(ft.grad(nll))(k))
    assert program.count("cholesky") == 1
    kinv = np.linalg.inv(k)
    alpha = kinv @ y
    g = ft.grad(nll)(k)
    np.testing.assert_allclose((g + g.T) / 2, 0.5 * (kinv - np.outer(alpha, alpha)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_cholesky_rules_on_the_lapack_path_match_the_generic_one(dtype):
    """One large matrix takes LAPACK's potrf, trmm and sygst directly; a stack of
    one takes the generic path (NumPy's cholesky, products, triangular solves)."""
    a = (hpd(40) if dtype == np.complex128 else spd(40)).astype(dtype)
    ct = RNG.standard_normal((40, 40)).astype(dtype)
    one, many = ft.vjp(fnp.linalg.cholesky, a), ft.vjp(fnp.linalg.cholesky, a[None])
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(one[0], many[0][0], rtol=tol, atol=tol)
    assert one[0].dtype == dtype and not np.triu(one[0], 1).any()
    (g_one,), (g_many,) = one[1](ct), many[1](ct[None])
    np.testing.assert_allclose(g_one, g_many[0], rtol=tol, atol=tol)
    _, tangent = ft.jvp(fnp.linalg.cholesky, (a,), (ct,))
    _, tangents = ft.jvp(fnp.linalg.cholesky, (a[None],), (ct[None],))
    np.testing.assert_allclose(tangent, tangents[0], rtol=tol, atol=tol)


def test_congruence_solve_and_triangular_matmul_match_their_definitions():
    t = np.tril(spd(30)) + np.triu(RNG.standard_normal((30, 30)), 1)
    t[::3, ::3] *= -1  # diagonal signs of either kind
    s, b = RNG.standard_normal((30, 30)), RNG.standard_normal((30, 4))
    h = (s + s.T) / 2
    for lower, tri in [(True, np.tril(t)), (False, np.triu(t))]:
        inv = np.linalg.inv(tri)
        np.testing.assert_allclose(dec.congruence_solve(t, s, lower=lower), inv.T @ h @ inv)
        for trans, op in enumerate([tri, tri.T, tri.T]):
            np.testing.assert_allclose(
                dec.triangular_matmul(t, b, lower=lower, trans=trans), op @ b, rtol=1e-12
            )


@pytest.mark.parametrize(
    "f,lower",
    [
        (lambda a: fnp.linalg.cholesky(a), True),
        (lambda a: fnp.linalg.eigvalsh(a), True),
        (lambda a: fnp.linalg.eigh(a, UPLO="U")[0], False),
        (lambda a: fnp.abs(fnp.linalg.eigh(a)[1]) ** 2, True),
    ],
    ids=["cholesky", "eigvalsh", "eigh_upper", "eigh_vectors"],
)
def test_hermitian_inputs_differentiate_what_is_read(f, lower):
    # NumPy reads one triangle: derivatives agree with finite differences in
    # every direction, not only in Hermitian ones, and the other triangle
    # gets no gradient
    from fntrans.test_util import check_grads

    a = hpd(3) + 0.3 * RNG.standard_normal((3, 3))  # not Hermitian
    check_grads(f, (a,), order=2)
    g = ft.grad(
        lambda a: fnp.sum(fnp.real(f(a)) * np.cos(np.arange(f(a).size)).reshape(f(a).shape))
    )(a)
    np.testing.assert_array_equal(np.triu(g, 1) if lower else np.tril(g, -1), 0)


def test_triangular_solve_ignores_the_other_triangle():
    a = np.tril(spd(3)) + np.triu(RNG.standard_normal((3, 3)), 1)
    b = RNG.standard_normal(3)
    g = ft.grad(lambda a: fnp.sum(fsl.solve_triangular(a, b, lower=True)))(a)
    np.testing.assert_array_equal(np.triu(g, 1), 0)
    g = ft.grad(lambda a: fnp.sum(fsl.solve_triangular(a, b, lower=True, unit_diagonal=True)))(a)
    np.testing.assert_array_equal(np.triu(g), 0)


def test_vmap_of_one_matrix_against_many_right_hand_sides():
    a = np.tril(spd(3))
    bs = RNG.standard_normal((5, 3, 2))
    got = ft.vmap(lambda b: fsl.solve_triangular(a, b, lower=True))(bs)
    np.testing.assert_allclose(got, sl.solve_triangular(a, bs, lower=True))


def test_second_derivatives_through_stacks():
    a = spd(3, (2,))
    check_grads(lambda a: fnp.linalg.eigvalsh(sym(a)) ** 2, (a,), order=2)
    check_grads(lambda a: fsl.cho_solve(fsl.cho_factor(sym(a)), a[..., :1]), (a,), order=2)


def test_matrix_rank_and_cond_are_constants():
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    g = ft.grad(lambda a: fnp.sum(a) * fnp.linalg.cond(a))(a)
    np.testing.assert_allclose(g, np.full((3, 3), np.linalg.cond(a)))
    g = ft.grad(lambda a: fnp.sum(a) * fnp.linalg.matrix_rank(a))(a)
    np.testing.assert_allclose(g, np.full((3, 3), 3.0))


# ---- repeated eigenvalues and singular values ----


def test_eigenvalue_derivatives_at_ties_are_finite_and_right():
    a = np.diag([1.0, 1.0, 2.0])
    g = ft.grad(lambda a: fnp.sum(fnp.linalg.eigvalsh(a)[:2]))(a)
    np.testing.assert_allclose(g, np.diag([1.0, 1.0, 0.0]), atol=1e-12)
    g = ft.grad(lambda a: fnp.sum(fnp.linalg.svd(a, compute_uv=False)))(np.eye(3))
    np.testing.assert_allclose(g, np.eye(3), atol=1e-12)
    g = ft.grad(lambda a: fnp.sum(fnp.linalg.pinv(a)))(np.eye(3))  # pinv is smooth there
    np.testing.assert_allclose(g, -np.ones((3, 3)), atol=1e-12)


@pytest.mark.parametrize(
    "f",
    [
        lambda a: fnp.sum(fnp.linalg.eigh(a)[1][0] ** 2),
        lambda a: fnp.sum(fnp.linalg.svd(a)[0][0] ** 2),
        lambda a: fnp.sum(fnp.abs(fnp.linalg.eig(a)[1][0]) ** 2),
    ],
    ids=["eigh", "svd", "eig"],
)
def test_eigenvector_derivatives_at_ties_are_not_finite(f):
    a = np.diag([1.0, 1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g = ft.grad(f)(a)
        t = ft.jvp(f, (a,), (np.ones((3, 3)),))[1]
    assert not np.all(np.isfinite(g))
    assert not np.isfinite(t)


# ---- errors ----


def test_svd_full_matrices_of_a_rectangle_has_no_derivative():
    a = RNG.standard_normal((4, 3))
    msg = "svd with full_matrices=True of a 4x3 matrix has no derivative"
    with pytest.raises(ValueError, match=re.escape(msg) + ".*full_matrices=False"):
        ft.grad(lambda a: fnp.sum(fnp.linalg.svd(a)[0]))(a)
    # no error where nothing differentiates
    assert ft.vmap(fnp.linalg.svd)(np.stack([a, a]))[0].shape == (2, 4, 4)
    ft.grad(lambda a: fnp.sum(fnp.linalg.svd(a)[0]))(a[:3])  # square: the reduced one


def test_qr_complete_of_a_tall_matrix_has_no_derivative():
    with pytest.raises(ValueError, match="mode='reduced'"):
        ft.grad(lambda a: fnp.sum(fnp.linalg.qr(a, mode="complete")[0]))(np.ones((3, 2)))


@pytest.mark.parametrize(
    "call",
    [
        lambda: fnp.linalg.cholesky(np.ones((2, 3))),
        lambda: fnp.linalg.eigh(np.ones(3)),
        lambda: fnp.linalg.svd(np.ones(3)),
    ],
)
def test_non_square_or_vector_input_raises_linalg_error(call):
    with pytest.raises(np.linalg.LinAlgError):
        call()


def test_bad_keywords_raise():
    with pytest.raises(ValueError, match="UPLO"):
        fnp.linalg.eigh(np.eye(2), UPLO="X")
    with pytest.raises(ValueError, match="trans must be"):
        fsl.solve_triangular(np.eye(2), np.ones(2), trans=3)
    with pytest.raises(ValueError, match="incompatible"):
        fsl.solve_triangular(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="can't be both set"):
        fnp.linalg.pinv(np.eye(2), rcond=1e-3, rtol=1e-3)
    with pytest.raises(ValueError, match="Unrecognized mode"):
        fnp.linalg.qr(np.eye(2), mode="full")


@pytest.mark.parametrize("a", [-np.eye(2), -np.eye(40), -np.eye(40, dtype=np.complex64)])
def test_not_positive_definite_raises_as_numpy(a):
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        fnp.linalg.cholesky(a)


def test_primitive_shape_rules_reject_bad_shapes():
    with pytest.raises(ValueError, match="triangular_solve"):
        ft.make_jaxpr(lambda a, b: dec.triangular_solve(a, b, lower=True))(
            np.eye(3), np.ones((2, 1))
        )


def test_solve_banded_matches_scipy_and_differentiates():
    import scipy.linalg

    from fntrans.test_util import check_grads

    rng = np.random.default_rng(0)
    ab = rng.standard_normal((4, 5))
    ab[2] += 4.0  # the diagonal row for (l, u) = (1, 2)
    b = rng.standard_normal((5, 2))
    np.testing.assert_allclose(
        fsl.solve_banded((1, 2), ab, b), scipy.linalg.solve_banded((1, 2), ab, b), rtol=1e-12
    )
    check_grads(lambda ab, b: fsl.solve_banded((1, 2), ab, b), (ab, b), order=2)


def test_scipy_linalg_has_the_matrix_functions():
    import scipy.linalg

    a = np.array([[1.0, 0.2], [0.1, 0.5]])
    np.testing.assert_allclose(fsl.expm(a), scipy.linalg.expm(a), rtol=1e-12)
    np.testing.assert_allclose(fsl.sqrtm(a + 1.0), scipy.linalg.sqrtm(a + 1.0), rtol=1e-10)
