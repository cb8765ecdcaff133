"""Run under ``mpiexec -n 2`` or ``-n 3``: every collective's value and
derivatives (jvp, grad, vmap, second order) on each rank against a single
process computing the same thing on all ranks' data at once.

Every rank can make every rank's data (``data(r)``), so each one computes the
single-process reference itself: the ranks' inputs stacked along a new
leading axis ``X``, where ``psum`` becomes ``X.sum(0)`` and so on. Rank
``r``'s gradient must be block ``r`` of the single process's gradient of the
sum over the ranks of what each differentiates. Exits non-zero (an
AssertionError) on the first disagreement.
"""

from __future__ import annotations

import pathlib
import sys
import warnings

import numpy as np

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.distributed import (
    all_gather,
    broadcast,
    pmax,
    pmean,
    pmin,
    psum,
    rank,
    reduce_scatter,
    world_size,
)
from fntrans.test_util import check_grads

R, P = rank(), world_size()
SHAPE = (2, 3)


def data(r, shape=SHAPE, salt=0):
    return np.random.default_rng(100 * salt + r).standard_normal(shape)


def stacked(shape=SHAPE, salt=0):
    """Every rank's data along a new leading axis: the single process's input."""
    return np.stack([data(r, shape, salt) for r in range(P)])


def close(actual, expected, what):
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-13, err_msg=what)


def total(rank_loss):
    """The single process's objective: the sum over the ranks of ``rank_loss(X, r)``."""
    return lambda X: sum(rank_loss(X, r) for r in range(P))


def block_of_grad(rank_loss, X):
    """This rank's block of the gradient of ``total(rank_loss)``: what it must get."""
    return ft.grad(total(rank_loss))(X)[R]


def weights(r, shape):
    """Weights that differ by rank, so that the ranks' losses differ."""
    return data(r, shape, salt=7)


# ---- values ----


def check_values():
    x, X = data(R), stacked()
    close(psum(x), X.sum(0), "psum")
    close(pmean(x), X.mean(0), "pmean")
    close(pmax(x), X.max(0), "pmax")
    close(pmin(x), X.min(0), "pmin")
    close(all_gather(x), X, "all_gather")
    close(all_gather(x, axis=1), np.moveaxis(X, 0, 1), "all_gather axis=1")
    close(all_gather(x, axis=-1), np.moveaxis(X, 0, -1), "all_gather axis=-1")
    close(all_gather(x, tiled=True), np.concatenate(list(X), 0), "all_gather tiled")
    close(all_gather(x, axis=1, tiled=True), np.concatenate(list(X), 1), "tiled axis=1")
    for root in range(P):
        close(broadcast(x, root=root), X[root], f"broadcast from {root}")
    y, Y = data(R, (2 * P, 3)), stacked((2 * P, 3))
    close(reduce_scatter(y), Y.sum(0)[2 * R : 2 * R + 2], "reduce_scatter")
    z, Z = data(R, (3, P)), stacked((3, P))
    close(reduce_scatter(z, axis=1, tiled=False), Z.sum(0)[:, R], "reduce_scatter untiled")
    tree = {"a": x, "b": [np.float32(R), np.arange(3) * R]}
    summed = psum(tree)
    close(summed["a"], X.sum(0), "psum of a tree")
    assert summed["b"][0].dtype == np.float32 and summed["b"][0] == sum(range(P))
    assert summed["b"][1].dtype == np.arange(3).dtype
    close(pmax(np.array([R, -R]) > 0), [P > 1, False], "pmax of booleans")
    close(psum(2.0), 2.0 * P, "psum of a Python float")


# ---- forward mode ----


def check_jvp():
    x, t = data(R), data(R, salt=1)
    X, T = stacked(), stacked(salt=1)
    cases = [
        (psum, lambda X: X.sum(0)),
        (pmean, lambda X: X.mean(0)),
        (lambda x: all_gather(x, axis=1), lambda X: fnp.moveaxis(X, 0, 1)),
        (lambda x: broadcast(x, root=P - 1), lambda X: X[P - 1]),
        (pmax, lambda X: fnp.max(X, axis=0)),  # no ties between random numbers
        (pmin, lambda X: fnp.min(X, axis=0)),
    ]
    for f, reference in cases:
        out, out_dot = ft.jvp(lambda x, f=f: fnp.sin(f(x)), (x,), (t,))
        ref, ref_dot = ft.jvp(lambda X, g=reference: fnp.sin(g(X)), (X,), (T,))
        close(out, ref, f"jvp value of {f}")
        close(out_dot, ref_dot, f"jvp tangent of {f}")
    y, Ty = data(R, (2 * P,)), data(R, (2 * P,), salt=1)
    _, out_dot = ft.jvp(reduce_scatter, (y,), (Ty,))
    close(out_dot, stacked((2 * P,), salt=1).sum(0)[2 * R : 2 * R + 2], "jvp of reduce_scatter")
    # finite differences, to second order: every rank moves its input along the
    # same random direction, so these check the collectives' JVPs globally
    for f in (psum, pmean, pmax, lambda x: all_gather(x, tiled=True)):
        check_grads(lambda x, f=f: fnp.sin(f(x)) * x.sum(), (x,), order=2, modes=("fwd",))


# ---- reverse mode: the gradient of the sum of the ranks' losses ----


def check_grad():
    x, X = data(R), stacked()
    n = SHAPE[0] * SHAPE[1]
    cases = [  # (this rank's loss, rank r's loss in the single process)
        (
            lambda x: fnp.sum(fnp.sin(psum(x)) * weights(R, SHAPE)),
            lambda X, r: fnp.sum(fnp.sin(X.sum(0)) * weights(r, SHAPE)),
        ),
        (
            lambda x: fnp.sum(pmean(x) ** 3 * weights(R, SHAPE)),
            lambda X, r: fnp.sum(fnp.mean(X, axis=0) ** 3 * weights(r, SHAPE)),
        ),
        (
            lambda x: fnp.sum(fnp.sin(pmax(x)) * weights(R, SHAPE)),
            lambda X, r: fnp.sum(fnp.sin(fnp.max(X, axis=0)) * weights(r, SHAPE)),
        ),
        (
            lambda x: fnp.sum(fnp.sin(pmin(x)) * weights(R, SHAPE)),
            lambda X, r: fnp.sum(fnp.sin(fnp.min(X, axis=0)) * weights(r, SHAPE)),
        ),
        (
            lambda x: fnp.sum(fnp.sin(all_gather(x, axis=2)) * weights(R, (2, 3, P))),
            lambda X, r: fnp.sum(fnp.sin(fnp.moveaxis(X, 0, 2)) * weights(r, (2, 3, P))),
        ),
        (
            lambda x: fnp.sum(fnp.cos(all_gather(x, axis=1, tiled=True)) * weights(R, (2, 3 * P))),
            lambda X, r: fnp.sum(fnp.cos(fnp.concatenate(list(X), 1)) * weights(r, (2, 3 * P))),
        ),
        (
            lambda x: fnp.sum(fnp.exp(broadcast(x, root=P - 1)) * weights(R, SHAPE)),
            lambda X, r: fnp.sum(fnp.exp(X[P - 1]) * weights(r, SHAPE)),
        ),
        (  # normalizing by statistics over all ranks' data (as synchronized batch norm)
            lambda x: fnp.sum(((x - pmean(fnp.mean(x))) / fnp.sqrt(psum(fnp.sum(x**2)))) ** 3),
            lambda X, r: fnp.sum(((X[r] - fnp.mean(X)) / fnp.sqrt(fnp.sum(X**2))) ** 3),
        ),
    ]
    for loss, rank_loss in cases:
        close(ft.grad(loss)(x), block_of_grad(rank_loss, X), f"grad of {rank_loss}")

    # a loss that is the same on every rank counts once per rank: grad through
    # psum is the gradient of that loss summed over the ranks; each rank's share
    # gives the single-process gradient of the loss
    def f(x):
        return fnp.sum(fnp.sin(x) * x)

    close(ft.grad(lambda x: psum(f(x)))(x), P * ft.grad(f)(x), "grad of psum(f(x))")
    close(
        ft.grad(lambda x: fnp.sum(fnp.sin(psum(x))))(x),
        P * ft.grad(lambda X: fnp.sum(fnp.sin(X.sum(0))))(X)[R],
        "grad of a loss the same on every rank",
    )

    # reduce_scatter
    y, Y = data(R, (2 * P, 3)), stacked((2 * P, 3))
    close(
        ft.grad(lambda y: fnp.sum(fnp.sin(reduce_scatter(y)) * weights(R, (2, 3))))(y),
        block_of_grad(
            lambda Y, r: fnp.sum(fnp.sin(Y.sum(0)[2 * r : 2 * r + 2]) * weights(r, (2, 3))), Y
        ),
        "grad of reduce_scatter",
    )
    z, Z = data(R, (3, P)), stacked((3, P))
    close(
        ft.grad(lambda z: fnp.sum(fnp.sin(reduce_scatter(z, axis=1, tiled=False)) * weights(R, 3)))(
            z
        ),
        block_of_grad(lambda Z, r: fnp.sum(fnp.sin(Z.sum(0)[:, r]) * weights(r, 3)), Z),
        "grad of untiled reduce_scatter",
    )

    # ties: the lowest rank holding the maximum gets the derivative
    tied = np.array([1.0, float(R)])  # element 0 ties on every rank
    g = ft.grad(lambda x: fnp.sum(pmax(x) * np.array([2.0, 3.0])))(tied)
    close(g, [2.0 * P * (R == 0), 3.0 * P * (R == P - 1)], "grad of pmax with ties")
    close(ft.jvp(pmax, (tied,), (np.ones(2),))[1], [1.0, 1.0], "jvp of pmax with ties")
    assert n == 6


def check_dot_products():
    """<v, J u> = <J^T v, u> summed over the ranks, for each collective's
    JVP and VJP with directions that differ by rank."""
    x, u = data(R), data(R, salt=1)
    collectives = [
        psum,
        pmean,
        pmax,
        pmin,
        all_gather,
        lambda x: all_gather(x, axis=1, tiled=True),
        lambda x: broadcast(x, root=P - 1),
        lambda x: reduce_scatter(fnp.concatenate([x] * P, axis=1), axis=1),
    ]
    for f in collectives:
        ans, ju = ft.jvp(f, (x,), (u,))
        v = data(R, np.shape(ans), salt=3)
        (jt_v,) = ft.vjp(f, x)[1](v)
        close(psum(fnp.sum(v * ju)), psum(fnp.sum(jt_v * u)), f"dot-product test of {f}")


def check_second_order():
    x, X = data(R), stacked()
    w = weights(R, SHAPE)

    def loss(x):
        return fnp.sum(fnp.sin(psum(x * x)) * w)

    rank_loss = lambda X, r: fnp.sum(fnp.sin(fnp.sum(X * X, axis=0)) * weights(r, SHAPE))  # noqa: E731
    full = ft.hessian(total(rank_loss))(X)  # (P, 2, 3, P, 2, 3)
    # every rank moves its input along the same basis vector: the sum of the blocks
    expected = full[R].sum(axis=2)
    close(ft.hessian(loss)(x), expected, "hessian (forward over reverse) through psum")
    close(ft.jacrev(ft.grad(loss))(x), expected, "reverse over reverse through psum")
    # with vectors that differ by rank: this rank's block of the Hessian-vector product
    v, V = data(R, salt=2), stacked(salt=2)
    hv = ft.grad(total(rank_loss))
    expected_hvp = ft.jvp(hv, (X,), (V,))[1][R]
    close(ft.jvp(ft.grad(loss), (x,), (v,))[1], expected_hvp, "hvp, forward over reverse")
    close(
        ft.grad(lambda x: fnp.sum(ft.grad(loss)(x) * v))(x),
        expected_hvp,
        "hvp, reverse over reverse",
    )
    check_grads(lambda x: fnp.sin(psum(x * x)), (x,), order=2, modes=("fwd",))


# ---- vmap: a batch axis is one more axis of the data ----


def check_vmap():
    xb, XB = data(R, (4, 3)), stacked((4, 3))
    close(ft.vmap(psum)(xb), XB.sum(0), "vmap of psum")
    close(ft.vmap(pmax, in_axes=1)(xb), XB.max(0).T, "vmap of pmax over axis 1")
    close(ft.vmap(all_gather)(xb), np.moveaxis(XB, 0, 1), "vmap of all_gather")
    close(
        ft.vmap(lambda v: all_gather(v, tiled=True), in_axes=1)(xb),
        np.concatenate(list(XB), 0).T,
        "vmap of tiled all_gather",
    )
    close(ft.vmap(lambda v: broadcast(v, root=0))(xb), XB[0], "vmap of broadcast")
    yb, YB = data(R, (3, 2 * P)), stacked((3, 2 * P))
    close(ft.vmap(reduce_scatter)(yb), YB.sum(0)[:, 2 * R : 2 * R + 2], "vmap of reduce_scatter")
    # per-example gradients through a collective
    per_example = ft.vmap(ft.grad(lambda v: fnp.sum(fnp.sin(psum(v)))))(xb)
    close(per_example, P * np.cos(XB.sum(0)), "vmap of grad of psum")


# ---- staging: make_jaxpr records collectives, and the compiled program calls impl ----


def check_staging():
    from fntrans.core.ir import eval_ir
    from fntrans.interpreters.codegen import generate

    def compile_ir(ir):
        return generate(ir)[0]

    x, X = data(R), stacked()

    def f(x):
        return fnp.sin(psum(x)) + all_gather(x, tiled=True)[: SHAPE[0]] + pmax(x)

    ir = ft.make_jaxpr(f)(x)
    names = [eqn.prim.name for eqn in ir.eqns]
    assert {"psum", "all_gather", "pmax"} <= set(names), names
    expected = np.sin(X.sum(0)) + X[0] + X.max(0)
    close(compile_ir(ir)(x)[0], expected, "compiled program")
    close(eval_ir(ir, x)[0], expected, "evaluated program")
    grad_ir = ft.make_jaxpr(ft.grad(lambda x: fnp.sum(f(x))))(x)
    close(
        compile_ir(grad_ir)(x)[0],
        block_of_grad(lambda X, r: fnp.sum(fnp.sin(X.sum(0)) + X[0] + fnp.max(X, axis=0)), X),
        "compiled gradient",
    )
    try:
        from fntrans.jit import jit
    except ImportError:
        return
    close(jit(f)(x), expected, "jit")
    close(jit(f)(x), expected, "jit, replayed")
    close(jit(ft.grad(lambda x: fnp.sum(f(x))))(x), compile_ir(grad_ir)(x)[0], "jit of grad")


# ---- communicators other than the world ----


def check_split_communicator():
    from mpi4py import MPI

    comm = MPI.COMM_WORLD.Split(color=R % 2, key=R)
    members = [r for r in range(P) if r % 2 == R % 2]
    x = data(R)
    close(psum(x, comm), sum(data(r) for r in members), "psum over a split communicator")
    g = ft.grad(lambda x: fnp.sum(all_gather(x, comm) ** 2))(x)
    close(g, 2 * len(members) * x, "grad of all_gather over a split communicator")
    comm.Free()


# ---- device arrays without NCCL: through host memory, on a fake CuPy ----


def check_device_arrays_through_host():
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
    from fntrans.backend import to_host
    from tests.fake_backend import FakeCupyArray, fake_cupy, register_strict_fake

    register_strict_fake()  # last: it changes this process's backends
    x, X = data(R), stacked()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = {
            "psum": (psum(fake_cupy(x)), X.sum(0)),
            "pmax": (pmax(fake_cupy(x)), X.max(0)),
            "all_gather": (all_gather(fake_cupy(x), axis=1), np.moveaxis(X, 0, 1)),
            "broadcast": (broadcast(fake_cupy(x), root=P - 1), X[P - 1]),
            "grad": (
                ft.grad(lambda x: fnp.sum(fnp.sin(psum(x))))(fake_cupy(x)),
                P * np.cos(X.sum(0)),
            ),
        }
    for name, (out, expected) in results.items():
        assert type(out) is FakeCupyArray, (name, type(out))
        close(to_host(out), expected, f"{name} of device arrays")
    warned = [w for w in caught if "NCCL is not usable" in str(w.message)]
    assert len(warned) == 1, [str(w.message) for w in caught]


if __name__ == "__main__":
    check_values()
    check_jvp()
    check_grad()
    check_dot_products()
    check_second_order()
    check_vmap()
    check_staging()
    check_split_communicator()
    check_device_arrays_through_host()
    print(f"rank {R} of {P}: collectives agree with the single-process reference")
