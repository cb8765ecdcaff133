"""Tracers behave like arrays."""

from __future__ import annotations

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp


def inspect_under_grad(f, x):
    """Runs ``f`` on the traced ``x`` inside grad and returns what it saw."""
    seen = {}

    def wrapped(x):
        seen["value"] = f(x)
        return fnp.sum(x)

    ft.grad(wrapped)(x)
    return seen["value"]


def test_array_attributes():
    x = np.ones((2, 3), np.float32)
    assert inspect_under_grad(lambda t: (t.shape, t.ndim, t.size, t.dtype, len(t)), x) == (
        (2, 3),
        2,
        6,
        np.float32,
        2,
    )


def test_operators_match_numpy():
    x = np.array([[0.5, 1.5], [2.0, 3.0]])
    y = np.array([1.0, 2.0])
    ops = [
        lambda a: a + y,
        lambda a: y + a,
        lambda a: a - y,
        lambda a: y - a,
        lambda a: a * 2,
        lambda a: 2 * a,
        lambda a: a / y,
        lambda a: y / a,
        lambda a: a**2,
        lambda a: 2.0**a,
        lambda a: a @ y,
        lambda a: a @ a,
        lambda a: -a,
        lambda a: +a,
        lambda a: abs(-a),
        lambda a: a // 1.0,
        lambda a: a.T,
        lambda a: a.reshape(4),
        lambda a: a.reshape(1, 4),
        lambda a: a.sum(),
        lambda a: a.sum(axis=0),
        lambda a: a.mean(axis=1),
        lambda a: a.max(),
        lambda a: a.min(axis=0),
        lambda a: a.dot(y),
        lambda a: a.astype(np.float32),
        lambda a: a[0],
        lambda a: a[:, 1],
        lambda a: a[..., None],
        lambda a: a.transpose(1, 0),
        lambda a: a.ravel(),
        lambda a: a.flatten(),
        lambda a: a.clip(1.0, 2.0),
        lambda a: a.squeeze(),
    ]
    for op in ops:
        # a result without a derivative (x // y) is a plain array
        traced = inspect_under_grad(lambda t, op=op: getattr(op(t), "primal", op(t)), x)
        expected = op(x)
        np.testing.assert_array_equal(traced, expected)
        assert np.asarray(traced).dtype == np.asarray(expected).dtype


def test_comparisons_give_plain_boolean_arrays():
    x = np.array([1.0, -2.0])
    results = inspect_under_grad(lambda t: [t > 0, t >= 0, t < 0, t <= 0, t == 1, t != 1], x)
    for r in results:
        assert type(r) is np.ndarray and r.dtype == np.bool_


def test_iteration_and_len():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    g = ft.grad(lambda x: sum(fnp.sum(row) * i for i, row in enumerate(x)))(x)
    np.testing.assert_array_equal(g, [[0.0, 0.0], [1.0, 1.0]])


def test_repr_shows_the_value():
    text = inspect_under_grad(repr, np.array([1.5, 2.5]))
    assert "grad" in text and "1.5" in text and "2.5" in text


def test_float_of_a_value_with_a_derivative_raises_but_bool_works():
    def f(x):
        if x > 1.0 and bool(x < 5.0):
            return x * 2.0
        return x

    assert ft.grad(f)(2.0) == 2.0
    with pytest.raises(
        TypeError, match=r"float\(\) was called on a value that carries a derivative"
    ):
        ft.grad(lambda x: float(x))(2.0)
    assert ft.grad(lambda x: x * int(fnp.argmax(fnp.array([x, 2 * x]))))(1.0) == 1.0


def test_ndarray_on_the_left_defers_to_the_tracer():
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    g = ft.grad(lambda x: fnp.sum(W @ x) + fnp.sum(W * x) - fnp.sum(W - x))(np.ones(2))
    np.testing.assert_array_equal(g, W.sum(0) + W.sum(0) + 2)


def test_numpy_functions_on_tracers_dispatch_to_fntrans():
    g = ft.grad(lambda x: np.sum(np.sin(x) * np.exp(x)))(np.array([0.1, 0.2]))
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(g, np.cos(x) * np.exp(x) + np.sin(x) * np.exp(x))
    g = ft.grad(lambda x: np.dot(x, x) + np.max(np.concatenate([x, x])))(np.array([1.0, 3.0]))
    np.testing.assert_allclose(g, [2.0, 6.0 + 1.0])


def test_fnp_sum_and_stack_of_lists_of_tracers():
    g = ft.grad(lambda x: fnp.sum([x, 2 * x, fnp.sin(x)]))(0.5)
    np.testing.assert_allclose(g, 3 + np.cos(0.5))
    g = ft.grad(lambda x: fnp.sum(fnp.stack([x, x**2]) * fnp.array([1.0, 1.0])))(3.0)
    assert g == 7.0


def test_fnp_returns_plain_numpy_outside_transforms():
    for value in (
        fnp.sin(np.ones(2)),
        fnp.sum([1.0, 2.0]),
        fnp.array([1.0]),
        fnp.dot(np.ones(2), np.ones(2)),
    ):
        assert isinstance(value, (np.ndarray, np.generic))
