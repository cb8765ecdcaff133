"""Differential fuzzing: random programs over the op table, each checked by
comparing transforms with finite differences and with each other.

A program (tests/fuzz_programs.py, checks in tests/fuzz_checks.py) composes 2 to 6 steps: ops of the op table
(unary, binary with broadcasting, reductions), indexing, assignment
(``x[i] = v``, ``x[i] += v``, through a view, ``x.at[i].set/add/...``, with
repeated indices and index arrays that differ per example), integer
arithmetic on index values, and ``custom_jvp``, ``custom_vjp`` and
``checkpoint`` around a sub-program; some programs are complex. A failure
prints the program as source that runs as is.

Left out here (``RISKY`` in tests/fuzz_programs.py): features that had a bug
when this was written, the known ones (closures over the caller's values in
custom_jvp/custom_vjp/checkpoint functions; per-example repeated indices in
assignments; ``.at[].multiply/divide/power/min/max`` with repeated indices;
integer ``&``, ``|``, ``~``, ``//`` on traced values) and those this fuzzer
found (``fnp.array(x)`` and ``x.astype(x.dtype)`` aliasing x under a
transform; vmap returning an unbatched array made inside; vmap(grad) of
``x[i] = v`` with i batched along an axis other than 0; custom_jvp/custom_vjp
functions computing from an array they make). ``benchmarks/fuzz_campaign.py``
runs the same checks over thousands of programs, with them.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.extend import defbatch, defjvp, defvjp, primitive
from tests import fuzz_programs
from tests.fuzz_checks import CHECKS, CheckFailure, failure, run_check, shrink
from tests.fuzz_programs import CI, RandomChoices, Reject, Step, Value, generate, programs

# programs are cheap (milliseconds per check): ten times the profile's examples per check
BUDGET = settings(max_examples=10 * settings.default.max_examples)
FOCUSED = settings(max_examples=3 * settings.default.max_examples)


@BUDGET
@given(program=programs())
def test_jvp_matches_finite_differences(program):
    run_check(program, "jvp")


@BUDGET
@given(program=programs())
def test_vjp_matches_finite_differences(program):
    run_check(program, "vjp")


@BUDGET
@given(program=programs())
def test_grad_matches_finite_differences(program):
    run_check(program, "grad")


@BUDGET
@given(program=programs())
def test_jvp_and_vjp_pass_the_dot_product_test(program):
    run_check(program, "dot_product")


@BUDGET
@given(program=programs())
def test_vmap_equals_a_loop_over_examples(program):
    run_check(program, "vmap")


@BUDGET
@given(program=programs())
def test_vmap_of_grad_equals_a_loop_over_examples(program):
    run_check(program, "vmap_grad")


@BUDGET
@given(program=programs())
def test_hessian_jacrev_of_jacrev_and_jacfwd_of_jacfwd_agree(program):
    run_check(program, "second_order")


@BUDGET
@given(program=programs())
def test_linearize_agrees_with_jvp(program):
    run_check(program, "linearize")


@BUDGET
@given(program=programs())
def test_jit_agrees_with_eager(program):
    run_check(program, "jit")


@settings(max_examples=settings.default.max_examples)
@given(program=programs())
def test_check_grads_to_second_order(program):
    run_check(program, "check_grads")


@pytest.mark.parametrize("focus", ["complex", "wrappers", "assignment", "indexing"])
@FOCUSED
@given(data=st.data())
def test_every_check_passes_on_programs_of_one_feature(focus, data):
    program = data.draw(programs(focus=focus))
    for name in CHECKS:
        run_check(program, name)


# ---- the fuzzer itself ----


def test_the_generator_reaches_every_kind_of_step():
    tags = set()
    for seed in range(1000):
        try:
            tags |= generate(RandomChoices(seed), CI).tags
        except Reject:
            pass
    wanted = {
        "complex", "index", "index.per_example", "int", "assign", "assign.view",
        "assign.repeated", "checkpoint", "jvp_rule", "vjp_rule", "op.sum", "op.matmul",
        "op.maximum", "op.setitem",
    } | {f"at.{m}" for m in ("set", "add", "subtract", "multiply", "divide", "power", "min", "max", "get")}  # fmt: skip
    assert wanted <= tags, f"never generated: {sorted(wanted - tags)}"
    risky = set(fuzz_programs.RISKY)
    assert not tags & (risky - fuzz_programs.FIXED), "CI programs use a feature with a bug"
    rare = {"assign.moved_index"}  # a batched index on a later axis: seldom drawn
    missing = fuzz_programs.FIXED - rare - tags
    assert not missing, f"fixed features never generated: {sorted(missing)}"


def _a_program(seed, features=CI):
    """The first program the generator keeps from ``seed`` on."""
    for k in range(seed, seed + 100):
        try:
            return generate(RandomChoices(k), features)
        except Reject:
            continue
    raise AssertionError("the generator rejected 100 programs in a row")


def test_a_reproducer_runs_as_printed():
    program = _a_program(3)
    namespace = {}
    exec(program.reproducer(), namespace)
    f, examples = namespace["f"], namespace["examples"]
    for example, printed in zip(program.examples, examples):
        np.testing.assert_array_equal(f(*printed), program.function()(*example))


# Primitives with one deliberately wrong rule: each check must catch its own.


def _sin_with(jvp_scale=1.0, vjp_scale=1.0, batch_scale=1.0, frozen_jvp=False):
    sin = primitive(lambda x: np.sin(x))
    defvjp(sin, lambda ans, x: lambda g: g * vjp_scale * fnp.cos(x))
    if frozen_jvp:  # right to first order, but its derivative is lost
        defjvp(sin, lambda g, ans, x: g * ft.stop_gradient(fnp.cos(x)))
    else:
        defjvp(sin, lambda g, ans, x: g * jvp_scale * fnp.cos(x))
    defbatch(sin, lambda args, dims: (fnp.sin(args[0]) * batch_scale, dims[0]))
    return sin


WRONG_RULES = [
    ("jvp", dict(jvp_scale=1.01)),
    ("vjp", dict(vjp_scale=1.01)),
    ("grad", dict(vjp_scale=1.01)),
    ("dot_product", dict(jvp_scale=1.01)),
    ("vmap", dict(batch_scale=1.01)),
    ("vmap_grad", dict(batch_scale=1.01)),
    ("second_order", dict(frozen_jvp=True)),
    ("check_grads", dict(vjp_scale=1.01)),
]  # linearize is jvp's own machinery: no rule can be right for one and wrong for the other


def _appended(program, expr, reads=None):
    """``program`` with one more step: ``expr`` of the program's output (or of ``reads``)."""
    out = program.output
    reads = reads or out.name
    target = Value("v_last", ())
    line = f"v_last = {expr.format(reads)}"
    step = Step((line,), (target,), frozenset({reads}), frozenset())
    return program.with_steps(program.steps + [step])


@pytest.mark.parametrize("check,wrong", WRONG_RULES, ids=[c for c, _ in WRONG_RULES])
def test_each_check_catches_a_wrong_rule(check, wrong, monkeypatch):
    monkeypatch.setitem(fuzz_programs.GLOBALS, "bad_sin", _sin_with(**wrong))
    program = _a_program(11, dataclasses.replace(CI, wrappers=False))
    run_check(_appended(program, "fnp.sin(fnp.real({})) ** 2"), check)
    with pytest.raises(CheckFailure, match=f"check '{check}' failed"):
        run_check(_appended(program, "bad_sin(fnp.real({})) ** 2"), check)


def test_shrink_keeps_only_what_the_failure_needs(monkeypatch):
    monkeypatch.setitem(fuzz_programs.GLOBALS, "bad_sin", _sin_with(jvp_scale=1.01))
    program = _a_program(5, dataclasses.replace(CI, wrappers=False))
    failing = _appended(program, "bad_sin(fnp.real({}))", reads="x0")
    small = shrink(failing, "jvp")
    assert failure(small, "jvp") is not None
    assert len(failing.steps) > 1 and [s.lines for s in small.steps] == [failing.steps[-1].lines]
