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


def seconds_per_call(
    fn: Callable[[], object], min_time: float = 0.2, repeats: int = 5, warmup: bool = True
) -> float:
    """Best over ``repeats`` of the mean time per call over at least ``min_time``.

    ``warmup=False`` skips the untimed first call, for a slow function that the
    caller has already run once (its caches and compilation are warm).
    """
    if warmup:
        fn()  # warm up (caches, lazy imports, compilation)
    return seconds_per_call_interleaved({"fn": fn}, min_time, repeats)["fn"]


def seconds_per_call_interleaved(
    fns: dict[str, Callable[[], object]], min_time: float = 0.2, repeats: int = 5
) -> dict[str, float]:
    """``seconds_per_call`` of each function (already run once), with the repeats
    taken in turn: a change of load on a shared machine then hits all alike."""
    numbers, best = {}, {}
    for name, fn in fns.items():
        numbers[name], best[name] = _calls_per_block(fn, min_time / repeats)
    for _ in range(repeats - 1):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(numbers[name]):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / numbers[name])
    return best


def _calls_per_block(fn: Callable[[], object], block_time: float) -> tuple[int, float]:
    """The number of calls (a power of two) lasting ``block_time``, and their mean time."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= block_time or number >= 1 << 20:
            return number, elapsed / number
        number *= 2


def report(title: str, timings: dict, baseline: str) -> None:
    """Prints each timing and its ratio to ``baseline``."""
    base = timings[baseline]
    print(f"\n{title}")
    for name, t in timings.items():
        print(f"  {name:<28} {t * 1e6:12.1f} us   {t / base:8.2f}x {baseline}")
