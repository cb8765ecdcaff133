"""Memory and scaling: no leak across calls, residuals freed after their last
use, long programs without recursion and at a constant cost per operation."""

from __future__ import annotations

import contextlib
import gc
import os
import time
import tracemalloc

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp

# ---- no leak across calls ----


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def tiny_mlp_loss(params, x):
    hidden = fnp.tanh(x @ params["W1"] + params["b1"])
    return fnp.mean((hidden @ params["W2"]) ** 2)


@pytest.mark.skipif(
    not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm to read resident memory"
)
def test_ten_thousand_value_and_grad_calls_keep_resident_memory_flat():
    rng = np.random.default_rng(0)
    params = {
        "W1": rng.standard_normal((2, 3)),
        "b1": np.zeros(3),
        "W2": rng.standard_normal((3, 1)),
    }
    x = rng.standard_normal((4, 2))
    value_and_grad = ft.value_and_grad(tiny_mlp_loss)
    for _ in range(1_000):  # warm-up: caches, allocator pools
        value_and_grad(params, x)
    before = _resident_bytes()
    for _ in range(10_000):
        value_and_grad(params, x)
    growth = _resident_bytes() - before
    # a leak of 100 bytes per call would be about 1 MiB; one leaked tape is far more
    assert growth < 2**20, f"resident memory grew by {growth / 2**10:.0f} KiB over 10,000 calls"


# ---- residuals freed after their last use ----


def _memory_probe(label, marks):
    """The identity, noting the live traced memory when its forward and its
    backward run."""

    @ft.custom_vjp
    def probe(x):
        return x

    def fwd(x):
        marks[f"forward {label}"] = tracemalloc.get_traced_memory()[0]
        return x, None

    def bwd(_, ct):
        marks[f"backward {label}"] = tracemalloc.get_traced_memory()[0]
        return (ct,)

    probe.defvjp(fwd, bwd)
    return probe


def test_grad_frees_residuals_after_their_last_use():
    marks = {}
    probes = {0: _memory_probe("bottom", marks), 50: _memory_probe("middle", marks)}
    probes[100] = _memory_probe("top", marks)

    def chain(x):
        for i in range(101):
            if i in probes:
                x = probes[i](x)
            if i < 100:
                x = fnp.sin(x) * 1.1
        return fnp.sum(x)

    x = np.random.default_rng(0).standard_normal((128, 128))
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        gradient = ft.grad(chain)(x)
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    in_arrays = {label: (at - base) / x.nbytes for label, at in marks.items()}
    forward_live = in_arrays["forward top"]  # the forward pass's live set: its residuals
    assert forward_live > 100, in_arrays  # tracemalloc sees NumPy's arrays
    # walking back, each layer's residuals go as soon as its VJP has run
    assert in_arrays["backward middle"] < 0.6 * forward_live, in_arrays
    assert in_arrays["backward bottom"] < 0.1 * forward_live, in_arrays
    assert (peak - base) / x.nbytes < 1.2 * forward_live, in_arrays
    del gradient
    assert (after - base) / x.nbytes < 1.5, "more than the gradient outlived grad"


# ---- long programs ----

STEP = 1e-3


def long_chain(x, n_ops):
    for _ in range(n_ops // 3):
        x = x + STEP * fnp.sin(x)  # three primitives: sin, mul, add
    return x


def _chain_derivatives(x, n_ops):
    """The first and second derivatives of long_chain, by the chain rule in plain Python."""
    d, dd = 1.0, 0.0
    for _ in range(n_ops // 3):
        slope, curvature = 1.0 + STEP * np.cos(x), -STEP * np.sin(x)
        d, dd = d * slope, dd * slope + d**2 * curvature
        x = x + STEP * np.sin(x)
    return d, dd


@contextlib.contextmanager
def _gc_paused():
    # CPython's cyclic collector adds a cost per operation that grows with the
    # number of live objects (its full collections), whatever the library does;
    # pausing it while timing leaves fntrans's own scaling.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _seconds_per_op(n_ops, repeats):
    gradient = ft.grad(lambda x: long_chain(x, n_ops))
    best = float("inf")
    for _ in range(repeats):
        with _gc_paused():
            start = time.perf_counter()
            g = gradient(0.3)
            best = min(best, time.perf_counter() - start)
    return best / n_ops, g


def test_grad_of_100_000_operations_is_right_and_costs_the_same_per_operation():
    per_op_small, _ = _seconds_per_op(1_000, repeats=10)
    per_op_large, g = _seconds_per_op(100_002, repeats=3)
    np.testing.assert_allclose(g, _chain_derivatives(0.3, 100_002)[0], rtol=1e-10)
    assert per_op_large < 1.5 * per_op_small, (
        f"{per_op_large * 1e6:.2f} us per operation at 100,000 operations, "
        f"{per_op_small * 1e6:.2f} us at 1,000"
    )


def test_grad_of_grad_of_20_000_operations_does_not_recurse():
    g2 = ft.grad(ft.grad(lambda x: long_chain(x, 20_001)))(0.3)
    np.testing.assert_allclose(g2, _chain_derivatives(0.3, 20_001)[1], rtol=1e-10)
