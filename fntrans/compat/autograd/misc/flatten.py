"""``autograd.misc.flatten``: ``flatten`` is :func:`fntrans.tree.ravel_pytree`.

Leaves are ordered as autograd's are (dict entries by sorted key), and the
flattening differentiates, as autograd's does.

>>> from fntrans.compat.autograd.misc.flatten import flatten
>>> flat, unflatten = flatten([(1.0, 1.0), (2.0, 2.0, 2.0)])
>>> flat
array([1., 1., 2., 2., 2.])
>>> unflatten(flat)
[(array(1.), array(1.)), (array(2.), array(2.), array(2.))]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fntrans.tree import ravel_pytree as flatten


def flatten_func(func: Callable, example: Any) -> tuple[Callable, Callable, Any]:
    """``func`` of a pytree like ``example``, as a function of one flat vector:
    returns ``(flat_func, unflatten, flat_example)``, where
    ``flat_func(flat, *args)`` is ``func(unflatten(flat), *args)`` flattened.

    >>> flat_func, unflatten, x = flatten_func(lambda p: [p["w"] * 2.0], {"w": 1.5})
    >>> flat_func(x)
    array([3.])
    """
    flat_example, unflatten = flatten(example)

    def flat_func(flat, *args):
        return flatten(func(unflatten(flat), *args))[0]

    return flat_func, unflatten, flat_example


__all__ = ["flatten", "flatten_func"]
