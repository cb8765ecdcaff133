"""jit's passes, each on its own: dead code, common subexpressions, inlining,
weak types, memory planning, and the generated code (arrays and scalars)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.core.ir import eval_ir
from fntrans.interpreters.codegen import generate
from fntrans.interpreters.optimize import (
    eliminate_common_subexpressions,
    eliminate_dead_code,
    forget_weak_types,
    inline_calls,
    optimize,
    plan_memory,
)
from fntrans.jit import CALLS


def names(ir):
    return [e.prim.name for e in ir.eqns]


def assert_same_values(before, after, *args):
    for a, b in zip(eval_ir(before, *args), eval_ir(after, *args)):
        assert np.shape(a) == np.shape(b) and np.result_type(a) == np.result_type(b)
        np.testing.assert_allclose(b, a, rtol=1e-13)


def test_dead_code_elimination_drops_what_no_output_reads():
    def f(x):
        unused = fnp.exp(x) * 3.0  # noqa: F841
        return fnp.sin(x)

    ir = ft.make_jaxpr(f)(np.ones(3))
    assert names(ir) == ["exp", "mul", "sin"]
    assert names(eliminate_dead_code(ir)) == ["sin"]


def test_dead_code_elimination_drops_the_forward_values_a_gradient_never_reads():
    # d/dW sum(W @ x) = outer(1, x): the forward product is not needed
    ir = ft.make_jaxpr(ft.grad(lambda W, x: fnp.sum(fnp.tanh(x) @ W)))(np.ones((3, 2)), np.ones(3))
    pruned = eliminate_dead_code(ir)
    assert "matmul" in names(ir) and len(pruned.eqns) < len(ir.eqns)
    assert_same_values(ir, pruned, np.ones((3, 2)), np.linspace(0, 1, 3))


def test_dead_code_elimination_drops_unused_constants():
    big = np.arange(5.0)
    ir = ft.make_jaxpr(lambda x: (x * big, x)[1] + 1.0)(np.ones(5))
    assert len(ir.consts) == 1
    assert eliminate_dead_code(ir).consts == []


def test_common_subexpressions_are_computed_once():
    ir = ft.make_jaxpr(lambda x: fnp.sin(x) * fnp.cos(x) + fnp.sin(x) * fnp.cos(x))(1.0)
    merged = eliminate_common_subexpressions(ir)
    assert names(merged) == ["sin", "cos", "mul", "add"]
    assert_same_values(ir, merged, 0.3)


def test_common_subexpressions_see_commutative_operands():
    ir = ft.make_jaxpr(lambda x, y: x * y + y * x)(1.0, 2.0)
    assert names(eliminate_common_subexpressions(ir)) == ["mul", "add"]
    ir = ft.make_jaxpr(lambda x, y: x - y + (y - x))(1.0, 2.0)
    assert names(eliminate_common_subexpressions(ir)) == ["sub", "sub", "add"]  # not commutative


def test_common_subexpressions_respect_parameters_and_literal_types():
    ir = ft.make_jaxpr(lambda x: fnp.sum(x, axis=0) + fnp.sum(x, axis=1))(np.ones((2, 2)))
    assert names(eliminate_common_subexpressions(ir)).count("reduce_sum") == 2
    ir = ft.make_jaxpr(lambda x: (x * 2) + (x * 2.0))(np.ones(2, np.float32))
    assert names(eliminate_common_subexpressions(ir)).count("mul") == 2


def test_inlining_a_jitted_call_renames_its_values():
    inner = ft.jit(lambda a, b: fnp.sin(a) * b)
    ir = ft.make_jaxpr(lambda x: inner(x, 2.0) + inner(x * 3.0, x))(np.ones(2))
    assert names(ir) == ["jit_call", "mul", "jit_call", "add"]
    inlined = inline_calls(ir, CALLS)
    assert "jit_call" not in names(inlined)
    assert_same_values(ir, inlined, np.linspace(0, 1, 2))


def test_weak_types_are_forgotten_only_among_64_bit_values():
    ir = ft.make_jaxpr(lambda x: x * 2.0)(1.0)
    assert not any(v.aval.weak_type for v in forget_weak_types(ir).invars)
    ir32 = ft.make_jaxpr(lambda x, s: x * s)(np.ones(2, np.float32), 1.0)
    assert forget_weak_types(ir32) is ir32  # float32 meets a weak scalar: types matter


def test_memory_plan_reuses_only_fresh_single_use_buffers():
    def f(x):
        a = fnp.sin(x)  # fresh, read once: reusable
        b = fnp.tanh(a)
        c = fnp.exp(b)  # b is read twice: not reusable here
        return c + b, fnp.reshape(c, (3, 1)) * 1.5

    ir = ft.make_jaxpr(f)(np.ones(3))
    plan = plan_memory(ir)
    producers = {v: i for i, e in enumerate(ir.eqns) for v in e.outvars}
    for index, position in plan.items():
        source = ir.eqns[index].invars[position]
        assert source not in ir.invars and source not in ir.outvars
        assert ir.eqns[producers[source]].prim.name in ("sin", "tanh", "exp", "add", "mul")
    assert plan[1] == 0  # tanh writes into sin's result
    assert all(ir.eqns[i].prim.name != "exp" for i in plan)  # b is still needed later


def test_memory_plan_uses_donated_inputs():
    ir = ft.make_jaxpr(lambda w, g: w - 0.1 * g)(np.ones(3), np.ones(3))
    assert plan_memory(ir) == {1: 1}  # 0.1 * g is fresh; w is not donated
    assert plan_memory(ir, donated=(0,)) == {1: 0}


def test_generated_code_is_one_line_per_equation():
    ir = optimize(ft.make_jaxpr(lambda x: fnp.sum(fnp.tanh(x) * 2.0))(np.ones(3)))
    fn, source = generate(ir)
    lines = source.splitlines()
    assert lines[0] == "def program(x):" and len(lines) == len(ir.eqns) + 2
    assert "np.tanh(x)" in source
    np.testing.assert_allclose(fn(np.ones(3))[0], 6 * np.tanh(1.0))


def test_scalar_programs_run_on_python_floats_with_a_numpy_fallback():
    f = ft.grad(ft.grad(lambda x: fnp.log(x) * fnp.tanh(x)))
    jitted = ft.jit(f)
    source = jitted.lower(0.7).source
    assert "math.log(x)" in source and "_arrays" in source
    assert type(jitted(0.7)) is np.float64
    np.testing.assert_allclose(jitted(0.7), f(0.7), rtol=1e-14)
    with np.errstate(all="ignore"):  # math refuses log(-1); NumPy gives nan
        assert np.isnan(jitted(-1.0)) and np.isnan(f(-1.0))
        assert jitted(0.0) == f(0.0) or np.isnan(jitted(0.0))


@settings(max_examples=40, deadline=None)
@given(
    ops=st.lists(
        st.sampled_from(["sin", "exp", "tanh", "log1p", "sq", "neg", "add", "div", "pow"]),
        min_size=1,
        max_size=10,
    ),
    x=st.floats(0.1, 2.0),
)
def test_scalar_code_agrees_with_numpy_code(ops, x):
    def f(x):
        h = x
        for op in ops:
            if op == "sq":
                h = h * h
            elif op == "neg":
                h = -h
            elif op == "add":
                h = h + x
            elif op == "div":
                h = h / (1.0 + x)
            elif op == "pow":
                h = (h * h + 1.0) ** 0.5
            elif op == "log1p":
                h = fnp.log1p(h * h)
            else:
                h = getattr(fnp, op)(h * 0.5)
        return h

    with np.errstate(all="ignore"):
        np.testing.assert_allclose(ft.jit(ft.grad(f))(x), ft.grad(f)(x), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_optimize_keeps_values_types_and_shapes_of_an_mlp_gradient(dtype):
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((4, 5)).astype(dtype), rng.standard_normal((5, 2)).astype(dtype)
    x = rng.standard_normal((3, 4)).astype(dtype)

    def loss(W1, W2, x):
        return fnp.mean(fnp.tanh(fnp.tanh(x @ W1) @ W2) ** 2)

    ir = ft.make_jaxpr(ft.value_and_grad(loss, (0, 1)))(W1, W2, x)
    optimized = optimize(ir)
    assert len(optimized.eqns) <= len(ir.eqns)
    for a, b in zip(eval_ir(ir, W1, W2, x), eval_ir(optimized, W1, W2, x)):
        assert np.result_type(a) == np.result_type(b) == dtype
        np.testing.assert_allclose(b, a, rtol=1e-5 if dtype == np.float32 else 1e-13)


def test_scalar_arithmetic_inside_an_array_program_uses_operators():
    f = ft.jit(lambda w, x: (w - 0.5 * fnp.sum(x * w), fnp.sum(x) / 0.0))
    source = f.lower(np.ones(3), np.ones(3)).source
    assert " * " in source or " - " in source  # 0-d values computed by the program
    with np.errstate(divide="ignore"):
        a, b = f(np.ones(3), np.ones(3))
    np.testing.assert_allclose(a, np.ones(3) - 1.5)
    assert b == np.inf  # NumPy's division, not Python's ZeroDivisionError
    # Python numbers as arguments keep NumPy's arithmetic too
    with np.errstate(divide="ignore"):
        assert ft.jit(lambda a, b: a / b)(1.0, 0.0) == np.inf
