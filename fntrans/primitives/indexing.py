"""Indexing: ``getitem`` (gather) and its transpose ``scatter_add``.

The index is a static ``indexer`` tuple of ints, slices, ``None`` and
``Ellipsis``, where ``ARRAY`` marks the place of each integer index array;
the index arrays themselves are positional arguments (they may be traced,
and carry no derivative). NumPy's own indexing computes both the values and,
on a zero-stride stand-in array, the result shape.
"""

from __future__ import annotations

import math

import numpy as np

from fntrans.core import constants
from fntrans.core.aval import ShapedArray, aval_of, dtype_of, shape_of
from fntrans.core.primitive import Primitive, Undefined
from fntrans.primitives.broadcasting import bdim_to_front, broadcast_to
from fntrans.primitives.elementwise import add, convert_element_type, div, eq, mul, select
from fntrans.primitives.shape import move_axis, reshape, transpose


class _ArraySlot:
    __slots__ = ()

    def __repr__(self):
        return "[]"


ARRAY = _ArraySlot()


def _full_index(indexer, arrays):
    if not arrays:
        return indexer
    it = iter(arrays)
    return tuple(next(it) if item is ARRAY else item for item in indexer)


def _stand_in(aval):
    """An array of ``aval``'s shape and dtype that occupies no memory."""
    return np.broadcast_to(np.zeros((), aval.dtype), aval.shape)


def _getitem_shape(x, *arrays, indexer):
    index = _full_index(indexer, [_stand_in(a) for a in arrays])
    return ShapedArray(_stand_in(x)[index].shape, x.dtype, x.weak_type)


def _getitem_impl(xp, x, *arrays, indexer):
    return x[_full_index(indexer, arrays)]


def _getitem_jvp(primals, tangents, *, indexer):
    x, *arrays = primals
    return getitem_p.bind(x, *arrays, indexer=indexer), getitem_p.bind(
        tangents[0], *arrays, indexer=indexer
    )


def _getitem_transpose(ct, x, *arrays, indexer):
    return (scatter_add_p.bind(ct, *arrays, indexer=indexer, shape=x.shape),) + (None,) * len(
        arrays
    )


def _batch_position(indexer, arrays) -> int:
    """Where the batch axis lands when ``(slice(None),) + indexer`` indexes a
    batch-first array: first, unless advanced indices (arrays, and ints mixed
    with them) are split apart, in which case NumPy puts their dims first."""
    if not arrays:
        return 0
    advanced = [i for i, item in enumerate(indexer) if item is ARRAY or type(item) is int]
    if advanced[-1] - advanced[0] == len(advanced) - 1:
        return 0
    return len(np.broadcast_shapes(*(a.shape for a in arrays)))


class _BatchedIndex:
    """Index arrays that differ per example, as one advanced index of the batch.

    The batch is indexed with ``arange(size)`` first, then the per-example index
    arrays (batch axis first). NumPy then lays the result out as
    ``(batch, index dims, other dims)``; ``to_examples`` is the permutation to
    each example's own layout (batch first), which differs when the example's
    advanced indices sit together after some sliced axes.
    """

    def __init__(self, x_ndim, indexer, arrays, dims, size):
        per_example = [
            a.shape if d is None else a.shape[:d] + a.shape[d + 1 :] for a, d in zip(arrays, dims)
        ]
        rank = len(np.broadcast_shapes(*per_example))
        moved = []
        for a, d, shape in zip(arrays, dims, per_example):
            if d is not None:
                a = reshape(move_axis(a, d, 0), (size,) + (1,) * (rank - len(shape)) + shape)
            moved.append(a)
        # on the backend of the index arrays it joins
        like = next(a for a, d in zip(arrays, dims) if d is not None)
        batch = constants.arange(size, np.intp, like=like).reshape((size,) + (1,) * rank)
        self.indexer = (ARRAY,) + indexer
        self.arrays = [batch] + moved
        advanced = [i for i, item in enumerate(indexer) if item is ARRAY or type(item) is int]
        adjacent = advanced[-1] - advanced[0] == len(advanced) - 1
        before = _result_dims_before(x_ndim, indexer, advanced[0]) if adjacent else 0
        # raw: (batch, rank index dims, `before` dims, the rest)
        order = list(range(1 + rank, 1 + rank + before)) + list(range(1, 1 + rank))
        self.rank, self.before = rank, before
        self.to_examples = [0] + order

    def to_examples_perm(self, ndim):
        return tuple(self.to_examples + list(range(len(self.to_examples), ndim)))

    def from_examples_perm(self, ndim):
        return tuple(np.argsort(self.to_examples_perm(ndim)).tolist())


def _result_dims_before(x_ndim, indexer, position) -> int:
    """How many result axes the index items before ``position`` produce."""
    indexed = sum(1 for item in indexer if item is not None and item is not Ellipsis)
    count = 0
    for item in indexer[:position]:
        if item is Ellipsis:
            count += x_ndim - indexed
        elif item is None or isinstance(item, slice):
            count += 1
    return count


def _getitem_batch(prim, vals, dims, *, indexer):
    x, *arrays = vals
    if any(d is not None for d in dims[1:]):
        size = next(v.shape[d] for v, d in zip(vals, dims) if d is not None)
        x = bdim_to_front(x, dims[0], size)
        index = _BatchedIndex(len(x.shape) - 1, indexer, arrays, dims[1:], size)
        out = getitem_p.bind(x, *index.arrays, indexer=index.indexer)
        return transpose(out, index.to_examples_perm(len(out.shape))), 0
    x = move_axis(x, dims[0], 0)
    out = getitem_p.bind(x, *arrays, indexer=(slice(None),) + indexer)
    return out, _batch_position(indexer, arrays)


getitem_p = Primitive(
    "getitem",
    impl=_getitem_impl,
    shape=_getitem_shape,
    jvp=_getitem_jvp,
    transpose=_getitem_transpose,
    batch=_getitem_batch,
)


def _scatter_add_impl(xp, ct, *arrays, indexer, shape):
    out = xp.zeros(shape, dtype=ct.dtype)
    index = _full_index(indexer, arrays)
    if arrays:
        xp.add.at(out, index, ct)  # repeated indices accumulate
    else:
        out[index] = ct  # a basic index never repeats an element
    return out


def _scatter_add_transpose(ct, updates, *arrays, indexer, shape):
    ct_updates = (
        getitem_p.bind(ct, *arrays, indexer=indexer) if type(updates) is Undefined else None
    )
    return (ct_updates,) + (None,) * len(arrays)


def _scatter_add_batch(prim, vals, dims, *, indexer, shape):
    updates, *arrays = vals
    if any(d is not None for d in dims[1:]):
        size = next(v.shape[d] for v, d in zip(vals, dims) if d is not None)
        index = _BatchedIndex(len(shape), indexer, arrays, dims[1:], size)
        updates = bdim_to_front(updates, dims[0], size)
        updates = transpose(updates, index.from_examples_perm(len(updates.shape)))
        out = scatter_add_p.bind(
            updates, *index.arrays, indexer=index.indexer, shape=(size,) + shape
        )
        return out, 0
    size = updates.shape[dims[0]]
    updates = move_axis(updates, dims[0], _batch_position(indexer, arrays))
    out = scatter_add_p.bind(
        updates, *arrays, indexer=(slice(None),) + indexer, shape=(size,) + shape
    )
    return out, 0


scatter_add_p = Primitive(
    "scatter_add",
    impl=_scatter_add_impl,
    shape=lambda updates, *arrays, indexer, shape: ShapedArray(shape, updates.dtype),
    jvp=lambda primals, tangents, *, indexer, shape: (
        scatter_add_p.bind(*primals, indexer=indexer, shape=shape),
        scatter_add_p.bind(tangents[0], *primals[1:], indexer=indexer, shape=shape),
    ),
    transpose=_scatter_add_transpose,
    batch=_scatter_add_batch,
)


# ---- scatter: x with the indexed elements replaced (NumPy's x[idx] = v) ----


def _scatter_impl(xp, x, v, *arrays, indexer):
    out = x.copy()
    out[_full_index(indexer, arrays)] = v
    return out


def _scatter_jvp(primals, tangents, *, indexer):
    x, v, *arrays = primals
    tx, tv = tangents[0], tangents[1]
    ans = scatter_p.bind(x, v, *arrays, indexer=indexer)
    tx = constants.zeros_like(ans) if tx is None else tx
    tv = 0.0 if tv is None else tv
    return ans, scatter_p.bind(tx, tv, *arrays, indexer=indexer)


def _landed(like, arrays, indexer):
    """Which updates land where an index repeats an element (NumPy keeps the
    last write): true where an update lands, false where a later one
    overwrites it; ``None`` when every update lands. Computed with
    primitives, so traced index arrays (per example under vmap) work too."""
    if not arrays:
        return None  # a basic index never repeats an element
    shape = shape_of(like)
    target = getitem_p.shape(
        ShapedArray(shape, np.dtype(np.intp)), *(aval_of(a) for a in arrays), indexer=indexer
    ).shape
    size = math.prod(target)
    # number the updates from 1 and write the numbers: the last write stays
    numbers = reshape(add(constants.arange(size, np.intp, like=like), 1), target)
    written = scatter_p.bind(
        constants.full(shape, 0, np.intp, like=like), numbers, *arrays, indexer=indexer
    )
    landed = eq(getitem_p.bind(written, *arrays, indexer=indexer), numbers)
    if isinstance(landed, np.ndarray) and landed.all():
        return None
    return landed


def _scatter_transpose(ct, x, v, *arrays, indexer):
    ct_x = scatter_p.bind(ct, 0.0, *arrays, indexer=indexer) if type(x) is Undefined else None
    ct_v = None
    if type(v) is Undefined:
        ct_v = getitem_p.bind(ct, *arrays, indexer=indexer)
        landed = _landed(ct, arrays, indexer)
        if landed is not None:
            ct_v = select(landed, ct_v, 0.0)
    return (ct_x, ct_v) + (None,) * len(arrays)


def _scatter_batch(prim, vals, dims, *, indexer, **params):
    """Batching of the scatters: an update ``v`` of ``x`` at an index."""
    x, v, *arrays = vals
    if any(d is not None for d in dims[2:]):
        size = next(val.shape[d] for val, d in zip(vals, dims) if d is not None)
        x = bdim_to_front(x, dims[0], size)
        index = _BatchedIndex(len(x.shape) - 1, indexer, arrays, dims[2:], size)
        target = getitem_p.shape(
            ShapedArray(x.shape[1:], x.dtype),
            *(
                # one example's index array: without its batch axis, wherever it is
                ShapedArray(a.shape if d is None else a.shape[:d] + a.shape[d + 1 :], a.dtype)
                for a, d in zip(arrays, dims[2:])
            ),
            indexer=indexer,
        ).shape
        if dims[1] is None:
            v = broadcast_to(v, target)
        v = bdim_to_front(v, dims[1], size)
        v = transpose(v, index.from_examples_perm(len(v.shape)))
        return prim.bind(x, v, *index.arrays, indexer=index.indexer, **params), 0
    size = next(val.shape[d] for val, d in zip(vals, dims) if d is not None)
    x = bdim_to_front(x, dims[0], size)
    if dims[1] is None:  # the same update for every example: shape it like one target
        target = getitem_p.shape(
            ShapedArray(x.shape[1:], x.dtype), *(aval_of(a) for a in arrays), indexer=indexer
        )
        v = broadcast_to(v, target.shape)
    v = move_axis(bdim_to_front(v, dims[1], size), 0, _batch_position(indexer, arrays))
    return prim.bind(x, v, *arrays, indexer=(slice(None),) + indexer, **params), 0


scatter_p = Primitive(
    "scatter",
    impl=_scatter_impl,
    shape=lambda x, v, *arrays, indexer: x,
    jvp=_scatter_jvp,
    transpose=_scatter_transpose,
    batch=_scatter_batch,
)


# ---- scatter_combine: x with updates combined into it, repeated indices included ----
#
# ``combine`` is "multiply", "minimum" or "maximum" (``x.at[i].multiply(v)``,
# ``.min``, ``.max``): every update reaching an element is combined into it,
# as NumPy's ``ufunc.at`` does.


def _scatter_combine_impl(xp, x, v, *arrays, indexer, combine):
    out = x.copy()
    getattr(xp, combine).at(out, _full_index(indexer, arrays), v)
    return out


def _scatter_combine_jvp(primals, tangents, *, indexer, combine):
    x, v, *arrays = primals
    tx, tv = tangents[0], tangents[1]
    ans = scatter_combine_p.bind(x, v, *arrays, indexer=indexer, combine=combine)
    tx = constants.zeros_like(x) if tx is None else tx
    tv = constants.zeros_like(v) if tv is None else tv

    def gather(a):
        return getitem_p.bind(a, *arrays, indexer=indexer)

    def scatter_sum(u):
        return scatter_add_p.bind(u, *arrays, indexer=indexer, shape=shape_of(x))

    dtype = dtype_of(ans)
    if combine == "multiply":
        # ans = x * P, P the product of the updates reaching each element;
        # dP sums each update's tangent times the product of the others: from
        # the product Q of the nonzero updates and the count Z of zero ones,
        # that is Q / v (no zero), Q (v the only zero) or 0 (another zero).
        # Exact to first order everywhere; the second derivative in two
        # updates of one element is taken as 0 where one of them is exactly 0.
        zero = eq(v, 0.0)
        nonzero = select(zero, 1.0, v)
        q = gather(_combined_into_ones(x, nonzero, arrays, indexer))
        zeros_there = gather(scatter_sum(convert_element_type(zero, dtype=dtype)))
        others = select(
            zero,
            select(eq(zeros_there, 1.0), q, 0.0),
            select(eq(zeros_there, 0.0), div(q, nonzero), 0.0),
        )
        product = _combined_into_ones(x, v, arrays, indexer)
        return ans, add(mul(tx, product), mul(x, scatter_sum(mul(tv, others))))
    # minimum and maximum: the tangent of whichever attains the result, averaged over ties
    attains = convert_element_type(eq(v, gather(ans)), dtype=dtype)
    kept = convert_element_type(eq(x, ans), dtype=dtype)
    count = add(scatter_sum(attains), kept)
    return ans, div(add(mul(tx, kept), scatter_sum(mul(tv, attains))), count)


def _combined_into_ones(x, v, arrays, indexer):
    """Ones shaped like ``x`` times the product of the updates ``v`` at each element."""
    ones = constants.ones_like(x)
    return scatter_combine_p.bind(ones, v, *arrays, indexer=indexer, combine="multiply")


scatter_combine_p = Primitive(
    "scatter_combine",
    impl=_scatter_combine_impl,
    shape=lambda x, v, *arrays, indexer, combine: x,
    jvp=_scatter_combine_jvp,
    # reverse mode transposes the JVP, which is linear in the tangents
    batch=_scatter_batch,
)


def split_index(index, like=None):
    """A NumPy index as ``(indexer, arrays)``: static items and index arrays.

    Boolean masks must be concrete; they become their ``nonzero()`` arrays.
    Index lists and NumPy index arrays become arrays on the backend of
    ``like`` (the indexed array).
    """
    if not isinstance(index, tuple):
        index = (index,)
    indexer, arrays = [], []
    for item in index:
        if item is None or item is Ellipsis or isinstance(item, slice):
            indexer.append(item)
        elif isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
            indexer.append(int(item))
        else:
            array = item
            if isinstance(item, (list, tuple, np.ndarray)) and like is not None:
                array = constants.asarray(item, like=like)  # NumPy's stays as it is
            elif isinstance(item, (list, tuple, bool, np.bool_)):
                array = np.asarray(item)
            if array.dtype == np.bool_:
                if hasattr(array, "_concrete_or_raise"):
                    array = array._concrete_or_raise("indexing with a boolean mask")
                if np.ndim(array) == 0:  # x[True] adds an axis, as x[None] does
                    if not array:
                        raise NotImplementedError(
                            "indexing with a scalar False (an empty selection) is not "
                            "supported; use x[None][:0] for an empty array of that shape."
                        )
                    indexer.append(None)
                    continue
                for part in np.nonzero(array):
                    indexer.append(ARRAY)
                    arrays.append(part)
                continue
            indexer.append(ARRAY)
            arrays.append(array)
    return tuple(indexer), arrays


def getitem(x, index):
    """``x[index]`` for any NumPy index."""
    indexer, arrays = split_index(index, like=x)
    return getitem_p.bind(x, *arrays, indexer=indexer)


def along(x, axis: int, index):
    """``x[:, ..., :, index]``, with ``index`` at position ``axis``."""
    return getitem(x, (slice(None),) * axis + (index,))


def take_along_axis(x, indices, axis: int):
    """``x``'s entries at ``indices`` along ``axis``, as NumPy's ``take_along_axis``."""
    shape = shape_of(indices)
    index = []
    for i, n in enumerate(shape_of(x)):
        if i == axis:
            index.append(indices)
        else:
            grid_shape = [1] * len(shape)
            grid_shape[i] = n
            index.append(constants.arange(n, np.intp, like=x).reshape(grid_shape))
    return getitem(x, tuple(index))


__all__ = ["getitem_p", "scatter_add_p", "scatter_p", "scatter_combine_p"]
