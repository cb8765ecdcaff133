"""Structured control flow that transforms can trace: ``cond``, ``switch``,
``while_loop``, ``fori_loop``, ``scan``, ``map`` and ``select_n``, with JAX's
signatures.

Python's ``if`` and ``while`` run on concrete values only; these take the
branch or loop body as functions and become one operation each, so they work
where the value they depend on is traced (``jit``, ``make_jaxpr``, ``vmap``)
and every transform differentiates or batches them.

>>> import fntrans as ft
>>> from fntrans import lax
>>> relu = lambda x: lax.cond(x > 0, lambda x: x, lambda x: 0.0 * x, x)
>>> print(ft.vmap(relu)(ft.numpy.array([-1.0, 2.0])))
[-0.  2.]
"""

from fntrans.lax.cond import cond, select_n, switch
from fntrans.lax.loops import fori_loop, while_loop
from fntrans.lax.scan import map, scan

__all__ = ["cond", "fori_loop", "map", "scan", "select_n", "switch", "while_loop"]
