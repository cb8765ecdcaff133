"""The differential checks run on random programs (tests/fuzz_programs.py),
the kind of a failure, and shrinking a failing program to a small one.

Each check runs a program through transforms and compares them with finite
differences (a fourth-order stencil, with its own error estimate), with each
other, or with a loop over the examples, and raises AssertionError.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.test_util import check_grads
from tests.fuzz_programs import Program


class CheckFailure(AssertionError):
    """A check disagreed; the message ends with the program's reproducer."""


def _inner(xs, ys) -> float:
    """Real inner product ``Re sum(conj(x) * y)`` over tuples of arrays."""
    return sum(float(np.real(np.sum(np.conj(x) * y))) for x, y in zip(xs, ys))


def _random_like(rng, x):
    x = np.asarray(x)
    sample = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        sample = sample + 1j * rng.standard_normal(x.shape)
    return sample


def _finite_difference(f, xs, us, h=1e-4):
    """The directional derivative of ``f`` at ``xs`` along ``us`` (a fourth-order
    stencil at h/2), and an estimate of its error (from the stencil at h)."""

    def stencil(h):
        def at(s):
            return np.asarray(f(*[x + s * h * u for x, u in zip(xs, us)]))

        return (at(-2) - 8 * at(-1) + 8 * at(1) - at(2)) / (12 * h)

    coarse, fine = stencil(h), stencil(h / 2)
    return fine, np.max(np.abs(fine - coarse), initial=0.0)


def _close(actual, expected, what, rtol, atol_scale, error=0.0):
    """``actual`` and ``expected`` agree (``error``: how far off ``expected`` may be)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        raise CheckFailure(f"{what}: shape {actual.shape}, expected {expected.shape}")
    scale = 1.0 + max(np.max(np.abs(expected), initial=0.0), np.max(np.abs(actual), initial=0.0))
    atol = atol_scale * scale + 2.0 * error
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


class _Setup:
    """A program at its first example: the function of its float arguments."""

    def __init__(self, program):
        self.program = program
        f = program.function()
        n = program.n_float
        example = program.examples[0]
        self.xs, self.ints = tuple(example[:n]), tuple(example[n:])
        self.f = lambda *xs: f(*xs, *self.ints)
        loss = program.loss()
        self.loss = lambda *xs: loss(*xs, *self.ints)
        self.rng = np.random.default_rng(0)
        self.us = tuple(_random_like(self.rng, x) for x in self.xs)
        self.forward = "vjp_rule" not in program.tags  # jvp refuses custom_vjp


def check_jvp(s):
    """jvp against finite differences (or, with a custom_vjp inside, its refusal)."""
    if not s.forward:
        return _check_jvp_refuses_custom_vjp(s)
    out, tangent = ft.jvp(s.f, s.xs, s.us)
    _close(out, s.f(*s.xs), "jvp's primal output", 1e-12, 1e-12)
    expected, error = _finite_difference(s.f, s.xs, s.us)
    _close(tangent, expected, "jvp vs finite differences", 1e-6, 1e-7, error)


def _check_jvp_refuses_custom_vjp(s):
    try:
        ft.jvp(s.f, s.xs, s.us)
    except TypeError as e:
        if "custom_vjp" not in str(e):
            raise
    else:
        raise CheckFailure("jvp of a program with a custom_vjp function did not raise")


def check_vjp(s):
    """<u, vjp(v)> against <J u, v> with J u by finite differences."""
    out, vjp_fn = ft.vjp(s.f, *s.xs)
    _close(out, s.f(*s.xs), "vjp's primal output", 1e-12, 1e-12)
    v = _random_like(s.rng, out)
    ct = tuple(np.conj(c) for c in vjp_fn(np.conj(v)))
    if [np.shape(c) for c in ct] != [np.shape(x) for x in s.xs]:
        raise CheckFailure(f"vjp's cotangent shapes {[np.shape(c) for c in ct]}")
    lhs = _inner(s.us, ct)
    jvp, error = _finite_difference(s.f, s.xs, s.us)
    rhs = _inner([jvp], [v])
    error *= np.sum(np.abs(v))
    _close(lhs, rhs, "<u, vjp(v)> vs <J u, v> by finite differences", 1e-6, 1e-7, error)


def check_grad(s):
    """grad and value_and_grad of the scalar loss against finite differences."""
    argnums = tuple(range(len(s.xs)))
    value, grads = ft.value_and_grad(s.loss, argnums)(*s.xs)
    _close(value, s.loss(*s.xs), "value_and_grad's value", 1e-12, 1e-12)
    for g, x in zip(grads, s.xs):
        if np.shape(g) != np.shape(x) or np.asarray(g).dtype != np.asarray(x).dtype:
            raise CheckFailure(f"grad of shape {np.shape(g)} for an argument {np.shape(x)}")
    for g, again in zip(grads, ft.grad(s.loss, argnums)(*s.xs)):
        _close(again, g, "grad vs value_and_grad", 1e-12, 1e-12)
    # grad follows JAX's convention for complex inputs: d loss(x + h u) = Re sum(g * u) h
    directional = _inner([np.conj(g) for g in grads], s.us)
    expected, error = _finite_difference(s.loss, s.xs, s.us)
    _close(directional, expected, "<grad, u> vs finite differences", 1e-6, 1e-7, error)


def check_dot_product(s):
    """The dot-product test: <v, jvp(u)> == <vjp(v), u>."""
    if not s.forward:  # jvp refuses custom_vjp: check_vjp covers it by finite differences
        return
    out, tangent = ft.jvp(s.f, s.xs, s.us)
    v = _random_like(s.rng, out)
    ct = tuple(np.conj(c) for c in ft.vjp(s.f, *s.xs)[1](np.conj(v)))
    lhs, rhs = _inner([v], [tangent]), _inner(ct, s.us)
    scale = np.linalg.norm(v) * np.linalg.norm(tangent) + sum(
        np.linalg.norm(c) * np.linalg.norm(u) for c, u in zip(ct, s.us)
    )
    if not abs(lhs - rhs) <= 1e-9 * (1.0 + scale):
        raise CheckFailure(f"dot-product test: <v, J u> = {lhs!r} but <vjp(v), u> = {rhs!r}")


def _batch(program):
    return [
        program.examples[0][k]
        if axis is None
        else np.stack([ex[k] for ex in program.examples], axis)
        for k, axis in enumerate(program.in_axes)
    ]


def check_vmap(s):
    """vmap(f) on the stacked examples against a loop over them."""
    program = s.program
    f = program.function()
    batched = ft.vmap(f, in_axes=program.in_axes, out_axes=program.out_axis)(*_batch(program))
    looped = np.stack([np.asarray(f(*ex)) for ex in program.examples], program.out_axis)
    _close(batched, looped, "vmap(f) vs a loop over examples", 1e-9, 1e-11)


def check_vmap_grad(s):
    """vmap(grad(loss)) against a loop of grad(loss)."""
    program = s.program
    loss, argnums = program.loss(), tuple(range(program.n_float))
    batched = ft.vmap(ft.grad(loss, argnums), in_axes=program.in_axes)(*_batch(program))
    looped = [ft.grad(loss, argnums)(*ex) for ex in program.examples]
    for k in argnums:
        expected = np.stack([g[k] for g in looped])
        _close(batched[k], expected, f"vmap(grad(loss)) vs a loop, argument {k}", 1e-9, 1e-11)


def _flat_loss(s):
    """The loss as a function of one real vector (complex inputs split in two)."""
    pieces, start = [], 0
    for x in s.xs:
        n = np.size(x)
        pieces.append((start, n, np.shape(x), np.iscomplexobj(x)))
        start += 2 * n if np.iscomplexobj(x) else n
    z0 = np.concatenate(
        [
            np.concatenate([np.ravel(x.real), np.ravel(x.imag)]) if c else np.ravel(x)
            for x, (_, _, _, c) in zip(s.xs, pieces)
        ]
    )

    def loss(z):
        args = []
        for begin, n, shape, is_complex in pieces:
            x = z[begin : begin + n]
            if is_complex:
                x = x + 1j * z[begin + n : begin + 2 * n]
            args.append(fnp.reshape(x, shape))
        return s.loss(*args)

    return loss, z0


def check_second_order(s):
    """hessian, jacrev(jacrev), jacfwd(jacfwd) and hvp agree, and the Hessian is symmetric."""
    loss, z = _flat_loss(s)
    hessians = {"hessian": ft.hessian(loss)(z), "jacrev(jacrev)": ft.jacrev(ft.jacrev(loss))(z)}
    if s.forward:
        hessians["jacfwd(jacfwd)"] = ft.jacfwd(ft.jacfwd(loss))(z)
    h = hessians["hessian"]
    for name, other in hessians.items():
        _close(other, h, f"{name} vs hessian", 1e-8, 1e-10)
    _close(h, h.T, "hessian's symmetry", 1e-8, 1e-10)
    u = _random_like(s.rng, z)
    _close(ft.hvp(loss, (z,), (u,))[0], h @ u, "hvp vs hessian @ u", 1e-8, 1e-10)


def check_linearize(s):
    """linearize's jvp_fn, called twice, against jvp."""
    if not s.forward:
        return
    out, f_jvp = ft.linearize(s.f, *s.xs)
    _close(out, s.f(*s.xs), "linearize's primal output", 1e-12, 1e-12)
    for us in (s.us, tuple(_random_like(s.rng, x) for x in s.xs)):
        expected = ft.jvp(s.f, s.xs, us)[1]
        _close(f_jvp(*us), expected, "linearize's jvp_fn vs jvp", 1e-10, 1e-12)


def check_order_two(s):
    """check_grads to second order, forward and reverse."""
    modes = ("fwd", "rev") if s.forward else ("rev",)
    check_grads(s.f, s.xs, order=2, modes=modes, atol=1e-5, rtol=1e-5)


def check_jit(s):
    """The compiled program, its compiled gradient and the gradient through it
    against the eager ones."""
    _close(ft.jit(s.f)(*s.xs), s.f(*s.xs), "jit vs eager", 1e-11, 1e-12)
    argnums = tuple(range(len(s.xs)))
    value, grads = ft.value_and_grad(s.loss, argnums)(*s.xs)
    jit_value, jit_grads = ft.jit(ft.value_and_grad(s.loss, argnums))(*s.xs)
    _close(jit_value, value, "jit(value_and_grad)'s value vs eager", 1e-11, 1e-12)
    through = ft.grad(ft.jit(s.loss), argnums)(*s.xs)
    for g, jg, tg in zip(grads, jit_grads, through):
        _close(jg, g, "jit(grad) vs grad", 1e-9, 1e-10)
        _close(tg, g, "grad(jit) vs grad", 1e-9, 1e-10)


CHECKS = {
    "jvp": check_jvp,
    "vjp": check_vjp,
    "grad": check_grad,
    "dot_product": check_dot_product,
    "vmap": check_vmap,
    "vmap_grad": check_vmap_grad,
    "second_order": check_second_order,
    "linearize": check_linearize,
    "check_grads": check_order_two,
    "jit": check_jit,
}


def run_check(program: Program, name: str) -> None:
    """Runs one check, raising AssertionError with a reproducer on failure."""
    try:
        CHECKS[name](_Setup(program))
    except Exception as e:
        raise CheckFailure(
            f"check {name!r} failed: {type(e).__name__}: {e}\n\n{program.reproducer()}"
        ) from e


def failure(program: Program, name: str) -> Exception | None:
    """The exception check ``name`` raises on ``program``, or None."""
    try:
        CHECKS[name](_Setup(program))
    except Exception as e:
        return e
    return None


def failure_kind(name: str, error: Exception) -> str:
    """A failure's kind: the check and the error, with the numbers left out."""
    if isinstance(error, AssertionError):
        return f"{name}: values differ"
    first = re.sub(r"\d+", "N", str(error).strip().split("\n")[0])
    return f"{name}: {type(error).__name__}: {first[:100]}"


def shrink(program: Program, name: str) -> Program:
    """A smaller program that fails check ``name`` in the same way: steps that
    nothing reads removed, wrappers taken off, in sub-programs too."""
    kind = failure_kind(name, failure(program, name))

    def still_fails(steps):
        if not any(not v.is_index for s in steps for v in s.targets):
            return False
        error = failure(program.with_steps(steps), name)
        return error is not None and failure_kind(name, error) == kind

    steps = list(program.steps)
    progress = True
    while progress:
        progress = False
        for candidate in _simpler(steps, kept=set()):
            if still_fails(candidate):
                steps, progress = candidate, True
                break
    return program.with_steps(steps)


def _simpler(steps, kept):
    """Step lists with one simplification each; names in ``kept`` stay defined."""
    for k in reversed(range(len(steps))):
        step = steps[k]
        read_later = kept | {name for s in steps[k + 1 :] for name in _reads(s)}
        if not any(v.name in read_later for v in step.targets):
            yield steps[:k] + steps[k + 1 :]
        if step.wrapper is not None:
            yield steps[:k] + [dataclasses.replace(step, wrapper=None)] + steps[k + 1 :]
        if step.function is not None:
            fn = step.function
            for body in _simpler(list(fn.body), set(fn.returns)):
                smaller = dataclasses.replace(step, function=dataclasses.replace(fn, body=body))
                yield steps[:k] + [smaller] + steps[k + 1 :]


def _reads(step):
    if step.function is None:
        return step.uses
    return step.uses | {name for s in step.function.body for name in _reads(s)}
