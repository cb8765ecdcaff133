"""fntrans.lax: structured control flow, its values against plain Python, and
every transform through it (derivatives against finite differences)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fntrans as ft
import fntrans.numpy as fnp
from fntrans import lax
from fntrans.test_util import check_grads

rng = np.random.default_rng(0)
X = rng.standard_normal(3)
W = rng.standard_normal((3, 3)) / 2
XS = rng.standard_normal((4, 3))


def equations(f, *args):
    return [eqn.prim.name for eqn in ft.make_jaxpr(f)(*args).eqns]


# ---- values, eagerly ----


@pytest.mark.parametrize("pred", [True, False, np.bool_(True), 0, 2.5])
def test_cond_takes_the_branch_python_would(pred):
    out = lax.cond(pred, lambda a, b: a + b, lambda a, b: a - b, X, 2.0)
    np.testing.assert_allclose(out, X + 2.0 if pred else X - 2.0)


def test_cond_carries_pytrees_through():
    out = lax.cond(
        False,
        lambda p: {"w": p["w"] * 2, "b": (p["b"],)},
        lambda p: {"w": -p["w"], "b": (p["b"] + 1,)},
        {"w": X, "b": 1.0},
    )
    np.testing.assert_allclose(out["w"], -X)
    np.testing.assert_allclose(out["b"][0], 2.0)


@pytest.mark.parametrize("index", [-3, 0, 1, 2, 9])
def test_switch_clamps_the_index(index):
    branches = [np.sin, np.cos, np.tanh]
    out = lax.switch(index, [fnp.sin, fnp.cos, fnp.tanh], X)
    np.testing.assert_allclose(out, branches[min(max(index, 0), 2)](X))


def test_switch_with_a_traced_index_clamps_too():
    f = ft.make_jaxpr(lambda i, x: lax.switch(i, [fnp.sin, fnp.cos], x))
    ir = f(0, X)
    np.testing.assert_allclose(ir(5, X)[0], np.cos(X))
    np.testing.assert_allclose(ir(-1, X)[0], np.sin(X))


def collatz_steps(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


@pytest.mark.parametrize("n", [1, 6, 27])
def test_while_loop_runs_like_python(n):
    out = lax.while_loop(
        lambda c: c[0] != 1,
        lambda c: (lax.cond(c[0] % 2 == 0, lambda m: m // 2, lambda m: 3 * m + 1, c[0]), c[1] + 1),
        (np.int64(n), 0),
    )
    assert int(out[1]) == collatz_steps(n)


@pytest.mark.parametrize("lower, upper", [(0, 5), (2, 4), (3, 3), (4, 1)])
def test_fori_loop_runs_like_python_with_either_bounds(lower, upper):
    def python(x):
        for i in range(lower, upper):
            x = x * 0.5 + i
        return x

    def body(i, x):
        return x * 0.5 + i

    np.testing.assert_allclose(lax.fori_loop(lower, upper, body, X), python(X))
    traced = ft.make_jaxpr(lambda lo, hi, x: lax.fori_loop(lo, hi, body, x))(lower, upper, X)
    assert [eqn.prim.name for eqn in traced.eqns][-1] == "while"
    np.testing.assert_allclose(traced(lower, upper, X)[0], python(X))


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_runs_like_python(reverse):
    def step(carry, x):
        h, count = carry
        h = fnp.tanh(W @ h + x["a"])
        return (h, count + 1), {"h": h, "s": fnp.sum(x["b"])}

    xs = {"a": XS, "b": XS * 2}
    (h, count), ys = lax.scan(step, (X, 0), xs, reverse=reverse)
    carry, expected = (X, 0), []
    order = range(3, -1, -1) if reverse else range(4)
    for i in order:
        carry, y = step(carry, {"a": XS[i], "b": XS[i] * 2})
        expected.append(y)
    if reverse:
        expected.reverse()
    np.testing.assert_allclose(h, carry[0])
    assert int(count) == 4
    np.testing.assert_allclose(ys["h"], np.stack([y["h"] for y in expected]))
    np.testing.assert_allclose(ys["s"], np.array([y["s"] for y in expected]))


def test_scan_without_xs_runs_length_steps():
    seen = []

    def step(c, x):
        seen.append(x)
        return c * 2.0, c

    carry, ys = lax.scan(step, 1.0, None, length=4)
    assert seen == [None]  # traced once, with no x
    np.testing.assert_allclose(carry, 16.0)
    np.testing.assert_allclose(ys, [1.0, 2.0, 4.0, 8.0])


def test_scan_of_zero_steps_gives_empty_stacks():
    carry, ys = lax.scan(lambda c, x: (c + x, c * x), X, XS[:0])
    np.testing.assert_allclose(carry, X)
    assert ys.shape == (0, 3)


def test_map_applies_to_each_row():
    np.testing.assert_allclose(
        lax.map(lambda r: fnp.sum(r**2), XS), np.array([np.sum(r**2) for r in XS])
    )


def test_select_n_picks_elementwise():
    which = np.array([2, 0, 1])
    np.testing.assert_allclose(
        lax.select_n(which, X, 2 * X, 3 * X), np.choose(which, [X, 2 * X, 3 * X])
    )
    np.testing.assert_allclose(lax.select_n(X > 0, X, -X), -np.abs(X))  # False picks the first


def test_a_branch_returning_a_python_scalar_takes_the_other_branchs_dtype():
    x32 = X.astype(np.float32)
    out = lax.cond(False, lambda a: a * 2, lambda a: 1.0, x32[0])
    assert out.dtype == np.float32


def test_float32_stays_float32_through_loops():
    x32 = X.astype(np.float32)
    carry, ys = lax.scan(lambda c, a: (c + a, c * 2), np.float32(0), x32)
    assert carry.dtype == ys.dtype == np.float32
    g = ft.grad(lambda a: lax.fori_loop(0, 3, lambda i, c: c * a, np.float32(1.0)))(np.float32(2))
    assert g.dtype == np.float32 and g == 12.0


# ---- derivatives ----


def cond_f(x):
    return fnp.sum(lax.cond(fnp.sum(x) > 0, lambda a: fnp.sin(a) * a, lambda a: fnp.cos(a) ** 2, x))


@pytest.mark.parametrize("x", [X + 2.0, X - 2.0])
def test_cond_derivatives_match_finite_differences(x):
    check_grads(cond_f, (x,), order=2)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_switch_derivatives_match_finite_differences(index):
    def f(x, y):
        return lax.switch(
            index, [lambda a, b: a * b, lambda a, b: fnp.sin(a) + b, lambda a, b: a], x, y
        )

    check_grads(f, (X, XS[0]), order=2)


def rnn(W, x, xs, reverse=False):
    def step(h, xi):
        h = fnp.tanh(W @ h + xi)
        return h, fnp.sum(h * xi)

    h, ys = lax.scan(step, x, xs, reverse=reverse)
    return fnp.sum(h) + fnp.sum(ys**2)


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_derivatives_match_finite_differences(reverse):
    check_grads(lambda W, x, xs: rnn(W, x, xs, reverse), (W, X, XS), order=2)


def test_scan_with_an_integer_carry_differentiates_the_rest():
    def f(x):
        (h, n), ys = lax.scan(lambda c, xi: ((c[0] * xi + c[1], c[1] + 1), c[0]), (x, 0), XS)
        return h + fnp.sum(ys, axis=0)

    check_grads(f, (X,), order=2)


def test_fori_loop_with_static_bounds_differentiates_in_both_modes():
    def f(x):
        return lax.fori_loop(0, 4, lambda i, c: fnp.sin(c) * x + i, x)

    check_grads(f, (X,), order=2)
    assert "scan" in equations(f, X)


def while_f(x):
    return lax.while_loop(lambda c: c[1] < 4, lambda c: (fnp.sin(c[0]) * x, c[1] + 1), (x, 0))[0]


def test_while_loop_forward_mode_matches_finite_differences():
    check_grads(while_f, (X,), order=2, modes=("fwd",))
    python = X
    for _ in range(4):
        python = np.sin(python) * X
    np.testing.assert_allclose(ft.jacfwd(while_f)(X), ft.jacfwd(lambda x: _unrolled(x))(X))
    np.testing.assert_allclose(while_f(X), python)


def _unrolled(x):
    c = x
    for _ in range(4):
        c = fnp.sin(c) * x
    return c


REVERSE_WHILE = (
    "Reverse-mode differentiation (grad, vjp, jacrev, hessian) does not work through "
    "while_loop, or fori_loop with traced bounds: the number of steps is not known "
    "before the loop runs, so the steps cannot be stored for the backward pass. Use "
    "scan with a fixed length, or fori_loop with concrete (Python or NumPy int) "
    "lower and upper bounds, which is a scan; forward mode (jvp, jacfwd) works."
)


def test_while_loop_under_reverse_mode_says_to_use_scan():
    with pytest.raises(ValueError, match=re.escape(REVERSE_WHILE)):
        ft.grad(lambda x: fnp.sum(while_f(x)))(X)
    with pytest.raises(ValueError, match=re.escape(REVERSE_WHILE)):
        ft.jacrev(while_f)(X)


def test_fori_loop_with_traced_bounds_refuses_reverse_mode_too():
    def f(x, n):  # sum(x ** (n + 1))
        return fnp.sum(lax.fori_loop(0, n, lambda i, c: c * x, x))

    steps = np.array([2, 3])  # batched bounds are traced
    jac = ft.vmap(ft.jacfwd(f), (None, 0))(X, steps)
    np.testing.assert_allclose(jac, np.stack([(n + 1) * X**n for n in steps]))
    with pytest.raises(ValueError, match=re.escape(REVERSE_WHILE)):
        ft.vmap(ft.grad(f), (None, 0))(X, steps)


def test_transforms_nest_through_control_flow():
    hess = ft.hessian(lambda x: fnp.sum(lax.fori_loop(0, 3, lambda i, c: fnp.sin(c) * x, x)))(X)
    expected = ft.hessian(lambda x: fnp.sum(fnp.sin(fnp.sin(fnp.sin(x) * x) * x) * x))(X)
    np.testing.assert_allclose(hess, expected, atol=1e-12)
    per_row = ft.vmap(ft.grad(cond_f))(XS)
    np.testing.assert_allclose(per_row, np.stack([ft.grad(cond_f)(r) for r in XS]))
    jac = ft.jacrev(lambda x: lax.scan(lambda c, xi: (c * xi, c), x, XS)[1])(X)
    assert jac.shape == (4, 3, 3)


def test_control_flow_nested_in_a_scan_differentiates():
    def f(x):
        def step(c, xi):
            return lax.cond(fnp.sum(c) > 0, fnp.sin, fnp.cos, c) * xi, None

        return fnp.sum(lax.scan(step, x, XS)[0])

    check_grads(f, (X,), order=2)


# ---- vmap ----


def test_vmap_with_a_batched_predicate_selects_per_example():
    f = ft.vmap(lambda x: lax.cond(fnp.sum(x) > 0, fnp.sin, fnp.cos, x))
    expected = np.where(XS.sum(1, keepdims=True) > 0, np.sin(XS), np.cos(XS))
    np.testing.assert_allclose(f(XS), expected)
    assert "cond" not in equations(f, XS)  # both branches ran, then a select


def test_vmap_with_an_unbatched_predicate_keeps_one_cond():
    f = ft.vmap(lambda x, p: lax.cond(p, fnp.sin, fnp.cos, x), (0, None))
    np.testing.assert_allclose(f(XS, False), np.cos(XS))
    assert equations(f, XS, False).count("cond") == 1


def test_vmap_of_switch_with_a_batched_index():
    index = np.array([0, 2, 1, 7])
    f = ft.vmap(lambda i, x: lax.switch(i, [fnp.sin, fnp.cos, fnp.tanh], x))
    expected = np.stack([[np.sin, np.cos, np.tanh][min(i, 2)](r) for i, r in zip(index, XS)])
    np.testing.assert_allclose(f(index, XS), expected)


def doublings(x):
    return lax.while_loop(lambda c: c[0] < x, lambda c: (c[0] * 2.0, c[1] + 1), (1.0, 0))[1]


def test_vmap_of_while_loop_runs_until_every_example_stops():
    limits = np.array([1.5, 10.0, 100.0, 0.5])
    np.testing.assert_array_equal(ft.vmap(doublings)(limits), [doublings(v) for v in limits])


def test_vmap_of_while_loop_with_an_unbatched_predicate():
    f = ft.vmap(
        lambda x: lax.while_loop(lambda c: c[1] < 3, lambda c: (c[0] * x, c[1] + 1), (x, 0))[0]
    )
    np.testing.assert_allclose(f(XS), XS**4)


@pytest.mark.parametrize("in_axes", [(None, 0, None), (None, None, 1), (0, 0, 1)])
def test_vmap_of_scan_batches_any_argument(in_axes):
    Ws, xs, xss = np.stack([W, -W]), np.stack([X, 2 * X]), np.stack([XS, XS**2], axis=1)
    args = [W if a is None else v for a, v in zip(in_axes, (Ws, xs, xss))]
    batched = ft.vmap(rnn, in_axes)(*args)
    per_example = [
        rnn(*(a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)))
        for i in range(2)
    ]
    np.testing.assert_allclose(batched, per_example)


def test_vmap_of_grad_of_scan():
    per_row = ft.vmap(ft.grad(rnn), (None, 0, None))(W, XS, XS)
    np.testing.assert_allclose(per_row, np.stack([ft.grad(rnn)(W, r, XS) for r in XS]))


# ---- closures ----


def test_grad_flows_to_a_closed_over_value():
    def f(W):
        return fnp.sum(lax.cond(True, lambda a: W @ a, lambda a: a, X))

    np.testing.assert_allclose(ft.grad(f)(W), np.outer(np.ones(3), X))
    check_grads(f, (W,), order=2)
    check_grads(lambda W: rnn(W, X, XS), (W,), order=2)
    g = ft.jvp(
        lambda W: lax.while_loop(lambda c: c[1] < 2, lambda c: (W @ c[0], c[1] + 1), (X, 0))[0],
        (W,),
        (W,),
    )[1]
    np.testing.assert_allclose(g, 2 * W @ W @ X)


def test_a_closed_over_staged_value_becomes_an_operand():
    ir = ft.make_jaxpr(lambda W, x: lax.fori_loop(0, 2, lambda i, c: W @ c, x))(W, X)
    assert [eqn.prim.name for eqn in ir.eqns] == ["scan"]
    assert ir.eqns[0].invars[0] is ir.invars[0]  # W, passed to the loop
    np.testing.assert_allclose(ir(W, X)[0], W @ W @ X)


def test_vmap_batches_a_closed_over_value():
    def f(W):
        return lax.while_loop(lambda c: c[1] < 3, lambda c: (W @ c[0], c[1] + 1), (X, 0))[0]

    Ws = np.stack([W, 2 * W])
    np.testing.assert_allclose(ft.vmap(f)(Ws), np.stack([f(w) for w in Ws]))
    g = ft.vmap(lambda W: lax.cond(True, lambda a: W @ a, lambda a: a, X))(Ws)
    np.testing.assert_allclose(g, Ws @ X)


# ---- staging ----


def test_make_jaxpr_shows_one_equation_with_its_programs():
    ir = ft.make_jaxpr(lambda x: lax.cond(x > 0, fnp.sin, fnp.cos, x))(1.0)
    assert [eqn.prim.name for eqn in ir.eqns] == ["gt", "convert_element_type", "cond"]
    text = str(ir)
    assert "cond[branches=(" in text and "= sin a" in text and "= cos a" in text
    np.testing.assert_allclose(ir(-1.0)[0], np.cos(-1.0))


def test_while_loop_on_a_traced_predicate_stages():
    ir = ft.make_jaxpr(doublings)(10.0)
    assert [eqn.prim.name for eqn in ir.eqns] == ["while"]
    assert int(ir(100.0)[0]) == 7


# ---- errors ----


ERRORS = [
    (
        lambda: lax.cond(True, lambda a: a, lambda a: a[:2], X),
        "cond: true_fun and false_fun must return the same types, but output is f64[3] from "
        "true_fun and f64[2] from false_fun.",
    ),
    (
        lambda: lax.cond(True, lambda a: (a, a), lambda a: a, X),
        "cond: true_fun and false_fun must return the same structure, but true_fun returned "
        "PyTreeSpec((*, *)) and false_fun returned PyTreeSpec(*).",
    ),
    (
        lambda: lax.switch(0, [lambda a: {"w": a}, lambda a: {"w": a.astype(np.float32)}], X),
        "switch: branches[0] and branches[1] must return the same types, but output['w'] is "
        "f64[3] from branches[0] and f32[3] from branches[1].",
    ),
    (
        lambda: lax.while_loop(lambda c: c < 3, lambda c: c + 1.5, 0),
        "while_loop: body_fun must return a carry of the same types as the one it is given, "
        "but init_val is i64[] going in and f64[] coming out.",
    ),
    (
        lambda: lax.scan(lambda c, a: ((c[0][:1], c[1]), a), (X, 0), XS),
        "scan: f must return a carry of the same types as the one it is given, but init[0] "
        "is f64[3] going in and f64[1] coming out.",
    ),
    (
        lambda: lax.scan(lambda c, a: ((c, c), a), X, XS),
        "scan: f must return a carry of the same structure as the one it is given, but it "
        "was given PyTreeSpec(*) and returned PyTreeSpec((*, *)).",
    ),
    (
        lambda: lax.scan(lambda c, a: c, X, XS),
        "scan: f must return a pair (carry, y), but it returned one value.",
    ),
    (
        lambda: lax.while_loop(lambda c: c, lambda c: c + 1, X),
        "while_loop: the condition must be a scalar boolean, but cond_fun gave f64[3].",
    ),
    (
        lambda: lax.cond(X, fnp.sin, fnp.cos, X),
        "cond: pred must be a scalar boolean or number, but got f64[3].",
    ),
    (
        lambda: lax.switch(1.0, [fnp.sin, fnp.cos], X),
        "switch: index must be a scalar boolean or integer, but got f64[].",
    ),
    (
        lambda: lax.scan(lambda c, a: (c, a), X, None),
        "scan: give xs or length, so that the number of steps is known.",
    ),
    (
        lambda: lax.scan(lambda c, a: (c, a), X, [XS, XS[:2]]),
        "scan: the leading axes of xs (and length, if given) must agree, but got the lengths [2, 4].",
    ),
]


@pytest.mark.parametrize("call, message", ERRORS)
def test_errors_name_both_types(call, message):
    with pytest.raises((TypeError, ValueError), match=re.escape(message)):
        call()


def test_a_failed_trace_leaves_nothing_behind():
    with pytest.raises(TypeError):
        lax.cond(True, lambda a: a, lambda a: a[:2], X)
    np.testing.assert_allclose(cond_f(X + 2.0), np.sum(np.sin(X + 2.0) * (X + 2.0)))
    from fntrans.core.interpreter import current_stack

    assert current_stack() == []


# ---- shapes ----


@settings(max_examples=10, deadline=None)
@given(
    length=st.integers(0, 4),
    shape=st.lists(st.integers(1, 3), max_size=2).map(tuple),
    reverse=st.booleans(),
)
def test_scan_matches_a_python_loop_on_any_shape(length, shape, reverse):
    data = np.random.default_rng(length).standard_normal((length, *shape))
    init = np.ones(shape)

    def step(c, x):
        return c * 0.5 + fnp.sin(x), c * x

    carry, ys = lax.scan(step, init, data, reverse=reverse)
    c, expected = init, []
    for x in data[::-1] if reverse else data:
        c, y = c * 0.5 + np.sin(x), c * x
        expected.append(y)
    if reverse:
        expected.reverse()
    np.testing.assert_allclose(carry, c)
    np.testing.assert_allclose(ys, np.stack(expected) if expected else np.zeros((0, *shape)))
    if length:
        check_grads(
            lambda init, data: lax.scan(step, init, data, reverse=reverse), (init, data), order=1
        )


def test_a_custom_jvp_rule_using_control_flow_runs_in_reverse_mode():
    # reverse mode linearizes the rule and transposes the staged cond and scan
    @ft.custom_jvp
    def f(x):
        return fnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        t = lax.cond(fnp.sum(x) > 0, lambda t: t * fnp.cos(x), lambda t: 2.0 * t * fnp.cos(x), t)
        t = lax.scan(lambda c, _: (c * 0.5, None), t, None, length=2)[0]
        return f(x), t

    np.testing.assert_allclose(ft.grad(lambda x: fnp.sum(f(x)))(X + 1), 0.25 * np.cos(X + 1))
    np.testing.assert_allclose(ft.grad(lambda x: fnp.sum(f(x)))(X - 1), 0.5 * np.cos(X - 1))


@pytest.mark.parametrize(
    "f",
    [
        lambda x: lax.cond(fnp.sum(x) > -100.0, fnp.sin, fnp.cos, x) * x,
        lambda x: lax.scan(lambda c, r: (fnp.tanh(c + r), c * r), fnp.zeros_like(x[0]), x)[1],
        lambda x: lax.while_loop(lambda c: c[1] < 3, lambda c: (fnp.sin(c[0]), c[1] + 1), (x, 0))[
            0
        ],
    ],
    ids=["cond", "scan", "while_loop"],
)
def test_linearize_keeps_the_primal_output_known(f):
    # the JVP of a staged tangent used to make the primal output a staged value too
    x, t = np.linspace(0.2, 1.0, 3), np.linspace(-1.0, 1.0, 3)
    out, jvp_fn = ft.linearize(f, x)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, f(x))
    np.testing.assert_allclose(jvp_fn(t), ft.jvp(f, (x,), (t,))[1])
