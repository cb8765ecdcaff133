"""custom_jvp, custom_vjp, fntrans.extend and checkpoint, through every transform."""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pytest
import scipy.special

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.extend import defbatch, defjvp, defvjp, primitive
from fntrans.test_util import check_grads

X = np.array([0.3, 0.7, 1.1])


# ---- custom_jvp ----


@ft.custom_jvp
def softplus(x):
    return fnp.log1p(fnp.exp(x))


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t / (1.0 + fnp.exp(-x))


def test_custom_jvp_rule_is_used_and_checks_against_finite_differences():
    np.testing.assert_allclose(ft.grad(lambda x: fnp.sum(softplus(x)))(X), 1 / (1 + np.exp(-X)))
    assert ft.grad(softplus)(1000.0) == 1.0  # the naive derivative would be nan
    check_grads(softplus, (X,), order=2)


def test_grad_of_grad_differentiates_the_rule_itself():
    calls = []

    @ft.custom_jvp
    def f(x):
        return fnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        calls.append(1)
        (x,), (t,) = primals, tangents
        return f(x), 2.0 * fnp.cos(x) * t  # deliberately twice the true derivative

    assert ft.grad(f)(0.5) == 2.0 * np.cos(0.5)
    # the second derivative is the derivative of the rule's 2 cos(x), not of sin
    np.testing.assert_allclose(ft.grad(ft.grad(f))(0.5), -2.0 * np.sin(0.5))
    assert calls


def test_custom_jvp_under_vmap_jacobians_and_make_jaxpr():
    batch = np.stack([X, 2 * X])
    np.testing.assert_allclose(ft.vmap(softplus)(batch), np.log1p(np.exp(batch)))
    np.testing.assert_allclose(ft.jacfwd(softplus)(X), ft.jacrev(softplus)(X))
    np.testing.assert_allclose(
        ft.vmap(ft.grad(lambda x: fnp.sum(softplus(x))))(batch), 1 / (1 + np.exp(-batch))
    )
    assert "custom_jvp_call[fun=softplus, jvp=_softplus_jvp]" in str(ft.make_jaxpr(softplus)(X))


def test_custom_jvp_with_pytrees_and_nondiff_argnums():
    @ft.custom_jvp
    def scale(power, p):
        return {"y": p["a"] ** power * p["b"]}

    scale_with_rule = ft.custom_jvp(scale.fun, nondiff_argnums=(0,))

    @scale_with_rule.defjvp
    def _(power, primals, tangents):
        (p,), (t,) = primals, tangents
        out = scale_with_rule(power, p)
        return out, {
            "y": power * p["a"] ** (power - 1) * p["b"] * t["a"] + p["a"] ** power * t["b"]
        }

    p = {"a": np.array([1.0, 2.0]), "b": 3.0}
    g = ft.grad(lambda p: fnp.sum(scale_with_rule(2, p)["y"]))(p)
    np.testing.assert_allclose(g["a"], 2 * p["a"] * 3.0)
    np.testing.assert_allclose(g["b"], np.sum(p["a"] ** 2))


def test_custom_jvp_without_a_rule_raises():
    @ft.custom_jvp
    def f(x):
        return x

    with pytest.raises(
        AttributeError,
        match=re.escape(
            "No JVP rule defined for the custom_jvp function f: add one with @f.defjvp."
        ),
    ):
        ft.grad(f)(1.0)


def sin_with_rule_output(primal_out):
    """sin, with a rule whose primal output is ``primal_out(x)`` (and a correct tangent)."""

    @ft.custom_jvp
    def f(x):
        return fnp.sin(x)

    f.defjvp(lambda primals, tangents: (primal_out(primals[0]), fnp.cos(primals[0]) * tangents[0]))
    return f


@pytest.mark.parametrize(
    "transform",
    [
        lambda f: ft.jvp(f, (X,), (X,)),
        lambda f: ft.grad(lambda x: fnp.sum(f(x)))(X),
        lambda f: ft.make_jaxpr(lambda x: ft.jvp(f, (x,), (x,)))(X),
        lambda f: ft.vmap(lambda x: ft.jvp(f, (x,), (x,)))(np.stack([X, X])),
        lambda f: ft.jvp(ft.vmap(f), (np.stack([X, X]),), (np.stack([X, X]),)),
    ],
    ids=["jvp", "grad", "make_jaxpr", "vmap_of_jvp", "jvp_of_vmap"],
)
def test_custom_jvp_rule_primal_output_is_checked_against_the_function_in_every_mode(transform):
    f = sin_with_rule_output(lambda x: fnp.sin(x)[:2])
    msg = "custom_jvp rule of f: the primal output: expected shape (3,), but got shape (2,)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        transform(f)


def test_custom_jvp_rule_primal_output_of_another_kind_of_dtype_raises():
    f = sin_with_rule_output(lambda x: fnp.sin(x) + 0j)
    with pytest.raises(
        TypeError,
        match=re.escape(
            "custom_jvp rule of f: the primal output: expected dtype float64, but got dtype complex128."
        ),
    ):
        ft.jvp(f, (X,), (X,))


def test_custom_jvp_rule_primal_output_of_another_precision_takes_the_functions_dtype():
    f = sin_with_rule_output(lambda x: fnp.sin(x).astype(np.float64))
    out, out_dot = ft.jvp(f, (X.astype(np.float32),), (X.astype(np.float32),))
    assert out.dtype == out_dot.dtype == np.float32
    np.testing.assert_allclose(out, np.sin(X), rtol=1e-6)


def test_custom_jvp_rule_primal_output_of_a_pytree_function_is_checked_leaf_by_leaf():
    @ft.custom_jvp
    def f(x):
        return {"a": x, "b": fnp.sum(x)}

    f.defjvp(lambda p, t: ({"a": p[0], "b": p[0]}, {"a": t[0], "b": fnp.sum(t[0])}))
    msg = "custom_jvp rule of f: the primal output: expected shape (), but got shape (3,)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.jvp(f, (X,), (X,))


def test_forward_mode_traces_the_function_once_per_argument_type():
    calls = []

    @ft.custom_jvp
    def f(x):
        calls.append(1)
        return fnp.sin(x)

    f.defjvp(lambda p, t: (fnp.sin(p[0]), fnp.cos(p[0]) * t[0]))
    for _ in range(3):
        np.testing.assert_allclose(ft.jvp(f, (X,), (X,))[1], np.cos(X) * X)
    assert calls == [1]  # one abstract trace for the output's type, then a comparison
    ft.jvp(f, (X[:2],), (X[:2],))
    assert calls == [1, 1]


def test_forward_mode_follows_a_function_whose_output_type_changed():
    size = [3]

    @ft.custom_jvp
    def f(x):
        return fnp.sin(x)[: size[0]]

    f.defjvp(lambda p, t: (fnp.sin(p[0])[: size[0]], (fnp.cos(p[0]) * t[0])[: size[0]]))
    assert ft.jvp(f, (X,), (X,))[0].shape == (3,)
    size[0] = 2  # the rule follows: no stale type may reject it
    assert ft.jvp(f, (X,), (X,))[0].shape == (2,)


def test_forward_mode_evaluates_a_function_that_needs_concrete_values():
    @ft.custom_jvp
    def f(x):
        if np.all(x > 0):  # Python control flow on the value
            return np.asarray(scipy.special.expit(x))  # SciPy on the plain array
        return x

    f.defjvp(lambda p, t: (f(p[0]), scipy.special.expit(p[0]) * (1 - f(p[0])) * t[0]))
    out, out_dot = ft.jvp(f, (X,), (X,))
    np.testing.assert_allclose(out, scipy.special.expit(X))
    np.testing.assert_allclose(out_dot, scipy.special.expit(X) * (1 - scipy.special.expit(X)) * X)


# ---- custom_vjp ----


@ft.custom_vjp
def sin_with_rule(x):
    return fnp.sin(x)


def _sin_fwd(x):
    return fnp.sin(x), fnp.cos(x)


def _sin_bwd(cos_x, ct):
    return (cos_x * ct,)


sin_with_rule.defvjp(_sin_fwd, _sin_bwd)


def test_custom_vjp_rule_is_used():
    calls = []

    @ft.custom_vjp
    def clip_gradient(x):
        return x

    def bwd(_, ct):
        calls.append(1)
        return (fnp.clip(ct, -1.0, 1.0),)

    clip_gradient.defvjp(lambda x: (x, None), bwd)
    assert ft.grad(lambda x: 5.0 * clip_gradient(x))(2.0) == 1.0
    assert calls == [1]


def test_custom_vjp_to_second_order_in_reverse_and_forward_over_reverse():
    check_grads(sin_with_rule, (X,), order=2, modes=("rev",))
    np.testing.assert_allclose(
        ft.hessian(lambda x: fnp.sum(sin_with_rule(x)))(X), np.diag(-np.sin(X))
    )
    (hv,) = ft.hvp(lambda x: fnp.sum(sin_with_rule(x) ** 2), (X,), (np.ones(3),))
    np.testing.assert_allclose(hv, 2 * np.cos(2 * X))
    np.testing.assert_allclose(ft.grad(ft.grad(lambda x: sin_with_rule(x)))(0.4), -np.sin(0.4))


def test_custom_vjp_under_vmap_both_ways():
    batch = np.stack([X, 2 * X])
    per_example = ft.vmap(ft.grad(lambda x: fnp.sum(sin_with_rule(x))))(batch)
    np.testing.assert_allclose(per_example, np.cos(batch))
    np.testing.assert_allclose(
        ft.grad(lambda b: fnp.sum(ft.vmap(sin_with_rule)(b)))(batch), np.cos(batch)
    )


def test_jvp_of_a_custom_vjp_function_raises():
    msg = "jvp cannot be applied directly to sin_with_rule, a custom_vjp function: it has a reverse-mode rule only."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.jvp(sin_with_rule, (X,), (X,))
    with pytest.raises(TypeError, match=re.escape(msg)):  # batching in between
        ft.jvp(ft.vmap(sin_with_rule), (np.stack([X, X]),), (np.ones((2, 3)),))
    with pytest.raises(TypeError, match=re.escape(msg)):  # jacfwd is batched forward mode
        ft.jacfwd(sin_with_rule)(X)
    assert ft.grad(lambda x: x * 2.0)(1.0) == 2.0


def test_custom_vjp_bwd_must_return_a_tuple():
    @ft.custom_vjp
    def f(x):
        return x

    f.defvjp(lambda x: (x, None), lambda res, ct: ct)
    with pytest.raises(
        TypeError,
        match=re.escape(
            "The bwd rule of f must return a tuple with one cotangent per differentiated argument (1), but it returned ndarray."
        ),
    ):
        ft.grad(f)(1.0)


def test_custom_vjp_with_nondiff_argnums_and_pytrees():
    def f(n, p):
        return p["w"] * n

    g = ft.custom_vjp(f, nondiff_argnums=(0,))
    g.defvjp(lambda n, p: (g(n, p), None), lambda n, res, ct: ({"w": ct * n},))
    np.testing.assert_allclose(ft.grad(lambda w: fnp.sum(g(3, {"w": w})))(X), 3 * np.ones(3))


def sin_with_fwd_output(primal_out):
    """sin, with a fwd whose primal output is ``primal_out(x)`` (and a correct bwd)."""

    @ft.custom_vjp
    def f(x):
        return fnp.sin(x)

    f.defvjp(lambda x: (primal_out(x), fnp.cos(x)), lambda cos_x, ct: (cos_x * ct,))
    return f


def summed(f):
    return lambda x: fnp.sum(f(x))


@pytest.mark.parametrize(
    "transform",
    [
        lambda f: ft.vjp(f, X),
        lambda f: ft.grad(summed(f))(X),
        lambda f: ft.jacrev(f)(X),
        lambda f: ft.hessian(summed(f))(X),
        lambda f: ft.hvp(summed(f), (X,), (X,)),
        lambda f: ft.grad(ft.grad(lambda x: fnp.sum(f(x * fnp.ones(3)))))(0.5),
        lambda f: ft.make_jaxpr(ft.grad(summed(f)))(X),
        lambda f: ft.vmap(ft.grad(summed(f)))(np.stack([X, X])),
        lambda f: ft.grad(summed(ft.vmap(f)))(np.stack([X, X])),
    ],
    ids=[
        "vjp",
        "grad",
        "jacrev",
        "hessian",
        "hvp",
        "grad_of_grad",
        "make_jaxpr",
        "vmap_of_grad",
        "grad_of_vmap",
    ],
)
def test_custom_vjp_fwd_primal_output_is_checked_against_the_function_in_every_mode(transform):
    f = sin_with_fwd_output(lambda x: fnp.sum(fnp.sin(x)))  # a scalar for a (3,) function
    msg = "custom_vjp fwd of f: the primal output: expected shape (3,), but got shape ()."
    with pytest.raises(ValueError, match=re.escape(msg)):
        transform(f)


def test_custom_vjp_fwd_primal_output_of_wrong_structure_raises():
    f = sin_with_fwd_output(lambda x: (fnp.sin(x),))
    msg = "custom_vjp fwd of f: the primal output: expected the structure PyTreeSpec(*), but got PyTreeSpec((*,))."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.vjp(f, X)


def test_custom_vjp_fwd_primal_output_of_another_kind_of_dtype_raises():
    f = sin_with_fwd_output(lambda x: fnp.sin(x) + 0j)
    msg = (
        "custom_vjp fwd of f: the primal output: expected dtype float64, but got dtype complex128."
    )
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(summed(f))(X)


def test_custom_vjp_fwd_primal_output_of_another_precision_takes_the_functions_dtype():
    f = sin_with_fwd_output(lambda x: fnp.sin(x).astype(np.float64))
    x32 = X.astype(np.float32)
    out, pullback = ft.vjp(f, x32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.sin(X), rtol=1e-6)
    assert pullback(np.ones(3, np.float32))[0].dtype == np.float32
    assert ft.grad(summed(f))(x32).dtype == np.float32


def test_custom_vjp_fwd_primal_output_of_a_pytree_function_is_checked_leaf_by_leaf():
    @ft.custom_vjp
    def f(x):
        return {"a": x, "b": fnp.sum(x)}

    f.defvjp(lambda x: ({"a": x, "b": x}, None), lambda _, ct: (ct["a"] + ct["b"],))
    msg = "custom_vjp fwd of f: the primal output: expected shape (), but got shape (3,)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.grad(lambda x: fnp.sum(f(x)["a"]) + f(x)["b"])(X)
    # the right structure passes, and the outputs keep the function's structure
    f.defvjp(lambda x: ({"a": x, "b": fnp.sum(x)}, None), lambda _, ct: (ct["a"] + ct["b"],))
    out, pullback = ft.vjp(f, X)
    assert set(out) == {"a", "b"} and out["b"].shape == ()
    np.testing.assert_allclose(pullback({"a": np.ones(3), "b": 2.0})[0], 3 * np.ones(3))


def test_custom_vjp_fwd_not_returning_a_pair_raises():
    f = sin_with_fwd_output(fnp.sin)
    f.defvjp(lambda x: fnp.sin(x), lambda cos_x, ct: (cos_x * ct,))
    msg = "The fwd rule of f must return a pair (out, residuals), but it returned"
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(summed(f))(X)


def test_reverse_mode_traces_a_custom_vjp_function_once_per_argument_type():
    calls, size = [], [3]

    @ft.custom_vjp
    def f(x):
        calls.append(1)
        return fnp.sin(x)[: size[0]]

    def bwd(x, ct):
        return (fnp.cos(x) * fnp.concatenate([ct, fnp.zeros(x.shape[0] - ct.shape[0])]),)

    f.defvjp(lambda x: (fnp.sin(x)[: size[0]], x), bwd)
    for _ in range(3):
        np.testing.assert_allclose(ft.grad(summed(f))(X), np.cos(X))
    assert calls == [1]  # one abstract trace for the output's type, then a comparison
    ft.grad(summed(f))(X[:2])
    assert calls == [1, 1]
    size[0] = 2  # the function's type changed: the rule follows, no stale type rejects it
    np.testing.assert_allclose(ft.grad(summed(f))(X), np.cos(X) * [1, 1, 0])


def test_reverse_mode_evaluates_a_custom_vjp_function_that_needs_concrete_values():
    def expit(x):
        if np.all(x > 0):  # Python control flow on the value
            return np.asarray(scipy.special.expit(x))  # SciPy on the plain array
        return x

    def bwd(y, ct):
        return (y * (1 - y) * ct,)

    f = ft.custom_vjp(expit)
    f.defvjp(lambda x: (expit(x), expit(x)), bwd)
    y = scipy.special.expit(X)
    np.testing.assert_allclose(ft.grad(summed(f))(X), y * (1 - y))
    wrong = ft.custom_vjp(expit)  # the function's type, found by evaluating it, still checks fwd
    wrong.defvjp(lambda x: (np.sum(expit(x)), expit(x)), bwd)
    msg = "custom_vjp fwd of expit: the primal output: expected shape (3,), but got shape ()."
    for _ in range(2):  # and again, once it is known to need concrete values
        with pytest.raises(ValueError, match=re.escape(msg)):
            ft.vjp(wrong, X)


# ---- fntrans.extend ----


@primitive
def logsumexp(x):
    return scipy.special.logsumexp(x)  # SciPy, on plain arrays


defvjp(logsumexp, lambda ans, x: lambda g: g * fnp.exp(x - ans))


def test_extend_primitive_runs_scipy_and_differentiates_twice():
    np.testing.assert_allclose(ft.grad(logsumexp)(X), np.exp(X) / np.exp(X).sum())
    check_grads(logsumexp, (X,), order=2, modes=("rev",))


def test_extend_primitive_batches_by_a_loop_or_a_rule():
    batch = np.stack([X, 2 * X])
    np.testing.assert_allclose(ft.vmap(logsumexp)(batch), scipy.special.logsumexp(batch, axis=1))

    @primitive
    def double(x):
        return 2.0 * np.asarray(x)

    calls = []

    def rule(args, dims):
        calls.append(dims)
        return double(args[0]), dims[0]

    defbatch(double, rule)
    defvjp(double, lambda ans, x: lambda g: 2.0 * g)
    np.testing.assert_allclose(ft.vmap(double)(batch), 2 * batch)
    assert calls == [[0]]


def test_extend_defjvp_only_works_under_grad_and_jvp():
    @primitive
    def cube(x):
        return np.asarray(x) ** 3

    defjvp(cube, lambda g, ans, x: 3 * x**2 * g)
    assert ft.grad(cube)(2.0) == 12.0
    assert ft.grad(ft.grad(cube))(2.0) == 12.0
    assert ft.jvp(cube, (2.0,), (1.0,))[1] == 12.0


def test_extend_static_arguments_and_missing_rules():
    @primitive
    def power_sum(x, p, axis=None):
        return np.sum(np.asarray(x) ** p, axis=axis)

    defvjp(power_sum, lambda ans, x, p, axis=None: lambda g: g * p * x ** (p - 1), None)
    np.testing.assert_allclose(ft.grad(lambda x: power_sum(x, 3, axis=0))(X), 3 * X**2)
    # forward mode transposes the VJP rule, as autograd's hessian does
    out, tangent = ft.jvp(lambda x: power_sum(x, 3), (X,), (X,))
    np.testing.assert_allclose(tangent, np.sum(3 * X**2 * X))
    np.testing.assert_allclose(ft.hessian(lambda x: power_sum(x, 3))(X), np.diag(6 * X))
    with pytest.raises(TypeError, match=re.escape("is not a fntrans.extend.primitive")):
        defvjp(np.sin, None)


# ---- checkpoint ----


def test_checkpoint_replays_the_recorded_program_never_the_function():
    calls = []
    rng = np.random.default_rng(0)
    draws = []

    def noisy_layer(x):
        calls.append(1)
        scale = rng.uniform(0.5, 1.5)  # random: calling again would draw anew
        draws.append(scale)
        return fnp.tanh(x * scale)

    layer = ft.checkpoint(noisy_layer)
    g = ft.grad(lambda x: fnp.sum(layer(x)))(X)
    assert calls == [1]
    # the gradient uses the forward pass's own draw
    np.testing.assert_allclose(g, draws[0] * (1 - np.tanh(X * draws[0]) ** 2))


def test_checkpoint_gives_the_same_derivatives():
    W = np.random.default_rng(1).standard_normal((3, 3)) * 0.5
    block = ft.checkpoint(lambda x: fnp.tanh(W @ x))

    def net(x, block):
        for _ in range(4):
            x = block(x)
        return fnp.sum(x)

    plain = lambda x: fnp.tanh(W @ x)  # noqa: E731
    for transform in (ft.grad, ft.jacrev, ft.jacfwd, ft.hessian):
        np.testing.assert_allclose(
            transform(lambda x: net(x, block))(X), transform(lambda x: net(x, plain))(X), rtol=1e-12
        )
    batch = np.stack([X, -X])
    np.testing.assert_allclose(
        ft.vmap(ft.grad(lambda x: net(x, block)))(batch),
        ft.vmap(ft.grad(lambda x: net(x, plain)))(batch),
        rtol=1e-12,
    )


def _peak_bytes(f, x):
    tracemalloc.start()
    ft.grad(f)(x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_checkpointed_segments_keep_less_in_memory():
    W = np.random.default_rng(2).standard_normal((128, 128)) / 12

    def segment(x):
        for _ in range(5):
            x = fnp.tanh(W @ x)
        return x

    def net(x, segment):
        for _ in range(5):
            x = segment(x)
        return fnp.sum(x)

    x = np.ones((128, 64))
    plain = _peak_bytes(lambda x: net(x, segment), x)
    remat = _peak_bytes(lambda x: net(x, ft.checkpoint(segment)), x)
    assert remat < plain / 2


def test_custom_rules_bind_keywords_and_defaults_through_the_signature():
    f = ft.custom_jvp(lambda x, k=2.0: x * k, nondiff_argnums=(1,))
    f.defjvp(lambda k, primals, tangents: (f(primals[0], k), tangents[0] * k))
    assert ft.grad(lambda x: f(x))(1.0) == 2.0
    assert ft.grad(lambda x: f(x, k=3.0))(1.0) == 3.0


def test_extend_primitive_prints_readably():
    @primitive
    def cube(x):
        return np.asarray(x) ** 3

    assert "cube[kwargs=(), layout=(*,)] x" in str(ft.make_jaxpr(cube)(1.0))


def test_a_custom_rule_closing_over_a_dead_tracer_says_to_pass_the_value_as_an_argument():
    leaked = []
    ft.grad(lambda x: leaked.append(x) or x * 2.0)(1.0)  # a tracer kept past its transform

    @ft.custom_jvp
    def scaled(u):
        return u * leaked[0]

    scaled.defjvp(lambda p, t: (scaled(p[0]), t[0]))
    with pytest.raises(
        TypeError,
        match="scaled, a function with a custom derivative rule, closes over a traced "
        "value that is gone when it runs.*Pass the value as an argument of scaled",
    ):
        ft.grad(scaled)(2.0)
    assert ft.grad(lambda u: u * 3.0)(2.0) == 3.0  # nothing was left behind


def test_a_staged_custom_vjp_under_vmap_keeps_the_derivative_of_what_it_closes_over():
    # the count of closed-over operands was an attribute of bwd, which vmap's
    # batched bwd did not carry: the closed-over weight's cotangent was dropped
    def outer(w, xs):
        @ft.custom_vjp
        def f(x):
            return x * w

        f.defvjp(lambda x: (x * w, None), lambda r, ct: (ct * w,))
        return fnp.sum(ft.vmap(f)(xs))

    xs = np.arange(3.0)
    assert ft.grad(outer)(2.0, xs) == 3.0
    assert ft.jit(ft.grad(outer))(2.0, xs) == 3.0
    assert ft.grad(ft.jit(outer))(2.0, xs) == 3.0
