"""The computing cells of the tutorials fntrans was designed from, on fntrans.

Each test is one cell (or a small group) of the texts in shared/seeds/,
rewritten with fntrans's names as seeds/README.md maps them, and checks the
numbers printed there, to the digits printed. Cells whose inputs are unseeded
random draws check a property instead: agreement with finite differences, with
a hand-derived formula, or with the tutorial's own hand-written algorithm.
Cells about PyTorch, SymPy, timing and plotting are context and are left out.
The pitfalls that seeds 003 and 004 describe (array assignment, ``A.dot(B)``,
``np.sum`` of a list, integer inputs) are tested to work, or to fail clearly.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.special
import scipy.stats

import fntrans as ft
import fntrans.numpy as fnp
import fntrans.scipy.special
from fntrans.extend import defvjp, primitive
from fntrans.test_util import check_grads


def assert_printed(actual, printed, decimals):
    """``actual`` rounds to the numbers the tutorial printed with ``decimals`` digits."""
    np.testing.assert_allclose(actual, printed, rtol=0, atol=0.5 * 10.0**-decimals)


def central_difference(x, func, h=1e-5):
    """Seed 004's finite-difference gradient (array assignment on a plain array)."""
    n = x.shape[0]
    gr = np.zeros(n)
    for i in range(n):
        delta = np.zeros(n)
        delta[i] += h
        gr[i] = (func(x + delta) - func(x - delta)) / (2 * h)
    return gr


# --- seeds 000 and 001: the autograd tutorial ---------------------------------


def tanh(x):
    y = fnp.exp(-x)
    return (1.0 - y) / (1.0 + y)


def test_seed_000_grad_of_tanh_at_one_prints_autograds_digits():
    assert ft.grad(tanh)(1.0) == pytest.approx(0.39322386648296376, rel=4e-16)


def test_seed_000_finite_difference_of_tanh_prints_the_same_digits():
    # the difference quotient magnifies a one-ulp difference in exp (NumPy's
    # builds differ there) about 1e4 times, so its last five digits are noise
    difference_quotient = (tanh(1.0001) - tanh(0.9999)) / 0.0002
    assert difference_quotient == pytest.approx(0.39322386636453377, rel=1e-11)


def test_seed_001_tanh_cell_prints_twelve_digits():
    assert f"{ft.grad(tanh)(1.0):.12g}" == "0.393223866483"
    assert f"{(tanh(1.0001) - tanh(0.9999)) / 0.0002:.12g}" == "0.393223866365"


def test_seed_000_sigmoid_gradient_automatic_equals_staged_by_hand():
    def sigmoid(x):
        return 1.0 / (1.0 + fnp.exp(-x))

    def grad_sigmoid_manual(x):
        a = -x
        b = fnp.exp(a)
        c = 1 + b
        dsdc = -1.0 / (c**2)
        dsdb = dsdc * 1
        dsda = dsdb * fnp.exp(a)
        return dsda * (-1)

    assert grad_sigmoid_manual(2.0) == pytest.approx(0.1049935854035065, rel=4e-16)
    assert ft.grad(sigmoid)(2.0) == pytest.approx(0.1049935854035065, rel=4e-16)


def test_seed_000_flatten_list_of_tuples():
    params = [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0, 3.0)]
    flat_params, unflatten_func = ft.tree.ravel_pytree(params)
    assert str(flat_params) == "[1. 1. 2. 2. 3. 3. 3.]"
    assert repr(unflatten_func(flat_params)) == (
        "[(array(1.), array(1.)), (array(2.), array(2.)), (array(3.), array(3.), array(3.))]"
    )


def test_seed_001_flatten_list_of_random_matrices_round_trips():
    rng = np.random.default_rng(0)  # the tutorial's draw is unseeded
    params = [rng.standard_normal((3, 3)), rng.standard_normal((4, 4)), rng.standard_normal((3, 3))]
    flat_params, unflatten_func = ft.tree.ravel_pytree(params)
    np.testing.assert_array_equal(flat_params, np.concatenate([p.ravel() for p in params]))
    restored = unflatten_func(flat_params)
    assert [r.shape for r in restored] == [(3, 3), (4, 4), (3, 3)]
    for r, p in zip(restored, params):
        np.testing.assert_array_equal(r, p)


def test_seed_001_flatten_dict_orders_leaves_by_sorted_key():
    params = {"weights": [1.0, 2.0, 3.0, 4.0], "biases": [1.0, 2.0]}
    flat_params, unflatten_func = ft.tree.ravel_pytree(params)
    np.testing.assert_array_equal(flat_params, [1.0, 2.0, 1.0, 2.0, 3.0, 4.0])
    restored = unflatten_func(flat_params)
    assert list(restored) == ["weights", "biases"]
    assert restored == {"weights": [1.0, 2.0, 3.0, 4.0], "biases": [1.0, 2.0]}


def test_seed_001_flatten_dict_of_dicts():
    params = {
        "layer1": {"weights": [1.0, 2.0, 3.0, 4.0], "biases": [1.0, 2.0]},
        "layer2": {"weights": [5.0, 6.0, 7.0, 8.0], "biases": [6.0, 7.0]},
    }
    flat_params, unflatten_func = ft.tree.ravel_pytree(params)
    np.testing.assert_array_equal(flat_params, [1, 2, 1, 2, 3, 4, 6, 7, 5, 6, 7, 8])
    assert unflatten_func(flat_params) == params


# The custom logsumexp of seeds 001 and 003: autograd's @primitive and defvjp
# (seed 003's older logsumexp.defgrad) become fntrans.extend's.
@primitive
def logsumexp(x):
    """Numerically stable log(sum(exp(x)))"""
    max_x = np.max(x)
    return max_x + np.log(np.sum(np.exp(x - max_x)))


def make_grad_logsumexp(ans, x):
    def gradient_product(g):
        return fnp.full(x.shape, g) * fnp.exp(x - fnp.full(x.shape, ans))

    return gradient_product


defvjp(logsumexp, make_grad_logsumexp)


def example_func(y):
    z = y**2
    lse = logsumexp(z)
    return fnp.sum(lse)


def test_seed_001_custom_logsumexp_gradient_is_softmax_times_two_y():
    y = np.random.default_rng(0).standard_normal(10)  # the tutorial's draw is unseeded
    z = y**2
    softmax = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(ft.grad(example_func)(y), 2 * y * softmax, rtol=1e-13)


def test_seed_001_custom_logsumexp_passes_check_grads_to_second_order():
    y = np.random.default_rng(1).standard_normal(10)
    check_grads(example_func, (y,), modes=("rev",), order=2)


def test_seed_001_custom_logsumexp_is_one_primitive_in_the_ir():
    jaxpr = str(ft.make_jaxpr(example_func)(np.ones(3)))
    assert "logsumexp" in jaxpr
    assert "exp " not in jaxpr  # its body ran as a black box, not traced


def test_seed_003_custom_logsumexp_grad_of_example_at_four_points():
    y = np.random.default_rng(2).standard_normal(4)  # the tutorial's npr.randn(4)
    expected = central_difference(y, lambda v: example_func(v), h=1e-6)
    np.testing.assert_allclose(ft.grad(example_func)(y), expected, rtol=1e-7, atol=1e-9)


def linear_data(rng):
    x = np.linspace(0, 10, 100)
    return x, 4 * x + 10 + rng.normal(0, 2, x.shape)


def test_seed_001_linear_regression_matches_gradient_descent_by_hand():
    rng = np.random.default_rng(0)  # the tutorial's data are unseeded
    x, t = linear_data(rng)
    N = len(x)
    params = {"w": rng.normal(0, 1), "b": rng.normal(0, 1)}
    w, b = params["w"], params["b"]

    def cost(params):
        y = params["w"] * x + params["b"]
        return (1 / N) * fnp.sum(0.5 * fnp.square(y - t))

    alpha = 0.01
    for _ in range(1000):
        cost_params = ft.grad(cost)(params)
        params["w"] = params["w"] - alpha * cost_params["w"]
        params["b"] = params["b"] - alpha * cost_params["b"]
        residual = w * x + b - t  # dE/dw = mean(r x), dE/db = mean(r)
        w, b = w - alpha * np.mean(residual * x), b - alpha * np.mean(residual)

    np.testing.assert_allclose([params["w"], params["b"]], [w, b], rtol=1e-10)
    # and near the least-squares line, as the tutorial's w = 4.13, b = 9.18 is
    w_ls, b_ls = np.polyfit(x, t, 1)
    assert abs(params["w"] - w_ls) < 0.2 and abs(params["b"] - b_ls) < 1.0


def test_seed_001_polynomial_feature_regression_gradient_is_normal_equations_residual():
    rng = np.random.default_rng(0)
    N, M = 100, 4
    x = np.linspace(-3, 3, N)
    t = x**4 - 10 * x**2 + 10 * x + rng.normal(0, 4, x.shape)
    feature_matrix = fnp.array([[item**i for i in range(M + 1)] for item in x])
    W = rng.standard_normal(feature_matrix.shape[-1])

    def cost(W):
        y = fnp.dot(feature_matrix, W)
        return (1.0 / N) * fnp.sum(0.5 * fnp.square(y - t))

    cost_grad = ft.grad(cost)
    np.testing.assert_allclose(
        cost_grad(W), feature_matrix.T @ (feature_matrix @ W - t) / N, rtol=1e-12
    )
    initial = cost(W)
    for _ in range(2000):  # the tutorial runs 10000 epochs
        W = W - 0.001 * cost_grad(W)
    assert cost(W) < initial / 20


def tutorial_sgd(grad, init_params, callback=None, num_iters=200, step_size=0.1, mass=0.9):
    """Seed 001's sgd, over autograd's flatten (here ravel_pytree)."""
    x, unflatten = ft.tree.ravel_pytree(init_params)
    velocity = np.zeros(len(x))
    for i in range(num_iters):
        g, _ = ft.tree.ravel_pytree(grad(unflatten(x), i))
        if callback:
            callback(unflatten(x), i, unflatten(g))
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return unflatten(x)


def test_seed_001_neural_net_regression_with_the_tutorials_sgd():
    rng = np.random.default_rng(0)  # the tutorial's draws are unseeded
    x = np.linspace(-5, 5, 1000)
    t = x**3 - 20 * x + 10 + rng.normal(0, 4, x.shape)
    inputs = x.reshape(x.shape[-1], 1)
    params = {
        "W1": rng.standard_normal((1, 4)),
        "b1": rng.standard_normal(4),
        "W2": rng.standard_normal((4, 4)),
        "b2": rng.standard_normal(4),
        "W3": rng.standard_normal((4, 1)),
        "b3": rng.standard_normal(1),
    }

    def predict(params, inputs):
        h1 = fnp.tanh(fnp.dot(inputs, params["W1"]) + params["b1"])
        h2 = fnp.tanh(fnp.dot(h1, params["W2"]) + params["b2"])
        return fnp.dot(h2, params["W3"]) + params["b3"]

    def loss(params, i):
        output = predict(params, inputs)
        return (1.0 / inputs.shape[0]) * fnp.sum(
            0.5 * fnp.square(output.reshape(output.shape[0]) - t)
        )

    optimized = tutorial_sgd(ft.grad(loss), params, step_size=0.01, num_iters=300)
    library = ft.optimizers.sgd(ft.grad(loss), params, step_size=0.01, num_iters=300)
    for name in params:
        np.testing.assert_allclose(library[name], optimized[name], rtol=1e-9, atol=1e-12)
    assert loss(optimized, 0) < loss(params, 0) / 4


# --- seed 002: numeric vs symbolic vs automatic differentiation ----------------


def mock_training_set(rng, input_dims=2, output_dims=2, samples=1000):
    x = rng.random((input_dims, samples)) * 2 - 1
    noise = rng.normal(size=(input_dims, samples)) * 0.05
    y = np.zeros((output_dims, samples))
    for i in range(output_dims):
        y[i, :] = (x[i, :] > 0.0) * 2 - 1
    return x + noise, y


def model(parameters, v_in):
    # the title's labels = sigmoid(W . features); the cell leaves its body blank
    return 1.0 / (1.0 + fnp.exp(-(parameters @ v_in)))


def classifier_cost(parameters, v_in_train, v_out_train):
    return fnp.sum((model(parameters, v_in_train) - v_out_train) ** 2)


def test_seed_002_classifier_gradient_matches_numerical_gradient():
    rng = np.random.default_rng(0)
    x, y_true = mock_training_set(rng)
    p = rng.normal(size=(2, 2)) * 0.1

    def f(parameters):
        return classifier_cost(parameters, x, y_true)

    numerical = np.zeros_like(p)
    h = 1e-6
    for index in np.ndindex(p.shape):
        step = np.zeros_like(p)
        step[index] = h
        numerical[index] = (f(p + step) - f(p - step)) / (2 * h)
    np.testing.assert_allclose(ft.grad(f)(p), numerical, rtol=1e-6)


def test_seed_002_gradient_descent_with_grad_lowers_the_classifier_cost():
    rng = np.random.default_rng(0)
    x, y_true = mock_training_set(rng)
    p = rng.normal(size=(2, 2)) * 0.1

    def f(parameters):
        return classifier_cost(parameters, x, y_true)

    log = [f(p)]
    for _ in range(100):
        p = p - 0.0001 * ft.grad(f)(p)
        log.append(f(p))
    assert np.all(np.diff(log) < 0)
    assert log[-1] < 0.95 * log[0]


def test_seed_002_grad_has_no_truncation_error_where_finite_differences_do():
    def f(p):
        return p**2 + fnp.sqrt(p + 3)

    def exact_grad_f(p):
        return 2 * p + 0.5 / np.sqrt(p + 3)

    assert ft.grad(f)(3.5) == pytest.approx(exact_grad_f(3.5), rel=1e-15)
    forward_difference = (f(3.5 + 1e-4) - f(3.5)) / 1e-4
    assert abs(forward_difference - exact_grad_f(3.5)) > 1e-5


def test_seed_002_forward_and_reverse_mode_of_exp_of_tanh():
    derivatives = {np.exp: np.exp, np.tanh: lambda x: 1 - np.tanh(x) ** 2}

    def forward_automatic_differentiation(expression, input_value):
        value, derivative = input_value, 1.0
        for function in expression[::-1]:
            value, derivative = function(value), derivatives[function](value) * derivative
        return value, derivative

    value, derivative = forward_automatic_differentiation([np.exp, np.tanh], 0.5)
    assert value == np.exp(np.tanh(0.5))

    def f(x):
        return fnp.exp(fnp.tanh(x))

    out, tangent = ft.jvp(f, (0.5,), (1.0,))
    assert out == value
    assert tangent == pytest.approx(derivative, rel=1e-15)
    assert ft.grad(f)(0.5) == pytest.approx(derivative, rel=1e-15)
    h = 0.0001
    assert (np.exp(np.tanh(0.5 + h)) - np.exp(np.tanh(0.5))) / h == pytest.approx(
        derivative, rel=1e-3
    )


@pytest.mark.parametrize("n", [1, 3, 8])
def test_seed_002_derivative_of_repeated_logistic_layers_is_product_of_chain_factors(n):
    def repeated_layers(x):
        current_layer = x
        for _ in range(n):
            current_layer = 4 * current_layer * (1 - current_layer)
        return current_layer

    x, expected = 0.3, 1.0
    for _ in range(n):
        expected *= 4 * (1 - 2 * x)
        x = 4 * x * (1 - x)
    assert ft.grad(repeated_layers)(0.3) == pytest.approx(expected, rel=1e-12)


# --- seed 003: what autograd said not to do -----------------------------------


def test_seed_003_assignment_to_arrays_is_differentiable():
    def f(x):
        A = fnp.zeros((2, 2))
        A[0, 0] = x
        A[1, :] = x**2
        return fnp.sum(A * np.array([[3.0, 0.0], [1.0, 2.0]]))

    assert ft.grad(f)(2.0) == pytest.approx(3.0 + 3 * 2 * 2.0)


def test_seed_003_sum_of_a_list_and_array_from_a_list():
    def f(x, y):
        return fnp.sum([x, y]) * fnp.sum(fnp.array([x, y]) ** 2)

    g_x, g_y = ft.grad(f, argnums=(0, 1))(1.0, 2.0)
    # f = (x + y)(x^2 + y^2): df/dx = x^2 + y^2 + 2x(x + y)
    assert (g_x, g_y) == (pytest.approx(11.0), pytest.approx(17.0))


def test_seed_003_dot_method_on_traced_values():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])

    def f(B):
        return fnp.sum(B.dot(A).dot(B))

    B = np.array([[0.5, -1.0], [2.0, 0.25]])
    expected = ft.grad(lambda B: fnp.sum(fnp.dot(fnp.dot(B, A), B)))(B)
    np.testing.assert_allclose(ft.grad(f)(B), expected, rtol=1e-14)
    ones = np.ones((2, 2))  # d sum(B A B) = 1 (A B)^T + (B A)^T 1
    np.testing.assert_allclose(ft.grad(f)(B), ones @ (A @ B).T + (B @ A).T @ ones, rtol=1e-14)


# --- seed 004: autograd in practice, and its pitfalls --------------------------


def f1(x):
    return fnp.log(x[0]) + x[0] * x[1] - fnp.sin(x[1])


def test_seed_004_grad_of_f1():
    assert_printed(ft.grad(f1, 0)(np.array([1.0, 2.0])), [3.0, 1.41614684], 8)


def test_seed_004_finite_differences_agree_with_grad_of_f1():
    x = np.array([4.0, 3.0])
    assert_printed(central_difference(x, func=f1), [3.25, 4.9899925], 7)
    assert_printed(ft.grad(f1, 0)(x), [3.25, 4.9899925], 7)


def test_seed_004_float_array_written_with_an_integer_literal_works():
    assert_printed(ft.grad(f1, 0)(np.array([4, 3.0])), [3.25, 4.9899925], 7)


def test_seed_004_integer_array_input_is_a_clear_type_error():
    msg = (
        "grad requires real or complex inputs to differentiate, but argument 0 has dtype "
        "int64, which carries no derivative. Convert it with .astype(float)"
    )
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(f1, 0)(np.array([4, 3]))


def make_f2(A):
    def f2(x):
        n = A.shape[0]
        vals = fnp.zeros(n)
        for i in range(n):
            vals[i] = A[i, :] @ x.reshape(-1, 1)  # ***
        return fnp.sum(vals)

    return f2


def test_seed_004_array_assignment_in_a_loop_gives_value_and_gradient():
    f2 = make_f2(np.array([[1, 2], [3, 4]]))
    value, g = ft.value_and_grad(f2, 0)(np.array([1.0, 2.0]))
    assert f"{value:.2f}" == "16.00"
    np.testing.assert_array_equal(g, [4.0, 6.0])
    np.testing.assert_array_equal(ft.grad(f2, 0)(np.array([1.0, 2.0])), [4.0, 6.0])


def test_seed_004_array_assignment_and_list_comprehension_agree():
    A = np.random.default_rng(0).standard_normal((100, 2))  # unseeded in the tutorial

    def f3(x):
        vals = [A[i, :] @ x.reshape(-1, 1) for i in range(A.shape[0])]
        return fnp.sum(vals)

    x = np.array([1.0, 2.0])
    val, grad = ft.value_and_grad(f3, 0)(x)
    np.testing.assert_allclose(val, np.sum(A @ x), rtol=1e-12)
    np.testing.assert_allclose(grad, central_difference(x, func=f3), rtol=1e-8)
    np.testing.assert_allclose(grad, A.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(ft.grad(make_f2(A))(x), grad, rtol=1e-12)


def quadratic_form(A, x, y):
    return x.T @ A @ x + fnp.sin(y).T @ x


A_QF = np.array([[1.0, 2.0], [2.0, 1.0]])
X_QF = np.array([[1.0, 2.0]]).T
Y_QF = np.array([[1.0, 1.0]]).T


def test_seed_004_quadratic_form_value_and_each_gradient():
    val = quadratic_form(A_QF, X_QF, Y_QF)
    assert val.shape == (1, 1)
    assert_printed(val, [[15.52441295]], 8)
    g_A, g_x, g_y = (ft.grad(quadratic_form, i) for i in range(3))
    assert_printed(g_A(A_QF, X_QF, Y_QF), [[1.0, 2.0], [2.0, 4.0]], 8)
    assert_printed(g_x(A_QF, X_QF, Y_QF), [[10.84147098], [8.84147098]], 8)
    assert_printed(g_y(A_QF, X_QF, Y_QF), [[0.54030231], [1.08060461]], 8)


def test_seed_004_quadratic_form_all_gradients_in_one_call():
    g_A, g_x, g_y = ft.grad(quadratic_form, argnums=(0, 1, 2))(A_QF, X_QF, Y_QF)
    assert_printed(g_A, [[1.0, 2.0], [2.0, 4.0]], 8)
    assert_printed(g_x, [[10.84147098], [8.84147098]], 8)
    assert_printed(g_y, [[0.54030231], [1.08060461]], 8)
    by_name = ft.grad(quadratic_form, argnames=("y", "A"))(A_QF, X_QF, Y_QF)
    np.testing.assert_array_equal(by_name[0], g_y)
    np.testing.assert_array_equal(by_name[1], g_A)


def test_seed_004_value_and_grad_and_several_argnums_run_the_function_once():
    # the tutorial timed value_and_grad against grad, and ran grad three times
    # for three arguments; here each is one forward pass, counted by a primitive
    calls = []

    @primitive
    def counted_sin(y):
        calls.append(y)
        return np.sin(y)

    defvjp(counted_sin, lambda ans, y: lambda g: g * fnp.cos(y))

    def f(A, x, y):
        return x.T @ A @ x + counted_sin(y).T @ x

    value, g_y = ft.value_and_grad(f, 2)(A_QF, X_QF, Y_QF)
    assert len(calls) == 1
    assert_printed(value, [[15.52441295]], 8)
    assert_printed(g_y, [[0.54030231], [1.08060461]], 8)
    calls.clear()
    ft.grad(f, argnums=(0, 1, 2))(A_QF, X_QF, Y_QF)
    assert len(calls) == 1


def vec(v):
    return fnp.reshape(v, (-1, 1), order="F")


def vecinv(v, shape):
    return fnp.reshape(v, shape, order="F")


def pack(collection):
    return fnp.vstack([vec(item) for item in collection])


def test_seed_004_pack_stacks_columns_in_fortran_order():
    shapes = {"A": A_QF.shape, "x": X_QF.shape, "y": Y_QF.shape}
    assert str(shapes) == "{'A': (2, 2), 'x': (2, 1), 'y': (2, 1)}"
    packed = pack([A_QF, X_QF, Y_QF])
    np.testing.assert_array_equal(packed, [[1.0], [2.0], [2.0], [1.0], [1.0], [2.0], [1.0], [1.0]])


def test_seed_004_exercise_3_all_gradients_from_one_packed_vector():
    shapes = [A_QF.shape, X_QF.shape, Y_QF.shape]
    A_nonsymmetric = np.array([[1.0, 2.0], [0.5, 1.0]])  # tells F order from C order

    def unpack(v):
        sizes = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
        return [vecinv(v[a:b], s) for a, b, s in zip(sizes[:-1], sizes[1:], shapes)]

    packed = pack([A_nonsymmetric, X_QF, Y_QF])
    for part, original in zip(unpack(packed), [A_nonsymmetric, X_QF, Y_QF]):
        np.testing.assert_array_equal(part, original)
    g = ft.grad(lambda v: quadratic_form(*unpack(v)))(packed)
    expected = pack(ft.grad(quadratic_form, argnums=(0, 1, 2))(A_nonsymmetric, X_QF, Y_QF))
    np.testing.assert_allclose(g, expected, rtol=1e-14)
    g_symmetric = ft.grad(lambda v: quadratic_form(*unpack(v)))(pack([A_QF, X_QF, Y_QF]))
    assert_printed(
        g_symmetric.ravel(),
        [1.0, 2.0, 2.0, 4.0, 10.84147098, 8.84147098, 0.54030231, 1.08060461],
        8,
    )


def make_sin_f3(A):
    def f3(x):
        vals = [A[i, :] @ fnp.sin(x.reshape(-1, 1)) for i in range(A.shape[0])]
        return fnp.sum(vals)

    return f3


def test_seed_004_hessian_vector_product_at_d_50000():
    d = 50000
    rng = np.random.default_rng(123)  # the tutorial seeds after drawing A
    A = rng.random((10, d))
    x = 2 * np.ones(d)
    r = rng.random(d)
    hv = ft.hvp(make_sin_f3(A), (x,), (r,))[0]
    # f = sum_i A[i] . sin(x) has the diagonal Hessian -sin(x) * A.sum(0)
    np.testing.assert_allclose(hv, -np.sin(x) * A.sum(axis=0) * r, rtol=1e-12)


def test_seed_004_hessian_vector_product_equals_dense_hessian_times_vector():
    rng = np.random.default_rng(123)
    A = rng.random((10, 30))
    x, r = 2 * np.ones(30), rng.random(30)
    f3 = make_sin_f3(A)
    np.testing.assert_allclose(ft.hessian(f3)(x) @ r, ft.hvp(f3, (x,), (r,))[0], rtol=1e-12)


def test_seed_004_exercise_2_jacobian_of_x1_and_x1_x2():
    def f(x):
        return fnp.stack([x[0], x[0] * x[1]])

    x = np.array([3.0, -2.0])
    expected = [[1.0, 0.0], [-2.0, 3.0]]
    np.testing.assert_array_equal(ft.jacrev(f)(x), expected)
    np.testing.assert_array_equal(ft.jacfwd(f)(x), expected)


def test_seed_004_exercise_1_assignment_and_comprehension_agree_under_grad():
    A = np.random.default_rng(0).standard_normal((7, 3))

    def f2a(x):
        vals = fnp.zeros(A.shape[0])
        for i in range(A.shape[0]):
            vals[i] = fnp.tanh(A[i, :] @ x)
        return fnp.sum(vals)

    def f2b(x):
        return fnp.sum([fnp.tanh(A[i, :] @ x) for i in range(A.shape[0])])

    x = np.array([0.3, -0.2, 0.1])
    np.testing.assert_allclose(ft.grad(f2a)(x), ft.grad(f2b)(x), rtol=1e-14)
    np.testing.assert_allclose(ft.hessian(f2a)(x), ft.hessian(f2b)(x), rtol=1e-13)


def test_seed_004_exercise_4_einsum_sums_and_product_match_direct_and_differentiate():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    np.testing.assert_allclose(fnp.einsum("ij->i", A), A.sum(axis=1), rtol=1e-14)
    np.testing.assert_allclose(fnp.einsum("ij->j", A), A.sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(fnp.einsum("ik,kj->ij", A, B), A @ B, rtol=1e-14)
    g_einsum = ft.grad(lambda A: fnp.sum(fnp.einsum("ik,kj->ij", A, B) ** 2))(A)
    g_direct = ft.grad(lambda A: fnp.sum((A @ B) ** 2))(A)
    np.testing.assert_allclose(g_einsum, g_direct, rtol=1e-13)


@primitive
def probit(x):
    return scipy.special.ndtri(x)


defvjp(probit, lambda ans, x: lambda r: r / fnp.exp(-(ans**2) / 2) * np.sqrt(2 * np.pi))


def test_seed_004_exercise_6_probit_primitive_vjp_is_one_over_normal_density():
    x = np.array([0.05, 0.3, 0.5, 0.9])
    g = ft.elementwise_grad(probit)(x)
    np.testing.assert_allclose(g, 1 / scipy.stats.norm.pdf(scipy.stats.norm.ppf(x)), rtol=1e-13)
    check_grads(probit, (x,), modes=("rev",), order=2)


def test_seed_004_exercise_6_probit_is_built_in_with_its_gradient():
    # fntrans.scipy.special.ndtri has the rule the exercise derives by hand,
    # and SciPy's own ndtri on a traced value runs it
    x = np.array([0.05, 0.3, 0.5, 0.9])
    want = 1 / scipy.stats.norm.pdf(scipy.stats.norm.ppf(x))
    np.testing.assert_allclose(
        ft.elementwise_grad(fntrans.scipy.special.ndtri)(x), want, rtol=1e-13
    )
    np.testing.assert_allclose(ft.elementwise_grad(scipy.special.ndtri)(x), want, rtol=1e-13)
    ft.test_util.check_grads(fntrans.scipy.special.ndtri, (x,), modes=("fwd", "rev"), order=2)


@ft.custom_vjp
def probit_custom(x):
    return fntrans.scipy.special.ndtri(x)


def _probit_fwd(x):
    ans = probit_custom(x)
    return ans, ans


def _probit_bwd(ans, r):
    # r / phi(Phi^-1(x)), the exercise's vjp
    return (r / fnp.exp(-(ans**2) / 2) * np.sqrt(2 * np.pi),)


probit_custom.defvjp(_probit_fwd, _probit_bwd)


def test_seed_004_exercise_6_probit_as_a_custom_vjp():
    x = np.array([0.05, 0.3, 0.5, 0.9])
    np.testing.assert_allclose(probit_custom(x), scipy.stats.norm.ppf(x), rtol=1e-13)
    g = ft.elementwise_grad(probit_custom)(x)
    np.testing.assert_allclose(g, 1 / scipy.stats.norm.pdf(scipy.stats.norm.ppf(x)), rtol=1e-13)
    ft.test_util.check_grads(probit_custom, (x,), modes=("rev",), order=2)


def test_seed_001_check_grads_cell_runs_as_written_after_import_fntrans():
    # `import fntrans as ft` alone makes ft.test_util reachable
    y = np.random.default_rng(2).standard_normal(10)
    ft.test_util.check_grads(example_func, (y,), modes=("rev",), order=2)


def test_seed_004_pytorch_cells_gradient_of_xtx_and_hessian():
    x = np.array([[1.0], [2.0], [3.0]])
    np.testing.assert_array_equal(ft.grad(lambda x: x.T @ x)(x), [[2.0], [4.0], [6.0]])

    def f(x):
        return x[0] ** 2 + x[0] * x[1]

    np.testing.assert_array_equal(ft.hessian(f)(np.array([1.0, 2.0])), [[2.0, 1.0], [1.0, 0.0]])
