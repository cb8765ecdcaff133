"""jacfwd, jacrev, hessian, hvp and elementwise_grad, generated from the op table."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.interpreters import batching
from tests.fake_backend import assert_on_backend, to_backend, to_host
from tests.op_cases import OP_CASES
from tests.strategies import draw_args

CASES = [
    (case, shapes)
    for case in OP_CASES
    for shapes in case.shapes[:2]
    if all(s != (0,) for s in shapes)
]
IDS = [f"{case.name}-{'x'.join(str(s) for s in shapes)}" for case, shapes in CASES]


def numerical_jacobian(f, args, argnum, eps=1e-6):
    """Central differences, one column per input element: shape out.shape + in.shape
    (computed on the host, with ``f`` evaluated on the tests' backend)."""
    f_on_backend = f

    def f(*a):
        return to_host(f_on_backend(*to_backend(list(a))))

    args = to_host(list(args))
    x = np.asarray(args[argnum], dtype=float)
    out_shape = np.shape(f(*args))
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        step = step.reshape(x.shape)
        plus = list(args)
        minus = list(args)
        plus[argnum], minus[argnum] = x + step, x - step
        columns.append((np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * eps))
    return (
        np.stack(columns, axis=-1).reshape(out_shape + x.shape)
        if columns
        else np.zeros(out_shape + x.shape)
    )


@pytest.mark.parametrize("case,shapes", CASES, ids=IDS)
@given(data=st.data())
def test_jacobians_match_finite_differences_and_each_other(case, shapes, data):
    args = draw_args(data, case, shapes)
    for argnum in range(len(args)):
        expected = numerical_jacobian(case.fn, args, argnum)
        forward = ft.jacfwd(case.fn, argnums=argnum)(*args)
        reverse = ft.jacrev(case.fn, argnums=argnum)(*args)
        assert forward.shape == reverse.shape == expected.shape
        assert_on_backend((forward, reverse))
        forward, reverse = to_host(forward), to_host(reverse)
        np.testing.assert_allclose(forward, expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(reverse, forward, rtol=1e-12, atol=1e-12)


SMOOTH = [
    c for c in OP_CASES if not c.away_from and not c.distinct and c.name not in ("power_int",)
]


@pytest.mark.parametrize("case", SMOOTH, ids=[c.name for c in SMOOTH])
@given(data=st.data())
def test_hessian_is_symmetric_and_hvp_agrees(case, data):
    shapes = case.shapes[0]
    args = draw_args(data, case, shapes)

    def scalar(*a):
        return fnp.sum(fnp.real(case.fn(*a)) ** 2)

    x = args[0]
    rest = args[1:]
    H = ft.hessian(lambda x: scalar(x, *rest))(x)
    n = max(x.size, 1)
    v = np.cos(np.arange(n)).reshape(np.shape(x))
    (hv,) = ft.hvp(lambda x: scalar(x, *rest), (x,), (to_backend(v),))
    assert_on_backend((H, hv))
    H2 = np.reshape(to_host(H), (n, n))
    np.testing.assert_allclose(H2, H2.T, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        np.reshape(to_host(hv), n), H2 @ np.reshape(v, n), rtol=1e-9, atol=1e-9
    )


def test_jacobian_of_pytrees_is_nested_output_around_input():
    def f(p):
        return {"y": p["a"] * p["b"], "z": (fnp.sum(p["a"]),)}

    p = {"a": np.array([1.0, 2.0]), "b": 3.0}
    for jac in (ft.jacfwd, ft.jacrev):
        J = jac(f)(p)
        np.testing.assert_array_equal(J["y"]["a"], 3.0 * np.eye(2))
        np.testing.assert_array_equal(J["y"]["b"], [1.0, 2.0])
        np.testing.assert_array_equal(J["z"][0]["a"], [1.0, 1.0])
        assert J["z"][0]["b"].shape == ()


def test_jacobian_argnums_tuple_and_has_aux():
    def f(x, y):
        return x * y, {"note": "aux"}

    for jac in (ft.jacfwd, ft.jacrev):
        (jx, jy), aux = jac(f, argnums=(0, 1), has_aux=True)(np.array([1.0, 2.0]), 3.0)
        np.testing.assert_array_equal(jx, 3.0 * np.eye(2))
        np.testing.assert_array_equal(jy, [1.0, 2.0])
        assert aux == {"note": "aux"}


def test_jacobians_come_from_one_batched_pass(monkeypatch):
    """jacfwd and jacrev run each primitive once, batched over the basis."""
    calls = []
    process = batching.Batch.process_primitive

    def counting(self, prim, args, params):
        calls.append(prim.name)
        return process(self, prim, args, params)

    monkeypatch.setattr(batching.Batch, "process_primitive", counting)
    W = np.ones((5, 5))
    f = lambda x: fnp.tanh(W @ x) * x  # noqa: E731
    ft.jacrev(f)(np.ones(5))
    assert calls.count("tanh") == 0 and 0 < len(calls) < 20  # the backward pass, once
    calls.clear()
    ft.jacfwd(f)(np.ones(5))
    assert 0 < len(calls) < 20


def test_hvp_never_forms_the_hessian_and_matches_it():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 6))
    x, v = rng.standard_normal(6), rng.standard_normal(6)

    def f(x):
        return fnp.sum(A @ fnp.sin(x))

    (hv,) = ft.hvp(f, (x,), (v,))
    np.testing.assert_allclose(hv, ft.hessian(f)(x) @ v, rtol=1e-12)
    np.testing.assert_allclose(hv, -A.sum(0) * np.sin(x) * v, rtol=1e-12)


def test_elementwise_grad():
    x = np.array([0.1, 0.5, 2.0])
    np.testing.assert_allclose(ft.elementwise_grad(fnp.tanh)(x), 1 - np.tanh(x) ** 2)


def test_jacobian_of_integer_input_raises():
    with pytest.raises(
        TypeError,
        match=re.escape(
            "jacfwd requires real or complex inputs to differentiate, but argument 0 has dtype int64"
        ),
    ):
        ft.jacfwd(lambda x: x * 2.0)(np.arange(3))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "jacrev: argnums=1 is out of range for a call with 1 positional argument(s)"
        ),
    ):
        ft.jacrev(lambda x: x, argnums=1)(np.ones(2))


def test_control_flow_on_a_batched_tangent_names_the_jacobian():
    @ft.custom_jvp
    def f(x):
        return fnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return fnp.sin(x), (fnp.cos(x) * t if t[0] > 0 else t)

    with pytest.raises(ft.ConcretizationError, match="a tangent that jacfwd batches"):
        ft.jacfwd(f)(np.ones(2))
