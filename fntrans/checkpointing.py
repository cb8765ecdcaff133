"""``checkpoint``: trade compute for memory in reverse mode."""

from __future__ import annotations

import functools
from collections.abc import Callable

from fntrans.core.tracer import Tracer
from fntrans.primitives.calls import Recording, checkpoint_p
from fntrans.tree import tree_flatten, tree_unflatten


def checkpoint(fun: Callable) -> Callable:
    """``fun`` whose intermediate values are recomputed in the backward pass
    instead of being kept from the forward pass.

    The first evaluation records ``fun``'s program (IR); the backward pass
    replays that program from the saved inputs, never calling ``fun`` again,
    so randomness or branches inside it cannot differ.

    >>> import numpy as np, fntrans as ft, fntrans.numpy as fnp
    >>> layer = ft.checkpoint(lambda x: fnp.tanh(fnp.sin(x) * 2.0))
    >>> g = ft.grad(lambda x: fnp.sum(layer(layer(x))))(np.ones(3))
    >>> bool(np.allclose(g, ft.grad(lambda x: fnp.sum(
    ...     fnp.tanh(fnp.sin(fnp.tanh(fnp.sin(x) * 2.0)) * 2.0)))(np.ones(3))))
    True
    """

    @functools.wraps(fun)
    def checkpointed(*args):
        flat, in_tree = tree_flatten(args)
        if not any(isinstance(x, Tracer) for x in flat):
            return fun(*args)
        out_tree = []

        def fun_flat(*leaves):
            out_flat, tree = tree_flatten(fun(*tree_unflatten(in_tree, leaves)))
            out_tree[:] = [tree]
            return out_flat

        outs = checkpoint_p.bind(*flat, recording=Recording(fun_flat))
        return tree_unflatten(out_tree[0], list(outs))

    return checkpointed
