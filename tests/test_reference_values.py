"""Results users of the autograd tutorials try first (issue: foundation).

Reference values are the outputs printed in those tutorials (autograd on NumPy).
"""

import numpy as np

import fntrans as ft
import fntrans.numpy as fnp


def test_tanh_like_derivative_at_one():
    def tanh(x):
        y = fnp.exp(-x)
        return (1.0 - y) / (1.0 + y)

    np.testing.assert_allclose(ft.grad(tanh)(1.0), 0.39322386648296376, rtol=1e-14)


def test_sigmoid_gradient_automatic_and_by_hand_agree():
    def sigmoid(x):
        return 1.0 / (1.0 + fnp.exp(-x))

    def grad_sigmoid_manual(x):
        a = -x
        b = np.exp(a)
        c = 1 + b
        dsdc = -1.0 / (c**2)
        return dsdc * 1 * np.exp(a) * (-1)

    np.testing.assert_allclose(ft.grad(sigmoid)(2.0), 0.1049935854035065, rtol=1e-14)
    np.testing.assert_allclose(grad_sigmoid_manual(2.0), 0.1049935854035065, rtol=1e-14)


def test_gradient_of_log_plus_product_minus_sine():
    def f1(x):
        return fnp.log(x[0]) + x[0] * x[1] - fnp.sin(x[1])

    g = ft.grad(f1, 0)(fnp.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [3.0, 1 - np.cos(2.0)], rtol=1e-14)
    np.testing.assert_allclose(g, [3.0, 1.41614684], rtol=1e-8)


def test_quadratic_form_gradients_in_one_call():
    def f(A, x, y):
        return x.T @ A @ x + fnp.sin(y).T @ x

    A = fnp.array([[1.0, 2.0], [2.0, 1.0]])
    x = fnp.array([[1.0, 2.0]]).T
    y = fnp.array([[1.0, 1.0]]).T
    g_A, g_x, g_y = ft.grad(f, argnums=(0, 1, 2))(A, x, y)
    np.testing.assert_allclose(g_A, [[1, 2], [2, 4]], rtol=1e-14)
    np.testing.assert_allclose(g_x, [[10 + np.sin(1.0)], [8 + np.sin(1.0)]], rtol=1e-14)
    np.testing.assert_allclose(g_y, [[np.cos(1.0)], [2 * np.cos(1.0)]], rtol=1e-14)
    np.testing.assert_allclose(g_x, [[10.84147098], [8.84147098]], rtol=1e-8)
    np.testing.assert_allclose(g_y, [[0.54030231], [1.08060461]], rtol=1e-7)


def test_flatten_of_list_of_tuples():
    params = [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0, 3.0)]
    flat, unflatten = ft.tree.ravel_pytree(params)
    np.testing.assert_array_equal(flat, [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0])
    assert unflatten(flat) == [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0, 3.0)]


def test_list_comprehension_of_row_products_matches_finite_differences():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((100, 2))

    def f3(x):
        vals = [A[i, :] @ x.reshape(-1, 1) for i in range(A.shape[0])]
        return fnp.sum(vals)

    x = fnp.array([1.0, 2.0])
    value, g = ft.value_and_grad(f3)(x)
    np.testing.assert_allclose(value, A.sum(0) @ x, rtol=1e-12)
    np.testing.assert_allclose(g, A.sum(0), rtol=1e-12)
