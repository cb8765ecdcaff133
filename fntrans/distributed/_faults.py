"""What happens when the ranks disagree, or one of them fails.

Disagreement: before a collective moves any data, the ranks compare a 64-bit
hash of what they pass (the collective and its parameters, the pytree
structure, each leaf's shape and dtype): one ``Allgather`` of 8 bytes per
rank. Where the hashes differ the ranks exchange descriptions and every rank
raises the same ``CollectiveMismatchError``, naming the ranks and the leaf,
instead of corrupting data or waiting forever.

Failure: a rank whose program dies of an uncaught exception would leave the
others waiting in their next collective. ``fntrans.distributed`` therefore
installs an exception hook (``abort_on_error``) that prints the traceback and
a line naming the rank and the exception, then calls ``MPI_Abort`` on the
world, which stops every rank (``mpiexec`` exits with a non-zero status).
Aborting is the one reliable way out: a rank blocked in a collective cannot
be interrupted, and checking every collective against a timeout would tax
each one and misfire on slow steps.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import time

import numpy as np

from fntrans.core.aval import dtype_of, shape_of
from fntrans.tree.pytrees import leaf_names


class CollectiveMismatchError(ValueError):
    """The ranks called a collective with different arguments (collective,
    parameters, pytree structure, shape or dtype of a leaf)."""


def _signature(operation: str, treedef, leaves) -> tuple:
    return operation, treedef, tuple((tuple(shape_of(x)), np.dtype(dtype_of(x))) for x in leaves)


@functools.lru_cache(maxsize=256)
def _digest(signature: tuple) -> np.ndarray:
    """A 64-bit hash of ``signature`` that is the same in every process (Python's
    own ``hash`` of strings differs between processes)."""
    operation, treedef, leaves = signature
    text = repr((operation, str(treedef), [(shape, dtype.str) for shape, dtype in leaves]))
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return np.frombuffer(digest, np.int64)


def check_same_arguments(operation: str, comm, tree, treedef, leaves) -> None:
    """Raises ``CollectiveMismatchError`` on every rank unless all ranks of
    ``comm`` pass the same ``operation`` (name and parameters) on leaves of
    the same structure, shapes and dtypes. Itself a collective."""
    size = comm.Get_size()
    if size == 1:
        return
    signature = _signature(operation, treedef, leaves)
    digests = np.empty(size, np.int64)
    comm.Allgather(_digest(signature), digests)
    if (digests == digests[0]).all():
        return
    names = leaf_names(tree, "x")
    described = (operation, str(treedef), [(s, d.str) for s, d in signature[2]])
    signatures = comm.allgather(described)  # a mismatch: small objects, once
    raise CollectiveMismatchError(_mismatch_message(signatures, names))


def _ranks_text(ranks: list[int]) -> str:
    listed = ", ".join(str(r) for r in ranks)
    return f"rank {listed}" if len(ranks) == 1 else f"ranks {listed}"


def _grouped(values: list) -> str:
    """``a on ranks 0, 2; b on rank 1`` for the values of the ranks, in rank order."""
    groups = {}
    for r, value in enumerate(values):
        groups.setdefault(value, []).append(r)
    return "; ".join(f"{value} on {_ranks_text(ranks)}" for value, ranks in groups.items())


def _aval_text(shape, dtype_str) -> str:
    dims = ",".join(str(d) for d in shape)
    return f"{np.dtype(dtype_str).name}[{dims}]"


def _mismatch_message(signatures: list, names: list[str]) -> str:
    operations = [s[0] for s in signatures]
    if len(set(operations)) > 1:
        return (
            f"The ranks called different collectives: {_grouped(operations)}. Every rank "
            f"must make the same collective calls in the same order."
        )
    operation = operations[0]
    structures = [s[1] for s in signatures]
    if len(set(structures)) > 1:
        return (
            f"{operation}: the ranks passed pytrees of different structures: "
            f"{_grouped(structures)}. Every rank must pass the same structure."
        )
    leaves = [s[2] for s in signatures]
    for i, name in enumerate(names):
        described = [_aval_text(*rank_leaves[i]) for rank_leaves in leaves]
        if len(set(described)) > 1:
            return (
                f"{operation}: the ranks passed different shapes or dtypes for {name}: "
                f"{_grouped(described)}. Every rank must pass the same shapes and dtypes."
            )
    raise AssertionError("differing digests of equal signatures")  # pragma: no cover


# ---- a failing rank stops them all ----

_previous_hook = None


def abort_on_error(enabled: bool = True) -> None:
    """Whether an uncaught exception on one rank stops every rank (the default
    once ``fntrans.distributed`` is imported).

    With it, the failing rank prints its traceback and a line such as
    ``fntrans.distributed: rank 1 of 4 raised ValueError: ...; aborting all
    ranks``, then calls ``MPI_Abort``, so the others stop at once instead of
    waiting forever in their next collective. It acts only where MPI is
    running with more than one process.

    Args:
        enabled: install the hook (``True``) or restore the previous one.

    >>> import sys
    >>> from fntrans.distributed import abort_on_error
    >>> abort_on_error(False)
    >>> abort_on_error(True)
    >>> sys.excepthook.__name__
    '_abort_all_ranks'
    """
    global _previous_hook
    if enabled and _previous_hook is None:
        _previous_hook = sys.excepthook
        sys.excepthook = _abort_all_ranks
    elif not enabled and _previous_hook is not None:
        sys.excepthook, _previous_hook = _previous_hook, None


def _abort_all_ranks(exc_type, exc, tb):
    (_previous_hook or sys.__excepthook__)(exc_type, exc, tb)
    comm = _running_world()
    if comm is None or comm.Get_size() == 1:
        return
    message = str(exc).strip().splitlines()
    print(
        f"fntrans.distributed: rank {comm.Get_rank()} of {comm.Get_size()} raised "
        f"{exc_type.__name__}: {message[0] if message else ''} (traceback above); "
        f"aborting all ranks",
        file=sys.stderr,
        flush=True,
    )
    # mpiexec forwards each rank's output asynchronously and drops what is
    # still in flight when the abort ends the job: give it a moment
    time.sleep(_FORWARDING_GRACE)
    comm.Abort(1)


_FORWARDING_GRACE = 0.25  # seconds


def _running_world():
    """MPI's world if mpi4py has started MPI and not finished it, else None."""
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is None or not mpi.Is_initialized() or mpi.Is_finalized():
        return None
    return mpi.COMM_WORLD
