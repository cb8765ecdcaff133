"""SPEC.md's error table, row by row: type and message, and no state left behind."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.core.interpreter import current_stack


def assert_next_call_works():
    assert current_stack() == []
    assert ft.grad(lambda x: x * x)(3.0) == 6.0


def test_grad_of_non_scalar_output_raises():
    msg = (
        "grad requires f to return one real value, but it returned an array of shape (3,). "
        "For a non-scalar output use jacrev(f), vjp(f, x) or elementwise_grad(f)."
    )
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(fnp.sin)(np.ones(3))
    assert_next_call_works()


@pytest.mark.parametrize(
    "value,dtype",
    [(1, "int64"), (True, "bool"), (np.arange(3), "int64"), (np.array([True]), "bool")],
)
def test_grad_of_integer_input_raises(value, dtype):
    msg = (
        f"grad requires real or complex inputs to differentiate, but argument 0 has dtype "
        f"{dtype}, which carries no derivative. Convert it with .astype(float)"
    )
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(lambda x: fnp.sum(x * 1.0))(value)
    assert_next_call_works()


def test_integer_input_to_jvp_and_vjp_raises():
    with pytest.raises(TypeError, match=re.escape("jvp requires real or complex inputs")):
        ft.jvp(lambda x: x, (1,), (1,))
    with pytest.raises(TypeError, match=re.escape("vjp requires real or complex inputs")):
        ft.vjp(lambda x: x, np.arange(2))
    assert_next_call_works()


def test_bad_argnums_raise():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "grad: argnums=2 is out of range for a call with 2 positional argument(s); "
            "valid values are -2 to 1."
        ),
    ):
        ft.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(
        TypeError, match=re.escape("grad: argnums must be an int or a tuple of ints, but got '0'.")
    ):
        ft.grad(lambda x: x, argnums="0")
    assert_next_call_works()


def test_bad_argnames_raise():
    with pytest.raises(
        TypeError,
        match=re.escape(
            "grad: argnames 'z' is not a parameter of the function; its parameters are: x, y."
        ),
    ):
        ft.grad(lambda x, y: x * y, argnames="z")
    with pytest.raises(
        TypeError, match=re.escape("grad: give either argnums or argnames, not both.")
    ):
        ft.grad(lambda x, y: x * y, argnums=1, argnames="x")


def test_numpy_function_without_rule_raises():
    msg = "fntrans has no derivative rule for numpy.lib.stride_tricks.sliding_window_view."
    with pytest.raises(NotImplementedError, match=re.escape(msg) + ".*custom_vjp"):
        ft.grad(lambda x: np.lib.stride_tricks.sliding_window_view(x, 2)[0, 0])(np.ones(4))
    assert_next_call_works()


def test_ufunc_method_without_rule_raises():
    with pytest.raises(NotImplementedError, match=re.escape("numpy.add.reduceat")):
        ft.grad(lambda x: np.add.reduceat(x, [0, 1])[-1])(np.ones(3))
    assert_next_call_works()


def test_primitive_without_derivative_rules_raises_under_jvp():
    from fntrans.core.primitive import Primitive
    from fntrans.primitives.elementwise import ufunc_shape

    no_rules_p = Primitive("no_rules", impl=lambda xp, x: xp.sin(x), shape=ufunc_shape(np.sin))
    msg = "fntrans has no forward-mode (JVP) rule for 'no_rules'."
    with pytest.raises(NotImplementedError, match=re.escape(msg)):
        ft.jvp(no_rules_p.bind, (1.0,), (1.0,))
    assert_next_call_works()


def test_primitive_with_only_a_vjp_rule_works_in_forward_mode():
    from fntrans.core.primitive import Primitive
    from fntrans.primitives.elementwise import ufunc_shape

    only_vjp_p = Primitive(
        "only_vjp",
        impl=lambda xp, x: xp.sin(x),
        shape=ufunc_shape(np.sin),
        vjp=lambda ct, ans, x, *, needs: (ct * fnp.cos(x),),
    )
    # forward mode transposes the VJP rule (reverse-over-reverse)
    assert ft.jvp(only_vjp_p.bind, (0.0,), (2.0,)) == (0.0, 2.0)
    assert ft.grad(only_vjp_p.bind)(0.0) == 1.0
    assert ft.hessian(only_vjp_p.bind)(0.5) == -np.sin(0.5)


@pytest.mark.parametrize(
    "f,what",
    [
        (lambda x: np.sum([x, x]), "__array__"),
        (lambda x: np.array([x]).sum(), "__array__"),
        (lambda x: np.ones((2, 2)).dot(x).sum(), "__array__"),
        (lambda x: np.sin(x, out=np.zeros(2)).sum(), "the out= argument of numpy.sin"),
    ],
)
def test_traced_value_reaching_numpy_raises(f, what):
    with pytest.raises(
        TypeError,
        match=re.escape(f"A traced value reached NumPy through {what}") + ".*fnp.sum or fnp.stack",
    ):
        ft.grad(f)(np.ones(2))
    assert_next_call_works()


def test_assigning_into_plain_ndarray_raises():
    def f(x):
        out = np.zeros(2)
        out[:] = x
        return out.sum()

    with pytest.raises(TypeError, match=re.escape("A traced value reached NumPy") + ".*fnp.zeros"):
        ft.grad(f)(np.ones(2))
    assert_next_call_works()


@pytest.mark.parametrize(
    "transform, dtype",
    [("grad", float), ("jvp", float), ("vmap", float), ("vmap", int), ("jit", float)],
)
def test_assigning_a_single_traced_element_into_plain_ndarray_raises(transform, dtype):
    # NumPy converts the one element with __float__ (__int__), then wraps that
    # error in "setting an array element with a sequence": fntrans's comes back
    def f(x):
        out = np.zeros(2, dtype=dtype)
        out[0] = x
        return out.sum()

    x = np.array(1, dtype=dtype)
    run = {
        "grad": lambda: ft.grad(f)(x),
        "jvp": lambda: ft.jvp(f, (x,), (x,)),
        "vmap": lambda: ft.vmap(f)(np.stack([x, x])),
        "jit": lambda: ft.jit(f)(x),
    }[transform]
    with pytest.raises(
        ft.TracerArrayConversionError,
        match="through assignment of one element into a plain ndarray.*fnp.zeros",
    ):
        run()
    assert issubclass(ft.TracerArrayConversionError, TypeError)
    assert_next_call_works()


def test_float_of_a_traced_value_inside_an_assignment_is_not_mistaken_for_one():
    # float(x) runs before the assignment executes: its own message, not NumPy's
    def f(x):
        out = {}
        out["a"] = float(x)
        return x

    with pytest.raises(TypeError, match=re.escape("float() was called on a value")):
        ft.grad(f)(1.0)
    assert_next_call_works()


def test_concretizing_an_abstract_value_raises():
    msg = (
        "bool() needs a concrete value, but got an abstract traced value bool[], "
        "which depends on argument 0."
    )
    with pytest.raises(ft.ConcretizationError, match=re.escape(msg) + ".*static_argnums"):
        ft.make_jaxpr(lambda x: x if x > 0 else -x)(1.0)
    assert issubclass(ft.ConcretizationError, TypeError)
    assert_next_call_works()


def test_leaked_tracer_raises_naming_the_transform():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2.0

    ft.grad(f)(1.0)  # the line the error names
    line = f.__code__.co_firstlineno + 4
    with pytest.raises(
        ft.UnexpectedTracerError,
        match=re.escape(f"A value traced by grad (applied at {__file__}:{line} in ")
        + ".*"
        + re.escape("was used after grad returned"),
    ):
        fnp.sin(leaked[0])
    assert_next_call_works()


def test_cotangent_shape_mismatch_raises():
    _, vjp_fn = ft.vjp(fnp.sin, np.ones(3))
    with pytest.raises(
        ValueError,
        match=re.escape("vjp_fn: the cotangent: expected shape (3,), but got shape (2,)."),
    ):
        vjp_fn(np.ones(2))


def test_tangent_shape_mismatch_raises():
    with pytest.raises(
        ValueError, match=re.escape("jvp: tangent 0: expected shape (3,), but got shape (1,).")
    ):
        ft.jvp(fnp.sin, (np.ones(3),), (np.ones(1),))
    with pytest.raises(TypeError, match=re.escape("jvp takes primals and tangents as tuples")):
        ft.jvp(fnp.sin, np.ones(3), np.ones(3))


def test_complex_output_without_holomorphic_raises():
    with pytest.raises(
        TypeError,
        match=re.escape(
            "grad requires f to return a real value, but it returned dtype complex128. For the complex derivative of a holomorphic function pass holomorphic=True"
        ),
    ):
        ft.grad(lambda z: z * z)(1j)
    with pytest.raises(
        TypeError,
        match=re.escape(
            "grad with holomorphic=True requires complex inputs, but argument 0 has dtype float64."
        ),
    ):
        ft.grad(lambda z: z * z, holomorphic=True)(1.0)


def test_has_aux_without_a_pair_raises():
    with pytest.raises(
        TypeError,
        match=re.escape(
            "grad with has_aux=True requires f to return a pair (output, aux), but it returned an array of shape ()."
        ),
    ):
        ft.grad(lambda x: x * 1.0, has_aux=True)(1.0)


def test_error_inside_the_function_leaves_no_state():
    def bad(x):
        raise RuntimeError("boom")

    for transform in (
        lambda: ft.grad(bad)(1.0),
        lambda: ft.jvp(bad, (1.0,), (1.0,)),
        lambda: ft.make_jaxpr(bad)(1.0),
        lambda: ft.linearize(bad, 1.0),
    ):
        with pytest.raises(RuntimeError, match="boom"):
            transform()
        assert_next_call_works()


def test_user_arrays_are_never_mutated():
    x = np.array([1.0, 2.0])
    before = x.copy()
    ft.grad(lambda x: fnp.sum(x**2))(x)
    ft.vjp(lambda x: x * 2, x)[1](x)
    np.testing.assert_array_equal(x, before)


def test_grad_of_a_non_array_output_raises():
    msg = "grad requires f to return an array or a scalar, but it returned tuple. With has_aux=True, f returns a pair (output, aux)."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(lambda x: (x, x))(1.0)
    assert_next_call_works()


def test_cotangent_structure_mismatch_raises():
    _, vjp_fn = ft.vjp(lambda x: {"a": x, "b": x}, 1.0)
    with pytest.raises(TypeError, match=re.escape("vjp_fn: the cotangent: expected the structure")):
        vjp_fn({"a": 1.0})
