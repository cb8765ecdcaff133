"""odeint and solve_ivp: SciPy's values, and adjoint derivatives (first,
second and third order) against finite differences."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.integrate

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.scipy.integrate import OdeResult, odeint, solve_ivp
from fntrans.test_util import check_grads

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
    # one solve forward, then one backward solve of the adjoint ODE per interval
    assert programs[0].count("custom_vjp_call") == len(T)
    assert len(programs[0]) < 20 * len(T)

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


def test_func_branching_on_the_state_under_vmap_and_second_order():
    def switched(y, t, k):
        rate = k if y[0] > 0.5 else 2.0 * k  # a Python branch on the state's value
        return -rate * y * y

    def total(k):
        return fnp.sum(odeint(switched, Y0, T, args=(k,), **TIGHT))

    ks = np.array([0.3, 0.6])
    np.testing.assert_allclose(ft.vmap(ft.grad(total))(ks), [ft.grad(total)(k) for k in ks])
    np.testing.assert_allclose(
        ft.grad(ft.grad(total))(0.3), central_differences(ft.grad(total), 0.3), rtol=1e-5
    )


def test_jvp_raises_and_says_reverse_mode_only():
    with pytest.raises(TypeError, match="reverse-mode rule only"):
        ft.jvp(lambda y0: odeint(oscillator, y0, T, args=(2.0, 0.3)), (Y0,), (Y0,))


def test_forward_over_reverse_raises_and_points_to_jacrev_of_grad():
    with pytest.raises(TypeError, match=re.escape("reverse-mode rule only")) as error:
        ft.hessian(lambda y0: loss(y0, T, 2.0, 0.3))(Y0)
    assert "jacrev(grad(f))" in str(error.value)


def autograd_func(y, t, arg1, arg2):
    """autograd's own odeint test function: non-autonomous, nonlinear, coupled."""
    return -fnp.sqrt(t) - y + arg1 - fnp.mean((y + arg2) ** 2)


_rng = np.random.default_rng(0)
ARGS2 = (_rng.normal(size=3), np.array([0.1, 0.4, 0.8]), _rng.normal(size=3), _rng.normal())


@pytest.mark.parametrize("argnum", [0, 1, 2, 3])
def test_second_order_matches_finite_differences(argnum):
    def along(x):
        args = list(ARGS2)
        args[argnum] = x
        y0, t, a, b = args
        return odeint(autograd_func, y0, t, (a, b), **TIGHT)

    check_grads(along, (ARGS2[argnum],), modes=("rev",), order=2)


def test_third_order_matches_finite_differences():
    y0, t, a, b = ARGS2

    def total(b):
        return fnp.sum(odeint(autograd_func, y0, t, (a, b), **TIGHT))

    check_grads(total, (b,), modes=("rev",), order=3, atol=1e-4, rtol=1e-4)


def nonlinear_oscillator(y, t, p):
    return fnp.stack([y[1], -p[0] * y[0] - p[1] * y[1] ** 3 + fnp.sin(p[2] * t)])


def test_hessian_in_a_parameter_matches_finite_differences_of_the_gradient():
    def total(p):
        return fnp.sum(odeint(nonlinear_oscillator, Y0, T, args=(p,), **TIGHT) ** 2)

    p = np.array([2.0, 0.3, 1.5])
    hessian = ft.jacrev(ft.grad(total))(p)
    gradient, eps = ft.grad(total), 1e-6
    fd = np.stack([(gradient(p + e) - gradient(p - e)) / (2 * eps) for e in np.eye(3) * eps], 1)
    np.testing.assert_allclose(hessian, fd, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-8, atol=1e-9)


def test_second_order_in_the_state_and_the_times():
    def total(y0, t):
        return fnp.sum(odeint(nonlinear_oscillator, y0, t, args=(np.array([2.0, 0.3, 1.5]),)) ** 2)

    # the mixed second derivative, by reverse over reverse, against finite differences
    mixed = ft.jacrev(ft.grad(total, 0), 1)(Y0, T)
    fd = central_differences(lambda t: ft.grad(total, 0)(Y0, t)[0], T)
    np.testing.assert_allclose(mixed[0], fd, rtol=1e-4, atol=1e-5)


def test_second_order_with_pytree_args_and_vmap():
    def decay(y, t, p):
        return -p["k"] * y**2 + p["shift"][0] * fnp.sin(t)

    def total(k):
        params = {"k": k, "shift": [np.array(0.2)], "label": "unused"}
        return fnp.sum(odeint(decay, np.ones(2), T, args=(params,), **TIGHT))

    second = ft.grad(ft.grad(total))
    ks = np.array([0.3, 0.7])
    np.testing.assert_allclose(second(0.7), central_differences(ft.grad(total), 0.7), rtol=1e-6)
    np.testing.assert_allclose(ft.vmap(second)(ks), [second(k) for k in ks], rtol=1e-10)


def test_solve_ivp_second_order():
    def y_at_end(k):
        sol = solve_ivp(
            lambda t, y, k: -k * y**2, (0.0, 1.0), Y0, t_eval=T[1:3], args=(k,), **TIGHT
        )
        return fnp.sum(sol.y)

    np.testing.assert_allclose(
        ft.grad(ft.grad(y_at_end))(0.5), central_differences(ft.grad(y_at_end), 0.5), rtol=1e-5
    )


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
