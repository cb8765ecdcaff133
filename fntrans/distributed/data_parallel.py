"""Data parallelism: every rank holds the parameters and a shard of each
batch, computes its gradient, and one all-reduce makes the mean over all
examples, identical on every rank."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from fntrans import errors
from fntrans._arguments import differentiable_leaves
from fntrans.backend import array_module
from fntrans.core import constants
from fntrans.core.aval import dtype_of, shape_of
from fntrans.core.interpreter import new_interpreter
from fntrans.distributed import _transport
from fntrans.distributed._comm import resolve
from fntrans.distributed._faults import check_same_arguments
from fntrans.distributed.collectives import broadcast
from fntrans.distributed.sharding import example_count
from fntrans.interpreters.reverse import Tape
from fntrans.tree.pytrees import tree_flatten, tree_unflatten

_NAME = "data_parallel_value_and_grad"


def data_parallel_value_and_grad(
    loss: Callable, comm=None, *, bucket_bytes: int | None = None
) -> Callable:
    """``loss``'s value and gradient over a batch split between the ranks.

    Each rank differentiates ``loss`` on its shard; then one all-reduce of
    all the gradients raveled into one buffer (with the loss and the number
    of examples at its end) gives the mean over every example of the batch,
    the same on every rank. The ranks first check that their gradients have
    the same structure, shapes and dtypes. Shards of different sizes are weighted by their
    sizes, so the result is the mean over all examples (not a mean of the
    shards' means), as one process computing on the whole batch would get.
    A rank with no examples contributes nothing.

    Args:
        loss: ``loss(params, batch)``, the mean loss over the examples of
            ``batch`` (a pytree of arrays whose leading axes count them).
        comm: an mpi4py communicator, or ``None`` for the world.
        bucket_bytes: if given, the buffer is all-reduced in pieces of at
            most this many bytes (which bounds each message) instead of at once.

    Returns:
        A function ``(params, batch_shard) -> (mean loss, mean gradient)``; the
        gradient is shaped like ``params``. It fits both optimizer shapes of
        ``fntrans.optimizers``.

    >>> import numpy as np
    >>> import fntrans.numpy as fnp
    >>> from fntrans.distributed import data_parallel_value_and_grad
    >>> def loss(w, batch):
    ...     return fnp.mean((batch["x"] @ w - batch["y"]) ** 2)
    >>> step = data_parallel_value_and_grad(loss)
    >>> step(np.ones(2), {"x": np.eye(2), "y": np.zeros(2)})
    (np.float64(1.0), array([1., 1.]))
    """
    comm = resolve(comm)
    if bucket_bytes is not None and not (isinstance(bucket_bytes, int) and bucket_bytes > 0):
        raise ValueError(f"bucket_bytes must be a positive int or None, not {bucket_bytes!r}.")

    def value_and_grad_fn(params: Any, batch: Any) -> tuple:
        count = _example_count(batch)
        value, grads = _weighted_value_and_grad(loss, params, batch, count)
        leaves, treedef = tree_flatten(grads)
        check_same_arguments(_NAME, comm, grads, treedef, leaves)
        xp = array_module(leaves or [value])
        fused = _fused(xp, leaves, value, count)
        for piece in _pieces(fused, bucket_bytes):
            _transport.allreduce_in_place(xp, piece, comm)
        total = fused[-1:].copy()  # the number of examples on all ranks
        means = _split(fused, leaves, total)  # new arrays: the buffer is recycled
        return fused[-2] / total[0], tree_unflatten(treedef, means)

    return value_and_grad_fn


def broadcast_params(params: Any, root: int = 0, comm=None) -> Any:
    """Rank ``root``'s parameters on every rank: call it once before training,
    so that every rank starts from the same point.

    Args:
        params: a pytree of arrays (the same structure, shapes and dtypes on every rank).
        root: the rank whose parameters everyone takes.
        comm: an mpi4py communicator, or ``None`` for the world.

    Returns:
        ``root``'s ``params``.

    >>> import numpy as np
    >>> from fntrans.distributed import broadcast_params
    >>> broadcast_params({"w": np.ones(2)})
    {'w': array([1., 1.])}
    """
    return broadcast(params, root, comm)


def _example_count(batch) -> int:
    return example_count(
        batch,
        "batch",
        f"{_NAME} counts the examples of a batch along the leading axis of its "
        f"arrays, which must agree",
    )


def _weighted_value_and_grad(loss, params, batch, count: int):
    """``count`` times the loss and its gradient on this rank's shard: the
    backward pass is seeded with ``count``, so the weighting costs nothing."""
    leaves, treedef, _ = differentiable_leaves(params, "params", _NAME)
    if count == 0:  # the mean of no examples is nan: contribute nothing instead
        zeros = [constants.zeros_like(leaf) for leaf in leaves]
        dtype = np.result_type(*(dtype_of(leaf) for leaf in leaves))
        return constants.full((), 0, dtype, like=leaves[0]), tree_unflatten(treedef, zeros)
    with new_interpreter(Tape(_NAME), leaves) as tape:
        inputs = [tape.new_input(leaf) for leaf in leaves]
        # the inputs' nodes now: assigning into a parameter inside loss moves its handle
        nodes = [t.node for t in inputs]
        out = loss(tree_unflatten(treedef, inputs), batch)
        _check_scalar(out)
    own = tape.is_own(out)
    value = out.primal if own else out
    cts = {}
    if own:
        seed = constants.full(shape_of(value), count, dtype_of(value), like=value)
        cts = tape.backward([out.node], [seed], keep=False)
    grads = [
        constants.zeros_like(leaf) if cts.get(node) is None else cts[node]
        for node, leaf in zip(nodes, leaves)
    ]
    return value * count, tree_unflatten(treedef, grads)


def _check_scalar(out) -> None:
    shape = getattr(out, "shape", None if not isinstance(out, (int, float)) else ())
    if shape is None:
        raise errors.non_array_output(_NAME, out)
    if math.prod(shape) != 1:
        raise errors.non_scalar_output(_NAME, shape)
    if np.dtype(dtype_of(out)).kind != "f":
        raise TypeError(
            f"{_NAME} requires loss to return a real floating-point value, but it "
            f"returned dtype {dtype_of(out)}."
        )


def _fused(xp, leaves, value, count):
    """One buffer holding the raveled gradients, then the loss and the count.

    It is recycled from one step to the next (``_transport.empty``): MPI
    registers the memory it is given, which costs more for a buffer at a new
    address than the all-reduce itself.
    """
    dtype = np.result_type(*(dtype_of(leaf) for leaf in leaves or [value]))
    size = sum(math.prod(shape_of(leaf)) for leaf in leaves)
    fused = _transport.empty(xp, (size + 2,), dtype)
    start = 0
    for leaf in leaves:
        n = math.prod(shape_of(leaf))
        fused[start : start + n] = leaf.reshape(-1)
        start += n
    fused[-2] = value
    fused[-1] = count
    return fused


def _pieces(fused, bucket_bytes):
    """``fused`` whole, or in contiguous pieces of at most ``bucket_bytes``."""
    if bucket_bytes is None:
        return [fused]
    step = max(1, bucket_bytes // fused.dtype.itemsize)
    return [fused[i : i + step] for i in range(0, fused.shape[0], step)]


def _split(fused, leaves, total) -> list:
    """Each leaf's part of ``fused`` divided by ``total``, in its shape and dtype."""
    means, start = [], 0
    for leaf in leaves:
        shape = shape_of(leaf)
        n = math.prod(shape)
        mean = fused[start : start + n] / total
        means.append(mean.reshape(shape).astype(dtype_of(leaf), copy=False))
        start += n
    return means
