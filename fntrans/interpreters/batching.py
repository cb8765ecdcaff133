"""Batching (vmap): each tracer carries a value with one extra, batch, axis.

A ``BatchTracer`` holds the batched value and ``bdim``, the position of its
batch axis (``None``: the same for every example). A primitive's batching
rule ``batch(prim, args, dims, **params) -> (out, out_dim)`` computes all
examples at once, usually by binding the same primitive on the whole batch.

Each tracer also knows which of the transform's inputs it depends on
(``sources``, a bit mask over the inputs, one OR per primitive), so that an
error can name the argument a batched value came from; the names themselves
are computed only when such an error is raised. A batched tracer's mask is
never 0 (-1: from inputs without names), so a primitive whose inputs' masks
are all 0 is the same for every example.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fntrans import errors
from fntrans.core.aval import ShapedArray, shape_of
from fntrans.core.interpreter import Interpreter
from fntrans.core.tracer import Tracer
from fntrans.primitives.broadcasting import broadcast_to
from fntrans.primitives.indexing import getitem
from fntrans.primitives.joining import join
from fntrans.primitives.shape import move_axis


class BatchTracer(Tracer):
    __slots__ = ("val", "bdim", "sources")

    def __init__(self, interp, val, bdim, sources=None):
        self._interp = interp
        self.val = val
        self.bdim = bdim
        if sources is None:  # an input of a batch without names
            sources = 0 if bdim is None else -1
        self.sources = sources  # bit i set: depends on the transform's input i

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
            interp = self._interp
            names = interp.source_names(self.sources)
            raise errors.batched_control_flow(operation, self.aval, interp.name, names)
        v = self.val  # the same for every example: the transform below says the rest
        return v._concrete_or_raise(operation) if isinstance(v, Tracer) else v


class Batch(Interpreter):
    """The batching interpreter for one ``vmap``, over ``axis_size`` examples.

    ``name`` is the transform the user called (``jacfwd`` batches with it too);
    ``input_names``, if given, returns a name for each input, by position
    (``argument 1``, ``argument 0['w']``): it is called only for an error.
    """

    __slots__ = ("axis_size", "input_names")

    def __init__(
        self,
        axis_size: int,
        name: str = "vmap",
        input_names: Callable[[], Sequence[str]] | None = None,
    ):
        super().__init__(name)
        self.axis_size = axis_size
        self.input_names = input_names

    def new_input(self, value, bdim: int, position: int) -> BatchTracer:
        """The tracer of input ``position``, batched along ``bdim``."""
        return BatchTracer(self, value, bdim, 1 << position)

    def source_names(self, sources: int) -> list[str]:
        """The names of the inputs in the bit mask ``sources``, in input order."""
        if sources <= 0 or self.input_names is None:  # none, or from unnamed inputs
            return []
        names = self.input_names()
        return [name for i, name in enumerate(names) if sources >> i & 1]

    def lift(self, value) -> BatchTracer:
        """A value that is the same for every example, as an assignable handle."""
        return BatchTracer(self, value, None)

    def process_primitive(self, prim, args, params):
        vals, dims = [], []
        own = False  # whether a tracer of this transform is among the inputs
        sources = 0
        for a in args:
            if type(a) is BatchTracer and a._interp is self:
                own = True
                vals.append(a.val)
                dims.append(a.bdim)
                sources |= a.sources
            else:
                vals.append(a)
                dims.append(None)
        if not sources:  # the same for every example
            ans = prim.bind(*vals, **params)
            return self.lift_all(ans, prim.multiple_results) if own else ans
        if prim.batch is None:
            raise errors.missing_rule(prim.name, "batching")
        out, out_dim = prim.batch(prim, vals, dims, **params)
        if prim.multiple_results:
            return tuple(self.wrap(o, d, sources) for o, d in zip(out, out_dim))
        if out_dim is None:
            return out
        tracer = _new_object(BatchTracer)  # skips __init__: this is the hot path
        tracer._interp = self
        tracer.val = out
        tracer.bdim = out_dim
        tracer.sources = sources
        return tracer

    def wrap(self, val, bdim, sources=None):
        return val if bdim is None else BatchTracer(self, val, bdim, sources)

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
                    f"{self.name}: out_axes is None for an output that varies across the batch; "
                    "give it an axis to map."
                )
            return out
        if batched:
            val, bdim = out.val, out.bdim
        else:
            val, bdim = broadcast_to(out, (self.axis_size,) + tuple(shape_of(out))), 0
        return move_axis(val, bdim, axis % len(val.shape))


_new_object = object.__new__


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
