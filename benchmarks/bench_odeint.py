"""The adjoint gradient of ``fntrans.scipy.integrate.odeint``: accuracy and cost.

Workload: Lotka-Volterra (2 states, 4 parameters) over 100 output times on
[0, 10]; loss = sum of squares of the solution. The gradient with respect to
``y0`` and the parameters, by

- the adjoint method (``ft.grad`` through ``odeint``: one forward solve, then
  backward solves of the adjoint ODE between consecutive output times, with
  vector-Jacobian products of the right-hand side by fntrans, recorded once
  per solve and replayed at each evaluation);
- forward sensitivities (the ODE augmented with dy/dy0 and dy/dp, hand-derived
  Jacobians, one SciPy solve at tight tolerance): the reference;
- central finite differences (12 more solves).

Prints each gradient's relative error against the reference, and the wall
times of: SciPy's plain forward solve (NumPy right-hand side), fntrans's
forward solve, the adjoint gradient, and the forward-sensitivity solve.

Second order: the Hessian-vector product in the parameters by ``grad`` of
``grad`` (the backward pass differentiated, its solves by the adjoint method
again), against central differences of the forward-sensitivity gradient.

Run: ``python benchmarks/bench_odeint.py`` (well under a minute).
"""

from __future__ import annotations

import numpy as np
import scipy.integrate
from harness import report, seconds_per_call

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.scipy.integrate import odeint

T = np.linspace(0.0, 10.0, 100)
Y0 = np.array([1.0, 0.5])
PARAMS = np.array([1.1, 0.4, 0.1, 0.4])  # alpha, beta, delta, gamma
TOL = {"rtol": 1e-10, "atol": 1e-10}


def lotka_volterra(y, t, p):
    prey, predator = y[0], y[1]
    return fnp.stack(
        [p[0] * prey - p[1] * prey * predator, p[2] * prey * predator - p[3] * predator]
    )


def lotka_volterra_np(y, t, p):
    prey, predator = y
    return np.array(
        [p[0] * prey - p[1] * prey * predator, p[2] * prey * predator - p[3] * predator]
    )


def loss(y0, p):
    return fnp.sum(odeint(lotka_volterra, y0, T, args=(p,), **TOL) ** 2)


def loss_np(y0, p, tol=TOL):
    return np.sum(scipy.integrate.odeint(lotka_volterra_np, y0, T, args=(p,), **tol) ** 2)


def forward_sensitivity(y0, p):
    """The gradient from the ODE augmented with S = dy/d(y0, p), shape (2, 6):
    dS/dt = J_y S + [0 | J_p]."""

    def augmented(z, t):
        y, S = z[:2], z[2:].reshape(2, 6)
        prey, predator = y
        J_y = np.array(
            [
                [p[0] - p[1] * predator, -p[1] * prey],
                [p[2] * predator, p[2] * prey - p[3]],
            ]
        )
        J_p = np.array(
            [
                [prey, -prey * predator, 0.0, 0.0],
                [0.0, 0.0, prey * predator, -predator],
            ]
        )
        dS = J_y @ S + np.hstack([np.zeros((2, 2)), J_p])
        return np.concatenate([lotka_volterra_np(y, t, p), dS.ravel()])

    z0 = np.concatenate([y0, np.hstack([np.eye(2), np.zeros((2, 4))]).ravel()])
    zs = scipy.integrate.odeint(augmented, z0, T, rtol=1e-12, atol=1e-12)
    ys, S = zs[:, :2], zs[:, 2:].reshape(-1, 2, 6)
    grad = np.einsum("ti,tij->j", 2 * ys, S)
    return grad[:2], grad[2:]


def finite_differences(y0, p, eps=1e-6):
    tight = {"rtol": 1e-12, "atol": 1e-12}
    x = np.concatenate([y0, p])
    grad = np.zeros_like(x)
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = eps
        up, down = x + step, x - step
        grad[i] = (loss_np(up[:2], up[2:], tight) - loss_np(down[:2], down[2:], tight)) / (2 * eps)
    return grad[:2], grad[2:]


def relative_error(got, want):
    got, want = np.concatenate(got), np.concatenate(want)
    return np.linalg.norm(got - want) / np.linalg.norm(want)


def bench_odeint():
    adjoint = ft.grad(loss, (0, 1))
    reference = forward_sensitivity(Y0, PARAMS)
    print("gradient of sum(odeint(Lotka-Volterra, 100 times)**2) w.r.t. y0 (2) and params (4)")
    print(f"  adjoint (fntrans, rtol=atol={TOL['rtol']:g})    relative error "
          f"{relative_error(adjoint(Y0, PARAMS), reference):.2e}")  # fmt: skip
    print(f"  central differences (rtol=atol=1e-12)  relative error "
          f"{relative_error(finite_differences(Y0, PARAMS), reference):.2e}")  # fmt: skip
    print("  (reference: forward sensitivities at rtol=atol=1e-12)")
    timings = {
        "scipy forward solve": seconds_per_call(lambda: loss_np(Y0, PARAMS), 0.5, 3),
        "fntrans forward solve": seconds_per_call(lambda: loss(Y0, PARAMS), 0.5, 3),
        "fntrans adjoint gradient": seconds_per_call(lambda: adjoint(Y0, PARAMS), 0.5, 3),
        "forward sensitivity (1e-12)": seconds_per_call(
            lambda: forward_sensitivity(Y0, PARAMS), 0.5, 3
        ),
    }
    report("wall time per call", timings, "scipy forward solve")

    v = np.array([1.0, -1.0, 0.5, 2.0])

    def hvp(y0, p):
        return ft.grad(lambda p: fnp.vdot(ft.grad(loss, 1)(y0, p), v))(p)

    eps = 1e-5
    reference = (
        forward_sensitivity(Y0, PARAMS + eps * v)[1] - forward_sensitivity(Y0, PARAMS - eps * v)[1]
    ) / (2 * eps)
    error = np.linalg.norm(hvp(Y0, PARAMS) - reference) / np.linalg.norm(reference)
    print("\nHessian-vector product in the params (grad of grad)")
    print(f"  relative error against differences of forward sensitivities {error:.2e}")
    print(f"  {seconds_per_call(lambda: hvp(Y0, PARAMS), 0.5, 2) * 1e3:.0f} ms per call")


if __name__ == "__main__":
    bench_odeint()
