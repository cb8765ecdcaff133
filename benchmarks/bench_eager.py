"""The eager path's cost per primitive call, in microseconds.

Each figure is the CPU time of a chain of ``n`` operations divided by ``n``
(this thread's CPU time: on a shared machine, waiting for a core does not
count):

- forward: binding a primitive on a traced value and recording it (reverse
  mode's tape, forward mode's tangent, vmap's batched value);
- backward: walking the tape back through one recorded operation;
- concrete: binding a primitive outside any transform (the floor of a rule's
  own binds).

on a NumPy float64 scalar and on a small array, against NumPy's own time for
the operations. Then the whole-call ratios of the eager transforms: grad of
many tiny operations and Hessian-vector products against autograd, and the
Jacobian of ``tanh(W @ x + b) * x`` against the hand-written NumPy floor.

Run: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_eager.py``
"""

from __future__ import annotations

import time

import numpy as np
from harness import optional, seconds_per_call

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.core.interpreter import new_interpreter
from fntrans.interpreters.batching import Batch, BatchTracer
from fntrans.interpreters.jvp import JVP, JVPTracer
from fntrans.interpreters.reverse import Tape
from fntrans.primitives.elementwise import mul_p

autograd = optional("autograd")

N_OPS = 300  # sin, mul, add, repeated


def chain(np_, x):
    for _ in range(N_OPS // 3):
        x = np_.sin(x) * 0.9 + 0.1
    return x


def best_per_op(run, repeats: int = 200) -> float:
    """Microseconds per operation: the best of ``repeats`` runs of ``run``,
    which returns the seconds its ``N_OPS`` operations took."""
    return min(run() for _ in range(repeats)) / N_OPS * 1e6


def timed(fn, *args):
    start = time.thread_time()
    out = fn(*args)
    return time.thread_time() - start, out


def per_call_costs(x0):
    def numpy_forward():
        return timed(chain, np, x0)[0]

    def concrete():
        start = time.thread_time()
        for _ in range(N_OPS):
            mul_p.bind(x0, 0.9)
        return time.thread_time() - start

    def recorded():
        with new_interpreter(Tape()) as tape:
            seconds, out = timed(chain, fnp, tape.new_input(x0))
        return seconds, tape, out

    def reverse_forward():
        return recorded()[0]

    def reverse_backward():
        _, tape, out = recorded()
        start = time.thread_time()
        tape.backward([out.node], [np.ones_like(x0)], keep=False)
        return time.thread_time() - start

    def forward_mode():
        with new_interpreter(JVP()) as interp:
            return timed(chain, fnp, JVPTracer(interp, x0, np.ones_like(x0)))[0]

    def batched():
        xs = np.stack([x0] * 4)
        with new_interpreter(Batch(4)) as interp:
            return timed(chain, fnp, BatchTracer(interp, xs, 0))[0]

    floor = best_per_op(numpy_forward)
    print(f"\n{type(x0).__name__} of shape {np.shape(x0)}: us per primitive call")
    print(f"  numpy alone                    {floor:6.2f}")
    print(f"  bind, concrete (mul)           {best_per_op(concrete):6.2f}")
    print(f"  bind + tape record (grad)      {best_per_op(reverse_forward):6.2f}")
    print(f"  backward, per recorded op      {best_per_op(reverse_backward):6.2f}")
    print(f"  bind + tangent (jvp)           {best_per_op(forward_mode):6.2f}")
    print(f"  bind + batch rule (vmap of 4)  {best_per_op(batched):6.2f}")


def whole_calls():
    print("\nwhole calls (ratios from this run)")
    rng = np.random.default_rng(0)
    A = rng.standard_normal((100, 2))
    x = np.array([1.0, 2.0])

    def rows(np_, x):
        return np_.sum([A[i, :] @ x.reshape(-1, 1) for i in range(100)])

    def small(np_, x):
        return np_.sum(np_.tanh(x) * np_.sin(x) + np_.exp(-(x**2)))

    xs, vs = rng.standard_normal(10), rng.standard_normal(10)
    t_rows = seconds_per_call(lambda: ft.grad(lambda x: rows(fnp, x))(x))
    t_hvp = seconds_per_call(lambda: ft.hvp(lambda x: small(fnp, x), (xs,), (vs,)))
    if autograd is not None:
        import autograd.numpy as anp
        from autograd.differential_operators import hessian_vector_product

        t_rows_ag = seconds_per_call(lambda: autograd.grad(lambda x: rows(anp, x))(x))
        hvp_ag = hessian_vector_product(lambda x: small(anp, x))
        t_hvp_ag = seconds_per_call(lambda: hvp_ag(xs, vs))
        print(f"  grad of 100 row products / autograd   {t_rows / t_rows_ag:6.3f}")
        print(f"  hvp of a small function / autograd    {t_hvp / t_hvp_ag:6.3f}")
    n = 200
    W = rng.standard_normal((n, n)) / np.sqrt(n)
    b, xj = rng.standard_normal(n), rng.standard_normal(n)

    def f(x):
        return fnp.tanh(W @ x + b) * x

    def floor(x):
        t = np.tanh(W @ x + b)
        return (x * (1 - t**2))[:, None] * W + np.diag(t)

    # (the floor's time depends on whether its 200 x 200 arrays come from
    # fresh pages of memory: compare the absolute times too)
    t_floor = seconds_per_call(lambda: floor(xj))
    print(f"  NumPy floor of the Jacobian, n = {n}       {t_floor * 1e6:8.1f} us")
    for name, jac in (("jacrev", ft.jacrev), ("jacfwd", ft.jacfwd)):
        t = seconds_per_call(lambda jac=jac: jac(f)(xj))
        print(f"  {name}: {t * 1e6:8.1f} us, {t / t_floor:6.2f}x the floor")


if __name__ == "__main__":
    per_call_costs(np.float64(0.3))
    per_call_costs(np.ones(3))
    whole_calls()
