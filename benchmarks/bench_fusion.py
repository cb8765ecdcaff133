"""``ft.jit`` without and with elementwise fusion (Numba kernels on the CPU).

Workloads: W2 (value_and_grad of a 784-512-512-10 tanh MLP, batch 128), W3
(grad of a tanh RNN, 50 steps, hidden 64, batch 32), W4 (Hessian-vector
product, d = 1000), W8 (per-example gradients) from ``bench_jit.py``, and C1,
a chain of 12 elementwise operations closed by a sum on 1e6 elements (value
and gradient), C2 the same chain's value alone.

Variants: "jit" is ``ft.jit`` as it is; "all+transc" fuses every group of
at least three equations, closing reductions and transcendental functions
(tanh, exp, sin...) included; "all" leaves transcendental functions to NumPy
(the default of ``fuse`` on the CPU); "all no-red" also leaves reductions
out (``fuse``'s default); "auto" is ``fuse``'s default: "all no-red" over at
least ``MIN_ELEMENTS`` elements. Ratios are to "jit" of
the same run (below 1: fusion is faster). Fusion is patched into jit's code
generation here (the optimized program is fused before code is generated).

Compile times: a fresh process compiles C1's kernels with an empty disk
cache, then another process loads them from the cache; both report the
first call of the jitted function (trace, optimize, fuse, generate, compile
or load the kernels, run).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_fusion.py [--min-time S]``
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse
import contextlib
import importlib
import subprocess
import sys
import tempfile
import time
from functools import partial

import numpy as np
from bench_foundation import init_mlp, mlp_loss
from bench_jit import rnn_loss
from harness import seconds_per_call_interleaved

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.interpreters.fusion import MIN_ELEMENTS, fuse
from fntrans.interpreters.optimize import plan_memory

jit_module = importlib.import_module("fntrans.jit")  # ft.jit is the function
_generate = jit_module.generate


@contextlib.contextmanager
def fusion(**options):
    """jit's programs fused before code generation (``options`` go to ``fuse``)."""

    def generate(ir, xp, plan, name):
        fused = fuse(ir, xp, **options)
        return _generate(fused, xp, plan_memory(fused) if fused is not ir else plan, name)

    jit_module.generate = generate
    try:
        yield
    finally:
        jit_module.generate = _generate


VARIANTS = {
    "jit": None,
    "all+transc": {"min_elements": 0, "transcendental": True, "reductions": True},
    "all": {"min_elements": 0, "reductions": True},
    "all no-red": {"min_elements": 0},
    "auto": {"min_elements": MIN_ELEMENTS},
}


def chain(x):
    y = fnp.tanh(x) * 0.5 + 1.0
    z = y * y - fnp.exp(-x * x) / (1.0 + x * x)
    return fnp.sum(z * fnp.sin(x) + fnp.sqrt(y))


def workloads():
    rng = np.random.default_rng(0)
    params = init_mlp(rng)
    X = rng.standard_normal((128, 784))
    Y = np.eye(10)[rng.integers(0, 10, 128)]
    rnn = {
        "Wx": rng.standard_normal((16, 64)) / 4.0,
        "Wh": 0.9 * rng.standard_normal((64, 64)) / 8.0,
        "b": 0.1 * rng.standard_normal(64),
    }
    xs = rng.standard_normal((50, 32, 16))
    W4 = rng.standard_normal((1000, 1000)) / np.sqrt(1000)
    x4, v4 = rng.standard_normal(1000), rng.standard_normal(1000)
    W8, X8, Y8 = (rng.standard_normal(s) for s in ((8, 32), (256, 32), (256, 8)))
    big = rng.uniform(0.1, 2.0, 1_000_000)

    def hvp(x, v, W):
        return ft.hvp(lambda x: fnp.sum(fnp.tanh(W @ x)), (x,), (v,))[0]

    def linear_loss(W, x, y):
        r = W @ x - y
        return fnp.sum(r * r)

    return {
        "W2": (lambda: ft.value_and_grad(partial(mlp_loss, fnp)), (params, X, Y)),
        "W3": (lambda: ft.grad(partial(rnn_loss, fnp, steps=50)), (rnn, xs)),
        "W4": (lambda: hvp, (x4, v4, W4)),
        "W8": (lambda: ft.vmap(ft.grad(linear_loss), in_axes=(None, 0, 0)), (W8, X8, Y8)),
        "C1": (lambda: ft.value_and_grad(chain), (big,)),
        "C2": (lambda: chain, (big,)),
    }


def run(min_time: float) -> None:
    print(
        f"{'workload':<9}" + "".join(f"{v:>15}" for v in VARIANTS) + "   (time/call; ratio to jit)"
    )
    for key, (make, args) in workloads().items():
        thunks, expected, kernels = {}, None, {}
        for variant, options in VARIANTS.items():
            with contextlib.nullcontext() if options is None else fusion(**options):
                jitted = ft.jit(make())
                out = jitted(*args)  # traced, fused and compiled here
                kernels[variant] = jitted.lower(*args).source.count("kernels=")
            leaves = [np.asarray(a) for a in ft.tree.tree_leaves(out)]
            if expected is None:
                expected = leaves
            for a, b in zip(leaves, expected):
                np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
            thunks[variant] = partial(jitted, *args)
        seconds = seconds_per_call_interleaved(thunks, min_time)
        cells = []
        for variant in VARIANTS:
            ratio = seconds[variant] / seconds["jit"]
            cells.append(f"{seconds[variant] * 1e3:7.3f}ms {ratio:4.2f}")
        print(f"{key:<9}" + "".join(f"{c:>15}" for c in cells))
        print(f"{'':<9}" + "".join(f"{f'{kernels[v]} kernels':>15}" for v in VARIANTS))


def first_call() -> None:
    """In a child process: C1's first call, fused (what a fresh process pays)."""
    make, args = workloads()["C1"]
    start = time.perf_counter()
    with fusion(min_elements=0, transcendental=True, reductions=True):
        ft.jit(make())(*args)
    print(f"{time.perf_counter() - start:.3f}")


def compile_times() -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, FNTRANS_CACHE_DIR=cache)
        command = [sys.executable, __file__, "--first-call"]
        times = [
            float(
                subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
            )
            for _ in range(2)
        ]
    print(
        f"\nC1 value_and_grad first call, fused: {times[0]:.2f} s with an empty kernel cache"
        f" (Numba compiles), {times[1]:.2f} s in a second process (kernels loaded from disk)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-time", type=float, default=0.2)
    parser.add_argument("--first-call", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_call:
        first_call()
        return
    run(args.min_time)
    compile_times()


if __name__ == "__main__":
    main()
