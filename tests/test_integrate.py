"""odeint and solve_ivp: SciPy's values, and adjoint derivatives against
finite differences."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.integrate

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.scipy.integrate import OdeResult, odeint, solve_ivp

T = np.linspace(0.0, 2.0, 6)
Y0 = np.array([1.0, 0.5])
TIGHT = {"rtol": 1e-11, "atol": 1e-11}


def oscillator(y, t, a, b):
    """A damped, forced oscillator: non-autonomous, so t's cotangent has a flow term."""
    return fnp.stack([y[1], -a * y[0] - b * y[1] + fnp.sin(t)])


def oscillator_np(y, t, a, b):
    return np.array([y[1], -a * y[0] - b * y[1] + np.sin(t)])


def loss(y0, t, a, b):
    return fnp.sum(odeint(oscillator, y0, t, args=(a, b), **TIGHT) ** 2)


def central_differences(f, x, eps=1e-6):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def test_odeint_values_are_scipys():
    got = odeint(oscillator, Y0, T, args=(2.0, 0.3))
    want = scipy.integrate.odeint(oscillator_np, Y0, T, args=(2.0, 0.3))
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, want)


def test_odeint_keeps_the_state_shape():
    y0 = np.arange(6.0).reshape(2, 3)
    ys = odeint(lambda y, t: -y, y0, T)
    assert ys.shape == (len(T), 2, 3)
    np.testing.assert_allclose(ys[-1], y0 * np.exp(-T[-1]), rtol=1e-6)


@pytest.mark.parametrize("argnum", [0, 1, 2, 3])
def test_odeint_gradients_match_finite_differences(argnum):
    args = [Y0, T, 2.0, 0.3]
    grad = ft.grad(loss, argnum)(*args)

    def along(x):
        return loss(*args[:argnum], x, *args[argnum + 1 :])

    np.testing.assert_allclose(grad, central_differences(along, args[argnum]), rtol=1e-5, atol=1e-6)


def test_odeint_jacrev_matches_vjps():
    jac = ft.jacrev(lambda y0: odeint(oscillator, y0, T, args=(2.0, 0.3), **TIGHT)[-1])(Y0)
    fd = np.stack(
        [
            (
                odeint(oscillator, Y0 + e, T, args=(2.0, 0.3), **TIGHT)[-1]
                - odeint(oscillator, Y0 - e, T, args=(2.0, 0.3), **TIGHT)[-1]
            )
            / 2e-6
            for e in np.eye(2) * 1e-6
        ],
        axis=1,
    )
    np.testing.assert_allclose(jac, fd, rtol=1e-5, atol=1e-7)


def test_odeint_args_may_be_pytrees():
    def decay(y, t, p):
        return -p["k"] * y + p["shift"][0]

    def total(k, shift):
        params = {"k": k, "shift": [shift], "label": "unused"}
        return fnp.sum(odeint(decay, np.ones(3), T, args=(params,), **TIGHT))

    grad = ft.grad(total, (0, 1))(0.7, np.array(0.2))
    fd_k = central_differences(lambda k: total(k, np.array(0.2)), 0.7)
    fd_shift = central_differences(lambda s: total(0.7, s), np.array(0.2))
    np.testing.assert_allclose(grad, (fd_k, fd_shift), rtol=1e-6)


def test_odeint_state_may_be_a_pytree():
    def flow(y, t):
        return {"x": -y["x"], "total": fnp.sum(y["x"])}

    y0 = {"x": np.array([1.0, 2.0]), "total": np.array(0.0)}
    ys = odeint(flow, y0, T, **TIGHT)
    assert ys["x"].shape == (len(T), 2) and ys["total"].shape == (len(T),)
    np.testing.assert_allclose(ys["total"][-1], 3.0 * (1.0 - np.exp(-T[-1])), rtol=1e-8)
    grad = ft.grad(lambda x: odeint(flow, {"x": x, "total": 0.0}, T, **TIGHT)["total"][-1])(
        np.array([1.0, 2.0])
    )
    np.testing.assert_allclose(grad, 1.0 - np.exp(-T[-1]), rtol=1e-8)


def test_vmap_over_y0_equals_a_loop():
    y0s = np.array([[1.0, 0.0], [0.5, 0.2], [0.0, 1.0]])
    batched = ft.vmap(lambda y0: odeint(oscillator, y0, T, args=(2.0, 0.3)))(y0s)
    looped = np.stack([odeint(oscillator, y0, T, args=(2.0, 0.3)) for y0 in y0s])
    np.testing.assert_array_equal(batched, looped)
    grads = ft.vmap(ft.grad(lambda y0: loss(y0, T, 2.0, 0.3)))(y0s)
    np.testing.assert_allclose(grads, np.stack([ft.grad(loss)(y0, T, 2.0, 0.3) for y0 in y0s]))


def test_float32_state_gives_float32_results_and_gradients():
    y0 = np.ones(2, np.float32)
    assert odeint(lambda y, t: -y, y0, T).dtype == np.float32
    grad = ft.grad(lambda y: fnp.sum(odeint(lambda y, t: -y, y, T)))(y0)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, np.sum(np.exp(-T)), rtol=1e-5)


def test_backward_pass_records_no_solver_steps(monkeypatch):
    """The recorded program is the same whatever the number of solver steps,
    and the backward solves evaluate the right-hand side many more times than
    there are outputs: the steps are recomputed, never stored."""

    def decay(y, t, k):
        return -k * y * y

    def objective(y0, k, tol):
        return fnp.sum(odeint(decay, y0, T, args=(k,), rtol=tol, atol=tol) ** 2)

    programs = []
    for tol in (1e-4, 1e-10):
        ir = ft.make_jaxpr(ft.grad(objective, (0, 1)), static_argnums=2)(Y0, 0.5, tol)
        programs.append([eqn.prim.name for eqn in ir.eqns])
    assert programs[0] == programs[1]
    assert "odeint_adjoint" in programs[0] and len(programs[0]) < 30

    evaluations = []
    solve = scipy.integrate.odeint

    def counting_solve(rhs, *args, **kwargs):
        def counted(*a):
            evaluations.append(a[1])
            return rhs(*a)

        return solve(counted, *args, **kwargs)

    monkeypatch.setattr(scipy.integrate, "odeint", counting_solve)
    ft.grad(objective, 1)(Y0, 0.5, 1e-10)
    backward = [s for s in evaluations if s < T[-1]]
    assert len(backward) > 20 * len(T)


def test_func_is_recorded_once_per_solve():
    """func runs in Python once for the forward solve's program and once for
    the backward pass's (its vector-Jacobian product), not once per evaluation;
    the programs keep its literals and the arrays it closes over."""
    calls = []
    offset = np.array([0.1, -0.2])

    def counted(y, t, k):
        calls.append(t)
        return fnp.stack([-k * y[0], -2.0 * k * y[1]]) + offset

    def total(k):
        return fnp.sum(odeint(counted, Y0, T, args=(k,), **TIGHT) ** 2)

    grad = ft.grad(total)(0.5)
    assert len(calls) == 2
    rates = np.array([0.5, 1.0])
    ys = offset / rates + (Y0 - offset / rates) * np.exp(-rates * T[:, None])
    np.testing.assert_allclose(total(0.5), np.sum(ys**2), rtol=1e-9)
    np.testing.assert_allclose(grad, central_differences(total, 0.5), rtol=1e-6)


def test_func_with_python_control_flow_runs_eagerly():
    """A func that branches on a value (here the time) cannot be recorded once:
    it is called at each evaluation, and takes each branch where it should."""

    def switched_decay(y, t, k):
        rate = k if t < 1.0 else 2.0 * k  # a Python branch on the value of t
        return -rate * y

    def total(k):
        return fnp.sum(odeint(switched_decay, Y0, T, args=(k,), **TIGHT))

    k = 0.3
    exponent = np.where(T < 1.0, k * T, k + 2.0 * k * (T - 1.0))
    np.testing.assert_allclose(total(k), np.sum(np.exp(-exponent)[:, None] * Y0), rtol=1e-7)
    np.testing.assert_allclose(ft.grad(total)(k), central_differences(total, k), rtol=1e-5)


def test_jvp_raises_and_says_reverse_mode_only():
    with pytest.raises(TypeError, match="reverse-mode rule only"):
        ft.jvp(lambda y0: odeint(oscillator, y0, T, args=(2.0, 0.3)), (Y0,), (Y0,))


def test_second_derivatives_raise():
    with pytest.raises(NotImplementedError, match="first-order reverse-mode derivatives only"):
        ft.hessian(lambda y0: loss(y0, T, 2.0, 0.3))(Y0)


def test_closing_over_a_traced_value_raises():
    msg = "uses a value that a transform traces without receiving it as an argument"
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(lambda k: fnp.sum(odeint(lambda y, t: -k * y, Y0, T)))(1.0)
    # and the next call works
    assert ft.grad(lambda k: fnp.sum(odeint(lambda y, t, k: -k * y, Y0, T, (k,))))(1.0) < 0


def test_tfirst_and_full_output():
    ys, info = odeint(lambda t, y: -y, Y0, T, tfirst=True, full_output=1)
    want, want_info = scipy.integrate.odeint(lambda t, y: -y, Y0, T, tfirst=True, full_output=1)
    np.testing.assert_array_equal(ys, want)
    assert info["message"] == want_info["message"]


def test_solve_ivp_outside_transforms_is_scipys():
    sol = solve_ivp(lambda t, y: -0.5 * y, (0.0, 2.0), Y0, method="DOP853", t_eval=T)
    want = scipy.integrate.solve_ivp(lambda t, y: -0.5 * y, (0.0, 2.0), Y0, "DOP853", T)
    np.testing.assert_array_equal(sol.y, want.y)
    assert sol.success and sol.t.shape == T.shape


def test_solve_ivp_gradients_match_finite_differences():
    t_eval = T[1:]

    def total(y0, a):
        sol = solve_ivp(
            lambda t, y, a, b: oscillator(y, t, a, b),
            (0.0, 2.5),
            y0,
            t_eval=t_eval,
            args=(a, 0.3),
            **TIGHT,
        )
        assert sol.success and sol.y.shape == (2, len(t_eval))
        return fnp.sum(sol.y**2)

    out, pull_back = ft.vjp(
        lambda y0: solve_ivp(lambda t, y: -y, (0.0, 2.5), y0, t_eval=t_eval).y, Y0
    )
    want = scipy.integrate.solve_ivp(lambda t, y: -y, (0.0, 2.5), Y0, t_eval=t_eval).y
    np.testing.assert_array_equal(out, want)
    grad = ft.grad(total, (0, 1))(Y0, 2.0)
    np.testing.assert_allclose(grad[0], central_differences(lambda v: total(v, 2.0), Y0), rtol=1e-6)
    np.testing.assert_allclose(grad[1], central_differences(lambda v: total(Y0, v), 2.0), rtol=1e-6)


def test_solve_ivp_under_a_transform_returns_an_ode_result():
    def final(y0):
        sol = solve_ivp(lambda t, y: -y, (0.0, 1.0), y0, t_eval=np.array([1.0]))
        assert isinstance(sol, OdeResult) and sol.success and sol.status == 0
        return sol.y[0, -1]

    np.testing.assert_allclose(ft.grad(final)(Y0), [np.exp(-1.0), 0.0], rtol=1e-3)


def test_solve_ivp_under_a_transform_needs_t_eval():
    with pytest.raises(NotImplementedError, match="needs t_eval"):
        ft.grad(lambda y0: fnp.sum(solve_ivp(lambda t, y: -y, (0.0, 1.0), y0).y))(Y0)
