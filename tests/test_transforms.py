"""grad, value_and_grad, vjp, jvp, linearize, make_jaxpr, stop_gradient."""

from __future__ import annotations

import collections
import threading
import weakref

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.interpreters.reverse import Tape


def f_scalar(x):
    return fnp.tanh(x) * fnp.sin(x) + fnp.exp(-(x**2))


# ---- higher order ----


def test_grad_four_times_matches_forward_over_forward():
    d4 = ft.grad(ft.grad(ft.grad(ft.grad(f_scalar))))

    # the same derivative by nesting jvp, an independent route
    def d(f):
        return lambda x: ft.jvp(f, (x,), (1.0,))[1]

    expected = d(d(d(d(f_scalar))))(0.7)
    np.testing.assert_allclose(d4(0.7), expected, rtol=1e-12)


def test_fourth_derivative_of_sine_is_sine():
    d4 = ft.grad(ft.grad(ft.grad(ft.grad(fnp.sin))))
    np.testing.assert_allclose(d4(0.3), np.sin(0.3), rtol=1e-14)


def test_perturbation_confusion_is_avoided():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x
    def f(x):
        return x * ft.grad(lambda y: x * y)(3.0)

    assert ft.grad(f)(2.0) == 4.0


INNER_FORWARD = {
    "jvp": lambda g, p: ft.jvp(g, (p,), (np.ones_like(p),))[1],
    "linearize": lambda g, p: ft.linearize(g, p)[1](np.ones_like(p)),
    "jacfwd": lambda g, p: ft.jacfwd(g)(p),
    "jvp of a checkpoint": lambda g, p: ft.jvp(ft.checkpoint(g), (p,), (np.ones_like(p),))[1],
}


@pytest.mark.parametrize("inner", INNER_FORWARD)
def test_inner_forward_mode_of_a_copy_of_an_outer_value_is_zero(inner):
    # the copy is a constant of the inner trace: its tangent is an array of zeros
    # (it was None, the inner trace's symbolic zero, handed to the user)
    p = np.array([0.7, 0.2])
    seen = []

    def outer(w):
        out = INNER_FORWARD[inner](lambda q: fnp.sin(w).astype(np.float64), p)
        seen.append(out)
        return fnp.sum(fnp.sin(w))

    ft.jvp(outer, (np.ones(3),), (np.ones(3),))
    ft.grad(outer)(np.ones(3))
    for out in seen:
        assert isinstance(out, np.ndarray) and not np.any(out)


def test_forward_over_reverse_and_reverse_over_forward_agree():
    def hvp_fwd_rev(x, v):
        return ft.jvp(ft.grad(lambda x: fnp.sum(fnp.sin(x) ** 2)), (x,), (v,))[1]

    def hvp_rev_fwd(x, v):
        return ft.grad(lambda x: ft.jvp(lambda x: fnp.sum(fnp.sin(x) ** 2), (x,), (v,))[1])(x)

    x, v = np.array([0.1, 0.5, 0.9]), np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(hvp_fwd_rev(x, v), hvp_rev_fwd(x, v), rtol=1e-13)
    np.testing.assert_allclose(hvp_fwd_rev(x, v), 2 * np.cos(2 * x) * v, rtol=1e-13)


# ---- argnums, argnames, has_aux, pytrees ----


@pytest.fixture
def calls(monkeypatch):
    """Counts calls of the differentiated function (tests add to "f") and backward passes."""
    counts = {"f": 0, "backward": 0}
    backward = Tape.backward

    def counting_backward(self, *args, **kwargs):
        counts["backward"] += 1
        return backward(self, *args, **kwargs)

    monkeypatch.setattr(Tape, "backward", counting_backward)
    return counts


def test_argnums_tuple_is_one_forward_and_one_backward_pass(calls):
    def f(a, b, c):
        calls["f"] += 1
        return fnp.sum(a * b * c)

    ga, gb, gc = ft.grad(f, argnums=(0, 1, 2))(1.0, 2.0, 3.0)
    assert (ga, gb, gc) == (6.0, 3.0, 2.0)
    assert calls == {"f": 1, "backward": 1}


def test_value_and_grad_is_one_forward_and_one_backward_pass(calls):
    def f(x):
        calls["f"] += 1
        return fnp.sum(x**2)

    value, g = ft.value_and_grad(f)(np.array([1.0, 2.0]))
    assert value == 5.0
    np.testing.assert_array_equal(g, [2.0, 4.0])
    assert calls == {"f": 1, "backward": 1}


def test_negative_argnums():
    assert ft.grad(lambda a, b: a * b**2, argnums=-1)(3.0, 2.0) == 12.0


def test_argnames_by_position_or_keyword():
    def f(x, scale, shift=0.0):
        return fnp.sum(scale * x**2 + shift)

    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(ft.grad(f, argnames="x")(x, 3.0), 6 * x)
    np.testing.assert_array_equal(ft.grad(f, argnames="x")(x=x, scale=3.0), 6 * x)
    g_scale, g_shift = ft.grad(f, argnames=("scale", "shift"))(x, 3.0, shift=1.0)
    assert g_scale == 5.0 and g_shift == 2.0


def test_has_aux_returns_aux_untraced():
    def f(x):
        y = fnp.sin(x)
        return fnp.sum(y), {"y": y, "label": "ok"}

    g, aux = ft.grad(f, has_aux=True)(np.array([0.0, 1.0]))
    np.testing.assert_allclose(g, np.cos([0.0, 1.0]))
    assert type(aux["y"]) is np.ndarray and aux["label"] == "ok"
    (value, aux2), g2 = ft.value_and_grad(f, has_aux=True)(np.array([0.0, 1.0]))
    np.testing.assert_allclose(value, np.sin(1.0))
    np.testing.assert_allclose(g2, g)


Point = collections.namedtuple("Point", ["x", "y"])


def test_gradient_has_the_pytree_structure_of_the_argument():
    params = {
        "w": [np.ones(2), (np.float32(2.0), None)],
        "p": Point(x=np.array([1.0]), y=3.0),
    }

    def loss(params):
        w0, (w1, _) = params["w"]
        return fnp.sum(w0 * w1) + params["p"].x[0] * params["p"].y

    g = ft.grad(loss)(params)
    assert isinstance(g["p"], Point) and g["w"][1][1] is None
    np.testing.assert_array_equal(g["w"][0], [2.0, 2.0])
    assert g["w"][1][0] == 2.0 and g["w"][1][0].dtype == np.float32
    assert g["p"].y == 1.0 and type(g["p"].y) is np.float64
    np.testing.assert_array_equal(g["p"].x, [3.0])


def test_one_by_one_output_is_accepted():
    A = np.array([[1.0, 2.0], [2.0, 1.0]])
    g = ft.grad(lambda x: x.T @ A @ x)(np.array([[1.0], [2.0]]))
    np.testing.assert_allclose(g, 2 * A @ np.array([[1.0], [2.0]]))


def test_gradient_keeps_input_shape_and_dtype():
    for x in (np.ones((2, 3), np.float32), np.ones((), np.float64), np.ones(4, np.complex64)):
        g = ft.grad(lambda x: fnp.real(fnp.sum(x * x)))(x)
        assert g.dtype == x.dtype and g.shape == x.shape


def test_python_float_gets_numpy_float64():
    g = ft.grad(lambda x: x * 2.0)(1.0)
    assert type(g) is np.float64 and g == 2.0


def test_unused_input_gets_zeros():
    g = ft.grad(lambda x, y: fnp.sum(x), argnums=(0, 1))(np.ones(2), np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(g[1], np.zeros((2, 2)))
    assert g[1].dtype == np.float32
    assert ft.grad(lambda x: 3.0)(1.0) == 0.0


def test_non_differentiated_arguments_pass_through_untouched():
    def f(x, n, name, table):
        assert type(n) is int and name == "a" and isinstance(table, dict)
        return x * n

    assert ft.grad(f)(2.0, 3, "a", {"k": 1}) == 3.0


def test_integer_results_are_plain_arrays_and_control_flow_works():
    def f(x):
        i = fnp.argmax(x)
        assert type(i) is np.intp or isinstance(i, np.integer)
        if x[i] > 0:  # Python control flow on values
            total = 0.0
            k = 0
            while k < int(i) + 1:
                total = total + x[k] ** 2
                k += 1
            return total
        return fnp.sum(x)

    np.testing.assert_array_equal(ft.grad(f)(np.array([1.0, 3.0, 2.0])), [2.0, 6.0, 0.0])


def test_recursion_and_closures():
    def power(x, n):
        return 1.0 if n == 0 else x * power(x, n - 1)

    scale = 3.0
    assert ft.grad(lambda x: scale * power(x, 4))(2.0) == 3.0 * 4 * 8


def test_residuals_are_released_after_grad():
    kept = []

    def f(x):
        y = fnp.sin(x)
        kept.append(weakref.ref(y.primal))
        return fnp.sum(y * y)

    ft.grad(f)(np.ones(1000))
    assert kept[0]() is None


def test_grad_frees_the_tape_as_it_walks_back():
    with ft.core.new_interpreter(Tape()) as tape:
        x = tape.new_input(np.ones(3))
        y = fnp.sum(fnp.sin(x) * x)
    tape.backward([y.node], [np.float64(1.0)], keep=False)
    assert all(eqn is None for eqn in tape.eqns)


# ---- vjp, jvp, linearize ----


def test_vjp_fn_can_be_called_many_times():
    out, vjp_fn = ft.vjp(lambda x, y: x * fnp.sin(y), np.array([1.0, 2.0]), np.array([0.5, 0.1]))
    np.testing.assert_allclose(out, [np.sin(0.5), 2 * np.sin(0.1)])
    for scale in (1.0, 2.0, 3.0):
        gx, gy = vjp_fn(scale * np.ones(2))
        np.testing.assert_allclose(gx, scale * np.sin([0.5, 0.1]))
        np.testing.assert_allclose(gy, scale * np.array([1.0, 2.0]) * np.cos([0.5, 0.1]))


def test_vjp_of_pytree_output():
    out, vjp_fn = ft.vjp(lambda x: {"a": x * 2, "b": (x**2,)}, np.array([1.0, 3.0]))
    (g,) = vjp_fn({"a": np.ones(2), "b": (np.array([1.0, 0.0]),)})
    np.testing.assert_array_equal(g, [4.0, 2.0])


def test_vjp_has_aux():
    out, vjp_fn, aux = ft.vjp(lambda x: (x * 2, x + 1), 1.0, has_aux=True)
    assert out == 2.0 and aux == 2.0 and vjp_fn(1.0) == (2.0,)


def test_jvp_of_pytrees_and_zero_tangent_outputs():
    def f(p):
        return {"y": p["a"] * p["b"], "const": np.ones(2)}

    primals = ({"a": 2.0, "b": np.array([1.0, 3.0])},)
    tangents = ({"a": 1.0, "b": np.zeros(2)},)
    out, out_dot = ft.jvp(f, primals, tangents)
    np.testing.assert_array_equal(out_dot["y"], [1.0, 3.0])
    np.testing.assert_array_equal(out_dot["const"], [0.0, 0.0])


def test_linearize_keeps_the_linear_map_as_ir():
    calls = []

    def f(x):
        calls.append(1)
        return fnp.sin(x) * x

    x = np.array([0.3, 1.2])
    out, f_jvp = ft.linearize(f, x)
    np.testing.assert_allclose(out, np.sin(x) * x)
    for v in (np.ones(2), np.array([2.0, -1.0])):
        np.testing.assert_allclose(f_jvp(v), (np.cos(x) * x + np.sin(x)) * v, rtol=1e-14)
    assert len(calls) == 1
    assert "cos" not in str(f_jvp.ir)  # only the linear part is left; cos(x) is a constant


def test_reverse_mode_from_a_jvp_rule_alone():
    from fntrans.core.primitive import Primitive
    from fntrans.primitives.elementwise import ufunc_shape

    cube_p = Primitive(
        "cube",
        impl=lambda xp, x: x**3,
        shape=ufunc_shape(np.square),
        jvp=lambda primals, tangents: (cube_p.bind(primals[0]), 3 * primals[0] ** 2 * tangents[0]),
    )
    np.testing.assert_allclose(
        ft.grad(lambda x: fnp.sum(cube_p.bind(x)))(np.array([1.0, 2.0])), [3.0, 12.0]
    )
    # and second order, through the linearized rule
    np.testing.assert_allclose(ft.grad(ft.grad(lambda x: cube_p.bind(x)))(2.0), 12.0)


# ---- make_jaxpr, stop_gradient ----


def test_make_jaxpr_prints_a_readable_program():
    ir = ft.make_jaxpr(lambda x, y: fnp.sum(fnp.sin(x) * y, axis=0))(np.ones((2, 3)), 2.0)
    assert str(ir) == (
        "{ lambda ; x:f64[2,3] y:f64[]. let\n"
        "    a:f64[2,3] = sin x\n"
        "    b:f64[2,3] = mul a y\n"
        "    c:f64[3] = reduce_sum[axes=(0,)] b\n"
        "  in (c,) }"
    )
    np.testing.assert_allclose(ir(np.ones((2, 3)), 2.0)[0], 4 * np.sin(1.0) * np.ones(3))


def test_make_jaxpr_keeps_weak_types_of_python_scalars():
    ir = ft.make_jaxpr(lambda x: x * 2.0)(np.ones(2, np.float32))
    assert ir.eqns[0].outvars[0].aval.dtype == np.float32


def test_make_jaxpr_of_grad_stages_the_backward_pass():
    ir = ft.make_jaxpr(ft.grad(lambda x: fnp.sum(fnp.tanh(x))))(np.ones(3))
    names = [e.prim.name for e in ir.eqns]
    assert names[:2] == ["tanh", "reduce_sum"] and "mul" in names


def test_stop_gradient_blocks_every_mode():
    f = lambda x: x * ft.stop_gradient(x)  # noqa: E731
    assert ft.grad(f)(3.0) == 3.0
    assert ft.jvp(f, (3.0,), (1.0,))[1] == 3.0
    assert ft.grad(ft.grad(lambda x: ft.stop_gradient(x**2) * x))(3.0) == 0.0
    tree = ft.stop_gradient({"a": np.ones(2), "n": 3})
    assert tree["n"] == 3


# ---- complex numbers ----


def test_complex_gradient_follows_jax_convention():
    assert ft.grad(lambda z: abs(z) ** 2)(3 + 4j) == 6 - 8j
    np.testing.assert_allclose(ft.grad(lambda z: abs(z))(3 + 4j), (3 - 4j) / 5)


def test_holomorphic_grad_is_the_complex_derivative():
    z = 0.3 + 0.4j
    np.testing.assert_allclose(ft.grad(fnp.sin, holomorphic=True)(z), np.cos(z))


# ---- threads ----


def test_transforms_run_concurrently_in_threads():
    results, errors = {}, []

    def work(k):
        try:
            for _ in range(20):
                results[k] = ft.grad(lambda x: fnp.sum(fnp.sin(x * k)))(np.ones(3))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for k in range(1, 5):
        np.testing.assert_allclose(results[k], k * np.cos(k * np.ones(3)))
