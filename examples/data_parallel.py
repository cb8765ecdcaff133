"""The two-spiral MLP classifier of mlp_classifier.py, trained data-parallel.

Shows: fntrans.distributed on several processes. Every rank holds the
parameters (broadcast_params makes them rank 0's) and a shard of each
mini-batch (shard); data_parallel_value_and_grad differentiates the loss on
the shard and all-reduces the gradients in one message, weighting the shards
by their sizes, so every rank gets the mean gradient over the whole batch and
takes the same Adam step. Rank 0 also trains in one process on the whole
batches and prints both final losses: they agree to rounding.

Run: mpiexec -n 4 python examples/data_parallel.py
(pip install 'fntrans[mpi]'; without mpiexec it runs as one rank.)
"""

from __future__ import annotations

import numpy as np
from _plotting import pyplot, save
from mlp_classifier import accuracy, cross_entropy, init_params, make_spirals

import fntrans as ft
from fntrans.distributed import (
    broadcast_params,
    data_parallel_value_and_grad,
    rank,
    shard,
    world_size,
)
from fntrans.optimizers import adam


def batch_loss(params, batch):
    return cross_entropy(params, batch["x"], batch["y"])


def plot(parallel_losses, single_losses, ranks):
    plt = pyplot()
    if plt is None:
        return
    fig, (ax_loss, ax_gap) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax_loss.semilogy(single_losses, lw=2.5, alpha=0.5, label="one process")
    ax_loss.semilogy(parallel_losses, lw=0.8, label=f"{_ranks(ranks)}, data-parallel")
    ax_loss.set(title="Training curves", xlabel="Adam iteration", ylabel="batch cross-entropy")
    ax_loss.legend()
    ax_loss.grid(alpha=0.3)
    gap = np.abs(np.asarray(parallel_losses) - np.asarray(single_losses))
    ax_gap.semilogy(np.maximum(gap, 1e-17), lw=0.8)
    ax_gap.set(
        title="How far apart they are",
        xlabel="Adam iteration",
        ylabel="|data-parallel loss - one-process loss|",
    )
    ax_gap.grid(alpha=0.3)
    fig.suptitle(f"Two-spiral MLP: data-parallel training on {_ranks(ranks)} matches one process")
    save(fig, "data_parallel")


def main(num_iters=1500, step_size=0.01, batch_size=100):
    rng = np.random.default_rng(0)
    X, y = make_spirals(rng)
    params = broadcast_params(init_params(rng))  # every rank starts from rank 0's
    num_batches = len(y) // batch_size

    def batch(i):
        rows = slice((i % num_batches) * batch_size, (i % num_batches + 1) * batch_size)
        return {"x": X[rows], "y": y[rows]}

    step = data_parallel_value_and_grad(batch_loss)
    parallel, parallel_losses = adam(
        lambda p, i: step(p, shard(batch(i))),
        params,
        num_iters=num_iters,
        step_size=step_size,
        return_history=True,
    )
    if rank() != 0:
        return None
    reference = ft.value_and_grad(batch_loss)
    single, single_losses = adam(
        lambda p, i: reference(p, batch(i)),
        params,
        num_iters=num_iters,
        step_size=step_size,
        return_history=True,
    )
    parallel_loss, single_loss = cross_entropy(parallel, X, y), cross_entropy(single, X, y)
    print(
        f"data-parallel on {_ranks(world_size())}: final loss {parallel_loss:.12f}, "
        f"training accuracy {accuracy(parallel, X, y):.3f}"
    )
    print(
        f"one process:             final loss {single_loss:.12f}, "
        f"training accuracy {accuracy(single, X, y):.3f}"
    )
    gap = max(np.max(np.abs(p - s)) for p, s in zip(_leaves(parallel), _leaves(single)))
    print(f"largest difference between their parameters: {gap:.1e}")
    plot(parallel_losses, single_losses, world_size())
    return parallel_loss, single_loss, gap


def _ranks(n: int) -> str:
    return f"{n} rank" if n == 1 else f"{n} ranks"


def _leaves(params):
    return [layer[name] for layer in params for name in ("W", "b")]


if __name__ == "__main__":
    main()
