"""The local rewrites and constant folding of jit's optimizer: each rule and
each pass keeps the values, shapes and dtypes (weak types included) of the
program it changes, and makes the program smaller or cheaper where it should."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.core.aval import ShapedArray
from fntrans.core.ir import IR, Eqn, Literal, Var, eval_ir
from fntrans.interpreters.optimize.dce import eliminate_dead_code
from fntrans.interpreters.optimize.fold import UNFOLDABLE, fold_constants
from fntrans.interpreters.optimize.rewrites import rewrite
from fntrans.primitives.broadcasting import broadcast_to_p, reduce_sum_p
from fntrans.primitives.elementwise import add_p, mul_p, sub_p
from fntrans.primitives.math_functions import sin_p

rng = np.random.default_rng(0)


def random(shape, dtype=np.float64, low=-2.0, high=2.0):
    return rng.uniform(low, high, shape).astype(dtype)


def optimized(ir: IR) -> IR:
    return eliminate_dead_code(fold_constants(rewrite(ir)))


def prims(ir: IR) -> list[str]:
    return [eqn.prim.name for eqn in ir.eqns]


def assert_same_program_values(ir: IR, new: IR, *args):
    """Same output avals, and the same values, shapes and dtypes on ``args``."""
    assert [v.aval for v in new.outvars] == [v.aval for v in ir.outvars]
    for expected, got in zip(eval_ir(ir, *args), eval_ir(new, *args)):
        assert np.shape(got) == np.shape(expected)
        assert np.result_type(got) == np.result_type(expected)
        rtol = 1e-5 if np.result_type(expected) == np.float32 else 1e-12
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)


def check(f, *args, expect: list[str]):
    """``f``'s program, rewritten and folded, gives its values with the
    equations ``expect`` (after dead-code elimination)."""
    ir = ft.make_jaxpr(f)(*args)
    new = optimized(ir)
    assert_same_program_values(ir, new, *args)
    assert prims(new) == expect
    return new


def one_eqn_program(prim, invars, params=None, constvars=(), consts=()):
    """A program of one equation over the given inputs (Vars not among
    ``constvars`` are inputs)."""
    params = params or {}
    out = Var(prim.shape(*(v.aval for v in invars), **params))
    inputs = [v for v in invars if type(v) is Var and v not in constvars]
    return IR(inputs, constvars, consts, [Eqn(prim, list(invars), [out], params)], [out])


DTYPES = [np.float64, np.float32]

# ---- multiplication by one, addition of zeros ----


@pytest.mark.parametrize("dtype", DTYPES)
def test_multiplication_by_one_is_removed(dtype):
    x = random(3, dtype)
    check(lambda x: x * 1.0, x, expect=[])
    check(lambda x: 1 * x, x, expect=[])
    check(lambda x: x * np.ones(3, dtype), x, expect=[])
    check(lambda x: x / 1.0, x, expect=[])


def test_multiplication_by_ones_that_broadcast_becomes_a_broadcast():
    check(lambda x: x * np.ones((2, 3)), random(3), expect=["broadcast_to"])


def test_multiplication_by_ones_of_another_dtype_is_kept():
    # x32 * ones64 is float64: x alone would be float32
    new = check(lambda x: x * np.ones(3), random(3, np.float32), expect=["mul"])
    assert new.outvars[0].aval.dtype == np.float64


def test_multiplication_of_a_weak_scalar_by_one_stays_weak():
    ir = ft.make_jaxpr(lambda x: x * 1.0)(2.0)
    assert ir.outvars[0].aval.weak_type
    new = optimized(ir)
    assert new.outvars[0] is new.invars[0] and new.outvars[0].aval.weak_type


@pytest.mark.parametrize("dtype", DTYPES)
def test_addition_and_subtraction_of_zeros_are_removed(dtype):
    x = random(3, dtype)
    check(lambda x: x + 0.0, x, expect=[])
    check(lambda x: np.zeros(3, dtype) + x, x, expect=[])
    check(lambda x: x - np.zeros(3, dtype), x, expect=[])
    check(lambda x: 0.0 - x, x, expect=["neg"])


def test_addition_of_a_broadcast_zero_is_removed():
    # the symbolic zero AD instantiates: a zero broadcast to the full shape
    x = Var(ShapedArray((2, 3), np.float64))
    zeros = Var(ShapedArray((2, 3), np.float64, weak_type=True))
    out = Var(ShapedArray((2, 3), np.float64))
    eqns = [
        Eqn(broadcast_to_p, [Literal(0.0)], [zeros], {"shape": (2, 3)}),
        Eqn(add_p, [zeros, x], [out], {}),
    ]
    ir = IR([x], [], [], eqns, [out])
    new = optimized(ir)
    assert new.eqns == [] and new.outvars == [x]


def test_multiplication_by_zero_is_kept():
    # 0 * inf is nan: not a rewrite that keeps values
    check(lambda x: x * 0.0, random(3), expect=["mul"])


# ---- broadcasts NumPy does anyway ----


@pytest.mark.parametrize("dtype", DTYPES)
def test_explicit_broadcast_into_an_elementwise_operation_is_dropped(dtype):
    b, X = random(3, dtype), random((4, 3), dtype)
    check(lambda b, X: fnp.broadcast_to(b, (4, 3)) * X, b, X, expect=["mul"])
    check(lambda b, X: X - fnp.broadcast_to(b, (4, 3)), b, X, expect=["sub"])


def test_a_broadcast_that_makes_the_result_shape_is_kept():
    new = check(
        lambda b, c: fnp.broadcast_to(b, (4, 3)) * c,
        random(3),
        random(3),
        expect=["broadcast_to", "mul"],
    )
    assert new.outvars[0].aval.shape == (4, 3)


def test_a_uniform_constant_array_is_read_as_a_scalar_of_its_dtype():
    new = check(lambda x: x * np.full((2, 3), 0.5), random((2, 3), np.float32), expect=["mul"])
    (scalar,) = [v for v in new.eqns[0].invars if type(v) is Literal]
    assert scalar.aval == ShapedArray((), np.float64)  # strong: x32 * it stays float64
    assert new.outvars[0].aval.dtype == np.float64


# ---- operations that undo each other or do nothing ----


@pytest.mark.parametrize("dtype", DTYPES)
def test_transpose_of_transpose(dtype):
    x = random((2, 3, 4), dtype)
    check(lambda x: x.T.T, x, expect=[])
    check(lambda x: fnp.transpose(fnp.transpose(x, (1, 2, 0)), (1, 0, 2)), x, expect=["transpose"])


@settings(max_examples=30, deadline=None)
@given(st.permutations(range(4)), st.permutations(range(4)))
def test_transposes_compose_to_one(first, second):
    x = random((2, 3, 4, 5))
    expect = [] if [first[a] for a in second] == [0, 1, 2, 3] else ["transpose"]
    check(lambda x: fnp.transpose(fnp.transpose(x, first), second), x, expect=expect)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reshape_chains(dtype):
    x = random((2, 3), dtype)
    check(lambda x: x.reshape(6).reshape(2, 3), x, expect=[])
    check(lambda x: x.reshape(6).reshape(3, 2), x, expect=["reshape"])
    check(lambda x: x.reshape(1, 6).reshape(6, 1).reshape(3, 2), x, expect=["reshape"])


def test_transpose_between_unit_axis_reshapes_becomes_one_transpose():
    # what reverse mode writes for a batched matrix-vector product's cotangent
    def f(m):
        t = fnp.transpose(m.reshape(5, 4, 1), (1, 0, 2))
        return t.reshape(4, 5)

    check(f, random((5, 4)), expect=["transpose"])


@pytest.mark.parametrize("dtype", DTYPES)
def test_reduce_sum_over_no_axes_is_removed(dtype):
    x = dtype(2.0)
    assert prims(ft.make_jaxpr(fnp.sum)(x)) == ["reduce_sum"]
    check(fnp.sum, x, expect=[])


@pytest.mark.parametrize("dtype", DTYPES)
def test_neg_of_neg_is_removed(dtype):
    check(lambda x: fnp.negative(fnp.negative(x)), random(3, dtype), expect=[])


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_of_log_and_log_of_exp_are_removed(dtype):
    check(lambda x: fnp.exp(fnp.log(x)), random(3, dtype, 0.1, 3.0), expect=[])
    check(lambda x: fnp.log(fnp.exp(x)), random(3, dtype), expect=[])


def test_exp_of_log_of_an_integer_is_kept():
    # log of an integer array is float: x itself has another dtype
    check(lambda x: fnp.exp(fnp.log(x)), np.arange(1, 4), expect=["log", "exp"])


def test_rewrites_chain_within_one_pass():
    check(lambda x: -(-fnp.exp(fnp.log(x)) * 1.0) + 0.0, random(3, low=0.5), expect=[])


# ---- sums of rows, stacks ----


def rows_loss(A, x):
    return fnp.sum(fnp.stack([A[i, :] @ x.reshape(-1, 1) for i in range(A.shape[0])]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_of_a_sum_of_rows_is_one_reduction(dtype):
    A, x = random((100, 2), dtype), random(2, dtype)
    ir = ft.make_jaxpr(ft.grad(rows_loss, argnums=1))(A, x)
    assert prims(ir).count("add") == 99
    new = optimized(ir)
    assert_same_program_values(ir, new, A, x)
    assert prims(new) == ["reduce_sum"]


def test_gradient_of_a_sum_of_rows_of_a_closed_over_matrix_is_a_constant():
    A, x = random((100, 2)), random(2)
    ir = ft.make_jaxpr(ft.grad(lambda x: rows_loss(A, x)))(x)
    new = optimized(ir)
    assert new.eqns == [] and new.outvars[0] in new.constvars
    np.testing.assert_allclose(eval_ir(new, x)[0], A.sum(0), rtol=1e-12)


def test_gradient_with_respect_to_rows_is_a_broadcast_instead_of_scatters():
    A, x = random((100, 2)), random(2)
    ir = ft.make_jaxpr(ft.grad(rows_loss, argnums=0))(A, x)
    assert prims(ir).count("scatter_add") == 100
    new = optimized(ir)
    assert_same_program_values(ir, new, A, x)
    assert prims(new) == ["reshape", "broadcast_to"]


def test_a_sum_of_some_rows_is_kept():
    A = random((4, 2))
    new = check(
        lambda A: A[0] + A[1] + A[2], A, expect=["getitem", "getitem", "add", "getitem", "add"]
    )
    assert new.outvars[0].aval.shape == (2,)


def test_a_sum_of_all_rows_and_another_term_reduces_the_rows():
    A, b = random((3, 2)), random(2)
    check(lambda A, b: A[2] + b + A[0] + A[1], A, b, expect=["reduce_sum", "add"])


def test_a_partial_sum_read_twice_is_not_taken_apart():
    # taken apart, partial + A[2] would be a reduction, and partial computed twice
    def f(A):
        partial = A[0] + A[1]
        return partial * (partial + A[2])

    check(f, random((3, 2)), expect=["getitem", "getitem", "add", "getitem", "add", "mul"])


# ---- identity bases ----


def layer(W, b):
    return lambda x: fnp.tanh(W @ x + b) * x


def matmul_shapes(ir: IR) -> list:
    return [tuple(v.aval.shape for v in eqn.invars) for eqn in ir.eqns if eqn.prim.name == "matmul"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("jacobian", [ft.jacrev, ft.jacfwd])
def test_jacobian_of_a_layer_has_no_matrix_matrix_product(jacobian, dtype):
    n = 200
    W, b, x = (random((n, n)) / np.sqrt(n)).astype(dtype), random(n, dtype), random(n, dtype)
    ir = ft.make_jaxpr(jacobian(layer(W, b)))(x)
    new = optimized(ir)
    assert_same_program_values(ir, new, x)
    assert ((n, n), (n, n)) not in matmul_shapes(new)
    assert matmul_shapes(new) == [((n, n), (n,))]  # only the forward W @ x
    analytic = np.diag(1 - np.tanh(W @ x + b) ** 2) @ W * x[:, None] + np.diag(np.tanh(W @ x + b))
    np.testing.assert_allclose(
        eval_ir(new, x)[0], analytic, rtol=1e-4 if dtype == np.float32 else 1e-12
    )


def test_jacrev_writes_a_matrix_matrix_product_that_the_rewrite_removes():
    n = 6
    W, b, x = random((n, n)), random(n), random(n)
    ir = ft.make_jaxpr(ft.jacrev(layer(W, b)))(x)
    assert ((n, n), (n, n)) in matmul_shapes(ir)


@pytest.mark.parametrize("dtype", DTYPES)
def test_product_with_a_scaled_identity_scales_rows_or_columns(dtype):
    n = 4
    eye = np.eye(n, dtype=dtype)
    W, v = random((n, n), dtype), random(n, dtype)
    check(lambda v: W @ (eye * v), v, expect=["mul"])
    check(lambda v: (eye * v).T @ W, v, expect=["reshape", "mul"])
    check(lambda v: (-(eye * v) * 2.0) @ W, v, expect=["mul", "mul", "reshape", "mul"])
    check(lambda v: (eye * v.reshape(n, 1)) @ v, v, expect=["mul"])  # v * v
    check(lambda w: eye @ w, W, expect=[])


def test_product_with_an_identity_of_another_dtype_is_kept():
    # W32 @ eye64 is float64
    check(lambda w: w @ np.eye(3), random((3, 3), np.float32), expect=["matmul"])


def test_product_with_an_identity_scaled_by_a_matrix_is_kept():
    n = 3
    eye, M = np.eye(n), random((n, n))
    check(lambda v: M @ (eye * v), M, expect=["mul", "matmul"])


def test_product_with_a_near_identity_is_kept():
    almost = np.eye(3)
    almost[0, 2] = 1e-300
    check(lambda w: almost @ w, random((3, 3)), expect=["matmul"])


# ---- the pass as a whole ----


def test_rewrite_leaves_its_input_unchanged():
    ir = ft.make_jaxpr(lambda x: x.T.T * 1.0)(random((2, 3)))
    before = str(ir)
    eqns = list(ir.eqns)
    new = rewrite(ir)
    assert new is not ir and str(ir) == before and ir.eqns == eqns


def test_rewrite_returns_its_input_when_no_rule_applies():
    ir = ft.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(random(3))
    assert rewrite(ir) is ir


def test_rewrite_keeps_input_names():
    ir = ft.make_jaxpr(lambda params: params["w"] * 1.0)({"w": random(2)})
    assert rewrite(ir).in_names == ["params['w']"]


def test_mlp_gradient_keeps_its_values_and_loses_equations():
    sizes = (6, 5, 3)
    params = [(random((m, k)), random(k)) for m, k in zip(sizes[:-1], sizes[1:])]
    X, Y = random((4, 6)), np.eye(3)[[0, 2, 1, 0]]

    def loss(params, X, Y):
        h = X
        for i, (W, b) in enumerate(params):
            h = h @ W + b
            if i < len(params) - 1:
                h = fnp.tanh(h)
        logits = h - fnp.max(h, axis=1, keepdims=True)
        log_probs = logits - fnp.log(fnp.sum(fnp.exp(logits), axis=1, keepdims=True))
        return -fnp.sum(log_probs * Y) / X.shape[0]

    ir = ft.make_jaxpr(ft.value_and_grad(loss))(params, X, Y)
    new = optimized(ir)
    assert_same_program_values(ir, new, *ft.tree.tree_leaves(params), X, Y)
    assert len(new.eqns) < len(eliminate_dead_code(ir).eqns)
    assert "broadcast_to" not in prims(new)


# ---- constant folding ----


def test_an_equation_of_constants_folds_into_a_constant():
    c = Var(ShapedArray((3,), np.float64))
    ir = one_eqn_program(sin_p, [c], constvars=[c], consts=[np.arange(3.0)])
    new = fold_constants(ir)
    assert new.eqns == [] and new.outvars[0] in new.constvars
    np.testing.assert_array_equal(eval_ir(new)[0], np.sin(np.arange(3.0)))


def test_a_weak_scalar_result_folds_into_a_python_literal():
    x = Var(ShapedArray((3,), np.float32))
    s = Var(ShapedArray((), np.float64, weak_type=True))
    out = Var(ShapedArray((3,), np.float32))
    eqns = [Eqn(sin_p, [Literal(1.0)], [s], {}), Eqn(mul_p, [x, s], [out], {})]
    new = fold_constants(IR([x], [], [], eqns, [out]))
    (literal,) = [v for v in new.eqns[0].invars if type(v) is Literal]
    assert type(literal.value) is float and literal.aval.weak_type
    x32 = random(3, np.float32)
    assert eval_ir(new, x32)[0].dtype == np.float32


def test_a_strong_scalar_result_stays_a_numpy_constant():
    c = Var(ShapedArray((), np.float64))
    x = Var(ShapedArray((3,), np.float32))
    s = Var(ShapedArray((), np.float64))
    out = Var(ShapedArray((3,), np.float64))
    eqns = [Eqn(sin_p, [c], [s], {}), Eqn(mul_p, [x, s], [out], {})]
    ir = IR([x], [c], [np.float64(1.0)], eqns, [out])
    new = fold_constants(ir)
    assert prims(new) == ["mul"] and new.eqns[0].invars[1] in new.constvars
    x32 = random(3, np.float32)
    got = eval_ir(new, x32)[0]
    assert got.dtype == np.float64  # a Python float would have kept float32
    np.testing.assert_array_equal(got, eval_ir(ir, x32)[0])


def test_a_broadcast_of_a_scalar_to_a_large_array_is_not_folded():
    ir = one_eqn_program(broadcast_to_p, [Literal(0.0)], {"shape": (1000, 1000)})
    assert fold_constants(ir) is ir


def test_a_small_broadcast_of_a_scalar_folds():
    ir = one_eqn_program(broadcast_to_p, [Literal(2.0)], {"shape": (3, 4)})
    new = fold_constants(ir)
    assert new.eqns == []
    np.testing.assert_array_equal(eval_ir(new)[0], np.full((3, 4), 2.0))


def test_a_reduction_of_a_large_constant_folds():
    c = Var(ShapedArray((1000, 1000), np.float64))
    value = random((1000, 1000))
    ir = one_eqn_program(reduce_sum_p, [c], {"axes": (0, 1)}, constvars=[c], consts=[value])
    new = fold_constants(ir)
    assert new.eqns == []
    np.testing.assert_allclose(eval_ir(new)[0], value.sum())


def test_unfoldable_primitives_are_not_folded():
    c = Var(ShapedArray((3,), np.float64))
    ir = one_eqn_program(sin_p, [c], constvars=[c], consts=[np.arange(3.0)])
    UNFOLDABLE.add(sin_p)
    try:
        assert fold_constants(ir) is ir
    finally:
        UNFOLDABLE.discard(sin_p)


def test_an_equation_that_fails_on_its_constants_is_left_to_fail_at_every_call():
    a, b = Var(ShapedArray((2,), np.float64)), Var(ShapedArray((3,), np.float64))
    out = Var(ShapedArray((2,), np.float64))  # a wrong program: the shapes do not broadcast
    ir = IR([], [a, b], [np.ones(2), np.ones(3)], [Eqn(sub_p, [a, b], [out], {})], [out])
    assert fold_constants(ir) is ir


def test_folding_follows_a_chain_and_leaves_inputs_alone():
    c = Var(ShapedArray((3,), np.float64))
    x = Var(ShapedArray((3,), np.float64))
    s, t, out = (Var(ShapedArray((3,), np.float64)) for _ in range(3))
    eqns = [
        Eqn(sin_p, [c], [s], {}),
        Eqn(mul_p, [s, Literal(2.0)], [t], {}),
        Eqn(add_p, [t, x], [out], {}),
    ]
    ir = IR([x], [c], [np.arange(3.0)], eqns, [out])
    before = str(ir)
    new = fold_constants(ir)
    assert prims(new) == ["add"] and str(ir) == before
    x0 = random(3)
    np.testing.assert_array_equal(eval_ir(new, x0)[0], eval_ir(ir, x0)[0])


def test_column_vector_matmul_and_reshape_back_is_a_matrix_vector_product():
    A, v = random((4, 3)), random(3)
    check(lambda A, v: fnp.reshape(A @ fnp.reshape(v, (3, 1)), (4,)), A, v, expect=["matmul"])
    check(
        lambda A, v: fnp.reshape(fnp.reshape(v, (1, 4)) @ A, (3,)), A, random(4), expect=["matmul"]
    )
    # the column is read elsewhere too: still a view, made beside the product
    check(
        lambda A, v: (fnp.reshape(A @ fnp.reshape(v, (3, 1)), (4,)), fnp.reshape(v, (3, 1))),
        A,
        v,
        expect=["matmul", "reshape"],
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matmul_over_an_axis_of_length_one_is_a_broadcast_product(dtype):
    a, b = random((5, 4, 1), dtype), random((5, 1, 3), dtype)
    check(lambda a, b: a @ b, a, b, expect=["mul"])
    check(lambda a, b: a @ b, random((4, 1), dtype), random((1, 3), dtype), expect=["mul"])
    check(lambda a, b: a @ b, random((4, 2), dtype), random((2, 3), dtype), expect=["matmul"])


def test_per_example_gradients_become_outer_products():
    W, x, y = random((8, 32)), random((16, 32)), random((16, 8))
    per_example = ft.vmap(ft.grad(lambda W, x, y: fnp.sum((W @ x - y) ** 2)), (None, 0, 0))
    ir = ft.jit(per_example).lower(W, x, y).ir
    assert "matmul" in prims(ir) and prims(ir).count("matmul") == 1  # the forward one only


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_derivative_of_logaddexp_becomes_a_sigmoid(dtype):
    x = random(7, dtype, -30.0, 30.0)
    new = check(lambda x: fnp.exp(x - fnp.logaddexp(0.0, x)), x, expect=["expit"])
    check(
        lambda x, y: fnp.exp(y - fnp.logaddexp(x, y)), x, random(7, dtype), expect=["sub", "expit"]
    )
    assert new.outvars[0].aval.dtype == dtype
    # the gradient of a logistic loss no longer computes the loss
    ir = ft.jit(ft.grad(lambda w: fnp.sum(fnp.logaddexp(0.0, -w)))).lower(x).ir
    assert "logaddexp" not in prims(ir) and "expit" in prims(ir)


def test_negating_a_scaling_scales_by_the_negated_number():
    check(lambda x: -(2.5 * x), random(3), expect=["mul"])
    check(lambda x: -(x * 2), random(3), expect=["mul"])
    check(lambda x, y: -(x * y), random(3), random(3), expect=["mul", "neg"])
