"""autograd code on fntrans.compat.autograd, with only the imports changed.

The first part runs the computing cells of the seed tutorials (shared/seeds/)
as they are written for autograd — autograd's names, ``argnum``,
``autograd.numpy as np``, ``npr`` draws, ``flatten``, ``@primitive`` and
``defvjp`` (and seed 003's older ``from autograd.core import primitive`` with
``defgrad``), autograd's curried ``check_grads`` — and checks the numbers that
tests/test_seeds.py checks for the same cells written with fntrans's names.
The second part checks each public name's conventions (argnum as an int, a
list or a tuple; autograd's result orders), against hand-derived values and,
where autograd is installed (the ``bench`` extra), against autograd itself.
"""

from __future__ import annotations

import re
import warnings

import numpy as onp
import pytest
import scipy.special
import scipy.stats

# --- the imports that change: ``import autograd`` -> ``import fntrans.compat.autograd``
import fntrans.compat.autograd as autograd
import fntrans.compat.autograd.numpy as np
import fntrans.compat.autograd.numpy.random as npr
from fntrans.compat.autograd import grad
from fntrans.compat.autograd.core import primitive as core_primitive
from fntrans.compat.autograd.extend import defjvp, defvjp, primitive
from fntrans.compat.autograd.misc import flatten
from fntrans.compat.autograd.misc.optimizers import adam, rmsprop, sgd
from fntrans.compat.autograd.test_util import check_grads, combo_check


def assert_printed(actual, printed, decimals):
    """``actual`` rounds to the numbers the tutorial printed with ``decimals`` digits."""
    onp.testing.assert_allclose(actual, printed, rtol=0, atol=0.5 * 10.0**-decimals)


# --- seeds 000 and 001: the autograd tutorial ---------------------------------


def tanh(x):
    y = np.exp(-x)
    return (1.0 - y) / (1.0 + y)


def test_seed_000_grad_of_tanh():
    grad_tanh = grad(tanh)
    assert grad_tanh(1.0) == pytest.approx(0.39322386648296376, rel=4e-16)
    assert f"{grad_tanh(1.0):.12g}" == "0.393223866483"  # seed 001's print
    assert (tanh(1.0001) - tanh(0.9999)) / 0.0002 == pytest.approx(0.39322386636453377, rel=1e-11)


def test_seed_000_sigmoid_staged_by_hand_and_by_grad():
    def grad_sigmoid_manual(x):
        a = -x
        b = np.exp(a)
        c = 1 + b
        dsdc = -1.0 / (c**2)
        dsdb = dsdc * 1
        dsda = dsdb * np.exp(a)
        dsdx = dsda * (-1)
        return dsdx

    def sigmoid(x):
        y = 1.0 / (1.0 + np.exp(-x))
        return y

    assert grad_sigmoid_manual(2.0) == pytest.approx(0.1049935854035065, rel=4e-16)
    assert grad(sigmoid)(2.0) == pytest.approx(0.1049935854035065, rel=4e-16)


def test_seed_000_flatten_list_of_tuples():
    params = [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0, 3.0)]
    flat_params, unflatten_func = flatten(params)
    # the cell's prints, as f-strings
    assert f"Flattened: {flat_params}" == "Flattened: [1. 1. 2. 2. 3. 3. 3.]"
    assert f"Unflattened: {unflatten_func(flat_params)}" == (
        "Unflattened: [(array(1.), array(1.)), (array(2.), array(2.)), "
        "(array(3.), array(3.), array(3.))]"
    )


def test_seed_001_flatten_list_of_random_matrices():
    npr.seed(0)
    params = [npr.randn(3, 3), npr.randn(4, 4), npr.randn(3, 3)]
    flat_params, unflatten_func = flatten(params)
    onp.testing.assert_array_equal(flat_params, onp.concatenate([p.ravel() for p in params]))
    for restored, p in zip(unflatten_func(flat_params), params):
        onp.testing.assert_array_equal(restored, p)


def test_seed_001_flatten_dicts():
    params = {"weights": [1.0, 2.0, 3.0, 4.0], "biases": [1.0, 2.0]}
    flat_params, unflatten_func = flatten(params)
    onp.testing.assert_array_equal(flat_params, [1.0, 2.0, 1.0, 2.0, 3.0, 4.0])
    assert unflatten_func(flat_params) == params
    params = {
        "layer1": {"weights": [1.0, 2.0, 3.0, 4.0], "biases": [1.0, 2.0]},
        "layer2": {"weights": [5.0, 6.0, 7.0, 8.0], "biases": [6.0, 7.0]},
    }
    flat_params, unflatten_func = flatten(params)
    onp.testing.assert_array_equal(flat_params, [1, 2, 1, 2, 3, 4, 6, 7, 5, 6, 7, 8])
    assert unflatten_func(flat_params) == params


# seed 001's custom logsumexp, autograd.extend's way
@primitive
def logsumexp(x):
    """Numerically stable log(sum(exp(x)))"""
    max_x = np.max(x)
    return max_x + np.log(np.sum(np.exp(x - max_x)))


def make_grad_logsumexp(ans, x):
    def gradient_product(g):
        return np.full(x.shape, g) * np.exp(x - np.full(x.shape, ans))

    return gradient_product


defvjp(logsumexp, make_grad_logsumexp)


def example_func(y):
    z = y**2
    lse = logsumexp(z)
    return np.sum(lse)


def test_seed_001_custom_logsumexp_gradient_and_check_grads():
    npr.seed(0)
    y = npr.randn(10)
    grad_of_example = grad(example_func)
    z = y**2
    softmax = onp.exp(z) / onp.exp(z).sum()
    onp.testing.assert_allclose(grad_of_example(y), 2 * y * softmax, rtol=1e-13)
    check_grads(example_func, modes=["rev"])(npr.randn(10))


def test_seed_003_logsumexp_with_autograd_core_primitive_and_defgrad():
    @core_primitive
    def logsumexp(x):
        """Numerically stable log(sum(exp(x)))"""
        max_x = np.max(x)
        return max_x + np.log(np.sum(np.exp(x - max_x)))

    logsumexp.defgrad(make_grad_logsumexp)

    def example_func(y):
        z = y**2
        lse = logsumexp(z)
        return np.sum(lse)

    grad_of_example = grad(example_func)
    npr.seed(2)
    y = npr.randn(4)
    z = y**2
    onp.testing.assert_allclose(grad_of_example(y), 2 * y * onp.exp(z) / onp.exp(z).sum())


def test_seed_001_linear_regression():
    npr.seed(0)
    N = 100
    x = np.linspace(0, 10, N)
    t = 4 * x + 10 + npr.normal(0, 2, x.shape)
    w = npr.normal(0, 1)
    b = npr.normal(0, 1)
    params = {"w": w, "b": b}

    def cost(params):
        y = params["w"] * x + params["b"]
        return (1 / N) * np.sum(0.5 * np.square(y - t))

    num_epochs = 1000
    alpha = 0.01
    for _i in range(num_epochs):
        cost_params = grad(cost)(params)
        params["w"] = params["w"] - alpha * cost_params["w"]
        params["b"] = params["b"] - alpha * cost_params["b"]
        residual = w * x + b - t  # the same descent by hand
        w, b = w - alpha * onp.mean(residual * x), b - alpha * onp.mean(residual)

    onp.testing.assert_allclose([params["w"], params["b"]], [w, b], rtol=1e-10)
    w_ls, b_ls = onp.polyfit(x, t, 1)
    assert abs(params["w"] - w_ls) < 0.2 and abs(params["b"] - b_ls) < 1.0


def test_seed_001_polynomial_feature_regression():
    npr.seed(0)
    N = 100
    x = np.linspace(-3, 3, N)
    t = x**4 - 10 * x**2 + 10 * x + npr.normal(0, 4, x.shape)
    M = 4
    feature_matrix = np.array([[item**i for i in range(M + 1)] for item in x])
    W = npr.randn(feature_matrix.shape[-1])

    def cost(W):
        y = np.dot(feature_matrix, W)
        return (1.0 / N) * np.sum(0.5 * np.square(y - t))

    cost_grad = grad(cost)
    onp.testing.assert_allclose(
        cost_grad(W), feature_matrix.T @ (feature_matrix @ W - t) / N, rtol=1e-12
    )
    initial = cost(W)
    learning_rate = 0.001
    for _i in range(2000):  # the tutorial runs 10000 epochs
        W = W - learning_rate * cost_grad(W)
    assert cost(W) < initial / 20


def tutorial_sgd(grad, init_params, callback=None, num_iters=200, step_size=0.1, mass=0.9):
    """Seed 001's sgd, over autograd's flatten."""
    x, unflatten = flatten(init_params)
    velocity = np.zeros(len(x))
    for i in range(num_iters):
        g, _ = flatten(grad(unflatten(x), i))
        if callback:
            callback(unflatten(x), i, unflatten(g))
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return unflatten(x)


def test_seed_001_neural_net_regression_with_the_tutorials_sgd_and_misc_optimizers():
    npr.seed(0)
    x = np.linspace(-5, 5, 1000)
    t = x**3 - 20 * x + 10 + npr.normal(0, 4, x.shape)
    inputs = x.reshape(x.shape[-1], 1)
    W1 = npr.randn(1, 4)
    b1 = npr.randn(4)
    W2 = npr.randn(4, 4)
    b2 = npr.randn(4)
    W3 = npr.randn(4, 1)
    b3 = npr.randn(1)
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "W3": W3, "b3": b3}
    nonlinearity = np.tanh

    def predict(params, inputs):
        h1 = nonlinearity(np.dot(inputs, params["W1"]) + params["b1"])
        h2 = nonlinearity(np.dot(h1, params["W2"]) + params["b2"])
        output = np.dot(h2, params["W3"]) + params["b3"]
        return output

    def loss(params, i):
        output = predict(params, inputs)
        return (1.0 / inputs.shape[0]) * np.sum(
            0.5 * np.square(output.reshape(output.shape[0]) - t)
        )

    optimized_params = tutorial_sgd(grad(loss), params, step_size=0.01, num_iters=300)
    library = sgd(grad(loss), params, step_size=0.01, num_iters=300)
    for name in params:
        onp.testing.assert_allclose(library[name], optimized_params[name], rtol=1e-9, atol=1e-12)
    assert loss(optimized_params, 0) < loss(params, 0) / 4


# --- seed 002: numeric vs symbolic vs automatic differentiation ----------------


def test_seed_002_classifier_gradient_matches_numerical_gradient():
    npr.seed(0)
    x = npr.rand(2, 1000) * 2 - 1
    y_true = onp.where(x > 0, 1.0, -1.0)
    p = npr.normal(size=(2, 2)) * 0.1

    def classifier_cost(parameters):
        return np.sum((1.0 / (1.0 + np.exp(-(parameters @ x))) - y_true) ** 2)

    numerical = onp.zeros_like(p)
    for index in onp.ndindex(p.shape):
        step = onp.zeros_like(p)
        step[index] = 1e-6
        numerical[index] = (classifier_cost(p + step) - classifier_cost(p - step)) / 2e-6
    onp.testing.assert_allclose(grad(classifier_cost)(p), numerical, rtol=1e-6)


def test_seed_002_grad_has_no_truncation_error():
    def f(p):
        return p**2 + np.sqrt(p + 3)

    assert grad(f)(3.5) == pytest.approx(2 * 3.5 + 0.5 / onp.sqrt(3.5 + 3), rel=1e-15)


@pytest.mark.parametrize("n", [1, 3, 8])
def test_seed_002_repeated_logistic_layers(n):
    def repeated_layers(x):
        current_layer = x
        for _ in range(n):
            current_layer = 4 * current_layer * (1 - current_layer)
        return current_layer

    x, expected = 0.3, 1.0
    for _ in range(n):
        expected *= 4 * (1 - 2 * x)
        x = 4 * x * (1 - x)
    assert grad(repeated_layers)(0.3) == pytest.approx(expected, rel=1e-12)


# --- seed 004: autograd in practice -------------------------------------------


def f1(x):
    return np.log(x[0]) + x[0] * x[1] - np.sin(x[1])


def central_difference(x, func, h=1e-5):
    n = x.shape[0]
    gr = np.zeros(n)
    for i in range(n):
        delta = np.zeros(n)
        delta[i] += h
        xb, xf = x - delta, x + delta
        gr[i] = (func(xf) - func(xb)) / (2 * h)
    return gr


def test_seed_004_basics_and_finite_differences():
    grad_f = autograd.grad(f1, 0)
    x = np.array([1.0, 2.0])
    assert_printed(grad_f(x), [3.0, 1.41614684], 8)
    x = np.array([4.0, 3.0])
    assert_printed(central_difference(x, func=f1), [3.25, 4.9899925], 7)
    assert_printed(grad_f(x), [3.25, 4.9899925], 7)
    x = np.array([4, 3.0])  # an integer literal in a float array
    assert_printed(grad_f(x), [3.25, 4.9899925], 7)


def test_seed_004_integer_array_is_a_clear_type_error():
    grad_f = autograd.grad(f1, 0)
    with pytest.raises(TypeError, match=re.escape("argument 0 has dtype int64")):
        grad_f(np.array([4, 3]))


def test_seed_004_array_assignment_and_list_comprehension():
    def f2(x):
        n = A.shape[0]
        vals = np.zeros(n)
        for i in range(n):
            vals[i] = A[i, :] @ x.reshape(-1, 1)  # ***
        return np.sum(vals)

    A = np.array([[1, 2], [3, 4]])
    x = np.array([1.0, 2.0])
    # the cell's plain f2(x) stores a (1,)-array into an element, which NumPy 2
    # refuses outside any transform (test_seeds.py checks the value the same way)
    value, _ = autograd.value_and_grad(f2, 0)(x)
    assert f"f2(x): {value:.2f}" == "f2(x): 16.00"
    gradf2 = autograd.grad(f2, 0)
    onp.testing.assert_array_equal(gradf2(x), [4.0, 6.0])

    def f3(x):
        vals = [A[i, :] @ x.reshape(-1, 1) for i in range(A.shape[0])]
        return np.sum(vals)

    npr.seed(0)
    A = npr.randn(100, 2)
    gradf3 = autograd.grad(f3, 0)
    onp.testing.assert_allclose(gradf3(x), central_difference(x, func=f3), rtol=1e-8)
    f3aux = autograd.value_and_grad(f3, 0)
    val, grad_ = f3aux(x)
    onp.testing.assert_allclose(val, onp.sum(A @ x), rtol=1e-12)
    onp.testing.assert_allclose(grad_, A.sum(axis=0), rtol=1e-12)


def f(A, x, y):
    return x.T @ A @ x + np.sin(y).T @ x


A_QF = np.array([[1.0, 2.0], [2.0, 1.0]])
X_QF = np.array([[1.0, 2.0]]).T
Y_QF = np.array([[1.0, 1.0]]).T


def test_seed_004_something_a_bit_more_complicated():
    A, x, y = A_QF, X_QF, Y_QF
    val = f(A, x, y)
    assert_printed(val, [[15.52441295]], 8)
    g_A = autograd.grad(f, 0)
    g_x = autograd.grad(f, 1)
    g_y = autograd.grad(f, 2)
    assert_printed(g_A(A, x, y), [[1.0, 2.0], [2.0, 4.0]], 8)
    assert_printed(g_x(A, x, y), [[10.84147098], [8.84147098]], 8)
    assert_printed(g_y(A, x, y), [[0.54030231], [1.08060461]], 8)


def test_seed_004_exercise_3_all_gradients_in_one_pass():
    A, x, y = A_QF, X_QF, Y_QF

    def vec(v):
        return np.reshape(v, (-1, 1), order="F")

    def vecinv(v, shape):
        return np.reshape(v, shape, order="F")

    def pack(collection):
        return np.vstack([vec(item) for item in collection])

    shapes = {"A": A.shape, "x": x.shape, "y": y.shape}
    assert str(shapes) == "{'A': (2, 2), 'x': (2, 1), 'y': (2, 1)}"
    onp.testing.assert_array_equal(pack([A, x, y]).ravel(), [1, 2, 2, 1, 1, 2, 1, 1])

    def unpack(v):
        sizes = onp.cumsum([0] + [int(onp.prod(s)) for s in shapes.values()])
        return [vecinv(v[a:b], s) for a, b, s in zip(sizes[:-1], sizes[1:], shapes.values())]

    g = autograd.grad(lambda v: f(*unpack(v)))(pack([A, x, y]))
    assert_printed(g.ravel(), [1, 2, 2, 4, 10.84147098, 8.84147098, 0.54030231, 1.08060461], 8)
    # and autograd's multigrad, as a list argnum
    g_A, g_x, g_y = autograd.grad(f, [0, 1, 2])(A, x, y)
    onp.testing.assert_allclose(pack([g_A, g_x, g_y]), g, rtol=1e-14)


def test_seed_004_hessians_and_hessian_vector_products():
    def f3(x):
        vals = [A[i, :] @ np.sin(x.reshape(-1, 1)) for i in range(A.shape[0])]
        return np.sum(vals)

    d = 50000
    A = np.random.rand(10, d)
    np.random.seed(123)
    x = 2 * np.ones(d)
    r = np.random.rand(d)
    hvp = autograd.hessian_vector_product(f3, argnum=0)
    onp.testing.assert_allclose(hvp(x, r), -onp.sin(x) * A.sum(axis=0) * r, rtol=1e-12)

    d = 30
    A = np.random.rand(10, d)
    x, r = 2 * np.ones(d), np.random.rand(d)
    hvp_naive = lambda x, r: autograd.hessian(f3)(x) @ r  # noqa: E731
    onp.testing.assert_allclose(hvp_naive(x, r), hvp(x, r), rtol=1e-12)


def test_seed_004_exercise_2_jacobian():
    def f(x):
        return np.stack([x[0], x[0] * x[1]])

    onp.testing.assert_array_equal(
        autograd.jacobian(f)(np.array([3.0, -2.0])), [[1.0, 0.0], [-2.0, 3.0]]
    )


@primitive
def probit(x):
    return scipy.special.ndtri(x)


defvjp(probit, lambda ans, x: lambda r: r / np.exp(-(ans**2) / 2) * np.sqrt(2 * np.pi))


def test_seed_004_exercise_6_probit_primitive():
    x = np.array([0.05, 0.3, 0.5, 0.9])
    onp.testing.assert_allclose(
        autograd.elementwise_grad(probit)(x),
        1 / scipy.stats.norm.pdf(scipy.stats.norm.ppf(x)),
        rtol=1e-13,
    )
    check_grads(probit, modes=["rev"], order=2)(x)


# --- each public name's conventions --------------------------------------------


def g3(x, y, z):
    return np.sum(np.sin(x) * y**2) + z


X, Y, Z = np.array([0.1, 0.2]), np.array([1.0, 3.0]), 0.5


def test_argnum_int_list_and_tuple():
    gx = np.cos(X) * Y**2
    gy = 2 * np.sin(X) * Y
    onp.testing.assert_allclose(grad(g3, 1)(X, Y, Z), gy)
    for argnum in ([0, 1], (0, 1)):
        got = grad(g3, argnum)(X, Y, Z)
        assert isinstance(got, tuple) and len(got) == 2
        onp.testing.assert_allclose(got[0], gx)
        onp.testing.assert_allclose(got[1], gy)
        value, (vx, vy) = autograd.value_and_grad(g3, argnum)(X, Y, Z)
        assert value == pytest.approx(g3(X, Y, Z))
        onp.testing.assert_allclose(vx, gx)
        ex, ey = autograd.elementwise_grad(lambda x, y: np.sin(x) * y, argnum)(X, Y)
        onp.testing.assert_allclose(ex, np.cos(X) * Y)
        onp.testing.assert_allclose(ey, np.sin(X))
        jx, jy = autograd.jacobian(lambda x, y: x * y, argnum)(X, Y)
        onp.testing.assert_allclose(jy, onp.diag(X))
    with pytest.raises(TypeError, match="argnum must be an int or a list or tuple of ints"):
        grad(g3, "x")


def test_keyword_arguments_pass_through_undifferentiated():
    def fk(x, scale=1.0):
        return np.sum(x**2) * scale

    onp.testing.assert_allclose(grad(fk)(X, scale=3.0), 6 * X)


def test_make_vjp_returns_vjp_then_value():
    vjp, ans = autograd.make_vjp(lambda x: x**2)(X)
    onp.testing.assert_allclose(ans, X**2)
    onp.testing.assert_allclose(vjp(np.ones(2)), 2 * X)
    vjp, ans = autograd.make_vjp(lambda x, y: x * y, [0, 1])(X, Y)
    gx, gy = vjp(np.ones(2))
    onp.testing.assert_allclose(gx, Y)
    onp.testing.assert_allclose(gy, X)


def test_make_jvp_gives_value_and_tangent_and_deriv_the_tangent_of_ones():
    ans, t = autograd.make_jvp(np.sin)(X)(np.array([1.0, 2.0]))
    onp.testing.assert_allclose(ans, np.sin(X))
    onp.testing.assert_allclose(t, np.cos(X) * [1.0, 2.0])
    onp.testing.assert_allclose(autograd.deriv(np.sin)(X), np.cos(X))
    onp.testing.assert_allclose(autograd.deriv(lambda x, y: x * y, 1)(X, Y), X)


def test_make_hvp_returns_hvp_then_gradient():
    cube = lambda x: np.sum(x**3)  # noqa: E731
    hvp, g = autograd.make_hvp(cube)(X)
    onp.testing.assert_allclose(g, 3 * X**2)
    onp.testing.assert_allclose(hvp(np.array([1.0, 0.0])), [6 * X[0], 0.0])
    onp.testing.assert_allclose(hvp(np.array([0.0, 1.0])), [0.0, 6 * X[1]])


def test_hessian_and_tensor_products():
    onp.testing.assert_allclose(autograd.hessian(g3, 1)(X, Y, Z), onp.diag(2 * np.sin(X)))
    v = np.array([1.0, -1.0])
    onp.testing.assert_allclose(
        autograd.hessian_tensor_product(g3, 1)(X, Y, Z, v), 2 * np.sin(X) * v
    )
    assert autograd.hessian_vector_product is autograd.hessian_tensor_product
    # a tensor shaped like the output: one VJP; a shorter one: leading axes only
    fm = lambda x: np.outer(x, x)  # noqa: E731
    J = autograd.jacobian(fm)(X)
    T = np.array([[1.0, 2.0], [3.0, 4.0]])
    onp.testing.assert_allclose(
        autograd.tensor_jacobian_product(fm)(X, T), onp.tensordot(T, J, 2), rtol=1e-14
    )
    onp.testing.assert_allclose(
        autograd.vector_jacobian_product(fm)(X, v), onp.tensordot(v, J, 1), rtol=1e-14
    )


def test_make_ggnvp_is_jt_h_j_v():
    W = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]])
    fl = lambda x: np.tanh(W @ x)  # noqa: E731
    v = np.array([0.3, -0.7])
    J = autograd.jacobian(fl)(X)
    onp.testing.assert_allclose(autograd.make_ggnvp(fl)(X)(v), J.T @ J @ v, rtol=1e-12)
    gl = lambda y: np.sum(np.exp(y))  # noqa: E731
    H = onp.diag(onp.exp(fl(X)))
    onp.testing.assert_allclose(autograd.make_ggnvp(fl, gl)(X)(v), J.T @ H @ J @ v, rtol=1e-12)


def test_grad_and_aux_returns_gradient_then_aux():
    g, aux = autograd.grad_and_aux(lambda x: (np.sum(x**2), {"norm": np.sum(x)}))(X)
    onp.testing.assert_allclose(g, 2 * X)
    assert aux == {"norm": pytest.approx(0.3)}


def test_complex_functions_follow_autograd():
    z = 1.0 + 2.0j
    assert autograd.holomorphic_grad(lambda z: z**2)(z) == pytest.approx(2 * z)
    # grad of a complex function is the derivative of its real part
    assert grad(lambda z: z**2)(z) == pytest.approx(2 * z)
    value, g = autograd.value_and_grad(lambda z: z**3)(z)
    assert value == pytest.approx(z**3) and g == pytest.approx(3 * z**2)
    # a real loss of a complex parameter: du/dx - i du/dy
    assert grad(lambda z: np.abs(z) ** 2)(z) == pytest.approx(2 * onp.conj(z))
    with pytest.warns(UserWarning, match="not complex"):
        assert autograd.holomorphic_grad(lambda x: x**2)(3.0) == pytest.approx(6.0)


def test_multigrad_dict_and_grad_named():
    def fn(a, b, *rest, c=2.0, **extra):
        return a * b * c + sum(rest) + extra["d"] ** 2

    grads = autograd.multigrad_dict(fn)(1.0, 3.0, 5.0, d=4.0)
    assert list(grads) == ["a", "b", "rest", "c", "extra"]
    assert grads["a"] == 6.0 and grads["b"] == 2.0 and grads["c"] == 3.0
    assert grads["rest"] == (1.0,) and grads["extra"] == {"d": 8.0}
    assert autograd.grad_named(fn, "b")(1.0, 3.0, d=4.0) == 2.0


def test_checkpoint_gives_the_same_gradient():
    layer = autograd.checkpoint(lambda x: np.tanh(np.sin(x) * 2.0))
    plain = lambda x: np.tanh(np.sin(x) * 2.0)  # noqa: E731
    onp.testing.assert_allclose(
        grad(lambda x: np.sum(layer(layer(x))))(X), grad(lambda x: np.sum(plain(plain(x))))(X)
    )


def test_defjvp_gives_forward_mode():
    @primitive
    def double(x):
        return 2.0 * x

    defjvp(double, lambda g, ans, x: 2.0 * g)
    assert autograd.deriv(double)(1.5) == 2.0
    assert grad(double)(1.5) == 2.0  # reverse mode transposes the JVP


def test_check_grads_catches_a_wrong_gradient_and_takes_argnum():
    @primitive
    def wrong_sin(x):
        return onp.sin(x)

    defvjp(wrong_sin, lambda ans, x: lambda g: g * np.cos(x) * 1.01)
    with pytest.raises(AssertionError):
        check_grads(wrong_sin, modes=["rev"], order=1)(0.3)
    check_grads(g3, argnum=[0, 1])(X, Y, Z)
    check_grads(g3, 1, ["fwd"], 3)(X, Y, Z)
    with pytest.raises(AssertionError):
        check_grads(lambda x, y: wrong_sin(x) * y, argnum=0, modes=["rev"])(0.3, 2.0)
    with pytest.raises(ValueError, match="modes"):
        check_grads(np.sin, modes=["backward"])


def test_combo_check_runs_every_combination():
    calls = []

    def fsum(x, axis=None):
        calls.append(axis)
        return np.sum(x**2, axis=axis)

    combo_check(fsum, [0], modes=["rev"], order=1)([np.ones((2, 3))], axis=[None, 0, 1])
    assert {None, 0, 1} <= set(calls)


def test_misc_optimizers_have_autograds_signatures_and_defaults():
    loss = lambda p, i: np.sum((p["w"] - 3.0) ** 2)  # noqa: E731
    seen = []
    out = adam(grad(loss), {"w": np.zeros(2)}, callback=lambda p, i, g: seen.append(i))
    assert seen == list(range(100))  # num_iters=100 by default
    onp.testing.assert_allclose(out["w"], 0.1, atol=1e-3)  # step_size=0.001: 100 steps of 1e-3
    out = rmsprop(grad(loss), {"w": np.zeros(2)}, None, 100, 0.1, 0.9, 1e-8)
    assert onp.all(onp.abs(out["w"] - 3.0) < 0.5)


def test_misc_flatten_func_and_unflatten_optimizer():
    from fntrans.compat.autograd.misc.flatten import flatten_func
    from fntrans.compat.autograd.misc.optimizers import unflatten_optimizer

    flat_f, unflatten, x0 = flatten_func(lambda p, s: {"y": p["w"] * s}, {"w": np.ones(2)})
    onp.testing.assert_array_equal(flat_f(x0, 3.0), [3.0, 3.0])

    @unflatten_optimizer
    def descend(grad, x, callback=None, num_iters=50, step_size=0.1):
        for i in range(num_iters):
            g = grad(x, i)
            if callback:
                callback(x, i, g)
            x = x - step_size * g
        return x

    seen = []
    out = descend(lambda p, i: {"w": 2 * p["w"]}, {"w": np.ones(2)}, lambda p, i, g: seen.append(p))
    assert set(seen[0]) == {"w"} and len(seen) == 50
    onp.testing.assert_allclose(out["w"], 0.8**50)


def test_numpy_scipy_and_builtins_namespaces():
    import numpy.random

    import fntrans.compat.autograd.scipy.stats.norm as norm_module
    from fntrans.compat.autograd.scipy import special, stats

    npr.seed(3)
    a = npr.randn(2)
    numpy.random.seed(3)
    onp.testing.assert_array_equal(a, numpy.random.randn(2))
    assert np.random.randn is numpy.random.randn
    assert np.linalg.inv is __import__("fntrans.numpy.linalg").numpy.linalg.inv
    assert np.errstate is onp.errstate  # NumPy's own where fntrans.numpy has no such name
    assert stats.norm is norm_module
    assert grad(lambda mu: norm_module.logpdf(1.0, mu, 2.0))(0.0) == pytest.approx(0.25)
    assert grad(special.gammaln)(3.0) == pytest.approx(scipy.special.digamma(3.0))
    assert autograd.tuple is tuple and autograd.dict is dict


def test_every_public_name_of_autograd_exists():
    real = pytest.importorskip("autograd")
    import types

    names = {n for n in dir(real) if not n.startswith("_")}
    names -= {n for n in names if isinstance(getattr(real, n), types.ModuleType)}
    missing = sorted(n for n in names if not hasattr(autograd, n))
    assert not missing


def test_operators_agree_with_autograd():
    real = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    from autograd.misc import flatten as real_flatten

    def h(x, y):
        return np.sum(np.tanh(x) * y**3)

    def h_real(x, y):
        return anp.sum(anp.tanh(x) * y**3)

    pairs = [
        (autograd.grad(h, [0, 1]), real.grad(h_real, [0, 1])),
        (autograd.elementwise_grad(h, 1), real.elementwise_grad(h_real, 1)),
        (autograd.jacobian(h, 0), real.jacobian(h_real, 0)),
        (autograd.hessian(h, 1), real.hessian(h_real, 1)),
        (lambda *a: autograd.make_hvp(h)(*a)[1], lambda *a: real.make_hvp(h_real)(*a)[1]),
        (lambda *a: autograd.make_hvp(h)(*a)[0](Y), lambda *a: real.make_hvp(h_real)(*a)[0](Y)),
        (
            lambda *a: autograd.make_vjp(h, 1)(*a)[0](2.0),
            lambda *a: real.make_vjp(h_real, 1)(*a)[0](2.0),
        ),
        (lambda *a: autograd.make_jvp(h)(*a)(Y), lambda *a: real.make_jvp(h_real)(*a)(Y)),
        (autograd.deriv(h, 1), real.deriv(h_real, 1)),
        (
            lambda *a: autograd.hessian_tensor_product(h)(*a, Y),
            lambda *a: real.hessian_tensor_product(h_real)(*a, Y),
        ),
    ]
    for mine, theirs in pairs:
        got, want = mine(X, Y), theirs(X, Y)
        assert type(got) is type(want) or onp.ndim(got) == onp.ndim(want)
        for a, b in zip(*(real_flatten(v)[0] for v in (got, want))):
            assert a == pytest.approx(b, rel=1e-12)

    from autograd.misc.optimizers import adam as real_adam

    loss = lambda p, i: np.sum((p["w"] - 3.0) ** 2 * p["v"])  # noqa: E731
    loss_real = lambda p, i: anp.sum((p["w"] - 3.0) ** 2 * p["v"])  # noqa: E731
    start = {"w": np.array([0.5, -1.0]), "v": np.array(2.0)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = real_adam(real.grad(loss_real), start, step_size=0.1, num_iters=20)
    got = adam(grad(loss), start, step_size=0.1, num_iters=20)
    for k in start:
        onp.testing.assert_allclose(got[k], want[k], rtol=1e-12)
