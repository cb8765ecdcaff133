"""Collectives over MPI and data-parallel training.

Import it explicitly (``import fntrans.distributed``); ``import fntrans``
never imports mpi4py. Launch a program on several processes with
``mpiexec -n 4 python train.py``; every process runs the same program on its
own data. Without mpi4py, a program not started by ``mpiexec`` is a world of
one process, where every collective is the identity.

- ``psum``, ``pmean``, ``pmax``, ``pmin``, ``all_gather``, ``broadcast``,
  ``reduce_scatter``: collectives on pytrees, over a communicator (``None``:
  the world), each a primitive with all of its rules (``grad``, ``jvp``,
  ``vmap``, ``make_jaxpr``/``jit``);
- ``data_parallel_value_and_grad``, ``broadcast_params``, ``shard``:
  data-parallel training;
- ``rank``, ``world_size``; ``CollectiveMismatchError`` and
  ``abort_on_error``: what happens when ranks disagree or one fails.

>>> import numpy as np
>>> import fntrans as ft
>>> from fntrans.distributed import psum
>>> ft.grad(lambda x: psum(x ** 2).sum())(np.array([1.0, 2.0]))
array([2., 4.])
"""

from fntrans.distributed._comm import SINGLE_PROCESS, rank, world_size
from fntrans.distributed._faults import CollectiveMismatchError, abort_on_error
from fntrans.distributed.collectives import (
    all_gather,
    broadcast,
    pmax,
    pmean,
    pmin,
    psum,
    reduce_scatter,
)
from fntrans.distributed.data_parallel import broadcast_params, data_parallel_value_and_grad
from fntrans.distributed.sharding import shard, shard_slice

# an uncaught exception on one rank stops them all, instead of leaving the
# others waiting in a collective (see _faults)
abort_on_error(True)

__all__ = [
    "SINGLE_PROCESS",
    "CollectiveMismatchError",
    "abort_on_error",
    "all_gather",
    "broadcast",
    "broadcast_params",
    "data_parallel_value_and_grad",
    "pmax",
    "pmean",
    "pmin",
    "psum",
    "rank",
    "reduce_scatter",
    "shard",
    "shard_slice",
    "world_size",
]
