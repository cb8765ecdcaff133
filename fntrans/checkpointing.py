"""``checkpoint``: trade compute for memory in reverse mode, and the call
primitive it binds, which records the function's IR once and replays it."""

from __future__ import annotations

import functools
from collections.abc import Callable

from fntrans._flat_transforms import jvp_flat, pull_back, trace_shapes, vmap_flat
from fntrans.core.interpreter import new_interpreter, tracing
from fntrans.core.primitive import Primitive
from fntrans.core.tracer import Tracer
from fntrans.interpreters.reverse import Tape
from fntrans.tree import tree_flatten, tree_unflatten


class Recording:
    """A checkpointed call: the function, and the IR of its first evaluation."""

    __slots__ = ("fun", "ir")

    def __init__(self, fun):
        self.fun = fun
        self.ir = None

    def __repr__(self):
        return "<recorded>" if self.ir is not None else "<not recorded>"

    def evaluate(self, args):
        """Runs ``fun`` once, recording its program; later calls replay it."""
        if self.ir is not None:
            return tuple(self.ir(*args))
        with new_interpreter(Tape("checkpoint")) as tape:
            inputs = [tape.new_input(a) for a in args]
            input_nodes = [(t.node, a) for t, a in zip(inputs, args)]
            outs = tuple(self.fun(*inputs))
        self.ir = tape.as_ir(input_nodes, outs)
        return tuple(o.primal if isinstance(o, Tracer) and o._interp is tape else o for o in outs)


def _checkpoint_vjp(cts, ans, *args, needs, recording):
    # Replays the recorded program (never fun itself) under a fresh tape.
    return pull_back(recording.ir, args, needs, cts)


def _checkpoint_jvp(primals, tangents, *, recording):
    return jvp_flat(recording.fun, primals, tangents)


def _checkpoint_batch(prim, vals, dims, *, recording):
    outs = prim.bind(*vals, recording=Recording(vmap_flat(recording.fun, dims)))
    return outs, (0,) * len(outs)


checkpoint_p = Primitive(
    "checkpoint",
    impl=lambda xp, *args, recording: recording.evaluate(args),
    shape=lambda *avals, recording: trace_shapes(recording.fun, avals),
    jvp=_checkpoint_jvp,
    vjp=_checkpoint_vjp,
    batch=_checkpoint_batch,
    # on traced values, enclosing transforms see fun's operations as it is recorded
    forward=lambda *args, recording: recording.evaluate(args),
    multiple_results=True,
)


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
        if not any(i.differentiates == "reverse" or i.records for i in tracing(flat)):
            return fun(*args)  # it only matters to reverse mode
        out_tree = []

        def fun_flat(*leaves):
            out_flat, tree = tree_flatten(fun(*tree_unflatten(in_tree, leaves)))
            out_tree[:] = [tree]
            return out_flat

        outs = checkpoint_p.bind(*flat, recording=Recording(fun_flat))
        return tree_unflatten(out_tree[0], list(outs))

    return checkpointed
