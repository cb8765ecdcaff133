"""Regression tests for results that used to be wrong without an error."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp


def test_grad_of_squared_modulus_at_complex_zero_is_zero():
    # JAX's convention: d|z| at 0 is 0 (as sign(0) = 0 for real x), so no 0 / 0
    assert ft.grad(lambda z: abs(z) ** 2)(0j) == 0
    assert ft.grad(lambda z: abs(z) ** 2)(3 + 4j) == 6 - 8j
    tangent = ft.jvp(lambda z: fnp.abs(z), (np.complex128(0),), (np.complex128(1 + 1j),))[1]
    assert tangent == 0


@pytest.mark.parametrize("jacobian, name", [(ft.jacfwd, "jacfwd"), (ft.hessian, "hessian")])
def test_jacobian_of_complex_inputs_needs_holomorphic(jacobian, name):
    msg = (
        f"{name} requires real inputs unless holomorphic=True, but an input has dtype "
        "complex128. For the complex derivative of a holomorphic function pass "
        "holomorphic=True;"
    )
    with pytest.raises(TypeError, match=re.escape(msg)):
        jacobian(lambda z: fnp.real(z * fnp.conj(z)))(np.array([1 + 1j]))


def test_jacrev_of_complex_outputs_needs_holomorphic():
    msg = (
        "jacrev requires real outputs unless holomorphic=True, but an output has dtype complex128."
    )
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.jacrev(lambda x: x * 1j)(np.ones(2))
    # real outputs of complex inputs are fine, in JAX's convention
    np.testing.assert_allclose(ft.jacrev(lambda z: fnp.abs(z) ** 2)(np.array([3 + 4j])), [[6 - 8j]])
    # and holomorphic functions with holomorphic=True
    np.testing.assert_allclose(ft.jacfwd(lambda z: z**2, holomorphic=True)(np.array([1j])), [[2j]])


def test_numpy_scalars_are_not_weakly_typed():
    # NumPy promotes float32 * np.float64 to float64 (NEP 50): so does the IR
    x32 = np.ones(2, np.float32)
    ir = ft.make_jaxpr(lambda a: a * np.float64(2))(x32)
    assert ir.outvars[0].aval.dtype == np.float64
    assert ir(x32)[0].dtype == np.float64
    assert ft.make_jaxpr(lambda a: a * 2.0)(x32).outvars[0].aval.dtype == np.float32


@pytest.mark.parametrize("indices", [[-1], [3, 1], [2, -2], [0, 5, 9], [-9]])
def test_array_split_reads_indices_as_slices_do(indices):
    x = np.arange(5.0)
    pieces = fnp.array_split(x, indices)
    assert [p.tolist() for p in pieces] == [p.tolist() for p in np.array_split(x, indices)]
    weights = [float(i + 1) for i in range(len(pieces))]
    g = ft.grad(lambda x: sum(w * fnp.sum(p) for w, p in zip(weights, fnp.split(x, indices))))(x)
    expected = sum(
        w * np.isin(np.arange(5), np.arange(5)[s]) for w, s in zip(weights, _slices(indices))
    )
    np.testing.assert_allclose(g, expected)


def _slices(indices):
    bounds = [0, *indices, None]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]


@pytest.mark.parametrize(
    "op, expected",
    [
        (lambda k: k & 6, [2, 4, 6]),
        (lambda k: k | 8, [11, 13, 14]),
        (lambda k: k ^ 1, [2, 4, 7]),
        (lambda k: ~k, [-4, -6, -7]),
        (lambda k: k << 1, [6, 10, 12]),
        (lambda k: k >> 1, [1, 2, 3]),
        (lambda k: k // 2, [1, 2, 3]),
        (lambda k: k % 4, [3, 1, 2]),
        (lambda k: fnp.round(k), [3, 5, 6]),
    ],
    ids=["and", "or", "xor", "invert", "lshift", "rshift", "floordiv", "mod", "round"],
)
def test_integer_operators_on_traced_integers_are_integer_operators(op, expected):
    k = np.array([3, 5, 6])
    out = ft.vmap(op)(k)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, expected)
    assert ft.make_jaxpr(op)(k).outvars[0].aval.dtype == np.int64


def test_integer_floor_division_is_exact_above_two_to_the_53():
    big = np.array([2**60 + 1])
    np.testing.assert_array_equal(ft.vmap(lambda k: k // 1)(big), big)
    np.testing.assert_array_equal(ft.vmap(fnp.round)(big), big)


def test_integer_division_of_a_traced_index_indexes():
    x = np.arange(8.0).reshape(2, 4)
    np.testing.assert_array_equal(ft.vmap(lambda row, i: row[i // 2])(x, np.array([3, 5])), [1, 6])


def test_floor_division_of_floats_rounds_as_numpy_does():
    assert fnp.floor_divide(1.0, 0.1) == np.floor_divide(1.0, 0.1) == 9.0
    x = np.array([1.0, 2.5])
    np.testing.assert_array_equal(ft.vmap(lambda x: x // 0.1)(x), x // 0.1)
    np.testing.assert_array_equal(ft.grad(lambda x: fnp.sum(x // 0.1 * x))(x), x // 0.1)


def test_full_of_a_traced_value_takes_the_dtype_asked_for():
    def f(x):
        filled = fnp.full((2,), x, dtype=np.float32)
        assert filled.dtype == np.float32
        filled[0] = 2.0 * x  # still assignable
        return fnp.sum(filled)

    assert ft.grad(f)(np.float64(1.5)) == 3.0
    assert (
        ft.make_jaxpr(lambda x: fnp.full(3, x, dtype=np.float32))(1.0).outvars[0].aval.dtype
        == np.float32
    )


def _custom_vjp_returning(bwd):
    @ft.custom_vjp
    def f(a):
        return fnp.sum(a)

    f.defvjp(lambda a: (fnp.sum(a), None), bwd)
    return f


@pytest.mark.parametrize(
    "bwd, shape",
    [(lambda r, g: (g,), ()), (lambda r, g: (fnp.ones(2) * g,), (2,))],
    ids=["scalar", "wrong-length"],
)
def test_custom_vjp_bwd_of_the_wrong_shape_raises(bwd, shape):
    msg = f"custom_vjp bwd of f: the cotangent of argument 0: expected shape (3,), but got shape {shape}."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.grad(_custom_vjp_returning(bwd))(np.ones(3))
    assert (
        ft.grad(_custom_vjp_returning(lambda r, g: (fnp.ones(3) * g,)))(np.ones(3)).tolist()
        == [1.0] * 3
    )


def test_custom_vjp_bwd_of_a_complex_cotangent_for_a_real_input_raises():
    msg = "custom_vjp bwd of f: the cotangent of argument 0: expected dtype float64, but got dtype complex128."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(_custom_vjp_returning(lambda r, g: (fnp.ones(3) * (1 + 1j),)))(np.ones(3))


def test_custom_jvp_rule_of_the_wrong_shape_raises():
    @ft.custom_jvp
    def f(x):
        return x * 2.0

    f.defjvp(lambda primals, tangents: (f(primals[0]), fnp.sum(tangents[0])))
    msg = "custom_jvp rule of f: the output tangent: expected shape (3,), but got shape ()."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.jvp(f, (np.ones(3),), (np.ones(3),))
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.grad(lambda x: fnp.sum(f(x)))(np.ones(3))


def test_extend_rules_of_the_wrong_shape_raise():
    from fntrans.extend import defjvp, defvjp, primitive

    @primitive
    def double(x):
        return 2.0 * x

    defvjp(double, lambda ans, x: lambda g: np.sum(g))
    msg = "the defvjp rule of double (argument 0): expected shape (3,), but got shape ()."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.grad(lambda x: fnp.sum(double(x)))(np.ones(3))

    @primitive
    def triple(x):
        return 3.0 * x

    defjvp(triple, lambda g, ans, x: np.sum(g))
    msg = "the defjvp rule of triple (argument 0): expected shape (3,), but got shape ()."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.jvp(triple, (np.ones(3),), (np.ones(3),))


def test_complex_cotangent_for_a_real_output_raises():
    _, vjp_fn = ft.vjp(fnp.sin, np.ones(2))
    msg = "vjp_fn: the cotangent: expected dtype float64, but got dtype complex128."
    with pytest.raises(TypeError, match=re.escape(msg)):
        vjp_fn(np.ones(2) * 1j)
    msg = "jvp: tangent 0: expected dtype float64, but got dtype complex128."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.jvp(fnp.sin, (np.ones(2),), (np.ones(2) * 1j,))
    assert vjp_fn(np.ones(2, np.float32))[0].dtype == np.float64  # another precision is cast


def _write_and_weigh(v, i):
    b = fnp.zeros(3)
    b[i] = v
    return fnp.sum(b * np.array([1.0, 10.0, 100.0]))


def test_vmap_of_grad_through_repeated_per_example_indices_credits_the_last_write():
    V, I = np.ones((2, 2)), np.array([[0, 0], [1, 2]])
    batched = ft.vmap(ft.grad(_write_and_weigh))(V, I)
    np.testing.assert_array_equal(batched, [[0.0, 1.0], [10.0, 100.0]])
    np.testing.assert_array_equal(batched, [ft.grad(_write_and_weigh)(v, i) for v, i in zip(V, I)])


def test_grad_through_a_data_dependent_repeated_index_under_vmap():
    def f(x):
        b = fnp.at(fnp.zeros(3))[fnp.argmax(x) * np.array([1, 1])].set(x[:2])
        return fnp.sum(b * np.array([1.0, 10.0, 100.0]))

    X = np.array([[1.0, 3.0, 2.0], [5.0, 1.0, 0.0]])
    np.testing.assert_array_equal(ft.vmap(ft.grad(f))(X), [ft.grad(f)(x) for x in X])
    np.testing.assert_array_equal(ft.vmap(ft.grad(f))(X), [[0, 10, 0], [0, 1, 0]])


@pytest.mark.parametrize("method", ["multiply", "divide", "power", "min", "max"])
def test_vmap_of_grad_of_combining_updates_at_per_example_repeated_indices(method):
    def f(x, v, i):
        return fnp.sum(getattr(x.at[i], method)(v) * np.array([1.0, 10.0, 100.0]))

    X = np.array([[1.5, 2.0, 0.5], [0.7, 1.2, 2.5]])
    V = np.array([[2.0, 3.0, 0.5], [1.5, 0.4, 2.0]])
    index = np.array([[0, 0, 2], [1, 2, 2]])
    batched = ft.vmap(ft.grad(f, argnums=(0, 1)))(X, V, index)
    looped = [ft.grad(f, argnums=(0, 1))(x, v, i) for x, v, i in zip(X, V, index)]
    for got, expected in zip(batched, zip(*looped)):
        np.testing.assert_allclose(got, np.stack(expected))


def test_vmap_of_checkpoint_and_custom_rules_closing_over_batched_values():
    x, ks = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(ft.vmap(lambda a, k: ft.checkpoint(lambda b: b**k)(a))(x, ks), x**ks)

    @ft.custom_jvp
    def scaled(a):
        return fnp.sin(a)

    scaled.defjvp(lambda p, t: (scaled(p[0]), fnp.cos(p[0]) * t[0]))
    np.testing.assert_allclose(ft.vmap(lambda a, k: scaled(a * k))(x, ks), np.sin(x * ks))
    np.testing.assert_allclose(
        ft.vmap(lambda a, k: ft.grad(lambda a: scaled(a * k))(a))(x, ks), np.cos(x * ks) * ks
    )


def _sin_whose_fwd_calls_itself():
    @ft.custom_vjp
    def f(x):
        return fnp.sin(x)

    f.defvjp(lambda x: (f(x), x), lambda x, g: (g * fnp.cos(x),))  # JAX's documented pattern
    return f


def test_custom_vjp_whose_fwd_calls_the_function_under_vmap_and_second_order():
    f = _sin_whose_fwd_calls_itself()
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(ft.vmap(f)(x), np.sin(x))
    np.testing.assert_allclose(ft.hessian(lambda x: fnp.sum(f(x)))(x), np.diag(-np.sin(x)))
    np.testing.assert_allclose(ft.hvp(lambda x: fnp.sum(f(x)), (x,), (np.ones(3),))[0], -np.sin(x))
    np.testing.assert_allclose(ft.vmap(ft.grad(lambda a: fnp.sum(f(a))))(x), np.cos(x))
    with pytest.raises(TypeError, match="jvp cannot be applied directly to f"):
        ft.jvp(f, (x,), (x,))


def _two_layers(W, x, checkpointed):
    layer = ft.checkpoint(lambda h: fnp.tanh(W @ h)) if checkpointed else lambda h: fnp.tanh(W @ h)
    return fnp.sum(layer(layer(x)))


def test_checkpoint_of_a_layer_closing_over_the_weights_being_differentiated():
    rng = np.random.default_rng(0)
    W, x = rng.standard_normal((3, 3)) * 0.5, rng.standard_normal(3)
    for transform in (ft.grad, ft.hessian, lambda f: ft.jacfwd(ft.grad(f))):
        np.testing.assert_allclose(
            transform(_two_layers)(W, x, True), transform(_two_layers)(W, x, False)
        )
    Ws = np.stack([W, 2 * W])
    per_example = ft.vmap(ft.grad(_two_layers), in_axes=(0, None, None))
    np.testing.assert_allclose(per_example(Ws, x, True), per_example(Ws, x, False))


def test_checkpoint_takes_keywords_and_non_array_arguments():
    def scaled(x, mode, *, power=2.0):
        return fnp.sum(x**power) if mode == "sum" else fnp.max(x**power)

    layer = ft.checkpoint(scaled)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(ft.grad(lambda x: layer(x, "sum", power=3.0))(x), 3 * x**2)
    np.testing.assert_allclose(ft.grad(lambda x: layer(x, "max"))(x), [0.0, 4.0])


def test_custom_rules_closing_over_a_differentiated_value_raise_a_clear_error():
    def with_vjp(x0, x1):
        @ft.custom_vjp
        def scaled(p):
            return x0 * p

        scaled.defvjp(lambda p: (scaled(p), p), lambda p, g: (g * 2.0,))
        return fnp.sum(scaled(x1))

    def with_jvp(x0, x1):
        @ft.custom_jvp
        def scaled(p):
            return x0 * p

        scaled.defjvp(lambda primals, tangents: (scaled(primals[0]), x0 * tangents[0]))
        return fnp.sum(scaled(x1))

    msg = "scaled, a function with a custom derivative rule, uses a value that grad traces"
    ones = np.ones(2)
    for f in (with_vjp, with_jvp):
        with pytest.raises(TypeError, match=re.escape(msg)):
            ft.grad(f, argnums=(0, 1))(ones, ones)
        # the rule applies where the closed-over value is not differentiated
        ft.grad(f, argnums=1)(ones, ones)
    with pytest.raises(TypeError, match="scaled, a function with a custom derivative rule"):
        ft.jvp(with_jvp, (ones, ones), (ones, ones))


def test_a_value_batched_under_another_transform_says_it_is_batched():
    # not "static_argnums", which vmap does not have
    f = lambda x: fnp.interp(x, np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 4.0]))  # noqa: E731
    with pytest.raises(
        ft.ConcretizationError, match="interp was applied to a value batched by vmap"
    ):
        ft.vmap(ft.grad(f))(np.array([0.5, 1.5]))


def test_a_custom_vjp_function_that_makes_and_fills_an_array_under_vmap_of_grad():
    def fill(p):
        out = fnp.copy(p)
        out[0:1] = p[1]
        return out

    f = ft.custom_vjp(fill)
    f.defvjp(lambda p: (fill(p), p), lambda p, ct: ft.vjp(fill, p)[1](ct))
    x = np.arange(6.0).reshape(2, 3) + 1
    g = ft.vmap(ft.grad(lambda x: fnp.sum(f(x) * np.array([1.0, 10.0, 100.0]))))(x)
    np.testing.assert_array_equal(g, [[0.0, 11.0, 100.0]] * 2)


def test_checkpoint_of_a_function_that_copies_and_fills_a_closed_over_value():
    def body(x, checkpointed):
        def layer(p):
            filled = fnp.copy(x)  # x is closed over, and differentiated
            filled[np.array([2, 0])] = x[np.array([0, 1])]
            return filled * fnp.sum(p)

        return (ft.checkpoint(layer) if checkpointed else layer)(x[np.array([3, 0])])

    x, w = np.arange(4.0) + 1, np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(
        ft.grad(lambda x: fnp.sum(body(x, True) * w))(x),
        ft.grad(lambda x: fnp.sum(body(x, False) * w))(x),
    )


@pytest.mark.parametrize(
    "body",
    [lambda x, p: x * 2.0, lambda x, p: fnp.sin(x), lambda x, p: fnp.sum(x) + 0.0 * p],
    ids=["scaled", "sin", "sum"],
)
def test_checkpoint_of_a_function_using_only_closed_over_values(body):
    x = np.array([1.0, 2.0])
    expected = ft.grad(lambda x: fnp.sum(body(x, x)))(x)
    got = ft.grad(lambda x: fnp.sum(ft.checkpoint(lambda p: body(x, p))(x)))(x)
    np.testing.assert_allclose(got, expected)  # it was 0: the closure was a constant


def test_vjp_through_a_checkpoint_using_only_closed_over_values_returns_an_array():
    x = np.array([1.0, 2.0])
    out, vjp_fn = ft.vjp(lambda x: ft.checkpoint(lambda p: fnp.sum(x * x))(x), x)
    assert type(out) is np.float64 and out == 5.0
    np.testing.assert_allclose(vjp_fn(1.0)[0], 2 * x)


def test_nested_checkpoints_closing_over_a_differentiated_value():
    def f(x0, x1, checkpointed):
        wrap = ft.checkpoint if checkpointed else (lambda g: g)

        def outer(p, q):
            return wrap(lambda r: x1[1] * 2.0 + 0.0 * r)(q)

        return fnp.sum(wrap(outer)(x0, x0 * 1.0))

    x0, x1 = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    got = ft.grad(f, argnums=(0, 1))(x0, x1, True)
    expected = ft.grad(f, argnums=(0, 1))(x0, x1, False)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e)


def test_a_bwd_that_closes_over_a_differentiated_value_says_so():
    def f(x):
        @ft.custom_vjp
        def scaled(p):
            return p * 2.0

        # bwd uses x, a value the enclosing vjp differentiates, by closure
        scaled.defvjp(lambda p: (scaled(p), None), lambda res, g: (g * fnp.sum(x),))
        return scaled(x)

    x = np.array([1.0, 2.0])
    _, vjp_fn = ft.vjp(f, x)
    with pytest.raises(ft.UnexpectedTracerError, match="was used in vjp's own backward pass"):
        vjp_fn(np.ones(2))


def test_vmap_of_grad_of_an_assignment_whose_index_is_batched_along_axis_1():
    X = np.array([[0.3, 0.1, 0.5, 0.2], [0.9, 0.4, 0.8, 0.7], [0.6, 0.2, 0.1, 0.3]])
    index = np.argsort(X, -1)
    w = np.array([1.0, 10.0, 100.0, 1000.0])

    def g(x, i):
        y = fnp.copy(x)
        y[i] = x
        return fnp.sum(y * w)

    along_0 = ft.vmap(ft.grad(g), in_axes=(0, 0))(X, index)
    along_1 = ft.vmap(ft.grad(g), in_axes=(0, 1))(X, index.T)
    np.testing.assert_allclose(along_1, along_0)


def test_a_jacobian_with_respect_to_one_argument_twice_is_a_clear_error():
    msg = "jacrev: argnums (or argnames) names one argument twice"
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.jacrev(lambda x, y: x * y, argnums=(0, 0))(np.ones(2), np.ones(2))
    assert ft.grad(lambda x, y: fnp.sum(x * y), argnums=(0, 0))(1.0, 2.0) == (2.0, 2.0)


def test_indexing_with_a_scalar_false_says_what_to_write():
    with pytest.raises(NotImplementedError, match=re.escape("use x[None][:0]")):
        ft.grad(lambda x: fnp.sum(x[False]))(np.ones(2))
    np.testing.assert_array_equal(ft.grad(lambda x: fnp.sum(x[True]))(np.ones(2)), [1.0, 1.0])
