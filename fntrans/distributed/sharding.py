"""Splitting a dataset between the ranks."""

from __future__ import annotations

from typing import Any

from fntrans.core.aval import shape_of
from fntrans.distributed._comm import resolve
from fntrans.tree.pytrees import leaf_names, tree_flatten, tree_unflatten


def shard_slice(n: int, rank: int, size: int, strided: bool = False) -> slice:
    """The examples of ``n`` that rank ``rank`` of ``size`` holds: a contiguous
    block (the first ``n % size`` ranks hold one more) or every ``size``-th.

    >>> shard_slice(10, 0, 3), shard_slice(10, 2, 3)
    (slice(0, 4, None), slice(7, 10, None))
    >>> shard_slice(10, 2, 3, strided=True)
    slice(2, None, 3)
    """
    if strided:
        return slice(rank, None, size)
    base, extra = divmod(n, size)
    start = rank * base + min(rank, extra)
    return slice(start, start + base + (rank < extra))


def shard(data: Any, comm=None, *, strided: bool = False) -> Any:
    """This rank's part of a dataset: a pytree of arrays whose leading axes
    count the same examples.

    The ranks' parts cover every example once; their sizes differ by at most
    one where the number of ranks does not divide the number of examples.
    The parts are views, not copies.

    Args:
        data: the whole dataset (every rank passes the same).
        comm: an mpi4py communicator, or ``None`` for the world.
        strided: every ``world_size``-th example from this rank's index
            instead of one contiguous block.

    Returns:
        ``data`` with each leaf cut to this rank's examples.

    >>> import numpy as np
    >>> from fntrans.distributed import shard
    >>> shard({"x": np.zeros((5, 2)), "y": np.arange(5)})["y"]  # one process: everything
    array([0, 1, 2, 3, 4])
    """
    comm = resolve(comm)
    leaves, treedef = tree_flatten(data)
    count = example_count(
        data, "data", "shard needs arrays whose leading axes count the same examples"
    )
    index = shard_slice(count, comm.Get_rank(), comm.Get_size(), strided)
    return tree_unflatten(treedef, [leaf[index] for leaf in leaves])


def example_count(tree, root: str, needs: str) -> int:
    """How many examples ``tree``'s arrays hold: the leading length they all
    share, or a ValueError that starts with ``needs`` and lists each leaf's
    (``root`` names the tree)."""
    leaves = tree_flatten(tree)[0]
    lengths = [shape_of(leaf)[0] if shape_of(leaf) else None for leaf in leaves]
    if not leaves or len(set(lengths)) != 1 or lengths[0] is None:
        found = ", ".join(f"{name}: {n}" for name, n in zip(leaf_names(tree, root), lengths))
        raise ValueError(f"{needs}, but their leading lengths are {{{found}}} (None: a scalar).")
    return lengths[0]
