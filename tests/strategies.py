"""Hypothesis strategies for the inputs of the op table."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.fake_backend import to_backend


def _push_away(v, away_from):
    """``v`` moved to at least 0.1 from each kink (mapping, not filtering, so no
    draw is wasted)."""
    for k in away_from:
        if abs(v - k) <= 0.1:
            v = k + (0.1 + abs(v - k)) * (1 if v >= k else -1) + 0.05 * (1 if v >= k else -1)
    return v


def _elements(low, high, away_from):
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    if away_from:
        floats = floats.map(lambda v: _push_away(v, away_from))
    return floats


def _distinct_values(data, n, low, high):
    """``n`` values in ``[low, high]`` at least 0.2/n apart (ties are kinks)."""
    order = data.draw(st.permutations(range(n)))
    jitter = data.draw(st.floats(0.0, 0.5))
    step = (high - low) / max(n, 1)
    return np.array([low + (i + jitter) * step for i in order])


def draw_args(data, case, shapes, dtype=np.float64, with_imag=False):
    """Arguments of ``case`` with the given shapes, drawn from its domain, on the
    backend that the tests run on (tests/conftest.py's ``--backend``)."""
    return to_backend(draw_host_args(data, case, shapes, dtype, with_imag))


def draw_host_args(data, case, shapes, dtype=np.float64, with_imag=False):
    """``draw_args`` as NumPy arrays, whatever the tests' backend."""
    if case.draw is not None:
        args = case.draw(data, shapes, with_imag=with_imag)
        return [np.asarray(a) if with_imag else np.asarray(a).astype(dtype) for a in args]
    domains = case.domains(len(shapes))
    if case.distinct:
        sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
        low = max(d[0] for d in domains)
        high = min(d[1] for d in domains)
        flat = _distinct_values(data, sum(sizes), low, high)
        args, start = [], 0
        for shape, size in zip(shapes, sizes):
            args.append(flat[start : start + size].reshape(shape).astype(dtype))
            start += size
        return args
    args = []
    for shape, (low, high) in zip(shapes, domains):
        elements = _elements(low, high, case.away_from)
        x = data.draw(hnp.arrays(np.float64, shape, elements=elements))
        if with_imag:
            x = x + 1j * data.draw(hnp.arrays(np.float64, shape, elements=_elements(-1.0, 1.0, ())))
        args.append(x.astype(dtype) if not with_imag else x)
    return args
