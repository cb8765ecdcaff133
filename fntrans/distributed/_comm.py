"""Communicators: the world by default, found lazily so that importing
fntrans never imports mpi4py.

Without mpi4py a program that was not started by an MPI launcher is one
process, and its world is ``SINGLE_PROCESS``: every collective over it is the
identity, so code written for several ranks also runs (and is tested) alone.
"""

from __future__ import annotations

import functools
import os

# set by MPI launchers in every process they start (MPICH's Hydra, Open MPI, MVAPICH)
_LAUNCHER_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")

INSTALL_HINT = "pip install 'fntrans[mpi]' (mpi4py and an MPI library: mpich)"


class SingleProcess:
    """The world of a program that runs alone without mpi4py: rank 0 of 1."""

    def Get_rank(self) -> int:
        return 0

    def Get_size(self) -> int:
        return 1

    def __repr__(self):
        return "SINGLE_PROCESS"


SINGLE_PROCESS = SingleProcess()


@functools.cache  # a failed import costs tens of microseconds, on every collective
def world():
    """``MPI.COMM_WORLD``, or ``SINGLE_PROCESS`` where mpi4py is missing and
    no MPI launcher started this process."""
    try:
        from mpi4py import MPI
    except ImportError:
        launched = [v for v in _LAUNCHER_SIZE_VARIABLES if int(os.environ.get(v) or 1) > 1]
        if launched:
            raise ImportError(
                f"fntrans.distributed needs mpi4py: this process was started by an MPI "
                f"launcher ({launched[0]}={os.environ[launched[0]]}) but mpi4py is not "
                f"installed. Install it with {INSTALL_HINT}."
            ) from None
        return SINGLE_PROCESS
    return MPI.COMM_WORLD


def resolve(comm):
    """``comm``, or the world for ``None``; anything else must be an mpi4py communicator."""
    if comm is None:
        return world()
    if comm is SINGLE_PROCESS:
        return comm
    if not (hasattr(comm, "Get_size") and hasattr(comm, "Allreduce")):
        raise TypeError(
            f"comm must be an mpi4py communicator (such as MPI.COMM_WORLD or one made by "
            f"comm.Split) or None for the world, but got {type(comm).__name__}."
        )
    return comm


def rank(comm=None) -> int:
    """This process's rank in ``comm`` (default: the world).

    >>> from fntrans.distributed import rank
    >>> rank()  # one process: rank 0
    0
    """
    return resolve(comm).Get_rank()


def world_size(comm=None) -> int:
    """The number of processes in ``comm`` (default: the world).

    >>> from fntrans.distributed import world_size
    >>> world_size()  # one process
    1
    """
    return resolve(comm).Get_size()
