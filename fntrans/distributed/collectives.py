"""Collectives as primitives: psum, pmean, pmax, pmin, all_gather,
broadcast, reduce_scatter, each with all of its rules.

Every rank runs the same program on its own data (SPMD). A collective's
result is the same on every rank (psum, pmean, pmax, pmin, all_gather,
broadcast) or this rank's block of a common value (reduce_scatter).

Derivatives across ranks. The ranks together compute one function of all
their inputs; what each rank differentiates is its own output, and reverse
mode gives each rank the gradient of the sum over the ranks of their outputs
with respect to its own inputs. That is the plain transpose of each
collective as a linear map of all ranks' values, so every derivative is that
of one program running on all ranks' data, forward and reverse agree, and
derivatives nest to any order:

- psum: its JVP sums the tangents, its transpose sums the cotangents (psum);
  pmean's divides by the number of ranks too;
- all_gather and reduce_scatter are each other's transpose: a rank's input
  reaches every rank's gathered copy, so its cotangent is the sum of the
  ranks' cotangent slices for it;
- broadcast: the sum of the cotangents goes to the root, zero elsewhere;
- pmax, pmin: the tangent of the rank holding the extremum (the lowest such
  rank on ties); the sum of the cotangents goes back to that rank.

So a loss that is the same on every rank (``L = psum(share)``) is counted
once per rank: ``grad(L)`` is ``world_size`` times the gradient a single
process would get for ``L``. To get that gradient, differentiate this rank's
share of the loss (its term of the sum) instead: the collectives inside it
still carry every rank's contribution. The gradient with respect to
parameters that every rank holds a copy of is the psum of the ranks'
gradients: ``data_parallel_value_and_grad`` does that.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fntrans.core.aval import ShapedArray, dtype_of, shape_of
from fntrans.core.primitive import Primitive
from fntrans.distributed import _transport
from fntrans.distributed._comm import resolve
from fntrans.distributed._faults import check_same_arguments
from fntrans.primitives._util import elementwise_batch
from fntrans.primitives.elementwise import eq, select
from fntrans.primitives.shape import move_axis
from fntrans.tree.pytrees import tree_flatten, tree_unflatten


def _batch_first(prim, vals, dims, *, axis, **params):
    return prim.bind(move_axis(vals[0], dims[0], 0), axis=axis + 1, **params), 0


# ---- psum and pmean ----

psum_p = Primitive(
    "psum",
    impl=lambda xp, x, *, comm: _transport.allreduce(xp, x, "sum", comm),
    shape=lambda x, *, comm: x,
    jvp=lambda primals, tangents, *, comm: (
        psum_p.bind(primals[0], comm=comm),
        psum_p.bind(tangents[0], comm=comm),
    ),
    transpose=lambda ct, x, *, comm: (psum_p.bind(ct, comm=comm),),
    batch=elementwise_batch,  # across ranks, a batch axis is one more data axis
)


def _pmean_impl(xp, x, *, comm):
    return _transport.allreduce(xp, x, "sum", comm) / comm.Get_size()


pmean_p = Primitive(
    "pmean",
    impl=_pmean_impl,
    shape=lambda x, *, comm: x.update(dtype=np.result_type(x.dtype, 1.0)),
    jvp=lambda primals, tangents, *, comm: (
        pmean_p.bind(primals[0], comm=comm),
        pmean_p.bind(tangents[0], comm=comm),
    ),
    transpose=lambda ct, x, *, comm: (pmean_p.bind(ct, comm=comm),),
    batch=elementwise_batch,  # across ranks, a batch axis is one more data axis
)

# ---- pmax and pmin ----


def _extremum(name: str, op: str):
    """pmax or pmin: the derivative flows to the rank holding the extremum,
    the lowest such rank on ties."""
    prim = None

    def holds_extremum(x, ans, comm):
        rank, size = comm.Get_rank(), comm.Get_size()
        first = pmin_p.bind(select(eq(x, ans), rank, size), comm=comm)
        return eq(first, rank)

    def jvp(primals, tangents, *, comm):
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, comm=comm)
        return ans, psum_p.bind(select(holds_extremum(x, ans, comm), t, 0.0), comm=comm)

    def vjp(ct, ans, x, *, comm, needs):
        return (select(holds_extremum(x, ans, comm), psum_p.bind(ct, comm=comm), 0.0),)

    prim = Primitive(
        name,
        impl=lambda xp, x, *, comm: _transport.allreduce(xp, x, op, comm),
        shape=lambda x, *, comm: x,
        jvp=jvp,
        vjp=vjp,
        batch=elementwise_batch,  # across ranks, a batch axis is one more data axis
    )
    return prim


pmax_p = _extremum("pmax", "max")
pmin_p = _extremum("pmin", "min")

# ---- all_gather and reduce_scatter, each the other's transpose ----


def _gathered_shape(shape: tuple, size: int, axis: int, tiled: bool) -> tuple:
    if tiled:
        return shape[:axis] + (size * shape[axis],) + shape[axis + 1 :]
    return shape[:axis] + (size,) + shape[axis:]


def _scattered_shape(shape: tuple, size: int, axis: int, tiled: bool) -> tuple:
    if tiled:
        return shape[:axis] + (shape[axis] // size,) + shape[axis + 1 :]
    return shape[:axis] + shape[axis + 1 :]


def _all_gather_impl(xp, x, *, comm, axis, tiled):
    stacked = _transport.allgather(xp, x, comm)  # (ranks, *x.shape)
    size = comm.Get_size()
    if axis:
        stacked = xp.moveaxis(stacked, 0, axis)
    if tiled:
        return stacked.reshape(_gathered_shape(shape_of(x), size, axis, tiled))
    return stacked


def _all_gather_transpose(ct, x, *, comm, axis, tiled):
    # every rank's copy holds this rank's input: the sum of their slices for it
    return (reduce_scatter_p.bind(ct, comm=comm, axis=axis, tiled=tiled),)


all_gather_p = Primitive(
    "all_gather",
    impl=_all_gather_impl,
    shape=lambda x, *, comm, axis, tiled: x.update(
        shape=_gathered_shape(x.shape, comm.Get_size(), axis, tiled)
    ),
    jvp=lambda primals, tangents, **params: (
        all_gather_p.bind(primals[0], **params),
        all_gather_p.bind(tangents[0], **params),
    ),
    transpose=_all_gather_transpose,
    batch=_batch_first,
)


def _reduce_scatter_impl(xp, x, *, comm, axis, tiled):
    block = _transport.reduce_scatter(xp, xp.moveaxis(x, axis, 0), comm)
    block = xp.moveaxis(block, 0, axis) if axis else block
    if tiled:
        return block
    return block.reshape(_scattered_shape(shape_of(x), comm.Get_size(), axis, tiled))


reduce_scatter_p = Primitive(
    "reduce_scatter",
    impl=_reduce_scatter_impl,
    shape=lambda x, *, comm, axis, tiled: x.update(
        shape=_scattered_shape(x.shape, comm.Get_size(), axis, tiled)
    ),
    jvp=lambda primals, tangents, **params: (
        reduce_scatter_p.bind(primals[0], **params),
        reduce_scatter_p.bind(tangents[0], **params),
    ),
    transpose=lambda ct, x, *, comm, axis, tiled: (
        all_gather_p.bind(ct, comm=comm, axis=axis, tiled=tiled),
    ),
    batch=_batch_first,
)

# ---- broadcast ----


def _broadcast_transpose(ct, x, *, comm, root):
    # only the root's input reaches the results; every rank takes part in the sum
    total = psum_p.bind(ct, comm=comm)
    return (total if comm.Get_rank() == root else None,)


broadcast_p = Primitive(
    "broadcast",
    impl=lambda xp, x, *, comm, root: _transport.bcast(xp, x, root, comm),
    shape=lambda x, *, comm, root: ShapedArray(x.shape, x.dtype),
    jvp=lambda primals, tangents, *, comm, root: (
        broadcast_p.bind(primals[0], comm=comm, root=root),
        broadcast_p.bind(tangents[0], comm=comm, root=root),
    ),
    transpose=_broadcast_transpose,
    batch=elementwise_batch,  # across ranks, a batch axis is one more data axis
)

# ---- the functions users call, on pytrees ----


def _apply(prim, operation: str, tree, comm, check_leaf=None, **params):
    """``prim`` on every leaf of ``tree``, after checking each leaf
    (``check_leaf(operation, leaf)`` may return parameters for it) and that
    all ranks pass the same operation, structure, shapes and dtypes."""
    leaves, treedef = tree_flatten(tree)
    leaf_params = [params] * len(leaves)
    if check_leaf is not None:
        leaf_params = [{**params, **(check_leaf(operation, leaf) or {})} for leaf in leaves]
    check_same_arguments(operation, comm, tree, treedef, leaves)
    results = [prim.bind(leaf, comm=comm, **p) for leaf, p in zip(leaves, leaf_params)]
    return tree_unflatten(treedef, results)


def _summable(operation: str, leaf) -> None:
    if dtype_of(leaf) == np.bool_:
        raise TypeError(
            f"{operation} of a boolean array is not defined: convert it first, "
            f"x.astype(int) to count the True entries over the ranks."
        )


def _ordered(operation: str, leaf) -> None:
    dtype = np.dtype(dtype_of(leaf))
    if dtype.kind == "c":
        raise TypeError(
            f"{operation} of a complex array ({dtype}) is not defined: complex numbers "
            f"have no order. Apply it to the real part, the imaginary part or the modulus."
        )


def _normalized_axis(operation: str, axis, shape: tuple, new_axis: bool) -> int:
    """``axis`` as a non-negative position in an array of ``shape`` (in its
    result, for a new axis)."""
    bound = len(shape) + new_axis
    if not isinstance(axis, (int, np.integer)) or not -bound <= axis < bound:
        raise ValueError(
            f"{operation}: axis {axis!r} is out of range for an array of shape {shape}: "
            f"pass an axis from {-bound} to {bound - 1}."
        )
    return int(axis) % bound


def psum(x: Any, comm=None) -> Any:
    """The sum over the ranks of ``x`` (a pytree of arrays), on every rank.

    Args:
        x: this rank's arrays; every rank passes the same structure, shapes and dtypes.
        comm: an mpi4py communicator, or ``None`` for the world.

    Returns:
        The elementwise sums, shaped like ``x``.

    >>> import numpy as np
    >>> from fntrans.distributed import psum
    >>> psum({"w": np.array([1.0, 2.0])})  # one process: the sum is x
    {'w': array([1., 2.])}
    """
    return _apply(psum_p, "psum", x, resolve(comm), _summable)


def pmean(x: Any, comm=None) -> Any:
    """The mean over the ranks of ``x`` (a pytree of arrays), on every rank.

    Args:
        x: this rank's arrays; every rank passes the same structure, shapes and dtypes.
        comm: an mpi4py communicator, or ``None`` for the world.

    Returns:
        The elementwise means, shaped like ``x`` (integers give floats).

    >>> import numpy as np
    >>> from fntrans.distributed import pmean
    >>> pmean(np.array([1.0, 3.0]))
    array([1., 3.])
    """
    return _apply(pmean_p, "pmean", x, resolve(comm), _summable)


def pmax(x: Any, comm=None) -> Any:
    """The elementwise maximum over the ranks of ``x`` (a pytree of arrays).

    Its derivative is that of the rank holding the maximum (the lowest such
    rank on ties).

    Args:
        x: this rank's real arrays; every rank passes the same structure, shapes and dtypes.
        comm: an mpi4py communicator, or ``None`` for the world.

    Returns:
        The maxima, shaped like ``x``, on every rank.

    >>> import numpy as np
    >>> from fntrans.distributed import pmax
    >>> pmax(np.array([1.0, -2.0]))
    array([ 1., -2.])
    """
    return _apply(pmax_p, "pmax", x, resolve(comm), _ordered)


def pmin(x: Any, comm=None) -> Any:
    """The elementwise minimum over the ranks of ``x`` (a pytree of arrays).

    Its derivative is that of the rank holding the minimum (the lowest such
    rank on ties).

    Args:
        x: this rank's real arrays; every rank passes the same structure, shapes and dtypes.
        comm: an mpi4py communicator, or ``None`` for the world.

    Returns:
        The minima, shaped like ``x``, on every rank.

    >>> import numpy as np
    >>> from fntrans.distributed import pmin
    >>> pmin(np.array([1.0, -2.0]))
    array([ 1., -2.])
    """
    return _apply(pmin_p, "pmin", x, resolve(comm), _ordered)


def all_gather(x: Any, comm=None, *, axis: int = 0, tiled: bool = False) -> Any:
    """Every rank's ``x`` (a pytree of arrays), in rank order, on every rank.

    Args:
        x: this rank's arrays; every rank passes the same structure, shapes and dtypes.
        comm: an mpi4py communicator, or ``None`` for the world.
        axis: where the ranks' arrays go: a new axis of size ``world_size``
            at this position, or with ``tiled`` the existing axis they are
            concatenated along.
        tiled: concatenate along ``axis`` instead of stacking (as JAX's).

    Returns:
        The gathered arrays.

    >>> import numpy as np
    >>> from fntrans.distributed import all_gather
    >>> all_gather(np.array([1.0, 2.0])).shape  # (ranks, 2)
    (1, 2)
    >>> all_gather(np.array([1.0, 2.0]), tiled=True).shape  # (ranks * 2,)
    (2,)
    """
    operation = f"all_gather(axis={axis}, tiled={tiled})"

    def check_leaf(operation, leaf):
        shape = tuple(shape_of(leaf))
        if tiled and not shape:
            raise ValueError(
                "all_gather with tiled=True concatenates along an axis, so it needs "
                "arrays of at least one dimension; a scalar was passed (use tiled=False)."
            )
        return {"axis": _normalized_axis("all_gather", axis, shape, new_axis=not tiled)}

    return _apply(all_gather_p, operation, x, resolve(comm), check_leaf, tiled=tiled)


def reduce_scatter(x: Any, comm=None, *, axis: int = 0, tiled: bool = True) -> Any:
    """This rank's block of the sum over the ranks of ``x`` (a pytree of arrays).

    The sum is split along ``axis`` into ``world_size`` equal blocks; rank
    ``r`` gets block ``r``. It is ``psum`` followed by taking this rank's
    block, without moving the other blocks to it.

    Args:
        x: this rank's arrays, whose ``axis`` has a length divisible by the
            number of ranks; every rank passes the same structure, shapes and dtypes.
        comm: an mpi4py communicator, or ``None`` for the world.
        axis: the axis to split.
        tiled: keep ``axis`` (of length ``n // world_size``); with ``False``
            its length must be ``world_size`` and it is removed (as JAX's
            ``psum_scatter``).

    Returns:
        This rank's block of the sums.

    >>> import numpy as np
    >>> from fntrans.distributed import reduce_scatter
    >>> reduce_scatter(np.arange(4.0))  # one process: the one block is everything
    array([0., 1., 2., 3.])
    """
    comm = resolve(comm)
    size = comm.Get_size()
    operation = f"reduce_scatter(axis={axis}, tiled={tiled})"

    def check_leaf(operation, leaf):
        _summable(operation, leaf)
        shape = tuple(shape_of(leaf))
        if not shape:
            raise ValueError("reduce_scatter needs arrays of at least one dimension.")
        leaf_axis = _normalized_axis("reduce_scatter", axis, shape, new_axis=False)
        n = shape[leaf_axis]
        if (tiled and n % size) or (not tiled and n != size):
            need = f"a multiple of {size}" if tiled else f"{size} with tiled=False"
            raise ValueError(
                f"reduce_scatter splits axis {axis} into one block per rank, so its length "
                f"must be {need} (the number of ranks), but an array of shape {shape} "
                f"was passed."
            )
        return {"axis": leaf_axis}

    return _apply(reduce_scatter_p, operation, x, comm, check_leaf, tiled=tiled)


def broadcast(x: Any, root: int = 0, comm=None) -> Any:
    """Rank ``root``'s ``x`` (a pytree of arrays) on every rank.

    Args:
        x: the arrays to send on ``root``; on the other ranks arrays of the
            same structure, shapes and dtypes, whose values are not read.
        root: the rank whose arrays are sent.
        comm: an mpi4py communicator, or ``None`` for the world.

    Returns:
        ``root``'s arrays.

    >>> import numpy as np
    >>> from fntrans.distributed import broadcast
    >>> broadcast({"b": np.zeros(2)}, root=0)
    {'b': array([0., 0.])}
    """
    comm = resolve(comm)
    size = comm.Get_size()
    if not isinstance(root, (int, np.integer)) or not 0 <= root < size:
        raise ValueError(f"broadcast: root must be a rank from 0 to {size - 1}, not {root!r}.")
    return _apply(broadcast_p, f"broadcast(root={root})", x, comm, root=int(root))
