"""Batching (vmap): each tracer carries a value with one extra, batch, axis.

A ``BatchTracer`` holds the batched value and ``bdim``, the position of its
batch axis (``None``: the same for every example). A primitive's batching
rule ``batch(prim, args, dims, **params) -> (out, out_dim)`` computes all
examples at once, usually by binding the same primitive on the whole batch.
"""

from __future__ import annotations

from fntrans import errors
from fntrans.core.aval import ShapedArray, shape_of
from fntrans.core.interpreter import Interpreter
from fntrans.core.tracer import Tracer
from fntrans.primitives.broadcasting import broadcast_to
from fntrans.primitives.indexing import getitem
from fntrans.primitives.joining import join
from fntrans.primitives.shape import move_axis


class BatchTracer(Tracer):
    __slots__ = ("val", "bdim")

    def __init__(self, interp, val, bdim):
        self._interp = interp
        self.val = val
        self.bdim = bdim

    @property
    def aval(self):
        return ShapedArray(self.shape, self.val.dtype)

    @property
    def shape(self):
        shape = self.val.shape
        b = self.bdim
        return shape if b is None else shape[:b] + shape[b + 1 :]

    @property
    def dtype(self):
        return self.val.dtype

    @property
    def inner(self):
        return self.val

    @property
    def concrete(self):
        if self.bdim is None:  # the same for every example
            v = self.val
            return v.concrete if isinstance(v, Tracer) else v
        return None  # a batch of values has no single value to branch on

    def carries_derivative(self) -> bool:
        return self.bdim is not None

    def _concrete_or_raise(self, operation):
        if self.bdim is not None:
            raise errors.batched_control_flow(operation, self.aval)
        v = self.val  # the same for every example: the transform below says the rest
        return v._concrete_or_raise(operation) if isinstance(v, Tracer) else v


class Batch(Interpreter):
    """The batching interpreter for one ``vmap``, over ``axis_size`` examples."""

    __slots__ = ("axis_size",)

    def __init__(self, axis_size: int, name: str = "vmap"):
        super().__init__(name)
        self.axis_size = axis_size

    def lift(self, value) -> BatchTracer:
        """A value that is the same for every example, as an assignable handle."""
        return BatchTracer(self, value, None)

    def process_primitive(self, prim, args, params):
        vals, dims = [], []
        own = False  # whether a tracer of this transform is among the inputs
        for a in args:
            if type(a) is BatchTracer and a._interp is self:
                own = True
                vals.append(a.val)
                dims.append(a.bdim)
            else:
                vals.append(a)
                dims.append(None)
        if all(d is None for d in dims):  # the same for every example
            ans = prim.bind(*vals, **params)
            return self.lift_all(ans, prim.multiple_results) if own else ans
        if prim.batch is None:
            raise errors.missing_rule(prim.name, "batching")
        out, out_dim = prim.batch(prim, vals, dims, **params)
        if prim.multiple_results:
            return tuple(self.wrap(o, d) for o, d in zip(out, out_dim))
        return self.wrap(out, out_dim)

    def wrap(self, val, bdim):
        return val if bdim is None else BatchTracer(self, val, bdim)

    def unbatch(self, out, axis):
        """An output of the batched function as a value with its batch axis at
        ``axis``; an output that is the same for every example is broadcast.
        With ``axis=None`` the output must not vary across the batch."""
        if out is None:
            return None
        if type(out) is BatchTracer and out._interp is self and out.bdim is None:
            out = out.val  # made inside the function, the same for every example
        batched = type(out) is BatchTracer and out._interp is self
        if axis is None:
            if batched:
                raise ValueError(
                    "vmap: out_axes is None for an output that varies across the batch; "
                    "give it an axis to map."
                )
            return out
        if batched:
            val, bdim = out.val, out.bdim
        else:
            val, bdim = broadcast_to(out, (self.axis_size,) + tuple(shape_of(out))), 0
        return move_axis(val, bdim, axis % len(val.shape))


def looped_batch(prim, vals, dims, **params):
    """A batching rule that loops over the examples: correct for any
    primitive, and slow. The default of ``fntrans.extend`` primitives."""
    size = next(v.shape[d] for v, d in zip(vals, dims) if d is not None)
    results = []
    for i in range(size):
        args = [
            v if d is None else getitem(v, (slice(None),) * d + (i,)) for v, d in zip(vals, dims)
        ]
        results.append(prim.bind(*args, **params))
    if prim.multiple_results:
        outs = tuple(join(list(parts), axis=0, new_axis=True) for parts in zip(*results))
        return outs, (0,) * len(outs)
    return join(results, axis=0, new_axis=True), 0
