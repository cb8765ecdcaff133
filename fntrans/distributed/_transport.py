"""The data movement under the collective primitives, on concrete arrays.

NumPy arrays go through mpi4py's buffer collectives (``Allreduce``,
``Allgather``, ``Bcast``, ``Reduce_scatter_block``) on contiguous buffers,
never through pickled objects. Their results are recycled buffers
(``_BufferPool``): MPI libraries register (pin) the memory they are given,
and a buffer at a new address costs more than the data movement itself (a
2.7 MB all-reduce: 2.4 ms into a reused buffer, 7.4 ms into a new one, with
MPICH here). Device (CuPy) arrays go through NCCL
(``cupy.cuda.nccl``) where every rank of the communicator can use it, with
one NCCL communicator per MPI communicator, made on first use; otherwise
through host copies and MPI, with a warning once. A communicator of one
process moves nothing: the results are copies.

Every rank must make the same calls in the same order, so every choice made
here (NCCL or host, which dtype goes where) depends only on what all ranks
agree on.
"""

from __future__ import annotations

import functools
import importlib
import socket
import sys
import threading
import warnings

import numpy as np

from fntrans import backend


class _BufferPool:
    """Result buffers of recent collectives, handed out again once nothing
    else refers to them (the pool's own references are the only ones left),
    so a loop of collectives of one shape reuses the same memory. At most
    ``slots`` buffers and ``max_bytes`` in all are kept."""

    def __init__(self, slots: int = 4, max_bytes: int = 256 << 20):
        self.slots = slots
        self.max_bytes = max_bytes
        self.buffers = []
        self.lock = threading.Lock()

    def empty(self, shape: tuple, dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        with self.lock:
            free = self._free_index(shape, dtype)
            if free is not None:
                buffer = self.buffers.pop(free)
                self.buffers.append(buffer)  # the most recently used last
                return buffer
            buffer = np.empty(shape, dtype)
            if buffer.nbytes <= self.max_bytes:
                self.buffers.append(buffer)
                while len(self.buffers) > self.slots or self._bytes() > self.max_bytes:
                    self.buffers.pop(0)
            return buffer

    def _free_index(self, shape: tuple, dtype):
        for i in range(len(self.buffers)):
            buffer = self.buffers[i]
            # 3 references: the list, ``buffer`` and getrefcount's argument
            if buffer.shape == shape and buffer.dtype == dtype and sys.getrefcount(buffer) == 3:
                return i
        return None

    def _bytes(self) -> int:
        return sum(b.nbytes for b in self.buffers)


_pool = _BufferPool()

# ---- NumPy arrays: MPI ----


@functools.cache
def _mpi_op(op: str):
    from mpi4py import MPI

    return {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]


def _buffer(x: np.ndarray) -> np.ndarray:
    # MPI has no MAX or MIN of C booleans: the bytes of NumPy's booleans are 0 or 1
    return x.view(np.uint8) if x.dtype == np.bool_ else x


def _contiguous(x) -> np.ndarray:
    """``x`` as a C-contiguous array: itself, or a copy into a recycled buffer."""
    x = np.asarray(x)
    if x.flags.c_contiguous:
        return x
    copy = _pool.empty(x.shape, x.dtype)
    np.copyto(copy, x)
    return copy


def allreduce_in_place(xp, buffer, comm) -> None:
    """Replaces the contiguous ``buffer`` with its sum over the ranks."""
    if comm.Get_size() == 1:
        return
    if xp is not np:
        buffer[...] = _on_device(xp, "allreduce", buffer, comm, op="sum")
        return
    from mpi4py import MPI

    comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)


def empty(xp, shape: tuple, dtype):
    """A buffer for ``allreduce_in_place``: a recycled one for NumPy."""
    return _pool.empty(shape, dtype) if xp is np else xp.empty(shape, dtype)


def allreduce(xp, x, op: str, comm):
    """The elementwise ``op`` ("sum", "max", "min") of ``x`` over the ranks."""
    if xp is not np:
        return _on_device(xp, "allreduce", x, comm, op=op)
    send = _contiguous(x)
    if comm.Get_size() == 1:
        return send.copy()
    recv = _pool.empty(send.shape, send.dtype)
    comm.Allreduce(_buffer(send), _buffer(recv), op=_mpi_op(op))
    return recv


def allgather(xp, x, comm):
    """Every rank's ``x``, stacked along a new leading axis in rank order."""
    if xp is not np:
        return _on_device(xp, "allgather", x, comm)
    send = _contiguous(x)
    recv = _pool.empty((comm.Get_size(), *send.shape), send.dtype)
    if comm.Get_size() == 1:
        recv[0] = send
    else:
        comm.Allgather(_buffer(send), _buffer(recv))
    return recv


def bcast(xp, x, root: int, comm):
    """Rank ``root``'s ``x`` on every rank (the others' ``x`` gives only shape and dtype)."""
    if xp is not np:
        return _on_device(xp, "bcast", x, comm, root=root)
    x = np.asarray(x)
    buf = _pool.empty(x.shape, x.dtype)
    if comm.Get_rank() == root or comm.Get_size() == 1:
        np.copyto(buf, x)
    if comm.Get_size() > 1:
        comm.Bcast(_buffer(buf), root=root)
    return buf


def reduce_scatter(xp, x, comm):
    """The sum of ``x`` over the ranks, split along its leading axis into one
    block per rank: this rank's block."""
    if xp is not np:
        return _on_device(xp, "reduce_scatter", x, comm)
    send = _contiguous(x)
    size = comm.Get_size()
    if size == 1:
        return send.copy()
    recv = _pool.empty((send.shape[0] // size, *send.shape[1:]), send.dtype)
    comm.Reduce_scatter_block(send, recv, op=_mpi_op("sum"))
    return recv


_HOST = {
    "allreduce": allreduce,
    "allgather": allgather,
    "bcast": bcast,
    "reduce_scatter": reduce_scatter,
}


# ---- device arrays: NCCL, or host copies ----

_NCCL_TYPES = {
    "int8": "NCCL_INT8",
    "uint8": "NCCL_UINT8",
    "int32": "NCCL_INT32",
    "uint32": "NCCL_UINT32",
    "int64": "NCCL_INT64",
    "uint64": "NCCL_UINT64",
    "float16": "NCCL_FLOAT16",
    "float32": "NCCL_FLOAT32",
    "float64": "NCCL_FLOAT64",
}
_NCCL_OPS = {"sum": "NCCL_SUM", "max": "NCCL_MAX", "min": "NCCL_MIN"}
_nccl_communicators = {}  # (MPI handle, device id) -> NcclCommunicator, or None: use the host
_warned_host_copies = False


def _on_device(xp, name, x, comm, **params):
    if comm.Get_size() == 1:
        return xp.array(x, copy=True)
    nccl_comm = _nccl_communicator(xp, comm)
    view = None if nccl_comm is None else _nccl_view(x, params.get("op", "sum"))
    if view is None:
        _warn_host_copies(xp)
        return xp.asarray(_HOST[name](np, backend.to_host(x), comm=comm, **params))
    return _NCCL_CALLS[name](xp, nccl_comm, x, view, comm.Get_size(), **params)


def _nccl_view(x, op):
    """``x``'s dtype as NCCL's type name and how to view the data for it
    (booleans as bytes, complex numbers as pairs of reals for sums), or None
    where NCCL has no such type."""
    if x.dtype == np.bool_:
        return "uint8", "NCCL_UINT8"
    dtype = x.dtype
    if dtype.kind == "c" and op == "sum":
        dtype = np.dtype(f"f{dtype.itemsize // 2}")
    name = _NCCL_TYPES.get(dtype.name)
    return None if name is None else (dtype.name, name)


def _nccl_communicator(xp, comm):
    """The NCCL communicator of ``comm`` on this process's current device, or
    None where some rank cannot use NCCL (no NCCL in CuPy, or two ranks on one
    device, which NCCL refuses): decided by all ranks together."""
    if not hasattr(xp, "cuda"):  # a device backend other than CuPy
        return None
    device = xp.cuda.Device().id
    key = (comm.py2f(), device)
    if key in _nccl_communicators:
        return _nccl_communicators[key]
    try:
        nccl = importlib.import_module(f"{xp.__name__}.cuda.nccl")
        usable = bool(nccl.available)
    except (ImportError, AttributeError):
        nccl, usable = None, False
    places = comm.allgather((usable, socket.gethostname(), device))  # setup only
    if all(u for u, _, _ in places) and len({p[1:] for p in places}) == len(places):
        unique_id = nccl.get_unique_id() if comm.Get_rank() == 0 else None
        unique_id = comm.bcast(unique_id, root=0)
        nccl_comm = nccl.NcclCommunicator(comm.Get_size(), unique_id, comm.Get_rank())
        _nccl_communicators[key] = (nccl, nccl_comm)
    else:
        _nccl_communicators[key] = None
    return _nccl_communicators[key]


def _warn_host_copies(xp):
    global _warned_host_copies
    if not _warned_host_copies:
        _warned_host_copies = True
        warnings.warn(
            f"fntrans.distributed: NCCL is not usable here (not in {xp.__name__}, two ranks "
            f"on one GPU, or a dtype NCCL lacks), so collectives of device arrays go "
            f"through host memory and MPI, which is slower. Give each rank its own GPU "
            f"(cupy.cuda.Device(rank).use()) to use NCCL.",
            RuntimeWarning,
            stacklevel=4,
        )


def _nccl_args(xp, nccl, x, view):
    """``x`` contiguous, its data as NCCL's type (flat: a 0-d array cannot change
    its item size), the type, and the stream the collective joins."""
    x = xp.ascontiguousarray(x)
    dtype, type_name = view
    return x, _flat(x, dtype), getattr(nccl, type_name), xp.cuda.get_current_stream().ptr


def _flat(x, dtype):
    return x.reshape(-1).view(dtype)


def _nccl_allreduce(xp, nccl_comm, x, view, size, *, op):
    nccl, comm = nccl_comm
    x, send, nccl_type, stream = _nccl_args(xp, nccl, x, view)
    out = xp.empty_like(x)
    recv = _flat(out, send.dtype)
    comm.allReduce(
        send.data.ptr, recv.data.ptr, send.size, nccl_type, getattr(nccl, _NCCL_OPS[op]), stream
    )
    return out


def _nccl_allgather(xp, nccl_comm, x, view, size):
    nccl, comm = nccl_comm
    x, send, nccl_type, stream = _nccl_args(xp, nccl, x, view)
    out = xp.empty((size, *x.shape), x.dtype)
    recv = _flat(out, send.dtype)
    comm.allGather(send.data.ptr, recv.data.ptr, send.size, nccl_type, stream)
    return out


def _nccl_bcast(xp, nccl_comm, x, view, size, *, root):
    nccl, comm = nccl_comm
    x, send, nccl_type, stream = _nccl_args(xp, nccl, x, view)
    out = xp.empty_like(x)
    recv = _flat(out, send.dtype)
    comm.broadcast(send.data.ptr, recv.data.ptr, send.size, nccl_type, root, stream)
    return out


def _nccl_reduce_scatter(xp, nccl_comm, x, view, size):
    nccl, comm = nccl_comm
    x, send, nccl_type, stream = _nccl_args(xp, nccl, x, view)
    out = xp.empty((x.shape[0] // size, *x.shape[1:]), x.dtype)
    recv = _flat(out, send.dtype)
    comm.reduceScatter(send.data.ptr, recv.data.ptr, recv.size, nccl_type, nccl.NCCL_SUM, stream)
    return out


_NCCL_CALLS = {
    "allreduce": _nccl_allreduce,
    "allgather": _nccl_allgather,
    "bcast": _nccl_bcast,
    "reduce_scatter": _nccl_reduce_scatter,
}
