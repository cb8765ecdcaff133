"""Transforms running at once on several threads do not see each other.

Each thread has its own interpreter stack (SPEC: the per-thread stack of
active transforms), so eight threads running eight different transforms on
the same input arrays must each get, every round, the result a single
thread gets, and must leave the shared inputs unchanged.
"""

from __future__ import annotations

import sys
import threading
import traceback

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.core.interpreter import current_stack

ROUNDS = 50
RNG = np.random.default_rng(0)
X = RNG.standard_normal(4)
V = RNG.standard_normal(4)
BATCH = RNG.standard_normal((6, 4))
W = RNG.standard_normal((4, 4)) * 0.5
PARAMS = {
    "W1": RNG.standard_normal((4, 5)),
    "b1": RNG.standard_normal(5),
    "W2": RNG.standard_normal((5, 1)),
}


def mlp_loss(params, batch):
    hidden = fnp.tanh(batch @ params["W1"] + params["b1"])
    return fnp.mean((hidden @ params["W2"]) ** 2)


def with_assignment(x):
    y = fnp.zeros(x.shape[0])
    for i in range(x.shape[0]):
        y[i] = fnp.sin(x[i]) * x[i - 1]
    return fnp.sum(y**2)


def smooth(x):
    return fnp.sum(fnp.sin(x) * fnp.exp(-(x**2)))


@ft.custom_vjp
def squashed(x):
    return fnp.tanh(x)


squashed.defvjp(lambda x: (fnp.tanh(x), x), lambda x, ct: (ct / fnp.cosh(x) ** 2,))

layer = ft.checkpoint(lambda x: fnp.tanh(W @ x))

TRANSFORMS = {
    "grad": lambda: ft.grad(with_assignment)(X),
    "jvp": lambda: ft.jvp(smooth, (X,), (V,)),
    "vmap": lambda: ft.vmap(lambda x: fnp.tanh(W @ x) * x)(BATCH),
    "jacrev": lambda: ft.jacrev(lambda x: fnp.tanh(W @ x) * fnp.sum(x**2))(X),
    "hessian": lambda: ft.hessian(smooth)(X),
    "value_and_grad_mlp": lambda: ft.value_and_grad(mlp_loss)(PARAMS, BATCH),
    "custom_vjp": lambda: ft.vmap(ft.grad(lambda x: fnp.sum(squashed(x * 2.0) ** 2)))(BATCH),
    "checkpoint": lambda: ft.grad(lambda x: fnp.sum(layer(layer(x)) ** 2))(X),
}


def _mismatch(result, expected) -> str | None:
    if ft.tree.tree_structure(result) != ft.tree.tree_structure(expected):
        return f"structure {ft.tree.tree_structure(result)}"
    for got, want in zip(ft.tree.tree_leaves(result), ft.tree.tree_leaves(expected)):
        if np.shape(got) != np.shape(want) or not np.allclose(got, want, rtol=1e-12, atol=0):
            return f"{got!r} instead of {want!r}"
    return None


@pytest.fixture
def frequent_thread_switches():
    # one transform takes about a millisecond, the default switch interval 5 ms:
    # switch far more often so that the threads interleave inside transforms
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def test_eight_transforms_on_eight_threads_agree_with_one_thread(frequent_thread_switches):
    inputs = {"X": X, "V": V, "BATCH": BATCH, "W": W, **PARAMS}
    originals = {name: a.copy() for name, a in inputs.items()}
    expected = {name: fn() for name, fn in TRANSFORMS.items()}
    barrier = threading.Barrier(len(TRANSFORMS))
    failures = []
    rounds_done = dict.fromkeys(TRANSFORMS, 0)

    def work(name, fn):
        try:
            for round_ in range(ROUNDS):
                barrier.wait(timeout=60)  # every round starts on all threads at once
                mismatch = _mismatch(fn(), expected[name])
                if mismatch or current_stack():
                    failures.append(f"{name}, round {round_}: {mismatch}, stack {current_stack()}")
                rounds_done[name] += 1
        except threading.BrokenBarrierError:
            pass  # another thread failed and said why; rounds_done tells the rest
        except BaseException:
            failures.append(f"{name}: {traceback.format_exc()}")
            barrier.abort()  # the others stop waiting for this thread

    threads = [
        threading.Thread(target=work, args=item, name=item[0]) for item in TRANSFORMS.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert not failures, "\n".join(failures[:8])
    assert rounds_done == dict.fromkeys(TRANSFORMS, ROUNDS)
    for name, a in inputs.items():
        np.testing.assert_array_equal(a, originals[name], err_msg=f"shared input {name} changed")
