"""Op-table cases of the primitives that carry programs: ``fntrans.lax``'s
control flow (``cond``, ``scan``) and ``jit``'s calls.

``while_loop`` is differentiable in forward mode only (tests/test_lax.py);
the collectives of ``fntrans.distributed`` need several processes
(tests/test_distributed.py).
"""

from __future__ import annotations

import fntrans as ft
import fntrans.numpy as fnp
from fntrans import lax
from tests.op_cases import unary


def _always(x):
    """A traced predicate that is true for every input (no kink to cross)."""
    return fnp.sum(x * 0.0) >= 0.0


def _scan_rnn(x):
    def step(carry, row):
        new = fnp.tanh(carry * 0.5 + row)
        return new, new * row

    carry, ys = lax.scan(step, fnp.zeros_like(x[0]), x)
    return fnp.sum(ys, axis=0) + carry


def _fori(x):
    return lax.fori_loop(0, 3, lambda i, c: fnp.sin(c) * x + c * 0.5, x)


_jitted = ft.jit(lambda x: fnp.tanh(x) * x + fnp.exp(-(x**2)))

CASES = [
    unary("lax_cond", lambda x: lax.cond(_always(x), fnp.sin, lambda v: v**2, x) * x),
    unary(
        "lax_switch",
        lambda x: lax.switch((fnp.sum(x * 0.0) + 1.0).astype(int), [fnp.cos, fnp.tanh, fnp.exp], x),
    ),
    unary("lax_scan", _scan_rnn, shapes=[(3,), (3, 2)]),
    unary(
        "lax_scan_reverse",
        lambda x: lax.scan(lambda c, r: (c * r + 1.0, c), fnp.ones_like(x[0]), x, reverse=True)[0],
        shapes=[(3,), (4,)],
    ),
    unary("lax_fori_loop", _fori, shapes=[(), (3,)]),
    unary("jit_call", _jitted),
]
