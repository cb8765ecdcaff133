"""How transforms take their arguments: argnums and argnames as lists,
allow_int (integer leaves get float0 zeros, as in JAX), errors naming a
pytree leaf by its path with advice that can be followed for a leaf, and
errors naming the transform the user called."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.api import float0
from fntrans.core.interpreter import current_stack

W = np.array([1.0, 2.0])


def assert_clean():
    assert current_stack() == []
    assert ft.grad(lambda x: x * x)(3.0) == 6.0


def assert_float0_zeros(g, shape):
    assert isinstance(g, np.ndarray) and g.dtype == float0 and g.shape == shape


def two(a, b):
    return fnp.sum(a**2 * b)


# ---- argnums and argnames as lists ----

TRANSFORMS = {
    "grad": ft.grad,
    "value_and_grad": ft.value_and_grad,
    "jacfwd": ft.jacfwd,
    "jacrev": ft.jacrev,
    "hessian": ft.hessian,
    "elementwise_grad": ft.elementwise_grad,
}


def _flat(result):
    return [np.asarray(x) for x in ft.tree.tree_leaves(result)]


@pytest.mark.parametrize("name", TRANSFORMS)
def test_argnums_list_is_read_as_a_tuple(name):
    f = two if name != "elementwise_grad" else (lambda a, b: a**2 * b)
    transform = TRANSFORMS[name]
    by_list = transform(f, argnums=[0, 1])(W, W + 1.0)
    by_tuple = transform(f, argnums=(0, 1))(W, W + 1.0)
    gradients = by_list[1] if name == "value_and_grad" else by_list
    assert isinstance(gradients, tuple) and len(gradients) == 2
    assert ft.tree.tree_structure(by_list) == ft.tree.tree_structure(by_tuple)
    for x, y in zip(_flat(by_list), _flat(by_tuple)):
        np.testing.assert_array_equal(x, y)


def test_argnums_list_of_one_gives_a_tuple_of_one():
    (g,) = ft.grad(two, argnums=[1])(W, W)
    np.testing.assert_array_equal(g, W**2)


def test_argnums_may_be_numpy_integers():
    np.testing.assert_array_equal(ft.grad(two, argnums=np.int64(1))(W, W), W**2)
    g = ft.grad(two, argnums=[np.int64(0), 1])(W, W)
    np.testing.assert_array_equal(g[1], W**2)


@pytest.mark.parametrize("name", ["grad", "jacrev", "hessian"])
def test_argnames_list_is_read_as_a_tuple(name):
    transform = TRANSFORMS[name]
    by_list = transform(two, argnames=["b", "a"])(W, W + 1.0)
    by_tuple = transform(two, argnames=("b", "a"))(W, W + 1.0)
    assert isinstance(by_list, tuple) and len(by_list) == 2
    for x, y in zip(_flat(by_list), _flat(by_tuple)):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("argnames", [3, [], ["a", 0]])
def test_argnames_of_the_wrong_type_raises(argnames):
    msg = f"grad: argnames must be a parameter name or a tuple of them, but got {argnames!r}."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(two, argnames=argnames)


def test_argnums_list_with_an_entry_of_the_wrong_type_raises():
    msg = "grad: argnums must be an int or a tuple of ints, but got [0, '1']."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(two, argnums=[0, "1"])


# ---- allow_int ----


def test_float0_is_jaxs_dtype_and_takes_no_memory():
    assert float0 == np.dtype([("float0", np.void, 0)])
    assert np.zeros((1000, 1000), float0).nbytes == 0


def test_grad_with_allow_int_gives_integer_leaves_float0_zeros():
    def loss(p):
        assert type(p["n_layers"]) is int  # passed through untouched
        out = p["w"]
        for _ in range(p["n_layers"]):
            out = fnp.tanh(out)
        return fnp.sum(out * p["mask"])

    params = {"w": W, "n_layers": 2, "mask": np.array([1, 0]), "on": np.array([True])}
    g = ft.grad(loss, allow_int=True)(params)
    expected = ft.grad(lambda w: loss({**params, "w": w}))(W)  # closing over the rest
    np.testing.assert_allclose(g["w"], expected)
    assert_float0_zeros(g["n_layers"], ())
    assert_float0_zeros(g["mask"], (2,))
    assert_float0_zeros(g["on"], (1,))
    assert_clean()


def test_value_and_grad_with_allow_int_of_a_whole_integer_argument():
    value, (gw, gn) = ft.value_and_grad(lambda w, n: fnp.sum(w) * n, (0, 1), allow_int=True)(W, 3)
    assert value == 9.0
    np.testing.assert_array_equal(gw, [3.0, 3.0])
    assert_float0_zeros(gn, ())


def test_grad_with_allow_int_keeps_has_aux_and_argnames():
    g, aux = ft.grad(
        lambda w, n: (fnp.sum(w) * n, "aux"), has_aux=True, allow_int=True, argnames=["w", "n"]
    )(W, n=np.int32(2))
    np.testing.assert_array_equal(g[0], [2.0, 2.0])
    assert_float0_zeros(g[1], ())
    assert aux == "aux"


def test_vjp_with_allow_int():
    out, vjp_fn = ft.vjp(lambda p: p["w"] * p["n"], {"w": W, "n": np.array([2, 3])}, allow_int=True)
    np.testing.assert_array_equal(out, [2.0, 6.0])
    (ct,) = vjp_fn(np.ones(2))
    np.testing.assert_array_equal(ct["w"], [2.0, 3.0])
    assert_float0_zeros(ct["n"], (2,))


def test_jacrev_with_allow_int_gives_float0_blocks_of_the_jacobians_shape():
    jac = ft.jacrev(lambda p: p["w"] * p["n"], allow_int=True)({"w": W, "n": np.array([2, 3])})
    np.testing.assert_array_equal(jac["w"], np.diag([2.0, 3.0]))
    assert_float0_zeros(jac["n"], (2, 2))
    # only integer inputs: every block is float0
    jac = ft.jacrev(lambda n: n * W, allow_int=True)(3)
    assert_float0_zeros(jac, (2,))
    assert_clean()


def test_float0_gradients_refuse_arithmetic():
    # an update p - lr * g fails at once instead of turning an int setting into a float
    g = ft.grad(lambda p: p["w"] * p["n"], allow_int=True)({"w": 1.0, "n": 3})
    with pytest.raises(TypeError):
        3 - 0.1 * g["n"]


def test_without_allow_int_integer_inputs_still_raise():
    for call in [
        lambda: ft.grad(lambda p: p["w"] * p["n"])({"w": 1.0, "n": 3}),
        lambda: ft.vjp(lambda n: n * 2.0, 3),
        lambda: ft.jacrev(lambda n: n * W)(3),
    ]:
        with pytest.raises(TypeError, match="carries no derivative"):
            call()
    assert_clean()


# ---- dtype errors name the leaf, and advice that works for a leaf ----


def test_integer_leaf_error_names_its_path_and_what_to_do():
    msg = (
        "grad requires real or complex inputs to differentiate, but argument 0['n_layers'] "
        "has dtype int64, which carries no derivative. Convert it with .astype(float) (or "
        "write 1.0 instead of 1) if it is a parameter; if it is not, pass allow_int=True to "
        "give it a zero derivative of dtype float0, or move it out of argument 0 (close over "
        "it, or pass it as an argument of its own that argnums leaves out)."
    )
    loss = lambda p: fnp.sum(p["w"] ** 2)  # noqa: E731
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(loss)({"w": W, "n_layers": 3})
    assert_clean()
    # each piece of advice works
    assert ft.grad(loss, allow_int=True)({"w": W, "n_layers": 3})["w"].tolist() == [2.0, 4.0]
    assert ft.grad(lambda p, n: loss(p))({"w": W}, 3)["w"].tolist() == [2.0, 4.0]
    assert ft.grad(loss)({"w": W, "n_layers": 3.0})["n_layers"] == 0.0


def test_integer_leaf_error_by_argname_names_the_argument():
    with pytest.raises(TypeError) as error:
        ft.value_and_grad(lambda x, p: x * p["n"], argnames="p")(1.0, {"n": [True]})
    message = str(error.value)
    assert message.startswith(
        "value_and_grad requires real or complex inputs to differentiate, but "
        "argument 'p'['n'][0] has dtype bool"
    )
    assert "move it out of argument 'p'" in message and "allow_int=True" in message


def test_integer_leaf_under_a_transform_without_allow_int_gives_the_other_advice():
    with pytest.raises(TypeError) as error:
        ft.jacfwd(lambda p: p["w"] * p["n"])({"w": W, "n": 3})
    message = str(error.value)
    assert "argument 0['n'] has dtype int64" in message
    assert "allow_int" not in message and "move it out of argument 0" in message


@pytest.mark.parametrize(
    "call",
    [
        lambda f: ft.vjp(f, {"w": W, "n": 3}),
        lambda f: ft.linearize(f, {"w": W, "n": 3}),
        lambda f: ft.jvp(f, ({"w": W, "n": 3},), ({"w": W, "n": 3},)),
    ],
    ids=["vjp", "linearize", "jvp"],
)
def test_integer_leaf_of_a_primal_is_named_by_its_path(call):
    with pytest.raises(TypeError) as error:
        call(lambda p: p["w"] * p["n"])
    message = str(error.value)
    assert "primal 0['n'] has dtype int64" in message
    assert "close over it instead of passing it inside primal 0" in message
    assert "argnums" not in message
    assert_clean()


def test_whole_integer_argument_error_mentions_allow_int_where_it_exists():
    with pytest.raises(TypeError) as error:
        ft.grad(lambda x: x * 2.0)(1)
    assert str(error.value).endswith(
        "or leave it out of argnums. With allow_int=True it gets a zero derivative of "
        "dtype float0 instead."
    )
    with pytest.raises(TypeError) as error:
        ft.elementwise_grad(lambda x: x * 2.0)(1)
    assert "allow_int" not in str(error.value)


def test_cotangent_and_tangent_errors_name_the_leaf():
    _, vjp_fn = ft.vjp(lambda p: p, {"a": W, "b": W})
    with pytest.raises(ValueError, match=re.escape("vjp_fn: the cotangent['b']: expected shape")):
        vjp_fn({"a": W, "b": np.ones(3)})
    _, jvp_fn = ft.linearize(lambda x, p: p["b"] * x, 1.0, {"a": W, "b": W})
    with pytest.raises(TypeError, match=re.escape("linearize: tangent 1['b']: expected dtype")):
        jvp_fn(1.0, {"a": W, "b": W * 1j})
    assert_clean()


def test_complex_leaf_of_a_jacobian_is_named_by_its_path():
    with pytest.raises(TypeError, match=re.escape("but argument 0['z'] has dtype complex128")):
        ft.jacfwd(lambda p: fnp.real(p["z"]) * p["x"])({"x": W, "z": W * 1j})
    with pytest.raises(TypeError, match=re.escape("but the output['b'] has dtype complex128")):
        ft.jacrev(lambda x: {"a": x, "b": x * 1j})(W)
    assert_clean()


# ---- hvp checks its arguments like jvp ----


def test_hvp_without_tuples_says_it_wants_tuples():
    msg = (
        "hvp takes primals and tangents as tuples, e.g. hvp(f, (x,), (v,)); got ndarray "
        "and ndarray."
    )
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.hvp(lambda x: fnp.sum(x**3), W, W)
    assert_clean()


# ---- errors name the transform the user called ----


def test_hvp_errors_name_hvp():
    with pytest.raises(TypeError, match=r"^hvp requires f to return one real value"):
        ft.hvp(fnp.sin, (W,), (W,))
    assert_clean()


@pytest.mark.parametrize("name", ["jacfwd", "jacrev"])
def test_jacobian_has_aux_errors_name_the_jacobian(name):
    with pytest.raises(TypeError, match=rf"^{name} with has_aux=True requires f to return a pair"):
        getattr(ft, name)(fnp.sin, has_aux=True)(W)
    assert_clean()


def test_hessian_with_a_list_of_argnums_names_hessian():
    with pytest.raises(TypeError, match=r"^hessian requires real or complex inputs"):
        ft.hessian(two, argnums=[0, 1])(W, np.arange(2))


LEAKS = {
    "jacfwd": lambda f: ft.jacfwd(f)(W),
    "jacrev": lambda f: ft.jacrev(f)(W),
    "hessian": lambda f: ft.hessian(f)(W),
    "hvp": lambda f: ft.hvp(f, (W,), (W,)),
    "elementwise_grad": lambda f: ft.elementwise_grad(f)(W),
}


@pytest.mark.parametrize("name", LEAKS)
def test_leaked_tracer_names_the_transform_the_user_called(name):
    kept = []

    def f(x):
        kept.append(x)
        return fnp.sum(x**3)

    LEAKS[name](f)
    with pytest.raises(ft.UnexpectedTracerError, match=rf"^A value traced by {name} \(applied"):
        fnp.sin(kept[0])
    assert_clean()
