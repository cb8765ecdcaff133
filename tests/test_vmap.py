"""vmap, generated from the op table: a batch equals stacking example by example."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fntrans as ft
import fntrans.numpy as fnp
from tests.fake_backend import assert_on_backend, to_host
from tests.op_cases import OP_CASES
from tests.strategies import draw_args

BATCH = 3
CASES = [
    (case, shapes)
    for case in OP_CASES
    if not case.concrete_only
    for shapes in case.shapes
    if all(s != (0,) for s in shapes)
]
IDS = [f"{case.name}-{'x'.join(str(s) for s in shapes)}" for case, shapes in CASES]


def in_axes_variants(shapes):
    """Several in_axes per case: all first, all last, and one argument unbatched."""
    n = len(shapes)
    variants = [(0,) * n, tuple(-1 if len(s) else 0 for s in shapes)]
    if n > 1:
        variants.append((None,) + (0,) * (n - 1))
        variants.append((0,) * (n - 1) + (None,))
    return variants


def batch_of(examples, axis):
    return np.stack(examples, axis=axis)


@pytest.mark.parametrize("case,shapes", CASES, ids=IDS)
@given(data=st.data())
def test_vmap_equals_stacking_examples(case, shapes, data):
    examples = [draw_args(data, case, shapes) for _ in range(BATCH)]
    expected = np.stack([np.asarray(to_host(case.fn(*ex))) for ex in examples])
    for in_axes in in_axes_variants(shapes):
        if any(a is None for a in in_axes):
            # unbatched arguments are the same for every example
            examples_here = [
                [ex[j] if a is not None else examples[0][j] for j, a in enumerate(in_axes)]
                for ex in examples
            ]
            want = np.stack([np.asarray(to_host(case.fn(*ex))) for ex in examples_here])
        else:
            examples_here, want = examples, expected
        batched_args = [
            examples_here[0][j] if a is None else batch_of([ex[j] for ex in examples_here], a)
            for j, a in enumerate(in_axes)
        ]
        got = ft.vmap(case.fn, in_axes=in_axes)(*batched_args)
        assert_on_backend(got)
        np.testing.assert_allclose(
            to_host(got), want, rtol=1e-12, atol=1e-12, err_msg=f"in_axes={in_axes}"
        )


def test_out_axes_and_unbatched_outputs():
    X = np.arange(6.0).reshape(3, 2)
    out = ft.vmap(lambda x: (x * 2, 1.0), out_axes=(1, 0))(X)
    np.testing.assert_array_equal(out[0], (X * 2).T)
    np.testing.assert_array_equal(out[1], np.ones(3))
    assert ft.vmap(lambda x: (x, 5.0), out_axes=(0, None))(X)[1] == 5.0


def test_in_axes_as_pytrees():
    params = {"w": np.ones((4, 2)), "b": np.zeros(2)}
    X = np.arange(8.0).reshape(4, 2)
    out = ft.vmap(lambda p, x: p["w"] * x + p["b"], in_axes=({"w": 0, "b": None}, 0))(params, X)
    np.testing.assert_array_equal(out, X)


def test_nested_vmap_is_an_outer_product():
    a, b = np.arange(3.0), np.arange(4.0)
    out = ft.vmap(ft.vmap(lambda x, y: x * y, in_axes=(None, 0)), in_axes=(0, None))(a, b)
    np.testing.assert_array_equal(out, np.outer(a, b))


def test_vmap_of_a_closure_over_outer_tracers():
    def f(scale):
        return fnp.sum(ft.vmap(lambda x: fnp.sin(scale * x))(np.arange(3.0)))

    np.testing.assert_allclose(
        ft.grad(f)(0.5), np.sum(np.arange(3.0) * np.cos(0.5 * np.arange(3.0)))
    )


def test_per_example_gradients_equal_a_loop_of_grad():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((3, 2))
    X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))

    def loss(W, x, y):
        return fnp.sum((fnp.tanh(x @ W) - y) ** 2)

    batched = ft.vmap(ft.grad(loss), in_axes=(None, 0, 0))(W, X, Y)
    looped = np.stack([ft.grad(loss)(W, x, y) for x, y in zip(X, Y)])
    np.testing.assert_allclose(batched, looped, rtol=1e-13)


def test_grad_of_vmap():
    X = np.array([[0.1, 0.2], [0.3, 0.4]])
    g = ft.grad(lambda X: fnp.sum(ft.vmap(lambda x: fnp.sum(x) ** 2)(X)))(X)
    np.testing.assert_allclose(g, 2 * X.sum(1, keepdims=True) * np.ones_like(X))


def test_batched_index_arrays():
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([3, 0, 2])
    np.testing.assert_array_equal(ft.vmap(lambda row, i: row[i])(x, idx), x[np.arange(3), idx])
    g = ft.grad(lambda x: fnp.sum(ft.vmap(lambda row, i: row[i] ** 2)(x, idx)))(x)
    expected = np.zeros_like(x)
    expected[np.arange(3), idx] = 2 * x[np.arange(3), idx]
    np.testing.assert_array_equal(g, expected)


# ---- errors ----


def test_in_axes_structure_mismatch_raises():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "vmap: in_axes has 1 entries, but the function was called with 2 positional argument(s)"
        ),
    ):
        ft.vmap(lambda x, y: x + y, in_axes=(0,))(np.ones(2), np.ones(2))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "vmap: in_axes must be an int, None, or a pytree prefix of the inputs' structure, but got in_axes="
        ),
    ):
        ft.vmap(lambda p: p["a"], in_axes=({"b": 0},))({"a": np.ones(2)})


def test_inconsistent_batch_sizes_raise():
    msg = "vmap got inconsistent sizes for the mapped axis: input 0 of shape (2,) has size 2, input 1 of shape (3,) has size 3."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.vmap(lambda x, y: x + y)(np.ones(2), np.ones(3))


def test_out_of_range_axis_raises():
    msg = "vmap: in_axes=2 is out of range for input 0, which has shape (2, 3) (2 dimension(s)); valid axes are -2 to 1, or None to leave it unmapped."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.vmap(lambda x: x, in_axes=2)(np.ones((2, 3)))


def test_bad_in_axes_type_raises():
    with pytest.raises(
        TypeError,
        match=re.escape("vmap: in_axes entries must be ints or None, but got 'x' in in_axes='x'."),
    ):
        ft.vmap(lambda x: x, in_axes="x")


def test_control_flow_on_a_batched_value_raises():
    msg = "bool() was applied to a value batched by vmap (bool[] per example), but a batch holds a different value for each example."
    with pytest.raises(ft.ConcretizationError, match=re.escape(msg)):
        ft.vmap(lambda x: x if x > 0 else -x)(np.ones(3))
    assert ft.vmap(lambda x: fnp.where(x > 0, x, -x))(np.array([-1.0, 2.0])).tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("f", "args", "kwargs", "in_axes", "source"),
    [
        (lambda x, y: x if y > 0 else -x, (np.ones(3), np.ones(3)), {}, 0, "argument 1"),
        (
            lambda x, y: x if x + y > 0 else -x,
            (np.ones(3),) * 2,
            {},
            0,
            "argument 0 and argument 1",
        ),
        (lambda x, y: x if x * y > 0 else -x, (np.ones(3), 1.0), {}, (0, None), "argument 0"),
        (
            lambda p: p["w"] if p["b"][1] > 0 else -p["w"],
            ({"w": np.ones(3), "b": [1.0, np.ones(3)]},),
            {},
            ({"w": 0, "b": [None, 0]},),
            "argument 0['b'][1]",
        ),
        (lambda x, y=None: x if y < 0 else -x, (np.ones(3),), {"y": np.ones(3)}, 0, "argument 'y'"),
    ],
    ids=["second", "both", "unmapped-not-named", "pytree-leaf", "keyword"],
)
def test_control_flow_on_a_batched_value_names_its_arguments(f, args, kwargs, in_axes, source):
    with pytest.raises(ft.ConcretizationError) as error:
        ft.vmap(f, in_axes=in_axes)(*args, **kwargs)
    assert str(error.value).endswith(f"in_axes=None. The value depends on {source}.")


def test_control_flow_in_a_nested_vmap_names_the_argument_of_the_vmap_batching_it():
    def outer(scale, x):
        return ft.vmap(lambda y: y if x > 0 else -y)(scale * np.ones(2))

    with pytest.raises(ft.ConcretizationError, match=re.escape("depends on argument 1.")):
        ft.vmap(outer)(np.ones(3), np.ones(3))

    def inner_branches(x):  # on the inner vmap's argument 1 (the outer has only one)
        inner = ft.vmap(lambda z, y: x if y > 0 else z, in_axes=(None, 0))
        return inner(1.0, x * np.ones(2))

    with pytest.raises(ft.ConcretizationError, match=re.escape("depends on argument 1.")):
        ft.vmap(inner_branches)(np.ones(3))


def test_batched_values_made_only_from_constants_are_the_same_for_every_example():
    # an array made inside the function is unbatched until a batched value reaches it
    def f(x):
        c = fnp.zeros(2)
        c[0] = 1.0
        assert bool(c[0] > 0)  # concrete: the same for every example
        c[1] = x
        return c

    np.testing.assert_array_equal(ft.vmap(f)(np.array([2.0, 3.0])), [[1.0, 2.0], [1.0, 3.0]])


def test_a_transform_batching_internally_names_itself_in_errors():
    from fntrans.vectorize import vmap_named

    with pytest.raises(ft.ConcretizationError) as error:
        vmap_named(lambda t: t if t > 0 else -t, 0, 0, "jacfwd")(np.ones(3))
    message = str(error.value)
    assert message.startswith("bool() was applied to a tangent that jacfwd batches (bool[] per")
    assert "vmap" not in message and "argument" not in message
    with pytest.raises(ValueError, match=re.escape("jacrev: out_axes=2 is out of range")):
        vmap_named(lambda t: t, 0, 2, "jacrev")(np.ones(3))


def test_mapped_output_with_out_axes_none_raises():
    with pytest.raises(
        ValueError,
        match=re.escape("vmap: out_axes is None for an output that varies across the batch"),
    ):
        ft.vmap(lambda x: x, out_axes=None)(np.ones(3))


@pytest.mark.parametrize(
    "index",
    [
        lambda i: i,
        lambda i: (slice(None), i),
        lambda i: (1, i, slice(None)),
        lambda i: (i, slice(None), i),
        lambda i: (Ellipsis, i),
        lambda i: (None, slice(None), i),
    ],
    ids=["first", "after-slice", "int-array-slice", "split-apart", "ellipsis", "newaxis"],
)
def test_index_arrays_that_differ_per_example_are_one_batched_gather(index):
    x = np.arange(4 * 5 * 6, dtype=float).reshape(4, 5, 6)
    idx = np.array([[0, 1], [2, 3], [3, 0], [1, 1]])

    def get(x, i):
        return fnp.copy(x)[index(i)]

    # one gather for the whole batch, no loop over the examples
    ir = ft.make_jaxpr(ft.vmap(get, in_axes=(None, 0)))(x, idx)
    assert [eqn.prim.name for eqn in ir.eqns].count("getitem") == 1

    np.testing.assert_array_equal(
        ft.vmap(get, in_axes=(None, 0))(x, idx), np.stack([x[index(i)] for i in idx])
    )
    g = ft.grad(lambda x: fnp.sum(ft.vmap(get, in_axes=(None, 0))(x, idx) ** 2))(x)
    np.testing.assert_allclose(
        g, sum(ft.grad(lambda x, i=i: fnp.sum(get(x, i) ** 2))(x) for i in idx)
    )

    def put(x, i):
        y = fnp.copy(x)
        y[index(i)] = -1.0
        return y

    expected = np.stack([put(x, i) for i in idx])
    np.testing.assert_array_equal(ft.vmap(put, in_axes=(None, 0))(x, idx), expected)
