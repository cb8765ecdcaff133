"""Tracing a loop body whose carry must keep its type from step to step."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fntrans.core.aval import aval_of, dtype_of, shape_of
from fntrans.lax import _errors
from fntrans.lax._tracing import as_operand, fit_output
from fntrans.tree import tree_flatten, tree_unflatten
from fntrans.tree.pytrees import leaf_names


class Carry:
    """The flat initial carry of a loop, its structure, and how to check a body's."""

    def __init__(self, what: str, fun_name: str, init, init_name: str):
        leaves, self.tree = tree_flatten(init)
        self.leaves = [as_operand(x) for x in leaves]
        self.avals = [aval_of(x).update(weak_type=False) for x in self.leaves]
        self.what, self.fun_name = what, fun_name
        self.names = leaf_names(init, init_name)

    def unflatten(self, leaves):
        return tree_unflatten(self.tree, list(leaves))

    def checked(self, out) -> list:
        """A body's returned carry, flat and checked: the same structure, shapes
        and dtypes as the initial carry (a Python scalar takes the carry's dtype)."""
        leaves, tree = tree_flatten(out)
        if tree != self.tree:
            raise _errors.carry_structure(self.what, self.fun_name, self.tree, tree)
        checked = []
        for leaf, aval, name in zip(leaves, self.avals, self.names):
            out_aval = aval_of(leaf)
            same_dtype = dtype_of(leaf) == aval.dtype or (
                out_aval.weak_type and np.can_cast(out_aval.dtype, aval.dtype, "same_kind")
            )
            if tuple(shape_of(leaf)) != aval.shape or not same_dtype:
                raise _errors.carry_type(self.what, self.fun_name, name, aval, out_aval)
            checked.append(fit_output(leaf, aval.dtype))
        return checked


def flat_body(carry: Carry, fun: Callable, n_before: int = 0) -> Callable:
    """``fun`` of the carry as a function of flat values, the first ``n_before``
    of which it does not take."""

    def body(*args):
        return carry.checked(fun(carry.unflatten(args[n_before:])))

    return body
