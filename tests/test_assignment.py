"""Array assignment on traced arrays: x[idx] = v, x += v, views, and .at[]."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.test_util import check_grads

RNG = np.random.default_rng(0)
A = RNG.standard_normal((100, 2))


def test_assignment_loop_of_the_tutorials():
    def f2(x):
        vals = fnp.zeros(A.shape[0])
        for i in range(A.shape[0]):
            vals[i] = A[i, :] @ x.reshape(-1, 1)  # a (1,) value fills one element
        return fnp.sum(vals)

    x = np.array([1.0, 2.0])
    value, g = ft.value_and_grad(f2)(x)
    np.testing.assert_allclose(value, np.sum(A @ x), rtol=1e-12)
    np.testing.assert_allclose(g, A.sum(0), rtol=1e-12)
    np.testing.assert_allclose(ft.jvp(f2, (x,), (np.ones(2),))[1], A.sum(), rtol=1e-12)


@pytest.mark.parametrize(
    "index",
    [
        1,
        -1,
        slice(1, 3),
        (slice(None), 0),
        np.array([0, 2]),
        np.array([2, 0, 2]),
        np.array([True, False, True]),
        (Ellipsis, None),
    ],
    ids=["int", "negative", "slice", "column", "array", "repeated", "mask", "ellipsis-newaxis"],
)
def test_set_matches_numpy_and_finite_differences(index):
    x = np.arange(1.0, 7.0).reshape(3, 2)
    x = x[:, 0] if not isinstance(index, tuple) or index[0] is Ellipsis else x

    def f(x, v):
        y = x * 1.0
        y[index] = v
        return y * fnp.arange(1.0, y.size + 1).reshape(y.shape)

    v = np.float64(7.5)
    expected = x.copy()
    expected[index] = v
    np.testing.assert_allclose(f(x, v), expected * np.arange(1.0, x.size + 1).reshape(x.shape))
    check_grads(f, (x, v), order=2)


def test_repeated_indices_set_keeps_the_last_and_add_accumulates():
    x = np.zeros(3)
    idx = np.array([0, 2, 0])
    v = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(fnp.at(x)[idx].set(v), [3.0, 0.0, 2.0])
    np.testing.assert_array_equal(fnp.at(x)[idx].add(v), [4.0, 0.0, 2.0])
    g_set = ft.grad(lambda v: fnp.sum(fnp.at(x)[idx].set(v) * np.array([1.0, 10.0, 100.0])))(v)
    np.testing.assert_array_equal(g_set, [0.0, 100.0, 1.0])
    g_add = ft.grad(lambda v: fnp.sum(fnp.at(x)[idx].add(v) * np.array([1.0, 10.0, 100.0])))(v)
    np.testing.assert_array_equal(g_add, [1.0, 100.0, 1.0])


@pytest.mark.parametrize(
    "method", ["set", "add", "subtract", "multiply", "divide", "power", "min", "max", "get"]
)
def test_at_methods_match_numpy_and_differentiate(method):
    x = np.array([0.5, 1.5, 2.5, 3.5])
    idx = np.array([3, 1])
    v = np.array([1.2, 0.7])
    numpy_ops = {
        "set": lambda a, b: b,
        "add": np.add,
        "subtract": np.subtract,
        "multiply": np.multiply,
        "divide": np.divide,
        "power": np.power,
        "min": np.minimum,
        "max": np.maximum,
    }
    out = getattr(fnp.at(x)[idx], method)(*(() if method == "get" else (v,)))
    if method == "get":
        np.testing.assert_array_equal(out, x[idx])
    else:
        expected = x.copy()
        expected[idx] = numpy_ops[method](x[idx], v)
        np.testing.assert_allclose(out, expected)
    args = () if method == "get" else (v,)
    check_grads(lambda x, *a: getattr(fnp.at(x)[idx], method)(*a), (x,) + args, order=2)


@pytest.mark.parametrize(
    "update, expected",
    [
        (lambda ref: ref.multiply(np.array([2.0, 3.0])), [6.0, 1.0, 1.0]),
        (lambda ref: ref.divide(np.array([2.0, 4.0])), [0.125, 1.0, 1.0]),
        (lambda ref: ref.power(np.array([2.0, 3.0])), [1.0, 1.0, 1.0]),
        (lambda ref: ref.min(np.array([0.5, -1.0])), [-1.0, 1.0, 1.0]),
        (lambda ref: ref.max(np.array([3.0, 2.0])), [3.0, 1.0, 1.0]),
    ],
    ids=["multiply", "divide", "power", "min", "max"],
)
def test_at_combines_every_update_at_a_repeated_index(update, expected):
    # as JAX: x[0] * 2 * 3, x[0] / (2 * 4), x[0] ** (2 * 3), min and max of all
    index = np.array([0, 0])
    np.testing.assert_array_equal(update(fnp.at(np.ones(3))[index]), expected)
    batched = ft.vmap(lambda x: update(x.at[index]))(np.ones((2, 3)))
    np.testing.assert_array_equal(batched, [expected, expected])


def test_at_on_plain_arrays_never_mutates_them():
    x = np.ones(3)
    y = fnp.at(x)[0].set(5.0)
    assert type(y) is np.ndarray and x[0] == 1.0 and y[0] == 5.0


def test_every_name_sees_the_update():
    def f(x):
        y = x  # same array
        y[0] = 10.0 * x[1]
        return fnp.sum(x)

    np.testing.assert_array_equal(ft.grad(f)(np.array([1.0, 2.0])), [0.0, 11.0])


def test_augmented_assignment_is_in_place():
    def f(x):
        y = x
        y += 1.0
        y *= x
        return fnp.sum(x)

    x = np.array([1.0, 2.0])
    # y = (x + 1) * (x + 1)
    np.testing.assert_allclose(ft.grad(f)(x), 2 * (x + 1))
    assert x.tolist() == [1.0, 2.0]  # the caller's array is untouched


def test_writing_through_a_basic_slice_view_updates_the_base():
    def f(A):
        row = A[0]
        row[1] = row[0] * 3.0
        A[1] *= 2.0
        return fnp.sum(A * A)

    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(ft.grad(f)(X), [[20.0, 0.0], [24.0, 32.0]])
    check_grads(lambda X: f(fnp.copy(X)), (X,), order=2)  # plain NumPy would write into X
    assert X.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_a_view_sees_later_writes_to_its_base():
    def f(A):
        row = A[0]
        A[0, 1] = 5.0 * A[1, 1]
        return row[1]

    np.testing.assert_array_equal(ft.grad(f)(np.ones((2, 2))), [[0.0, 0.0], [0.0, 5.0]])


def test_copies_do_not_write_through():
    def f(A):
        flat = A.reshape(-1)
        flat[0] = 100.0
        t = A.T
        t[0, 0] = 200.0
        return A[0, 0]

    assert ft.grad(f)(np.ones((2, 2)))[0, 0] == 1.0


def test_recorded_values_never_change():
    # the residual of sin(x) is x's value when sin was applied
    def f(x):
        y = x * 1.0
        s = fnp.sin(y)
        y[0] = 0.0
        return fnp.sum(s) + fnp.sum(y)

    x = np.array([0.3, 0.6])
    np.testing.assert_allclose(ft.grad(f)(x), np.cos(x) + [0.0, 1.0])


def test_assignment_under_jvp_vmap_and_make_jaxpr():
    def f(x):
        out = fnp.zeros(2)
        out[0] = fnp.sin(x[0])
        out[1] = x[1] ** 2
        return out

    x = np.array([0.5, 1.5])
    _, t = ft.jvp(f, (x,), (np.ones(2),))
    np.testing.assert_allclose(t, [np.cos(0.5), 3.0])
    batch = np.array([[0.5, 1.5], [1.0, 2.0]])
    np.testing.assert_allclose(ft.vmap(f)(batch), np.stack([f(b) for b in batch]))
    np.testing.assert_allclose(ft.jacfwd(f)(x), ft.jacrev(f)(x))
    assert "scatter" in str(ft.make_jaxpr(f)(x))


def test_masked_assignment_with_a_batched_mask_lowers_to_where():
    def relu(x):
        y = x * 1.0
        y[y < 0] = 0.0
        return y

    X = np.array([[-1.0, 2.0], [3.0, -4.0]])
    np.testing.assert_array_equal(ft.vmap(relu)(X), np.maximum(X, 0))
    np.testing.assert_array_equal(ft.grad(lambda x: fnp.sum(relu(x)))(X[0]), [0.0, 1.0])


def test_assigning_into_an_array_of_an_enclosing_transform_raises():
    def outer(x):
        buf = fnp.zeros(2)

        def inner(y):
            buf[0] = y
            return y

        ft.grad(inner)(1.0)
        return x

    msg = "Cannot assign into an array owned by an enclosing transform (grad) from inside grad"
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(outer)(1.0)
    assert ft.grad(lambda x: x * x)(2.0) == 4.0


def test_assigning_a_derivative_into_an_integer_array_raises():
    def f(x):
        counts = fnp.zeros(2, dtype=int)
        counts[0] = x
        return x

    msg = "Cannot assign a value that carries a derivative into an integer array (dtype int64)"
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(f)(1.0)


def test_in_place_operation_that_changes_kind_raises():
    def f(x):
        n = fnp.zeros(2, dtype=int)
        n += 1.5
        return x

    with pytest.raises(
        TypeError,
        match=re.escape(
            "Cannot cast the result of an in-place operation from dtype float64 to int64"
        ),
    ):
        ft.grad(f)(1.0)


def test_constant_handles_convert_to_python_numbers():
    def f(x):
        buf = fnp.zeros(2)
        assert float(buf[0]) == 0.0  # no derivative: conversion is fine
        buf[0] = x
        return buf[0] * 2.0

    assert ft.grad(f)(3.0) == 2.0


def test_boolean_mask_indexing_needs_a_concrete_mask():
    x = np.array([[1.0, -2.0], [-3.0, 4.0]])
    with pytest.raises(
        ft.ConcretizationError,
        match=re.escape("indexing with a boolean mask was applied to a value batched by vmap"),
    ):
        ft.vmap(lambda row: fnp.sum(row[row > 0]))(x)
    with pytest.raises(
        ft.ConcretizationError,
        match=re.escape("indexing with a boolean mask needs a concrete value"),
    ):
        ft.make_jaxpr(lambda row: fnp.sum(row[row > 0]))(x[0])
    assert ft.grad(lambda row: fnp.sum(row[row > 0]))(x[0]).tolist() == [1.0, 0.0]


def test_a_view_of_a_new_array_writes_through():
    def f(x):
        table = fnp.zeros((2, 3))
        row = table[1]
        row[2] = x**2
        return fnp.sum(table)

    assert ft.grad(f)(3.0) == 6.0
    assert ft.jvp(f, (3.0,), (1.0,))[1] == 6.0
    np.testing.assert_array_equal(ft.vmap(f)(np.array([1.0, 2.0])), [1.0, 4.0])


def _accumulate_then_scale(v):
    b = fnp.zeros(3)
    b[[0, 2]] += v  # an integer-array index
    b[np.array([True, False, True])] *= v  # a boolean mask
    return fnp.sum(b)


def _assign_into_arithmetic_on_zeros(v):
    b = fnp.zeros(3) + 1.0  # still an assignable array of this transform
    b[0] = v
    return fnp.sum(b)


@pytest.mark.parametrize(
    "f, value, derivative",
    [(_accumulate_then_scale, 8.0, 8.0), (_assign_into_arithmetic_on_zeros, 4.0, 1.0)],
)
def test_in_place_updates_of_arrays_made_inside_the_function(f, value, derivative):
    assert f(2.0) == value
    assert ft.grad(f)(2.0) == derivative
    assert ft.jvp(f, (2.0,), (1.0,)) == (value, derivative)
    np.testing.assert_array_equal(ft.vmap(f)(np.array([2.0, 2.0])), [value, value])


def test_a_copy_made_by_array_or_astype_is_a_new_array():
    def f(x):
        by_array = fnp.array(x)
        by_array[0] = 5.0  # NumPy: a copy, so x is unchanged
        by_astype = x.astype(x.dtype)
        by_astype[1] = 7.0
        return x * 1.0

    x = np.ones(3)
    np.testing.assert_array_equal(ft.jvp(f, (x,), (x,))[0], x)
    np.testing.assert_array_equal(ft.vmap(f)(np.ones((2, 3))), np.ones((2, 3)))


def test_vmap_returns_an_array_made_inside_from_unbatched_values():
    def f(fixed, batched):
        made = fnp.copy(fixed)
        made[..., -1] += 1.0
        return made

    out = ft.vmap(f, in_axes=(None, 0))(np.ones(2), np.ones((3, 2)))
    np.testing.assert_array_equal(out, [[1.0, 2.0]] * 3)


def test_an_augmented_assignment_into_one_element_promotes_as_numpys_scalars_do():
    # ``k[0] += 1.5`` reads the scalar k[0], adds (float64), then assigns (cast
    # to int), as NumPy does; transforms raised a same_kind casting error
    def f(x):
        k = fnp.zeros(3, dtype=int)
        k[0] += 1.5
        k[1] += 2.5
        return x * fnp.sum(k)

    assert f(2.0) == 6.0
    assert ft.grad(f)(2.0) == 3.0
    np.testing.assert_array_equal(ft.vmap(f)(np.array([1.0, 2.0])), [3.0, 6.0])
    assert ft.jit(f)(2.0) == 6.0


def test_an_augmented_assignment_into_a_whole_array_keeps_numpys_casting_rule():
    def f(x):
        k = fnp.zeros(3, dtype=int)
        k += x
        return k

    with pytest.raises(TypeError, match="same_kind"):
        ft.jvp(f, (np.ones(3),), (np.ones(3),))


def test_a_float_assigned_into_an_integer_array_is_cast_where_nothing_differentiates_it():
    # vmap and jit trace without differentiating: NumPy's cast, as eagerly; a
    # transform that differentiates the value still refuses to drop its derivative
    def f(x):
        k = fnp.zeros(2, dtype=int)
        k[0] = x
        return fnp.sum(k) * 1.0

    assert f(2.7) == 2.0
    np.testing.assert_array_equal(ft.vmap(f)(np.array([1.5, 2.7])), [1.0, 2.0])
    assert ft.jit(f)(2.7) == 2.0
    for transform in (ft.grad, lambda g: ft.vmap(ft.grad(g))):
        with pytest.raises(TypeError, match="carries a derivative into an integer array"):
            transform(f)(np.array([2.7]) if transform is not ft.grad else 2.7)


def test_an_augmented_assignment_into_a_0d_array_keeps_numpys_casting_rule():
    # only an element read with integers is NumPy's scalar; a 0-d array is not
    def f(x):
        y = fnp.zeros((), dtype=int)
        y += x
        return y * 1.0

    with pytest.raises(TypeError, match="same_kind"):
        ft.grad(f)(1.5)
