"""A small timing harness: best-of-repeats per call, ratios against a baseline.

Timings on a shared machine are noisy; compare ratios from one run only.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable


def optional(module: str):
    """The module if it is installed, else None (autograd and JAX are optional)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def seconds_per_call(fn: Callable[[], object], min_time: float = 0.2, repeats: int = 5) -> float:
    """Best over ``repeats`` of the mean time per call over at least ``min_time``."""
    fn()  # warm up (caches, lazy imports, compilation)
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time / repeats or number >= 1 << 20:
            break
        number *= 2
    best = elapsed / number
    for _ in range(repeats - 1):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def report(title: str, timings: dict, baseline: str) -> None:
    """Prints each timing and its ratio to ``baseline``."""
    base = timings[baseline]
    print(f"\n{title}")
    for name, t in timings.items():
        print(f"  {name:<28} {t * 1e6:12.1f} us   {t / base:8.2f}x {baseline}")
