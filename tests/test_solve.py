"""fntrans.numpy.linalg's solves, inverses, determinants and norms against
NumPy: values, keywords, errors, and the documented edge behaviour (the
gradient of a norm at zero, the derivative of det at a singular matrix)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.primitives import linear_systems as ls
from fntrans.test_util import check_grads

L = fnp.linalg
RNG = np.random.default_rng(0)


def well_conditioned(*shape, dtype=np.float64):
    n = shape[-1]
    a = n * np.eye(n) + RNG.uniform(-0.5, 0.5, shape)
    if np.dtype(dtype).kind == "c":
        a = a + 0.5j * RNG.uniform(-1, 1, shape)
    return a.astype(dtype)


def spd(n, dtype=np.float64):
    x = RNG.standard_normal((n, n))
    if np.dtype(dtype).kind == "c":
        x = x + 1j * RNG.standard_normal((n, n))
    return (x @ x.conj().T / n + np.eye(n)).astype(dtype)


# ---- values against NumPy ----


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.complex64])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 2, 2, 2)])
def test_inv_det_slogdet_match_numpy(dtype, shape):
    a = well_conditioned(*shape, dtype=dtype)
    tol = 1e-5 if np.dtype(dtype).itemsize <= 8 else 1e-12
    for ours, theirs in [(L.inv(a), np.linalg.inv(a)), (L.det(a), np.linalg.det(a))]:
        assert ours.dtype == theirs.dtype and np.shape(ours) == np.shape(theirs)
        np.testing.assert_allclose(ours, theirs, rtol=tol)
    result, expected = L.slogdet(a), np.linalg.slogdet(a)
    sign, logabsdet = result
    assert result.sign is sign and result.logabsdet is logabsdet
    assert sign.dtype == expected.sign.dtype and logabsdet.dtype == expected.logabsdet.dtype
    np.testing.assert_allclose(sign, expected.sign, rtol=tol)
    np.testing.assert_allclose(logabsdet, expected.logabsdet, rtol=tol)


@pytest.mark.parametrize(
    "a_shape,b_shape",
    [
        ((3, 3), (3,)),
        ((2, 3, 3), (3,)),
        ((3, 3), (3, 2)),
        ((2, 3, 3), (2, 3, 4)),
        ((2, 3, 3), (3, 1)),
        ((3, 3), (5, 3, 2)),
        ((4, 1, 3, 3), (2, 3, 2)),
    ],
)
def test_solve_matches_numpy_2_semantics(a_shape, b_shape):
    a, b = well_conditioned(*a_shape), RNG.standard_normal(b_shape)
    got, want = L.solve(a, b), np.linalg.solve(a, b)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_solve_mixed_and_integer_dtypes():
    a32 = well_conditioned(3, 3, dtype=np.float32)
    assert L.solve(a32, np.ones(3, np.float32)).dtype == np.float32
    assert L.solve(a32, np.ones(3)).dtype == np.float64
    ints = np.array([[2, 1], [1, 3]])
    np.testing.assert_allclose(L.solve(ints, np.array([1, 2])), np.linalg.solve(ints, [1, 2]))
    np.testing.assert_allclose(L.inv(ints), np.linalg.inv(ints))
    assert L.det(ints).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_large_hermitian_matrices_take_the_cholesky_path_with_the_same_results(dtype):
    n = ls._CHOLESKY_FROM + 8
    a, b = spd(n, dtype), RNG.standard_normal((n, 2)).astype(dtype)
    assert ls._cholesky_or_none(np, a) is not None
    tol = 1e-4 if np.dtype(dtype).itemsize <= 8 else 1e-10
    np.testing.assert_allclose(L.inv(a), np.linalg.inv(a), rtol=tol, atol=tol)
    np.testing.assert_allclose(L.solve(a, b), np.linalg.solve(a, b), rtol=tol, atol=tol)
    sign, logabsdet = L.slogdet(a)
    assert sign.dtype == dtype and sign == 1
    np.testing.assert_allclose(logabsdet, np.linalg.slogdet(a)[1], rtol=tol)
    # symmetric but indefinite: LU takes over
    indefinite = a - 2 * np.eye(n, dtype=dtype) * np.abs(a).max() * n
    assert ls._cholesky_or_none(np, indefinite) is None
    np.testing.assert_allclose(L.slogdet(indefinite)[0], np.linalg.slogdet(indefinite)[0])


def test_gp_likelihood_gradient_on_the_cholesky_path():
    n = ls._CHOLESKY_FROM + 8
    x = RNG.standard_normal((n, 2))
    sq = np.sum((x[:, None] - x[None]) ** 2, -1)
    y = RNG.standard_normal(n)

    def nll(t):
        k = fnp.exp(t[0] - 0.5 * sq * fnp.exp(-2 * t[1])) + fnp.exp(t[2]) * fnp.eye(n)
        return 0.5 * y @ L.solve(k, y) + 0.5 * L.slogdet(k)[1]

    check_grads(nll, (np.array([0.1, 0.2, -1.0]),), order=2, modes=("rev",))


def test_matrix_power_matches_numpy():
    for shape, n in itertools.product([(3, 3), (2, 3, 3)], range(-3, 6)):
        a = well_conditioned(*shape)
        got, want = L.matrix_power(a, n), np.linalg.matrix_power(a, n)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-10)
    ints = np.array([[1, 1], [0, 1]])
    assert L.matrix_power(ints, 3).dtype == ints.dtype
    with pytest.raises(TypeError, match="integer"):
        L.matrix_power(ints, 1.5)


@pytest.mark.parametrize(
    "shapes",
    [
        [(2, 3), (3, 4)],
        [(3,), (3, 4), (4,)],
        [(3,), (3, 4), (4, 2)],
        [(5, 3), (3, 4), (4, 2)],
        [(5, 3), (3, 40), (40, 2), (2, 6), (6,)],
    ],
)
def test_multi_dot_matches_numpy(shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    got, want = L.multi_dot(arrays), np.linalg.multi_dot(arrays)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_tensorsolve_and_tensorinv_match_numpy():
    a = well_conditioned(6, 6).reshape(6, 2, 3)
    b = RNG.standard_normal(6)
    np.testing.assert_allclose(L.tensorsolve(a, b), np.linalg.tensorsolve(a, b), rtol=1e-12)
    a2 = well_conditioned(6, 6).reshape(2, 3, 6)
    b2 = RNG.standard_normal((2, 3))
    for axes in [None, (2,)]:
        np.testing.assert_allclose(
            L.tensorsolve(a2, b2, axes=axes), np.linalg.tensorsolve(a2, b2, axes=axes), rtol=1e-12
        )
    for ind in (1, 2):
        t = well_conditioned(6, 6).reshape((6, 2, 3) if ind == 1 else (2, 3, 6))
        np.testing.assert_allclose(L.tensorinv(t, ind), np.linalg.tensorinv(t, ind), rtol=1e-12)


# ---- norms ----

VECTOR_ORDS = [None, 2, np.inf, -np.inf, 0, 1, -1, 3, 0.5, -2.5]
MATRIX_ORDS = [None, "fro", np.inf, -np.inf, 1, -1]
SVD_ORDS = [2, -2, "nuc"]
needs_svd = pytest.mark.skipif(not hasattr(L, "svd"), reason="fntrans.numpy.linalg.svd is missing")


@pytest.mark.parametrize("ord", VECTOR_ORDS)
@pytest.mark.parametrize("keepdims", [False, True])
def test_vector_norms_match_numpy(ord, keepdims):
    x = RNG.standard_normal((3, 4, 2))
    x[0, 0, 0] = 0.0
    for axis in [0, 1, -1, (2,)]:
        got = L.norm(x, ord, axis, keepdims)
        want = np.linalg.norm(x, ord, axis, keepdims)
        assert got.shape == want.shape, (ord, axis)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    v = x[1, :, 0]
    np.testing.assert_allclose(L.norm(v, ord), np.linalg.norm(v, ord), rtol=1e-12)
    assert L.norm(v.astype(np.float32), ord).dtype == np.float32
    z = v + 1j * x[2, :, 1]
    np.testing.assert_allclose(L.norm(z, ord), np.linalg.norm(z, ord), rtol=1e-12)


@pytest.mark.parametrize("ord", MATRIX_ORDS + [pytest.param(o, marks=needs_svd) for o in SVD_ORDS])
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_norms_match_numpy(ord, keepdims):
    x = RNG.standard_normal((3, 4, 2))
    for axis in [(0, 1), (1, 0), (-1, 0), (2, 1)]:
        got = L.norm(x, ord, axis, keepdims)
        want = np.linalg.norm(x, ord, axis, keepdims)
        assert got.shape == want.shape, (ord, axis)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    m = x[:, :, 0]
    np.testing.assert_allclose(L.norm(m, ord), np.linalg.norm(m, ord), rtol=1e-12)
    np.testing.assert_allclose(
        L.norm(m, ord, keepdims=True), np.linalg.norm(m, ord, keepdims=True), rtol=1e-12
    )


def test_default_norm_of_any_array_and_keepdims():
    x = RNG.standard_normal((2, 3, 4))
    np.testing.assert_allclose(L.norm(x), np.linalg.norm(x), rtol=1e-12)
    assert L.norm(x, keepdims=True).shape == (1, 1, 1)
    assert L.norm(np.array([3, 4])) == 5.0  # integers count as float64


@pytest.mark.parametrize("ord", [None, 2, 1, np.inf, 3, 0.5, -1])
def test_norm_gradient_at_zero_vector_is_zero(ord):
    g = ft.grad(lambda x: L.norm(x, ord))(np.zeros(3))
    np.testing.assert_array_equal(g, np.zeros(3))
    g = ft.grad(lambda x: fnp.sum(L.norm(x, ord, axis=1)))(np.array([[0.0, 0.0], [3.0, 4.0]]))
    assert np.all(np.isfinite(g))
    if ord in (None, 2):
        np.testing.assert_allclose(g, [[0, 0], [0.6, 0.8]])


@pytest.mark.parametrize("ord", [None, "fro", 1, np.inf])
def test_matrix_norm_gradient_at_zero_matrix_is_zero(ord):
    g = ft.grad(lambda x: L.norm(x, ord))(np.zeros((2, 3)))
    np.testing.assert_array_equal(g, np.zeros((2, 3)))


def test_norm_gradient_at_zero_when_staged_and_under_vmap():
    _, jvp_fn = ft.linearize(ft.grad(L.norm), np.zeros(3))
    assert np.all(np.isfinite(jvp_fn(np.ones(3))))
    assert "select" in str(ft.make_jaxpr(ft.grad(L.norm))(np.zeros(3)))
    gs = ft.vmap(ft.grad(L.norm))(np.array([[0.0, 0.0], [3.0, 4.0]]))
    np.testing.assert_allclose(gs, [[0, 0], [0.6, 0.8]])


def test_norm_errors_match_numpy():
    v, m = np.ones(3), np.ones((2, 2))
    for bad in [
        lambda L: L.norm(v, "fro", axis=0),
        lambda L: L.norm(v, "nuc", axis=0),
        lambda L: L.norm(m, 3),
        lambda L: L.norm(m, "bad", axis=(0, 1)),
        lambda L: L.norm(np.ones((2, 2, 2)), 1),
        lambda L: L.norm(m, axis=(0, 0)),
    ]:
        with pytest.raises(ValueError) as ours:
            bad(L)
        with pytest.raises(ValueError) as theirs:
            bad(np.linalg)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(TypeError, match="'axis' must be None"):
        L.norm(v, axis=1.5)
    with pytest.raises(np.exceptions.AxisError):
        L.norm(m, axis=(0, 2))


# ---- derivatives ----


def test_det_derivative_at_singular_matrices_is_the_adjugate():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(ft.grad(L.det)(a), [[4.0, -2.0], [-2.0, 1.0]])
    b = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2
    eps = 1e-6
    fd = np.zeros_like(b)
    for i, j in itertools.product(range(3), repeat=2):
        e = np.zeros_like(b)
        e[i, j] = eps
        fd[i, j] = (np.linalg.det(b + e) - np.linalg.det(b - e)) / (2 * eps)
    np.testing.assert_allclose(ft.grad(L.det)(b), fd, atol=1e-8)
    stack = np.stack([b, well_conditioned(3, 3)])
    g = ft.grad(lambda s: fnp.sum(L.det(s)))(stack)
    np.testing.assert_allclose(g[0], fd, atol=1e-8)
    _, tangent = ft.jvp(L.det, (b,), (np.ones_like(b),))
    np.testing.assert_allclose(tangent, fd.sum(), atol=1e-8)
    # the zero matrix of size 1 and a rank-0 3x3 matrix
    np.testing.assert_allclose(ft.grad(L.det)(np.zeros((1, 1))), [[1.0]])
    np.testing.assert_allclose(ft.grad(L.det)(np.zeros((3, 3))), np.zeros((3, 3)))


def test_complex_gradients_follow_jax_convention():
    a = well_conditioned(3, 3, dtype=np.complex128)
    # logabsdet = Re(log det a), and d log det = tr(inv(a) da) is holomorphic, so
    # d/dx - i d/dy of its real part is inv(a).T itself
    g = ft.grad(lambda a: L.slogdet(a).logabsdet)(a)
    np.testing.assert_allclose(g, np.linalg.inv(a).T, rtol=1e-12)


def test_second_order_and_transform_compositions():
    a, b = well_conditioned(3, 3), RNG.standard_normal(3)
    check_grads(lambda a, b: L.solve(a, b) @ L.inv(a) @ b, (a, b), order=2)
    h = ft.hessian(lambda a: L.slogdet(a)[1])(a)
    inv = np.linalg.inv(a)
    # d2 log det = -tr(inv da inv db)
    np.testing.assert_allclose(h, -np.einsum("li,jk->ijkl", inv, inv), rtol=1e-10)
    stack = well_conditioned(4, 3, 3)
    per_example = np.stack([ft.grad(lambda m: L.slogdet(m)[1])(m) for m in stack])
    np.testing.assert_allclose(ft.vmap(ft.grad(lambda m: L.slogdet(m)[1]))(stack), per_example)
    out, jvp_fn = ft.linearize(lambda a, b: L.solve(a, b) + L.det(a), a, b)
    np.testing.assert_allclose(out, np.linalg.solve(a, b) + np.linalg.det(a))
    _, want = ft.jvp(lambda a, b: L.solve(a, b) + L.det(a), (a, b), (a, b))
    np.testing.assert_allclose(jvp_fn(a, b), want)
    assert "slogdet" in str(ft.make_jaxpr(lambda a: L.slogdet(a)[1])(a))


def test_numpy_functions_dispatch_on_traced_values():
    a, b = well_conditioned(3, 3), RNG.standard_normal(3)
    g = ft.grad(lambda a: np.linalg.slogdet(a)[1] + np.linalg.norm(np.linalg.solve(a, b)))(a)
    want = ft.grad(lambda a: L.slogdet(a)[1] + L.norm(L.solve(a, b)))(a)
    np.testing.assert_allclose(g, want)
    assert ft.grad(lambda a: np.linalg.det(np.linalg.inv(a)))(a).shape == (3, 3)


# ---- errors ----


def test_singular_and_malformed_matrices_raise_numpy_errors():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        L.solve(singular, np.ones(2))
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        L.inv(singular)
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        ft.grad(lambda a: fnp.sum(L.solve(a, np.ones(2))))(singular)
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        L.inv(np.ones((2, 3)))
    with pytest.raises(np.linalg.LinAlgError, match="at least two-dimensional"):
        L.det(np.ones(3))
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        ft.make_jaxpr(L.slogdet)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="rows"):
        L.solve(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="mismatch"):
        L.solve(np.eye(2), np.ones((3, 1)))
    with pytest.raises(ValueError, match="rows"):
        ft.make_jaxpr(L.solve)(np.eye(2), np.ones((3, 1)))
    with pytest.raises(ValueError, match="at least two arrays"):
        L.multi_dot([np.ones(2)])
    with pytest.raises(TypeError, match="out="):
        L.multi_dot([np.ones(2), np.ones(2), np.ones(2)], out=np.empty(()))
    assert L.slogdet(singular) == (0.0, -np.inf)
