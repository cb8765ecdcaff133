"""expm, sqrtm and solve_sylvester: SciPy's values and semantics, and what the
op table does not cover (SciPy's Fréchet derivative, errors, documented edges)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.linalg

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.primitives.matrix_functions import expm, solve_sylvester, sqrtm
from fntrans.test_util import check_grads

RNG = np.random.default_rng(0)
A = 0.5 * RNG.standard_normal((3, 3))
S = np.eye(3) + 0.1 * RNG.standard_normal((3, 3))


def test_values_are_scipys_on_plain_arrays():
    stack = 0.5 * RNG.standard_normal((2, 3, 3))
    for ours, theirs, x in [
        (expm, scipy.linalg.expm, A),
        (expm, scipy.linalg.expm, stack),
        (sqrtm, scipy.linalg.sqrtm, S),
        (sqrtm, scipy.linalg.sqrtm, np.eye(3) + 0.1 * stack),
    ]:
        got = ours(x)
        assert type(got) is np.ndarray
        np.testing.assert_array_equal(got, theirs(x))
    np.testing.assert_array_equal(
        solve_sylvester(S, 2 * S, A), scipy.linalg.solve_sylvester(S, 2 * S, A)
    )


def test_expm_derivative_is_scipys_frechet_derivative():
    E = RNG.standard_normal((3, 3))
    _, tangent = ft.jvp(expm, (A,), (E,))
    np.testing.assert_allclose(tangent, scipy.linalg.expm_frechet(A, E)[1], rtol=1e-12)
    # the VJP is the Fréchet derivative at Aᵀ
    _, pull_back = ft.vjp(expm, A)
    np.testing.assert_allclose(pull_back(E)[0], scipy.linalg.expm_frechet(A.T, E)[1], rtol=1e-12)


def test_sqrtm_derivative_solves_the_sylvester_equation():
    E = RNG.standard_normal((3, 3))
    X, dX = ft.jvp(sqrtm, (S,), (E,))
    np.testing.assert_allclose(X @ dX + dX @ X, E, atol=1e-12)


def test_second_and_mixed_derivatives_of_stacks():
    stack = 0.5 * RNG.standard_normal((2, 2, 2))
    check_grads(lambda a: fnp.sum(fnp.sin(expm(a))), (stack,), order=2)
    check_grads(lambda a: sqrtm(a) @ expm(a), (np.eye(2) + 0.1 * stack,), order=2)
    hess = ft.hessian(lambda a: fnp.sum(sqrtm(a) ** 2))(S)
    assert hess.shape == (3, 3, 3, 3)


def test_expm_of_commuting_matrices_has_the_scalar_derivative():
    # d/dt expm(t A) = A expm(t A)
    grad = ft.jacfwd(lambda t: expm(t * A))(0.7)
    np.testing.assert_allclose(grad, A @ scipy.linalg.expm(0.7 * A), rtol=1e-12)


def test_float32_in_float32_out():
    for fn, x in [(expm, A), (sqrtm, S)]:
        x32 = x.astype(np.float32)
        assert fn(x32).dtype == np.float32
        assert ft.grad(lambda a, fn=fn: fnp.sum(fn(a)))(x32).dtype == np.float32


def test_non_square_input_raises_under_a_transform():
    msg = "expm expects a square matrix or a stack of them (shape (..., n, n)), but got an array of shape (2, 3)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.grad(lambda a: fnp.sum(expm(a)))(np.ones((2, 3)))


def test_sqrtm_without_a_real_root():
    A = np.diag([-1.0, 4.0])
    # outside transforms SciPy's complex result
    np.testing.assert_allclose(sqrtm(A), np.diag([1j, 2.0]))
    with pytest.raises(ValueError, match=re.escape("Pass A.astype(complex)")):
        ft.grad(lambda a: fnp.sum(sqrtm(a)))(A)
    _, pull_back = ft.vjp(sqrtm, A.astype(complex))
    # X = diag(i, 2): the cotangent of ones is 1/(x_i + x_j) elementwise
    roots = np.array([1j, 2.0])
    ct = pull_back(np.ones((2, 2), complex))[0]
    np.testing.assert_allclose(ct, 1 / (roots[:, None] + roots[None]))


def test_sqrtm_disp_false_returns_the_error_estimate():
    X, errest = sqrtm(S, disp=False)
    np.testing.assert_array_equal(X, scipy.linalg.sqrtm(S))
    assert 0 <= errest < 1e-20


def test_solve_sylvester_broadcasts_batches():
    a = np.stack([2 * S, 3 * S])
    x = solve_sylvester(a, S, A)
    np.testing.assert_allclose(x, np.stack([scipy.linalg.solve_sylvester(m, S, A) for m in a]))
    check_grads(solve_sylvester, (a, S, A), order=1)
