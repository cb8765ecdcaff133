"""Run under ``mpiexec -n 2`` or ``-n 3`` with one argument, the fault to make:

- ``raise``: rank 1 raises while the others wait in a collective; the run
  must stop at once (MPI_Abort), naming the rank and the exception;
- ``mismatch``: the ranks pass different shapes, dtypes, structures or
  collectives; every rank must raise CollectiveMismatchError naming the
  ranks and the leaf, checked here, before any data moves.
"""

from __future__ import annotations

import sys

import numpy as np

from fntrans.distributed import (
    CollectiveMismatchError,
    all_gather,
    data_parallel_value_and_grad,
    pmax,
    psum,
    rank,
    world_size,
)

R, P = rank(), world_size()


def make_a_rank_raise():
    psum(np.ones(3))  # all ranks are up
    if R == 1:
        raise ValueError("rank 1 fails on purpose")
    psum(np.ones(3))  # the others wait here until the abort stops them
    raise AssertionError("the other ranks were not stopped")


def expect_mismatch(call, message):
    try:
        call()
    except CollectiveMismatchError as error:
        if str(error) != message:
            raise AssertionError(
                f"rank {R}: wrong message:\n{error}\nexpected:\n{message}"
            ) from None
        return
    raise AssertionError(f"rank {R}: no CollectiveMismatchError for {message}")


def make_mismatches():
    shape = 4 if R == 1 else 3
    expect_mismatch(
        lambda: psum({"w": np.ones(2), "b": np.ones(shape)}),
        "psum: the ranks passed different shapes or dtypes for x['b']: "
        + _by_rank("float64[3]", "float64[4]")
        + ". Every rank must pass the same shapes and dtypes.",
    )
    dtype = np.float32 if R == 1 else np.float64
    expect_mismatch(
        lambda: all_gather([np.ones(2), np.ones(2, dtype)]),
        "all_gather(axis=0, tiled=False): the ranks passed different shapes or dtypes for x[1]: "
        + _by_rank("float64[2]", "float32[2]")
        + ". Every rank must pass the same shapes and dtypes.",
    )
    tree = (np.ones(2),) if R == 1 else [np.ones(2)]
    expect_mismatch(
        lambda: psum(tree),
        "psum: the ranks passed pytrees of different structures: "
        + _by_rank("PyTreeSpec([*])", "PyTreeSpec((*,))")
        + ". Every rank must pass the same structure.",
    )
    collective = pmax if R == 1 else psum
    expect_mismatch(
        lambda: collective(np.ones(2)),
        "The ranks called different collectives: "
        + _by_rank("psum", "pmax")
        + ". Every rank must make the same collective calls in the same order.",
    )
    step = data_parallel_value_and_grad(lambda w, batch: (batch @ w).sum())
    expect_mismatch(
        lambda: step(np.ones(shape), np.ones((2, shape))),
        "data_parallel_value_and_grad: the ranks passed different shapes or dtypes for x: "
        + _by_rank("float64[3]", "float64[4]")
        + ". Every rank must pass the same shapes and dtypes.",
    )
    # after all that, the ranks still agree on a collective
    assert psum(np.ones(2))[0] == P
    print(f"rank {R} of {P}: mismatches reported")


def _by_rank(others: str, rank_1: str) -> str:
    """The description of the ranks' values, in rank order: rank 1 differs."""
    if P == 2:
        return f"{others} on rank 0; {rank_1} on rank 1"
    return f"{others} on ranks 0, 2; {rank_1} on rank 1"


if __name__ == "__main__":
    {"raise": make_a_rank_raise, "mismatch": make_mismatches}[sys.argv[1]]()
