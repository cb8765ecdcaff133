"""Batching (vmap): each tracer carries a value with one extra, batch, axis.

A ``BatchTracer`` holds the batched value and ``bdim``, the position of its
batch axis (``None``: the same for every example). A primitive's batching
rule ``batch(prim, args, dims, **params) -> (out, out_dim)`` computes all
examples at once, usually by binding the same primitive on the whole batch.
"""

from __future__ import annotations

from fntrans import errors
from fntrans.core.aval import ShapedArray
from fntrans.core.interpreter import Interpreter
from fntrans.core.tracer import Tracer


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
    def concrete(self):
        if self.bdim is None:  # the same for every example
            v = self.val
            return v.concrete if isinstance(v, Tracer) else v
        return None  # a batch of values has no single value to branch on

    def carries_derivative(self) -> bool:
        return self.bdim is not None

    def _concrete_or_raise(self, operation):
        value = self.concrete
        if value is None:
            raise errors.batched_control_flow(operation, self.aval)
        return value


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
        for a in args:
            if type(a) is BatchTracer and a._interp is self:
                vals.append(a.val)
                dims.append(a.bdim)
            else:
                vals.append(a)
                dims.append(None)
        if all(d is None for d in dims):
            return prim.bind(*vals, **params)  # the same for every example
        if prim.batch is None:
            raise errors.missing_rule(prim.name, "batching")
        out, out_dim = prim.batch(prim, vals, dims, **params)
        if prim.multiple_results:
            return tuple(self.wrap(o, d) for o, d in zip(out, out_dim))
        return self.wrap(out, out_dim)

    def wrap(self, val, bdim):
        return val if bdim is None else BatchTracer(self, val, bdim)
