"""Run under ``mpiexec -n 2`` or ``-n 3``: data-parallel training matches
single-process training step for step (to 1e-10), with shards of uneven
sizes, contiguous or strided, in one all-reduce or in buckets, under both
optimizer shapes of fntrans.optimizers. Each rank also runs the single
process's training itself, on the whole batches, as the reference. Exits
non-zero (an AssertionError) on the first disagreement.
"""

from __future__ import annotations

import numpy as np

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.distributed import (
    broadcast_params,
    data_parallel_value_and_grad,
    rank,
    shard,
    world_size,
)
from fntrans.optimizers import adam, stateful
from fntrans.tree import tree_leaves, tree_map

R, P = rank(), world_size()
TOL = 1e-10


def init_params(rng, sizes=(3, 8, 2)):
    return [
        {"W": rng.standard_normal((m, n)) / np.sqrt(m), "b": rng.standard_normal(n) * 0.1}
        for m, n in zip(sizes[:-1], sizes[1:])
    ]


def loss(params, batch):
    h = batch["x"]
    for layer in params[:-1]:
        h = fnp.tanh(h @ layer["W"] + layer["b"])
    out = h @ params[-1]["W"] + params[-1]["b"]
    return fnp.mean(fnp.sum((out - batch["y"]) ** 2, axis=1))


def dataset(n=50):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 3))
    return {"x": x, "y": np.stack([np.sin(x[:, 0]), x[:, 1] * x[:, 2]], axis=1)}


def batch_of(data, i, size):
    start = (i * size) % len(data["x"])
    return tree_map(lambda a: a[start : start + size], data)


def close_trees(actual, expected, what):
    for a, e in zip(tree_leaves(actual), tree_leaves(expected)):
        np.testing.assert_allclose(a, e, rtol=TOL, atol=TOL, err_msg=what)


def check_one_step(**options):
    data = dataset()
    params = init_params(np.random.default_rng(0))
    strided = options.pop("strided", False)
    step = data_parallel_value_and_grad(loss, **options)
    reference = ft.value_and_grad(loss)
    sizes = [len(data["x"]), 10, 7] + ([P - 1] if P > 1 else [])  # uneven; P - 1: one rank empty
    for size in sizes:
        batch = batch_of(data, 0, size)
        value, grads = step(params, shard(batch, strided=strided))
        expected_value, expected_grads = reference(params, batch)
        what = f"one step on {size} examples, {options}, strided={strided}"
        np.testing.assert_allclose(value, expected_value, rtol=TOL, err_msg=what)
        close_trees(grads, expected_grads, what)


def check_autograd_style_adam(num_iters=25, size=10):
    data = dataset()
    start = broadcast_params(init_params(np.random.default_rng(R)))  # rank 0's on every rank
    close_trees(start, init_params(np.random.default_rng(0)), "broadcast_params")
    step = data_parallel_value_and_grad(loss)
    reference = ft.value_and_grad(loss)
    seen = []

    def record(params, i, g):
        seen.append(params)

    params = adam(
        lambda p, i: step(p, shard(batch_of(data, i, size))),
        start,
        callback=record,
        num_iters=num_iters,
        step_size=0.05,
    )
    expected_seen = []
    expected = adam(
        lambda p, i: reference(p, batch_of(data, i, size)),
        start,
        callback=lambda p, i, g: expected_seen.append(p),
        num_iters=num_iters,
        step_size=0.05,
    )
    for i, (p, e) in enumerate(zip(seen, expected_seen)):
        close_trees(p, e, f"autograd-style adam, step {i}")
    close_trees(params, expected, "autograd-style adam, final parameters")
    assert loss(params, data) < loss(start, data) / 2  # it trained


def check_optax_style_adam(num_iters=25, size=7):
    data = dataset()
    params = expected = init_params(np.random.default_rng(0))
    optimizer = stateful.adam(0.05)
    state, expected_state = optimizer.init(params), optimizer.init(expected)
    step = data_parallel_value_and_grad(loss, bucket_bytes=256)
    reference = ft.value_and_grad(loss)
    for i in range(num_iters):
        value, grads = step(params, shard(batch_of(data, i, size), strided=True))
        expected_value, expected_grads = reference(expected, batch_of(data, i, size))
        np.testing.assert_allclose(value, expected_value, rtol=TOL, err_msg=f"optax step {i}")
        updates, state = optimizer.update(grads, state, params)
        params = stateful.apply_updates(params, updates)
        expected_updates, expected_state = optimizer.update(
            expected_grads, expected_state, expected
        )
        expected = stateful.apply_updates(expected, expected_updates)
        close_trees(params, expected, f"optax-style adam, step {i}")


def check_float32_stays_float32():
    data = tree_map(lambda a: a.astype(np.float32), dataset())
    params = tree_map(lambda a: a.astype(np.float32), init_params(np.random.default_rng(0)))
    value, grads = data_parallel_value_and_grad(loss)(params, shard(data))
    assert value.dtype == np.float32, value.dtype
    assert all(g.dtype == np.float32 for g in tree_leaves(grads))
    expected_value, expected_grads = ft.value_and_grad(loss)(params, data)
    np.testing.assert_allclose(value, expected_value, rtol=1e-5)
    for g, e in zip(tree_leaves(grads), tree_leaves(expected_grads)):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


if __name__ == "__main__":
    check_one_step()
    check_one_step(strided=True)
    check_one_step(bucket_bytes=100)
    check_autograd_style_adam()
    check_optax_style_adam()
    check_float32_stays_float32()
    print(f"rank {R} of {P}: data-parallel training matches one process")
