"""Eager reverse mode: per-operation overhead, an MLP, and nested derivatives.

Workloads (each against a hand-written NumPy floor with a hand-derived
backward pass, and autograd / JAX when installed):

(a) grad of ``sum([A[i, :] @ x.reshape(-1, 1) for i in range(100)])``, A of
    shape (100, 2): almost pure per-operation overhead;
(b) value_and_grad of a 784-512-512-10 tanh MLP with softmax cross-entropy,
    batch 128, float64, parameters in a dict;
(c) the fourth derivative of ``tanh(x) * sin(x) + exp(-x**2)`` at 0.7, by
    nesting grad four times;
(d) the Python overhead per primitive call (forward + backward) on a chain of
    small scalar operations.

Run: ``python benchmarks/bench_foundation.py``
"""

from __future__ import annotations

import numpy as np
from harness import optional, report, seconds_per_call

import fntrans as ft
import fntrans.numpy as fnp

autograd = optional("autograd")
jax = optional("jax")
if jax is not None:
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp


# ---- (a) list comprehension of row products ----


def bench_row_products():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((100, 2))
    x = np.array([1.0, 2.0])

    def loss(np_, x):
        vals = [A[i, :] @ x.reshape(-1, 1) for i in range(A.shape[0])]
        return np_.sum(vals)

    def floor(x):
        # the same loop and op sequence, then the hand-derived backward pass
        xr = x.reshape(-1, 1)
        vals = [A[i, :] @ xr for i in range(A.shape[0])]
        np.sum(np.stack(vals))
        ct = np.ones(1)
        g_xr = np.zeros((2, 1))
        for i in range(A.shape[0]):
            g_xr = g_xr + A[i, :].reshape(-1, 1) @ ct.reshape(1, -1)
        return g_xr.reshape(x.shape)

    np.testing.assert_allclose(ft.grad(lambda x: loss(fnp, x))(x), floor(x))
    timings = {
        "numpy floor": seconds_per_call(lambda: floor(x)),
        "fntrans grad": seconds_per_call(lambda: ft.grad(lambda x: loss(fnp, x))(x)),
    }
    if autograd is not None:
        import autograd.numpy as anp

        timings["autograd grad"] = seconds_per_call(
            lambda: autograd.grad(lambda x: loss(anp, x))(x)
        )
    if jax is not None:
        xj = jnp.asarray(x)
        Aj = jnp.asarray(A)

        def loss_j(x):
            return jnp.sum(jnp.stack([Aj[i, :] @ x.reshape(-1, 1) for i in range(100)]))

        timings["jax grad (no jit)"] = seconds_per_call(
            lambda: jax.grad(loss_j)(xj).block_until_ready(), repeats=3
        )
    report(
        "(a) grad of sum([A[i, :] @ x.reshape(-1, 1) for i in range(100)])", timings, "numpy floor"
    )
    if "autograd grad" in timings:
        ratio = timings["fntrans grad"] / timings["autograd grad"]
        print(f"  fntrans / autograd = {ratio:.3f} (target <= 0.25)")


# ---- (b) MLP ----


def init_mlp(rng, sizes=(784, 512, 512, 10)):
    return {
        f"layer{i}": {
            "W": rng.standard_normal((m, n)) / np.sqrt(m),
            "b": np.zeros(n),
        }
        for i, (m, n) in enumerate(zip(sizes[:-1], sizes[1:]))
    }


def mlp_loss(np_, params, X, Y):
    h = X
    n = len(params)
    for i in range(n):
        layer = params[f"layer{i}"]
        h = np_.dot(h, layer["W"]) + layer["b"]
        if i < n - 1:
            h = np_.tanh(h)
    logits = h - np_.max(h, axis=1, keepdims=True)
    log_probs = logits - np_.log(np_.sum(np_.exp(logits), axis=1, keepdims=True))
    return -np_.sum(log_probs * Y) / X.shape[0]


def mlp_floor(params, X, Y):
    """Forward and hand-derived backward in NumPy: the floor."""
    n = len(params)
    hs, pre = [X], []
    h = X
    for i in range(n):
        layer = params[f"layer{i}"]
        z = np.dot(h, layer["W"]) + layer["b"]
        pre.append(z)
        h = np.tanh(z) if i < n - 1 else z
        hs.append(h)
    logits = h - np.max(h, axis=1, keepdims=True)
    e = np.exp(logits)
    s = np.sum(e, axis=1, keepdims=True)
    log_probs = logits - np.log(s)
    loss = -np.sum(log_probs * Y) / X.shape[0]
    # backward
    g = (e / s * Y.sum(1, keepdims=True) - Y) / X.shape[0]
    grads = {}
    for i in reversed(range(n)):
        layer = params[f"layer{i}"]
        if i < n - 1:
            g = g * (1 - hs[i + 1] ** 2)
        grads[f"layer{i}"] = {"W": np.dot(hs[i].T, g), "b": g.sum(0)}
        if i > 0:
            g = np.dot(g, layer["W"].T)
    return loss, grads


def bench_mlp():
    rng = np.random.default_rng(0)
    params = init_mlp(rng)
    X = rng.standard_normal((128, 784))
    Y = np.eye(10)[rng.integers(0, 10, 128)]
    value, grads = ft.value_and_grad(lambda p: mlp_loss(fnp, p, X, Y))(params)
    floor_value, floor_grads = mlp_floor(params, X, Y)
    np.testing.assert_allclose(value, floor_value, rtol=1e-12)
    for a, b in zip(ft.tree.tree_leaves(grads), ft.tree.tree_leaves(floor_grads)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    timings = {
        "numpy floor": seconds_per_call(lambda: mlp_floor(params, X, Y), min_time=1.0),
        "fntrans value_and_grad": seconds_per_call(
            lambda: ft.value_and_grad(lambda p: mlp_loss(fnp, p, X, Y))(params), min_time=1.0
        ),
    }
    if autograd is not None:
        import autograd.numpy as anp

        timings["autograd value_and_grad"] = seconds_per_call(
            lambda: autograd.value_and_grad(lambda p: mlp_loss(anp, p, X, Y))(params), min_time=1.0
        )
    if jax is not None:
        pj = jax.tree_util.tree_map(jnp.asarray, params)
        Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
        vg = jax.value_and_grad(lambda p: mlp_loss(jnp, p, Xj, Yj))
        timings["jax value_and_grad (no jit)"] = seconds_per_call(
            lambda: jax.block_until_ready(vg(pj)), min_time=1.0
        )
    report("(b) value_and_grad of a 784-512-512-10 MLP, batch 128, float64", timings, "numpy floor")
    ratio = timings["fntrans value_and_grad"] / timings["numpy floor"]
    print(f"  fntrans / floor = {ratio:.3f} (target <= 1.2)")


# ---- (c) fourth derivative ----


def bench_fourth_derivative():
    def f(np_, x):
        return np_.tanh(x) * np_.sin(x) + np_.exp(-(x**2))

    def nest(grad, g):
        for _ in range(4):
            g = grad(g)
        return g

    d4 = nest(ft.grad, lambda x: f(fnp, x))
    timings = {"fntrans grad^4": seconds_per_call(lambda: d4(0.7))}
    if autograd is not None:
        import autograd.numpy as anp

        d4a = nest(autograd.grad, lambda x: f(anp, x))
        np.testing.assert_allclose(d4(0.7), d4a(0.7), rtol=1e-12)
        timings["autograd grad^4"] = seconds_per_call(lambda: d4a(0.7))
    if jax is not None:
        d4j = nest(jax.grad, lambda x: f(jnp, x))
        np.testing.assert_allclose(d4(0.7), d4j(0.7), rtol=1e-12)
        timings["jax grad^4 (no jit)"] = seconds_per_call(lambda: d4j(0.7), repeats=3)
    report(
        "(c) fourth derivative of tanh(x) sin(x) + exp(-x^2) by nested grad",
        timings,
        "fntrans grad^4",
    )
    if "autograd grad^4" in timings:
        ratio = timings["fntrans grad^4"] / timings["autograd grad^4"]
        print(f"  fntrans / autograd = {ratio:.3f} (target <= 0.5)")


# ---- (d) overhead per primitive ----


def bench_overhead_per_primitive(n_ops=300):
    def chain(np_, x):
        for _ in range(n_ops // 3):
            x = np_.sin(x) * 0.9 + 0.1
        return x

    x = np.float64(0.3)
    t_numpy = seconds_per_call(lambda: chain(np, x))
    t_grad = seconds_per_call(lambda: ft.grad(lambda x: chain(fnp, x))(x))
    timings = {"numpy forward only": t_numpy, "fntrans grad": t_grad}
    if autograd is not None:
        import autograd.numpy as anp

        timings["autograd grad"] = seconds_per_call(
            lambda: autograd.grad(lambda x: chain(anp, x))(x)
        )
    report(f"(d) a chain of {n_ops} scalar primitives", timings, "numpy forward only")
    per_op = (t_grad - t_numpy) / n_ops
    print(f"  fntrans Python overhead per primitive (forward + backward): {per_op * 1e6:.2f} us")
    if "autograd grad" in timings:
        per_op_ag = (timings["autograd grad"] - t_numpy) / n_ops
        print(f"  autograd: {per_op_ag * 1e6:.2f} us per primitive")


if __name__ == "__main__":
    bench_row_products()
    bench_mlp()
    bench_fourth_derivative()
    bench_overhead_per_primitive()
