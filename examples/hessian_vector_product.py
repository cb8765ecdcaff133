"""Hessian-vector products at d = 50000, without forming the 50000 x 50000 Hessian.

Shows: ft.hvp(f, (x,), (v,)) (autograd's hessian_vector_product(f)(x, v)),
computed forward-over-reverse in a few times the cost of ft.grad, checked
against the analytic value for f(x) = sum_i A[i, :] @ sin(x), whose Hessian
is diagonal: H v = -sin(x) * A.sum(axis=0) * v. The full Hessian would take
d * d * 8 bytes = 20 GB. At a small d, ft.hessian(f)(x) @ v agrees too.
f is written as in the tutorial this comes from, with a list comprehension
summed by fnp.sum.

Run: python examples/hessian_vector_product.py
"""

from __future__ import annotations

import time

import numpy as np

import fntrans as ft
import fntrans.numpy as fnp


def make_f(A):
    def f(x):
        return fnp.sum([A[i, :] @ fnp.sin(x.reshape(-1, 1)) for i in range(A.shape[0])])

    return f


def analytic_hvp(A, x, v):
    return -np.sin(x) * A.sum(axis=0) * v


def best_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(d=50000, repeats=5, small_d=100):
    rng = np.random.default_rng(123)
    A = rng.random((10, d))
    x = 2.0 * np.ones(d)
    v = rng.random(d)
    f = make_f(A)

    hv = ft.hvp(f, (x,), (v,))[0]
    error = np.max(np.abs(hv - analytic_hvp(A, x, v))) / np.max(np.abs(hv))
    print(f"d = {d}: max relative difference from the analytic H v: {error:.2e}")

    grad_time = best_time(lambda: ft.grad(f)(x), repeats)
    hvp_time = best_time(lambda: ft.hvp(f, (x,), (v,)), repeats)
    print(
        f"grad {1e3 * grad_time:.1f} ms, hvp {1e3 * hvp_time:.1f} ms "
        f"({hvp_time / grad_time:.1f} x grad; best of {repeats})"
    )

    small_f, small_x, small_v = make_f(A[:, :small_d]), x[:small_d], v[:small_d]
    dense = ft.hessian(small_f)(small_x) @ small_v
    small_error = np.max(np.abs(dense - ft.hvp(small_f, (small_x,), (small_v,))[0]))
    print(f"d = {small_d}: hessian(f)(x) @ v vs hvp: max difference {small_error:.2e}")
    return error, small_error, hvp_time / grad_time


if __name__ == "__main__":
    main()
