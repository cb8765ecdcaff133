"""Nested checkpoints whose inner function closes over values of an enclosing
checkpointed function, of the caller, or of a transform applied inside:
each is compared with the same program without checkpoints."""

from __future__ import annotations

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp

X, Y = np.array([0.3, 0.7]), np.array([1.1, -0.4])


def _plain(fun):
    return fun


def arg_from_caller(x, y, wrap):
    # the inner call's argument is the caller's value, its closure the outer's
    def outer(p):
        h = fnp.sin(p)
        return wrap(lambda r: r * h)(y)

    return fnp.sum(wrap(outer)(x))


def three_levels(x, y, wrap):
    # the innermost closes over the outermost's argument and the middle one's
    def outer(p, q):
        def middle(s):
            return wrap(lambda r: r * p * s + y)(q)

        return wrap(middle)(p * q)

    return fnp.sum(wrap(outer)(x, y))


def four_levels(x, y, wrap):
    def first(p):
        def second(q):
            def third(s):
                return wrap(lambda r: fnp.cos(r * p) * q * s)(y)

            return wrap(third)(q * 2.0)

        return wrap(second)(p + 1.0)

    return fnp.sum(wrap(first)(x))


def outer_argument(x, y, wrap):
    def outer(p, q):
        return wrap(lambda r: fnp.sin(r) * p)(q)

    return fnp.sum(wrap(outer)(x, y))


def outer_intermediate(x, y, wrap):
    def outer(p, q):
        h = fnp.sin(p) * q
        return wrap(lambda r: r * h + fnp.cos(h))(q)

    return fnp.sum(wrap(outer)(x, y))


def caller_values(x, y, wrap):
    z = fnp.exp(x) * y

    def outer(p, q):
        return wrap(lambda r: r * z + fnp.sin(y))(q * p)

    return fnp.sum(wrap(outer)(x, y))


def grad_inside(x, y, wrap):
    # a grad inside the outer function; the inner call closes over its tracer
    def outer(p):
        g = ft.grad(lambda z: fnp.sum(wrap(lambda r: fnp.sin(r) * z)(p * y)))(p * 2.0)
        return g * p

    return fnp.sum(wrap(outer)(x))


def vmap_inside(x, y, wrap):
    def outer(p):
        return ft.vmap(lambda k: wrap(lambda r: fnp.sin(r) * k * p)(y))(np.array([1.0, 2.0, 3.0]))

    return fnp.sum(wrap(outer)(x))


def jvp_inside(x, y, wrap):
    def outer(p):
        return ft.jvp(lambda t: wrap(lambda r: fnp.sin(r) * t)(y), (p * 3.0,), (p,))[1]

    return fnp.sum(wrap(outer)(x))


def copies_a_caller_value(x, y, wrap):
    # the inner function's result is a copy of a caller's value alone
    z = x * 2.0

    def outer(p):
        def inner(r, s):
            filled = fnp.copy(z)
            filled[0] = y[1]
            return filled

        return wrap(inner)(y, p * 3.0)

    return fnp.sum(wrap(outer)(x) * y)


def reduces(x, y, wrap):
    # not elementwise, so a program recorded on batched values would be wrong
    layer = wrap(lambda r: fnp.sum(r) * fnp.sin(r) + fnp.max(r * y))
    return fnp.sum(layer(layer(x)))


PROGRAMS = [
    arg_from_caller,
    three_levels,
    four_levels,
    outer_argument,
    outer_intermediate,
    caller_values,
    grad_inside,
    vmap_inside,
    jvp_inside,
    copies_a_caller_value,
    reduces,
]

TRANSFORMS = {
    "grad": lambda f: ft.grad(f, argnums=(0, 1))(X, Y),
    "hessian": lambda f: ft.hessian(f, argnums=(0, 1))(X, Y),
    "jacfwd_grad": lambda f: ft.jacfwd(ft.grad(f, argnums=1), argnums=(0, 1))(X, Y),
    "jacrev_grad": lambda f: ft.jacrev(ft.grad(f, argnums=1), argnums=(0, 1))(X, Y),
    "vmap_grad": lambda f: ft.vmap(ft.grad(f, argnums=(0, 1)), in_axes=(None, 0))(
        X, np.stack([Y, 2 * Y])
    ),
    "grad_vmap": lambda f: ft.grad(
        lambda x, y: fnp.sum(ft.vmap(f, in_axes=(0, None))(fnp.stack([x, 2 * x]), y)),
        argnums=(0, 1),
    )(X, Y),
    "jvp": lambda f: ft.jvp(f, (X, Y), (np.ones(2), np.array([0.5, -1.0]))),
    "vjp": lambda f: ft.vjp(f, X, Y)[1](1.0),
}


def _leaves(tree):
    if isinstance(tree, (tuple, list)):
        return [leaf for t in tree for leaf in _leaves(t)]
    return [np.asarray(tree)]


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_nested_checkpoint_closures_give_the_derivatives_without_checkpoints(program, transform):
    got = TRANSFORMS[transform](lambda x, y: program(x, y, ft.checkpoint))
    expected = TRANSFORMS[transform](lambda x, y: program(x, y, _plain))
    for g, e in zip(_leaves(got), _leaves(expected), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


def test_a_nested_checkpoint_closing_over_the_outer_one_runs_each_function_once():
    calls = []

    def f(x, y):
        def outer(p):
            calls.append("outer")
            h = fnp.sin(p)

            def inner(r):
                calls.append("inner")
                return r * h

            return ft.checkpoint(inner)(y)

        return fnp.sum(ft.checkpoint(outer)(x))

    g = ft.grad(f, argnums=(0, 1))(X, Y)
    assert calls == ["outer", "inner"]  # the backward pass replays their programs
    np.testing.assert_allclose(g[0], np.cos(X) * Y)
    np.testing.assert_allclose(g[1], np.sin(X))


def test_a_checkpoint_returning_a_copy_of_a_value_of_an_enclosing_transform():
    def f(y, wrap):
        inner = wrap(lambda r: fnp.copy(y * 2.0))
        return ft.grad(lambda x: fnp.sum(inner(x) * x))(np.array([0.5, 0.5]))

    y = np.array([1.0, 2.0])
    expected = ft.jacfwd(lambda y: f(y, _plain))(y)
    np.testing.assert_allclose(ft.jacfwd(lambda y: f(y, ft.checkpoint))(y), expected)
    np.testing.assert_allclose(expected, 2 * np.eye(2))
