"""Memory for time: grad through a 50-layer tanh chain with and without checkpoint.

One shared 2048x2048 float32 weight, batch 256. Peak memory is measured with
tracemalloc (NumPy reports its allocations to it) during one gradient, so it
counts the residuals kept for the backward pass and the temporaries.

Variants: no checkpointing; every layer checkpointed; and the chain cut into
about sqrt(50) checkpointed segments of 7 layers.

Run: ``python benchmarks/bench_checkpoint.py``
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

import fntrans as ft
import fntrans.numpy as fnp

LAYERS, WIDTH, BATCH = 50, 2048, 256


def make_loss(W, segment_layers):
    def layer(h):
        return fnp.tanh(h @ W)

    def segment(h):
        for _ in range(segment_layers):
            h = layer(h)
        return h

    def loss(h, remat):
        block = ft.checkpoint(segment) if remat else segment
        for _ in range(LAYERS // segment_layers):
            h = block(h)
        for _ in range(LAYERS % segment_layers):
            h = layer(h)
        return fnp.sum(h)

    return loss


def measure(f, x):
    f(x)  # warm up
    start = time.perf_counter()
    f(x)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    f(x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak


def main():
    rng = np.random.default_rng(0)
    W = (rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH)).astype(np.float32)
    x = rng.standard_normal((BATCH, WIDTH)).astype(np.float32)
    activation_mb = BATCH * WIDTH * 4 / 2**20
    print(
        f"{LAYERS} tanh layers, W {WIDTH}x{WIDTH} float32 (shared), batch {BATCH}: "
        f"one activation is {activation_mb:.0f} MiB"
    )
    results = {}
    for name, segment_layers, remat in [
        ("no checkpoint", 1, False),
        ("checkpoint every layer", 1, True),
        ("checkpoint 7-layer segments", 7, True),
    ]:
        loss = make_loss(W, segment_layers)
        grad = ft.grad(lambda x, loss=loss, remat=remat: loss(x, remat))
        results[name] = measure(grad, x)
    base_time, base_peak = results["no checkpoint"]
    for name, (seconds, peak) in results.items():
        print(
            f"  {name:<30} peak {peak / 2**20:8.0f} MiB ({peak / base_peak:.2f}x)   "
            f"time {seconds * 1e3:8.0f} ms ({seconds / base_time:.2f}x)"
        )


if __name__ == "__main__":
    main()
