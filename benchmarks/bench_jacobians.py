"""Jacobians, Hessian-vector products and per-example gradients.

(a) the Jacobian of ``f(x) = tanh(W @ x + b) * x``, x in R^200: jacrev and
    jacfwd (one batched pass) against a row-by-row loop of vjp, autograd's
    ``jacobian`` and a hand-batched NumPy floor;
(b) the Hessian-vector product of ``sum_i A[i, :] @ sin(x)``, A of shape
    (10, 50000), against fntrans's own eager gradient of the same function;
(c) per-example gradients of a linear model's squared loss (32 inputs,
    8 outputs, float64) over 256 examples: vmap(grad) against a Python loop
    of grad and the hand-written floor.

Run: ``python benchmarks/bench_jacobians.py``
"""

from __future__ import annotations

import numpy as np
from harness import optional, report, seconds_per_call

import fntrans as ft
import fntrans.numpy as fnp

autograd = optional("autograd")


def bench_jacobian(n=200):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((n, n)) / np.sqrt(n)
    b = rng.standard_normal(n)
    x = rng.standard_normal(n)

    def f(np_, x):
        return np_.tanh(W @ x + b) * x

    def floor(x):
        t = np.tanh(W @ x + b)
        return (x * (1 - t**2))[:, None] * W + np.diag(t)

    def loop_of_vjp(x):
        _, vjp_fn = ft.vjp(lambda x: f(fnp, x), x)
        return np.stack([vjp_fn(row)[0] for row in np.eye(n)])

    J = floor(x)
    np.testing.assert_allclose(ft.jacrev(lambda x: f(fnp, x))(x), J, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ft.jacfwd(lambda x: f(fnp, x))(x), J, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(loop_of_vjp(x), J, rtol=1e-12, atol=1e-14)
    timings = {
        "numpy floor (hand-batched)": seconds_per_call(lambda: floor(x)),
        "fntrans jacrev": seconds_per_call(lambda: ft.jacrev(lambda x: f(fnp, x))(x)),
        "fntrans jacfwd": seconds_per_call(lambda: ft.jacfwd(lambda x: f(fnp, x))(x)),
        "fntrans loop of vjp": seconds_per_call(lambda: loop_of_vjp(x)),
    }
    if autograd is not None:
        import autograd.numpy as anp

        jac = autograd.jacobian(lambda x: f(anp, x))
        np.testing.assert_allclose(jac(x), J, rtol=1e-12, atol=1e-14)
        timings["autograd jacobian"] = seconds_per_call(lambda: jac(x))
    report(
        f"(a) Jacobian of tanh(W @ x + b) * x, x in R^{n}", timings, "numpy floor (hand-batched)"
    )
    loop = timings["fntrans loop of vjp"]
    for name in ("fntrans jacrev", "fntrans jacfwd"):
        print(f"  {name}: {loop / timings[name]:.1f}x faster than the loop (target >= 5)")


def bench_hvp(d=50000):
    rng = np.random.default_rng(0)
    A = rng.random((10, d))
    x, v = rng.random(d), rng.random(d)

    def f(x):
        vals = [A[i, :] @ fnp.sin(x.reshape(-1, 1)) for i in range(A.shape[0])]
        return fnp.sum(vals)

    (hv,) = ft.hvp(f, (x,), (v,))
    np.testing.assert_allclose(hv, -A.sum(0) * np.sin(x) * v, rtol=1e-10)
    timings = {
        "fntrans grad": seconds_per_call(lambda: ft.grad(f)(x)),
        "fntrans hvp": seconds_per_call(lambda: ft.hvp(f, (x,), (v,))),
    }
    report(f"(b) Hessian-vector product, d = {d}", timings, "fntrans grad")
    print(f"  hvp / grad = {timings['fntrans hvp'] / timings['fntrans grad']:.2f} (target <= 3)")


def bench_per_example(n=256, d_in=32, d_out=8):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((d_out, d_in))
    X = rng.standard_normal((n, d_in))
    Y = rng.standard_normal((n, d_out))

    def loss(W, x, y):
        r = W @ x - y
        return fnp.sum(r * r)

    def floor(W, X, Y):
        R = X @ W.T - Y
        return 2 * R[:, :, None] * X[:, None, :]

    per_example = ft.vmap(ft.grad(loss), in_axes=(None, 0, 0))
    np.testing.assert_allclose(per_example(W, X, Y), floor(W, X, Y), rtol=1e-12)
    timings = {
        "numpy floor": seconds_per_call(lambda: floor(W, X, Y)),
        "fntrans vmap(grad)": seconds_per_call(lambda: per_example(W, X, Y)),
        "fntrans loop of grad": seconds_per_call(
            lambda: np.stack([ft.grad(loss)(W, x, y) for x, y in zip(X, Y)])
        ),
    }
    report(f"(c) per-example gradients, {n} examples, {d_in} -> {d_out}", timings, "numpy floor")
    ratio = timings["fntrans vmap(grad)"] / timings["numpy floor"]
    print(f"  vmap(grad) / floor = {ratio:.2f} (target <= 5)")


if __name__ == "__main__":
    bench_jacobian()
    bench_hvp()
    bench_per_example()
