"""fntrans.optimizers: convergence, callbacks, pytree structure and dtypes, known steps."""

import re

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.optimizers import adam, rmsprop, sgd
from fntrans.tree import ravel_pytree, tree_leaves, tree_map, tree_structure

TARGET = {"layer": [np.array([1.0, -2.0]), np.array([[0.5], [3.0]])], "bias": -1.5}


def quadratic(params, i):
    """Squared distance to TARGET, over a nested dict/list pytree."""
    diffs = tree_map(lambda p, t: fnp.sum((p - t) ** 2), params, TARGET)
    return sum(tree_leaves(diffs))


def zeros_like_target():
    return {"layer": [np.zeros(2), np.zeros((2, 1))], "bias": 0.0}


CONVERGING = [
    (sgd, dict(step_size=0.5, num_iters=200)),
    (rmsprop, dict(step_size=0.05, num_iters=300)),
    (adam, dict(step_size=0.1, num_iters=300)),
]


@pytest.mark.parametrize("optimizer, options", CONVERGING, ids=["sgd", "rmsprop", "adam"])
def test_optimizer_minimizes_quadratic_over_nested_pytree(optimizer, options):
    params = optimizer(ft.grad(quadratic), zeros_like_target(), **options)
    assert quadratic(params, 0) < 1e-3
    for p, t in zip(tree_leaves(params), tree_leaves(TARGET)):
        np.testing.assert_allclose(p, t, atol=0.03)


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_callback_gets_params_iteration_and_gradient(optimizer):
    grad_fn = ft.grad(quadratic)
    calls = []

    def callback(params, i, g):
        calls.append(i)
        assert tree_structure(params) == tree_structure(TARGET)
        expected = grad_fn(params, i)
        for leaf, expected_leaf in zip(tree_leaves(g), tree_leaves(expected)):
            np.testing.assert_array_equal(leaf, expected_leaf)

    optimizer(grad_fn, zeros_like_target(), callback=callback, num_iters=4)
    assert calls == [0, 1, 2, 3]


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_grad_fn_gets_the_iteration_number(optimizer):
    seen = []

    def grad_fn(params, i):
        seen.append(i)
        return tree_map(lambda p: p - 1.0, params)

    optimizer(grad_fn, [np.zeros(2)], num_iters=3)
    assert seen == [0, 1, 2]


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_structure_and_dtypes_are_kept(optimizer):
    init = {"w": (np.ones(3, np.float32), [np.ones((2, 2))]), "b": 1.0, "none": None}

    def loss(params, i):
        return fnp.sum(params["w"][0] ** 2) + fnp.sum(params["w"][1][0] ** 2) + params["b"] ** 2

    final = optimizer(ft.grad(loss), init, num_iters=3)
    assert tree_structure(final) == tree_structure(init)
    assert final["w"][0].dtype == np.float32
    assert final["w"][1][0].dtype == np.float64
    assert final["b"].shape == () and final["b"].dtype == np.float64
    assert final["none"] is None


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_float64_gradient_does_not_promote_float32_params(optimizer):
    def grad_fn(params, i):
        return [p.astype(np.float64) for p in params]

    final = optimizer(grad_fn, [np.ones(2, np.float32)], num_iters=2)
    assert final[0].dtype == np.float32


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_init_params_are_not_modified(optimizer):
    init = zeros_like_target()
    copy = tree_map(np.copy, init)
    optimizer(ft.grad(quadratic), init, num_iters=3)
    for leaf, original in zip(tree_leaves(init), tree_leaves(copy)):
        np.testing.assert_array_equal(leaf, original)


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_zero_iterations_return_the_initial_params_as_arrays(optimizer):
    final = optimizer(ft.grad(quadratic), zeros_like_target(), num_iters=0)
    assert isinstance(final["bias"], np.ndarray)
    np.testing.assert_array_equal(ravel_pytree(final)[0], np.zeros(5))


def test_gradient_with_another_structure_raises():
    def grad_fn(params, i):
        return {"w": params["w"]}

    with pytest.raises(ValueError, match=re.escape("grad_fn(params, 0) must return a gradient")):
        sgd(grad_fn, {"w": np.ones(2), "b": np.ones(1)}, num_iters=1)


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_integer_params_raise(optimizer):
    msg = f"{optimizer.__name__} updates params by fractional steps, but init_params has a leaf of dtype int64. Convert it with .astype(float)"
    with pytest.raises(TypeError, match=re.escape(msg)):
        optimizer(lambda p, i: p, {"w": np.ones(2), "n": np.array([1, 2])}, num_iters=1)


# One step from known values: p = [1, -2], g = 2 * (p - 0) = [2, -4].
P0 = np.array([1.0, -2.0])
G0 = 2 * P0


def one_step(optimizer, **options):
    return optimizer(lambda p, i: 2 * p, P0, num_iters=1, **options)


def test_sgd_step_without_momentum_is_p_minus_step_size_times_g():
    np.testing.assert_allclose(one_step(sgd, step_size=0.1, mass=0.0), P0 - 0.1 * G0, rtol=1e-15)


def test_first_sgd_step_with_momentum_is_scaled_by_one_minus_mass():
    np.testing.assert_allclose(one_step(sgd, step_size=0.1, mass=0.9), P0 - 0.1 * 0.1 * G0)


def test_second_sgd_step_carries_the_velocity():
    p1 = P0 - 0.1 * 0.1 * G0
    velocity = 0.9 * (-0.1 * G0) - 0.1 * (2 * p1)
    p2 = sgd(lambda p, i: 2 * p, P0, num_iters=2, step_size=0.1, mass=0.9)
    np.testing.assert_allclose(p2, p1 + 0.1 * velocity)


def test_first_rmsprop_step_divides_by_rms_started_at_one():
    # avg_sq starts at ones (autograd's choice): avg_sq = 0.9 + 0.1 * g**2
    expected = P0 - 0.1 * G0 / (np.sqrt(0.9 + 0.1 * G0**2) + 1e-8)
    np.testing.assert_allclose(one_step(rmsprop, step_size=0.1), expected)


@pytest.mark.parametrize("scale", [1e-4, 1.0, 1e4])
def test_first_adam_step_moves_each_coordinate_by_step_size(scale):
    # bias correction makes m_hat = g and v_hat = g**2, so the step is step_size * sign(g)
    final = adam(lambda p, i: scale * p, P0, num_iters=1, step_size=0.01)
    np.testing.assert_allclose(final - P0, -0.01 * np.sign(P0), rtol=1e-3)


def autograd_adam(grad, x, num_iters, step_size, b1=0.9, b2=0.999, eps=1e-8):
    """autograd.misc.optimizers.adam (HIPS/autograd 1.6), on a flat vector: the reference."""
    m = np.zeros(len(x))
    v = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * (g**2) + b2 * v
        mhat = m / (1 - b1 ** (i + 1))
        vhat = v / (1 - b2 ** (i + 1))
        x = x - step_size * mhat / (np.sqrt(vhat) + eps)
    return x


def test_adam_matches_autograds_flat_vector_adam_over_many_steps():
    def loss(params, i):
        return fnp.sum(fnp.sin(params["a"]) * params["b"][0]) + fnp.sum(params["b"][1] ** 4)

    init = {"a": np.linspace(-1.0, 1.0, 4), "b": [1.5, np.array([0.3, -0.7])]}
    flat, unravel = ravel_pytree(init)
    flat_grad = lambda x, i: ravel_pytree(ft.grad(loss)(unravel(x), i))[0]  # noqa: E731
    expected = autograd_adam(flat_grad, flat, num_iters=20, step_size=0.05)
    final = adam(ft.grad(loss), init, num_iters=20, step_size=0.05)
    np.testing.assert_allclose(ravel_pytree(final)[0], expected, rtol=1e-12)
