"""fntrans.distributed: the gradient all-reduce and the data-parallel step.

1. The all-reduce of the raveled gradient of a 784-512-512-10 MLP (669,706
   parameters, float32: 2.7 MB), at 2 and 3 ranks: fntrans's ``psum`` (which
   checks that the ranks agree, then calls ``Allreduce`` into a recycled
   array) against mpi4py's raw ``Allreduce`` of the same buffer into a
   preallocated one, and into a new one each call (MPI registers the memory
   of a buffer at a new address, which can cost more than the transfer).
   Also an 8-byte all-reduce, for the latency of the cost model in
   docs/distributed.md.
2. The data-parallel training step (value and gradient of the MLP's
   cross-entropy on a global batch of 256, sharded) at 1, 2 and 3 ranks,
   against one process's ``ft.value_and_grad`` on the whole batch.

Every rank runs the same fixed number of calls between barriers (a timing
loop that calibrates itself per rank would desynchronize the collectives);
a repeat's time is the slowest rank's, and the best of the repeats is kept.

Run: ``python benchmarks/bench_distributed.py`` (launches itself with
``mpiexec -n 1``, ``-n 2`` and ``-n 3``); or one size,
``mpiexec -n 2 python benchmarks/bench_distributed.py --worker``.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np

SIZES = (784, 512, 512, 10)
GLOBAL_BATCH = 256


def init_params(rng, dtype=np.float32):
    return [
        {
            "W": (rng.standard_normal((m, n)) / np.sqrt(m)).astype(dtype),
            "b": np.zeros(n, dtype),
        }
        for m, n in zip(SIZES[:-1], SIZES[1:])
    ]


def cross_entropy(params, batch):
    import fntrans as ft
    import fntrans.numpy as fnp

    h = batch["x"]
    for layer in params[:-1]:
        h = fnp.tanh(h @ layer["W"] + layer["b"])
    z = h @ params[-1]["W"] + params[-1]["b"]
    shift = ft.stop_gradient(fnp.max(z, axis=1, keepdims=True))
    log_p = z - shift - fnp.log(fnp.sum(fnp.exp(z - shift), axis=1, keepdims=True))
    return -fnp.mean(fnp.sum(batch["y"] * log_p, axis=1))


def timings(fns: dict, comm, calls: int, repeats: int = 7) -> dict:
    """Seconds per call of each function, the slowest rank's, best of ``repeats``
    taken in turn (a change of load then hits all alike)."""
    from mpi4py import MPI

    for fn in fns.values():
        fn()  # warm up
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            comm.Barrier()
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            elapsed = comm.allreduce(time.perf_counter() - start, op=MPI.MAX)
            best[name] = min(best[name], elapsed / calls)
    return best


def worker() -> None:
    from mpi4py import MPI

    import fntrans as ft
    from fntrans.distributed import data_parallel_value_and_grad, psum, shard
    from fntrans.tree import ravel_pytree

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    rng = np.random.default_rng(0)
    params = init_params(rng)
    results = {"ranks": size}

    if size > 1:
        flat, _ = ravel_pytree(init_params(np.random.default_rng(rank)))  # "gradients"
        recv = np.empty_like(flat)
        tiny, tiny_recv = np.ones(1), np.empty(1)
        results["allreduce"] = timings(
            {
                "mpi4py Allreduce": lambda: comm.Allreduce(flat, recv, op=MPI.SUM),
                "fntrans psum": lambda: psum(flat, comm),
                "mpi4py, new output": lambda: comm.Allreduce(flat, np.empty_like(flat)),
            },
            comm,
            calls=40,
            repeats=15,
        )
        results["allreduce 8 bytes"] = timings(
            {
                "mpi4py Allreduce": lambda: comm.Allreduce(tiny, tiny_recv, op=MPI.SUM),
                "fntrans psum": lambda: psum(tiny, comm),
            },
            comm,
            calls=2000,
        )
        results["bytes"] = flat.nbytes

    x = rng.standard_normal((GLOBAL_BATCH, SIZES[0])).astype(np.float32)
    labels = rng.integers(0, SIZES[-1], GLOBAL_BATCH)
    batch = {"x": x, "y": (labels[:, None] == np.arange(SIZES[-1])).astype(np.float32)}
    step = data_parallel_value_and_grad(cross_entropy, comm)
    mine = shard(batch, comm)
    fns = {"data-parallel step": lambda: step(params, mine)}
    if size == 1:
        whole = ft.value_and_grad(cross_entropy)
        fns["one process, value_and_grad"] = lambda: whole(params, batch)
    results["step"] = timings(fns, comm, calls=4, repeats=5)
    if rank == 0:
        print("RESULTS " + json.dumps(results), flush=True)


def launch(ranks: int) -> dict:
    here = pathlib.Path(sys.executable).parent / "mpiexec"
    mpiexec = str(here) if here.exists() else shutil.which("mpiexec")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    run = subprocess.run(
        [mpiexec, "-n", str(ranks), sys.executable, __file__, "--worker"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULTS ")]
    if run.returncode or not lines:
        raise RuntimeError(f"mpiexec -n {ranks} failed:\n{run.stdout}\n{run.stderr}")
    return json.loads(lines[0][len("RESULTS ") :])


def main() -> None:
    runs = [launch(ranks) for ranks in (1, 2, 3)]
    print(f"\n{os.cpu_count()} CPU cores; OMP_NUM_THREADS=1")
    for run in runs[1:]:
        p, nbytes = run["ranks"], run["bytes"]
        big, small = run["allreduce"], run["allreduce 8 bytes"]
        raw, ours = big["mpi4py Allreduce"], big["fntrans psum"]
        print(f"\nall-reduce of the MLP's gradient ({nbytes / 1e6:.2f} MB float32), {p} ranks")
        print(f"  mpi4py Allreduce   {raw * 1e3:8.3f} ms")
        print(f"  fntrans psum       {ours * 1e3:8.3f} ms   {ours / raw:5.2f}x mpi4py")
        fresh = big["mpi4py, new output"]
        print(f"  mpi4py Allreduce into a new array each call {fresh * 1e3:.3f} ms")
        raw_small, ours_small = small["mpi4py Allreduce"], small["fntrans psum"]
        print(f"  8 bytes: mpi4py {raw_small * 1e6:.1f} us, fntrans {ours_small * 1e6:.1f} us")
        # the ring model t = 2(p-1)/p * bytes / B + 2(p-1) * latency, fitted to the two sizes
        latency = raw_small / (2 * (p - 1))
        bandwidth = 2 * (p - 1) / p * nbytes / (raw - raw_small)
        print(f"  ring model: latency {latency * 1e6:.1f} us per hop, ", end="")
        print(f"bandwidth {bandwidth / 1e9:.2f} GB/s")
    print(f"\ndata-parallel step, MLP {'-'.join(map(str, SIZES))}, global batch {GLOBAL_BATCH}")
    single = runs[0]["step"]["one process, value_and_grad"]
    print(f"  one process, value_and_grad   {single * 1e3:8.1f} ms")
    for run in runs:
        t = run["step"]["data-parallel step"]
        print(
            f"  data-parallel, {run['ranks']} rank{'s' if run['ranks'] > 1 else ' '}         "
            f"{t * 1e3:8.1f} ms   speed-up {single / t:4.2f}x"
        )


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker()
    else:
        main()
