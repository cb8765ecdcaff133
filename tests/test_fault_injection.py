"""An exception at any primitive call leaves no corrupted state behind.

SPEC: "a failed trace leaves no interpreter on the stack, user arrays are
never mutated, and the next call works". Each program below is first run
cleanly, counting its primitive calls; then, for every k, it is run again
with a marker exception raised at call k, and after each failure the
marker must have reached the caller, the interpreter stack must be empty,
the inputs unchanged, and the next (uninjected) call must give exactly the
clean result.

Two injection sites: the entry of ``Primitive.bind`` (every dispatch,
whichever interpreter would take it) and each primitive's ``impl`` (where
arrays are computed, deep inside the interpreters' rules).
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.core.interpreter import current_stack
from fntrans.core.primitive import Primitive
from fntrans.interpreters.batching import Batch
from fntrans.interpreters.jvp import JVP
from fntrans.interpreters.reverse import Tape
from fntrans.interpreters.staging import Staging

RNG = np.random.default_rng(0)
PARAMS = {
    "W1": RNG.standard_normal((3, 4)),
    "b1": RNG.standard_normal(4),
    "W2": RNG.standard_normal((4, 2)),
    "b2": RNG.standard_normal(2),
}
X = RNG.standard_normal(3)
BATCH = RNG.standard_normal((4, 3))
W = RNG.standard_normal((3, 3)) * 0.5


class InjectedFault(Exception):
    """The marker raised at the chosen primitive call."""


class Injector:
    """Counts primitive calls and raises ``InjectedFault`` at call ``fail_at``."""

    def __init__(self):
        self.calls = 0
        self.fail_at = None

    def tick(self):
        self.calls += 1
        if self.calls == self.fail_at:
            raise InjectedFault(self.calls)

    def ticking(self, impl):
        def impl_that_may_fail(xp, *args, **params):
            self.tick()
            return impl(xp, *args, **params)

        return impl_that_may_fail


def _all_primitives() -> list:
    found = {}
    for info in pkgutil.walk_packages(ft.__path__, "fntrans."):
        for value in vars(importlib.import_module(info.name)).values():
            if isinstance(value, Primitive):
                found[id(value)] = value
    return list(found.values())


@pytest.fixture(params=["bind", "impl"])
def injector(request, monkeypatch):
    injector = Injector()
    if request.param == "bind":
        # fntrans keeps bound methods (`exp = exp_p.bind`), which a patched
        # Primitive.bind would miss; every bind of a traced value reaches an
        # interpreter's process_primitive, so that is where to intercept.
        for interpreter in (Tape, JVP, Batch, Staging):
            process = interpreter.process_primitive

            def process_that_may_fail(self, prim, args, params, process=process):
                injector.tick()
                return process(self, prim, args, params)

            monkeypatch.setattr(interpreter, "process_primitive", process_that_may_fail)
    else:
        for prim in _all_primitives():
            monkeypatch.setattr(prim, "impl", injector.ticking(prim.impl))
    return injector


# ---- the programs ----


def mlp_loss(params, x):
    hidden = fnp.tanh(x @ params["W1"] + params["b1"])
    return fnp.sum((hidden @ params["W2"] + params["b2"]) ** 2)


def batch_loss(params, batch):
    return fnp.sum(ft.vmap(lambda x: mlp_loss(params, x))(batch))


def loop_with_assignment(x):
    n = x.shape[0]
    y = fnp.zeros(n)
    for i in range(n):
        y[i] = fnp.sin(x[i]) * x[(i + 1) % n]
    x[0] = x[0] * 2.0  # writes into the traced argument, never into the user's array
    return fnp.sum(y**2) + fnp.sum(x)


@ft.custom_vjp
def squashed(x):
    return fnp.tanh(x)


squashed.defvjp(lambda x: (fnp.tanh(x), x), lambda x, ct: (ct / fnp.cosh(x) ** 2,))


def loss_with_custom_vjp(x):
    return fnp.sum(squashed(x * 2.0) ** 2)


layer = ft.checkpoint(lambda x: fnp.tanh(W @ x))


def checkpointed_net(x):
    return fnp.sum(layer(layer(x)) ** 2)


CASES = {
    "grad_of_vmap_mlp": (ft.grad(batch_loss), (PARAMS, BATCH)),
    "hessian_of_mlp": (ft.hessian(mlp_loss), (PARAMS, X)),
    "jacfwd_of_grad_loop_with_assignment": (ft.jacfwd(ft.grad(loop_with_assignment)), (X,)),
    "grad_of_vmap_loop_with_assignment": (
        ft.grad(lambda b: fnp.sum(ft.vmap(loop_with_assignment)(b))),
        (BATCH,),
    ),
    "vmap_of_grad_custom_vjp": (ft.vmap(ft.grad(loss_with_custom_vjp)), (BATCH,)),
    "grad_of_vmap_custom_vjp": (
        ft.grad(lambda b: fnp.sum(ft.vmap(squashed)(b) ** 2)),
        (BATCH,),
    ),
    "grad_of_grad_custom_vjp": (ft.grad(ft.grad(lambda x: squashed(x) * x)), (0.3,)),
    "grad_of_checkpoint": (ft.grad(checkpointed_net), (X,)),
    "jacfwd_of_grad_checkpoint": (ft.jacfwd(ft.grad(checkpointed_net)), (X,)),
    # jit: traced anew on each call (a failure while tracing caches nothing),
    # and a jitted function reused under grad (its derived pull-back is cached)
    "jit_of_grad_mlp": (lambda p, x: ft.jit(ft.grad(mlp_loss))(p, x), (PARAMS, X)),
    "jit_of_loop_with_assignment": (lambda x: ft.jit(loop_with_assignment)(x), (X,)),
    "jit_of_grad_checkpoint": (lambda x: ft.jit(ft.grad(checkpointed_net))(x), (X,)),
    "grad_of_jit_custom_vjp": (ft.grad(ft.jit(loss_with_custom_vjp)), (X,)),
    "vmap_of_jit_mlp": (ft.vmap(ft.jit(mlp_loss), in_axes=(None, 0)), (PARAMS, BATCH)),
}


# ---- the test ----


def _copies(tree):
    return ft.tree.tree_map(np.copy, tree)


def _same(a, b) -> bool:
    leaves_a, leaves_b = ft.tree.tree_leaves(a), ft.tree.tree_leaves(b)
    if ft.tree.tree_structure(a) != ft.tree.tree_structure(b):
        return False
    return all(
        np.asarray(x).dtype == np.asarray(y).dtype and np.array_equal(x, y, equal_nan=True)
        for x, y in zip(leaves_a, leaves_b)
    )


def _state_after_failure_at(k, fn, args, originals, clean, injector) -> list:
    problems = []
    injector.calls, injector.fail_at = 0, k
    try:
        fn(*args)
        problems.append("no exception: the injected call was never reached")
    except InjectedFault as e:
        if e.args != (k,):
            problems.append(f"a marker from another call propagated: {e.args}")
    except Exception as e:  # anything but the marker is a finding
        problems.append(f"{type(e).__name__} instead of the marker: {e}")
    injector.fail_at = None
    if current_stack():
        problems.append(f"interpreters left on the stack: {current_stack()}")
        current_stack().clear()  # so the other call indices are tested from a clean state
    if not _same(args, originals):
        problems.append("an input array was mutated")
    try:
        again = fn(*args)
        if not _same(again, clean):
            problems.append("the next call gave a different result")
    except Exception as e:
        problems.append(f"the next call raised {type(e).__name__}: {e}")
    return problems


@pytest.mark.parametrize("case", CASES)
def test_failure_at_any_primitive_call_leaves_no_corrupted_state(case, injector):
    fn, args = CASES[case]
    originals = _copies(args)
    fn(*args)  # a first call may trace a custom rule's function for its output type
    injector.calls = 0
    clean = fn(*args)
    n_calls = injector.calls
    assert n_calls > 0, "the injector saw no primitive call"
    failures = {}
    for k in range(1, n_calls + 1):
        problems = _state_after_failure_at(k, fn, args, originals, clean, injector)
        if problems:
            failures[k] = problems
    assert not failures, f"{len(failures)} of {n_calls} call indices: " + "; ".join(
        f"call {k}: {', '.join(p)}" for k, p in list(failures.items())[:5]
    )


def test_the_checks_catch_a_function_that_corrupts_state(injector):
    x = X.copy()

    def corrupting(x):
        x += 1.0  # mutates the caller's array
        current_stack().append("left behind")  # popped only on success
        y = ft.vmap(fnp.sin)(x)  # reaches an interpreter and an impl
        current_stack().pop()
        return y

    problems = _state_after_failure_at(1, corrupting, (x,), (X.copy(),), np.sin(X + 1), injector)
    assert problems == [
        "interpreters left on the stack: ['left behind']",
        "an input array was mutated",
        "the next call gave a different result",
    ]
