"""``checkpoint``: trade compute for memory in reverse mode, and the call
primitive it binds, which records the function's IR once and replays it."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from fntrans.core.interpreter import new_interpreter, tracing
from fntrans.core.primitive import Primitive
from fntrans.core.tracer import Tracer, new_handle
from fntrans.interpreters.batching import Batch
from fntrans.interpreters.flat import (
    jvp_flat,
    pull_back,
    trace_shapes,
    traced_constants_as_inputs,
    vmap_flat,
)
from fntrans.interpreters.reverse import Tape
from fntrans.tree import tree_flatten, tree_unflatten


class Recording:
    """A checkpointed call: the function, and the program (IR) of its first
    evaluation, which later evaluations replay."""

    __slots__ = ("fun", "ir", "first")

    def __init__(self, fun):
        self.fun = fun
        self.ir = None
        self.first = None  # the outputs of the recording run, for the evaluation that follows it

    def __repr__(self):
        return "<recorded>" if self.ir is not None else "<not recorded>"

    @property
    def program(self):
        """What the call computes: the recorded program, or the function before it."""
        return self.fun if self.ir is None else self.ir

    def record(self, args, owner=None) -> list:
        """Runs ``fun`` on ``args`` once, recording its program. Tracers of
        ``owner`` (the transform that will process the call) that ``fun``
        closes over become trailing inputs of the program; they are returned,
        to be passed to the call with the arguments."""
        # the program runs one transform below the owner, except below a vmap
        # (that batches the program per example) and below staging (whose
        # values are abstract): then it is recorded on their tracers
        staged = getattr(owner, "records", False)
        below = None if isinstance(owner, Batch) or staged else owner
        with new_interpreter(_ClosureTape(below), args) as tape:
            inputs = [tape.new_input(_below(a, below)) for a in args]
            input_nodes = [(t.node, t.primal) for t in inputs]
            # a constant of the tape (a copy of a value of an enclosing
            # transform, fnp.zeros) is that value: the tracer itself dies here
            outs = tuple(
                o.primal if isinstance(o, Tracer) and o._interp is tape and o.node is None else o
                for o in self.fun(*inputs)
            )
        free = list(tape.free.values())
        ir = tape.as_ir(input_nodes + [(t.node, t.primal) for _, t in free], outs)
        # values computed from closed-over tracers alone never reached the
        # tape: they are constants of the program, tracers of enclosing
        # transforms, and become inputs too (their derivatives flow through
        # those transforms, also through a checkpoint nested in another)
        closures = [closure for closure, _ in free] + traced_constants_as_inputs(ir)
        self.ir = ir
        # staging writes the call into its program without evaluating it (the
        # program's later runs replay the recording); and where fun closes over
        # tracers of a transform above the owner (the recording of an enclosing
        # checkpoint, a grad inside it), that transform processes the call, on
        # values at its own level, not the owner's: replaying computes them there
        replayed = staged or (owner is not None and tracing(list(args) + closures)[0] is not owner)
        self.first = None
        if not replayed:  # the outputs one transform below the owner, as the call's are
            self.first = tuple(
                _below(o.primal if isinstance(o, Tracer) and o._interp is tape else o, below)
                for o in outs
            )
        return closures

    def evaluate(self, args):
        """The outputs on ``args``: of the recording run first, then by replay."""
        if self.first is not None:
            outs, self.first = self.first, None
            return outs
        if self.ir is None:
            self.record(args)
            return self.evaluate(args)
        return tuple(self.ir(*args))


def _below(x, owner):
    """``x`` one transform down if it is a tracer of ``owner``."""
    return x.inner if isinstance(x, Tracer) and x._interp is owner else x


class _ClosureTape(Tape):
    """The tape that records a checkpointed function: a tracer of ``owner`` it
    meets that is not an argument (a value the function closes over, such as
    the weights being differentiated) becomes a free input of the program."""

    __slots__ = ("owner", "free")

    def __init__(self, owner):
        super().__init__("checkpoint")
        self.owner = owner
        self.free = {}  # id of the closed-over tracer -> (tracer, input of the program)

    def process_primitive(self, prim, args, params):
        if self.owner is not None:
            args = [
                self._free(a) if isinstance(a, Tracer) and a._interp is self.owner else a
                for a in args
            ]
        return super().process_primitive(prim, args, params)

    def lift(self, value):
        # a copy (fnp.copy) of a closed-over value is a copy of its free input
        if isinstance(value, Tracer) and value._interp is self.owner:
            return new_handle(self._free(value))
        return super().lift(value)

    def _free(self, x):
        if id(x) not in self.free:
            self.free[id(x)] = (x, self.new_input(x.inner))
        return self.free[id(x)][1]


def _checkpoint_vjp(cts, ans, *args, needs, recording):
    # Replays the recorded program (never fun itself) under a fresh tape.
    return pull_back(recording.ir, args, needs, cts)


def _checkpoint_jvp(primals, tangents, *, recording):
    return jvp_flat(recording.program, primals, tangents)


def _checkpoint_batch(prim, vals, dims, *, recording):
    outs = prim.bind(*vals, recording=Recording(vmap_flat(recording.program, dims)))
    return outs, (0,) * len(outs)


checkpoint_p = Primitive(
    "checkpoint",
    impl=lambda xp, *args, recording: recording.evaluate(args),
    shape=lambda *avals, recording: trace_shapes(recording.program, avals),
    jvp=_checkpoint_jvp,
    vjp=_checkpoint_vjp,
    batch=_checkpoint_batch,
    # on traced values, enclosing transforms see fun's operations as it is recorded
    forward=lambda *args, recording: recording.evaluate(args),
    multiple_results=True,
)


def _is_value(x) -> bool:
    return isinstance(x, (Tracer, np.ndarray, np.generic, bool, int, float, complex))


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
    def checkpointed(*args, **kwargs):
        leaves, in_tree = tree_flatten((args, kwargs))
        if not any(i.differentiates == "reverse" or i.records for i in tracing(leaves)):
            return fun(*args, **kwargs)  # it only matters to reverse mode
        # arrays and numbers are the call's arguments; anything else (a string,
        # a flag object) is part of the function
        dynamic = [_is_value(leaf) for leaf in leaves]
        out_tree = []

        def fun_flat(*values):
            values = iter(values)
            merged = [next(values) if d else leaf for leaf, d in zip(leaves, dynamic)]
            call_args, call_kwargs = tree_unflatten(in_tree, merged)
            out_flat, tree = tree_flatten(fun(*call_args, **call_kwargs))
            out_tree[:] = [tree]
            return out_flat

        flat = [leaf for leaf, d in zip(leaves, dynamic) if d]
        recording = Recording(fun_flat)
        closures = recording.record(flat, owner=tracing(flat)[0])
        outs = checkpoint_p.bind(*flat, *closures, recording=recording)
        return tree_unflatten(out_tree[0], list(outs))

    return checkpointed
