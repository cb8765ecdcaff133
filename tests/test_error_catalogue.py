"""SPEC.md's "Errors that users get", every variant of every row: type and exact message.

After each error the interpreter stack is empty and the next call works (SPEC:
"Bad input never corrupts state"). Where the wording is not fixed, a test
checks the parts of the message that SPEC fixes (what happened, with the
user's values, and what to do).

Row -> tests (this module unless a file is named; "prefix" marks a test that
checks only the start of the message, which this module completes):

| row | tests |
| --- | --- |
| grad of a non-scalar output | test_errors.py::test_grad_of_non_scalar_output_raises; test_value_and_grad_of_non_scalar_output_raises, test_grad_of_matrix_output_names_its_shape, test_grad_with_has_aux_of_non_scalar_output_raises |
| integer or boolean input | test_errors.py::test_grad_of_integer_input_raises (prefix), ::test_integer_input_to_jvp_and_vjp_raises (prefix), test_jacobians.py::test_jacobian_of_integer_input_raises (prefix); test_grad_of_python_int_input_raises, test_grad_of_boolean_array_input_raises, test_value_and_grad_of_integer_input_raises, test_jacfwd_of_integer_input_raises, test_jacrev_of_boolean_input_raises, test_elementwise_grad_of_integer_input_raises, test_integer_argument_among_argnums_raises, test_integer_argument_by_argname_raises, test_integer_input_raises_before_f_runs, test_integer_primal_to_a_transform_without_argnums_raises, test_hessian_of_integer_input_names_hessian, test_hvp_of_integer_input_names_hvp, test_integer_leaf_of_a_pytree_argument_is_named_by_its_path |
| no derivative rule | test_errors.py::test_numpy_function_without_rule_raises (prefix), ::test_ufunc_method_without_rule_raises (prefix), ::test_primitive_without_jvp_rule_raises_under_jvp (prefix), test_custom.py::test_extend_static_arguments_and_missing_rules (prefix); test_numpy_function_without_rule_raises_naming_it, test_numpy_ufunc_without_rule_raises_naming_it, test_ufunc_method_without_rule_raises_naming_it, test_extend_primitive_without_rules_raises_under_grad, test_extend_primitive_with_only_defvjp_raises_under_jvp, test_extend_argument_without_vjp_rule_raises, test_numpy_function_without_rule_under_vmap_suggests_what_works, test_numpy_function_without_rule_under_jvp_suggests_what_works |
| traced value reaching NumPy | test_errors.py::test_traced_value_reaching_numpy_raises (prefix), ::test_assigning_into_plain_ndarray_raises (prefix), ::test_assigning_a_single_traced_element_into_plain_ndarray_raises; test_np_asarray_of_traced_value_raises, test_float_of_traced_value_raises, test_int_of_traced_value_raises, test_complex_of_traced_value_raises, test_math_function_of_traced_value_raises, test_ufunc_out_argument_raises, test_ufunc_out_argument_holding_a_traced_value_raises, test_assigning_into_plain_ndarray_raises_naming_the_fix, test_np_sum_of_list_of_traced_values_raises (every transform), test_np_array_of_list_of_traced_values_raises, test_plain_ndarray_method_on_traced_value_raises, test_plain_ndarray_indexed_by_traced_index_raises, test_ufunc_at_on_plain_ndarray_raises, test_index_of_float_traced_value_raises, test_float_of_a_stopped_gradient_works_as_the_message_advises, test_traced_value_reaching_numpy_names_its_shape_and_dtype, test_assigning_one_traced_element_into_plain_ndarray_raises_type_error |
| control flow on an abstract value | test_errors.py::test_concretizing_an_abstract_value_raises (prefix), test_vmap.py::test_control_flow_on_a_batched_value_raises (prefix); test_if_under_make_jaxpr_raises, test_while_under_make_jaxpr_raises, test_conversion_under_make_jaxpr_raises, test_range_of_traced_int_under_make_jaxpr_raises, test_boolean_mask_under_make_jaxpr_raises, test_tolist_under_make_jaxpr_raises, test_if_under_vmap_raises, test_while_under_vmap_raises, test_conversion_under_vmap_raises, test_range_of_batched_int_under_vmap_raises, test_boolean_mask_under_vmap_raises, test_control_flow_under_make_jaxpr_suggests_an_option_it_has, test_item_under_make_jaxpr_is_a_concretization_error, test_control_flow_under_make_jaxpr_names_the_argument, test_control_flow_under_vmap_names_the_argument, test_item_under_vmap_is_a_concretization_error, test_control_flow_under_jit_raises |
| leaked tracer | test_errors.py::test_leaked_tracer_raises_naming_the_transform (prefix); test_leaked_tracer_raises_naming_its_transform, test_leaked_tracer_in_a_conversion_raises, test_leaked_tracer_in_a_later_transform_raises, test_leaked_tracer_of_a_jacobian_names_it |
| shapes of tangents/cotangents, argnums, in_axes | test_errors.py::test_cotangent_shape_mismatch_raises, ::test_tangent_shape_mismatch_raises, ::test_bad_argnums_raise, ::test_bad_argnames_raise, ::test_cotangent_structure_mismatch_raises (prefix), test_vmap.py::test_in_axes_structure_mismatch_raises (prefix), ::test_inconsistent_batch_sizes_raise, ::test_out_of_range_axis_raises, ::test_bad_in_axes_type_raises, ::test_mapped_output_with_out_axes_none_raises (prefix), test_jacobians.py::test_jacobian_of_integer_input_raises (argnums, prefix); test_cotangent_of_a_broadcastable_shape_raises, test_scalar_cotangent_for_a_vector_output_raises, test_cotangent_structure_mismatch_names_both_structures, test_complex_cotangent_for_a_real_output_raises, test_real_cotangent_for_a_complex_output_raises, test_cotangent_shape_mismatch_under_vmap_raises, test_tangent_structure_mismatch_raises, test_primals_and_tangents_not_tuples_raise, test_complex_tangent_for_a_real_primal_raises, test_linearize_tangent_shape_mismatch_raises, test_linearize_tangent_structure_mismatch_raises, test_linearize_complex_tangent_raises, test_negative_argnums_out_of_range_raises, test_argnums_tuple_with_an_entry_out_of_range_raises, test_argnums_out_of_range_names_each_transform, test_argnums_of_the_wrong_type_raises, test_empty_argnums_raises, test_in_axes_with_too_few_entries_raises, test_in_axes_with_too_many_entries_raises, test_in_axes_of_float_raises, test_in_axes_all_none_raises, test_in_axes_out_of_range_for_a_pytree_leaf_raises, test_hvp_tangent_shape_mismatch_names_hvp, test_hvp_with_primals_not_tuples_raises, test_argnums_true_is_a_type_error, test_grad_called_with_keyword_arguments_only_says_what_to_do, test_duplicate_argnums_do_not_give_a_wrong_gradient, test_in_axes_for_a_0d_input_says_what_to_do, test_out_axes_out_of_range_raises, test_tangent_shape_mismatch_in_a_pytree_names_the_leaf, test_in_axes_prefix_mismatch_shows_the_users_in_axes |
| custom rule of wrong structure, shape or dtype | test_custom.py::test_custom_vjp_bwd_must_return_a_tuple; test_custom_vjp_bwd_tuple_too_long_raises, test_custom_vjp_bwd_list_raises, test_custom_vjp_bwd_cotangent_of_wrong_structure_raises, test_custom_vjp_bwd_pytree_cotangent_missing_a_key_raises, test_custom_vjp_bwd_cotangent_of_wrong_shape_raises, test_custom_vjp_bwd_cotangent_of_wrong_shape_under_jacrev_raises, test_custom_vjp_bwd_complex_cotangent_for_real_input_raises, test_custom_jvp_rule_tangent_of_wrong_structure_raises, test_custom_jvp_rule_tangent_of_wrong_shape_raises, test_custom_jvp_rule_tangent_of_wrong_shape_raises_under_grad, test_custom_jvp_rule_complex_tangent_for_real_output_raises, test_extend_defvjp_cotangent_of_wrong_shape_raises, test_extend_defvjp_tuple_cotangent_raises, test_extend_defvjp_complex_cotangent_raises, test_extend_defjvp_tangent_of_wrong_shape_raises, test_extend_defjvp_complex_tangent_raises, test_custom_jvp_rule_not_returning_a_pair_raises, test_extend_defvjp_returning_none_says_so, test_extend_defjvp_returning_none_says_so, test_extend_defvjp_returning_a_list_is_read_as_an_array, test_custom_jvp_rule_primal_output_of_wrong_structure_raises, test_custom_jvp_rule_primal_output_of_wrong_shape_names_it, test_custom_vjp_fwd_primal_output_of_wrong_shape_raises, test_custom.py::test_custom_jvp_rule_primal_output_is_checked_against_the_function_in_every_mode, test_custom.py::test_custom_vjp_fwd_primal_output_is_checked_against_the_function_in_every_mode |
| SciPy function fntrans lacks (or has under fntrans.scipy) | test_scipy_special_ufunc_on_traced_value_names_scipy, test_scipy_function_on_traced_value_names_scipy, test_scipy_function_fntrans_has_names_its_version |
| bad input never corrupts state | test_errors.py::test_error_inside_the_function_leaves_no_state, ::test_user_arrays_are_never_mutated; test_failed_trace_never_mutates_the_users_array (every test here checks the stack and the next call) |
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.linalg
import scipy.special

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.core.interpreter import current_stack
from fntrans.extend import defjvp, defvjp, primitive

X = np.array([0.5, 1.0, 2.0])


def assert_clean():
    """Nothing left on the interpreter stack, and every kind of transform works."""
    assert current_stack() == []
    assert ft.grad(lambda x: x * x)(3.0) == 6.0
    assert ft.jvp(fnp.sin, (0.0,), (2.0,)) == (0.0, 2.0)
    np.testing.assert_array_equal(ft.vmap(lambda x: x * 2.0)(np.arange(2.0)), [0.0, 2.0])
    assert "mul x 2.0" in str(ft.make_jaxpr(lambda x: x * 2.0)(1.0))


def assert_mentions(error, *patterns):
    """Each regex in ``patterns`` occurs in the message of ``error``."""
    for pattern in patterns:
        assert re.search(pattern, str(error.value)), f"{pattern!r} not in {str(error.value)!r}"


def run_under(transform, f, x):
    if transform == "grad":
        return ft.grad(f)(x)
    if transform == "jvp":
        return ft.jvp(f, (x,), (x,))
    if transform == "vmap":
        return ft.vmap(f)(np.stack([x, x]))
    return ft.make_jaxpr(f)(x)


TRANSFORMS = ["grad", "jvp", "vmap", "make_jaxpr"]


# ---- grad of a non-scalar output ----


def non_scalar(transform, shape):
    return (
        f"{transform} requires f to return one real value, but it returned an array of shape "
        f"{shape}. For a non-scalar output use jacrev(f), vjp(f, x) or elementwise_grad(f)."
    )


def test_value_and_grad_of_non_scalar_output_raises():
    with pytest.raises(TypeError, match=re.escape(non_scalar("value_and_grad", "(3,)"))):
        ft.value_and_grad(fnp.sin)(X)
    assert_clean()


def test_grad_of_matrix_output_names_its_shape():
    with pytest.raises(TypeError, match=re.escape(non_scalar("grad", "(2, 2)"))):
        ft.grad(lambda x: x * 2.0)(np.ones((2, 2)))
    assert ft.grad(lambda x: fnp.sum(x).reshape(1, 1))(X).tolist() == [1.0] * 3  # (1, 1) is fine
    assert_clean()


def test_grad_with_has_aux_of_non_scalar_output_raises():
    with pytest.raises(TypeError, match=re.escape(non_scalar("grad", "(3,)"))):
        ft.grad(lambda x: (fnp.sin(x), "aux"), has_aux=True)(X)
    assert_clean()


# ---- differentiating w.r.t. an integer or boolean input ----


def non_differentiable(transform, argname, dtype):
    return (
        f"{transform} requires real or complex inputs to differentiate, but {argname} has dtype "
        f"{dtype}, which carries no derivative. Convert it with .astype(float) (or write 1.0 "
        f"instead of 1), or leave it out of argnums."
    )


def test_grad_of_python_int_input_raises():
    with pytest.raises(
        TypeError, match=re.escape(non_differentiable("grad", "argument 0", "int64"))
    ):
        ft.grad(lambda x: x * 2.0)(1)
    assert ft.grad(lambda x: x * 2.0)(1.0) == 2.0  # the advice works
    assert_clean()


def test_grad_of_boolean_array_input_raises():
    with pytest.raises(
        TypeError, match=re.escape(non_differentiable("grad", "argument 0", "bool"))
    ):
        ft.grad(lambda x: fnp.sum(x * 1.0))(np.array([True, False]))
    assert_clean()


def test_value_and_grad_of_integer_input_raises():
    msg = non_differentiable("value_and_grad", "argument 0", "int64")
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.value_and_grad(lambda x: fnp.sum(x * 1.0))(np.arange(3))
    assert_clean()


def test_jacfwd_of_integer_input_raises():
    with pytest.raises(
        TypeError, match=re.escape(non_differentiable("jacfwd", "argument 0", "int64"))
    ):
        ft.jacfwd(lambda x: x * 2.0)(np.arange(3))
    np.testing.assert_array_equal(
        ft.jacfwd(lambda x: x * 2.0)(np.arange(3).astype(float)), 2 * np.eye(3)
    )
    assert_clean()


def test_jacrev_of_boolean_input_raises():
    with pytest.raises(
        TypeError, match=re.escape(non_differentiable("jacrev", "argument 0", "bool"))
    ):
        ft.jacrev(lambda x: x * 2.0)(np.array([True, False]))
    assert_clean()


def test_elementwise_grad_of_integer_input_raises():
    msg = non_differentiable("elementwise_grad", "argument 0", "int64")
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.elementwise_grad(fnp.tanh)(np.arange(3))
    assert_clean()


def test_integer_argument_among_argnums_raises():
    with pytest.raises(
        TypeError, match=re.escape(non_differentiable("grad", "argument 1", "int64"))
    ):
        ft.grad(lambda x, n: x * n, argnums=(0, 1))(1.0, 3)
    assert ft.grad(lambda x, n: x * n)(1.0, 3) == 3.0  # left out of argnums, it passes through
    assert_clean()


def test_integer_argument_by_argname_raises():
    with pytest.raises(
        TypeError, match=re.escape(non_differentiable("grad", "argument 'n'", "int64"))
    ):
        ft.grad(lambda x, n: x * n, argnames="n")(1.0, 3)
    assert_clean()


def test_integer_input_raises_before_f_runs():
    calls = []

    def f(x):
        calls.append(x)
        return x * 2.0

    with pytest.raises(
        TypeError, match=re.escape(non_differentiable("grad", "argument 0", "int64"))
    ):
        ft.grad(f)(np.int64(2))
    assert calls == []
    assert_clean()


@pytest.mark.parametrize(
    "call",
    [
        lambda f: ft.jvp(f, (np.arange(3),), (np.ones(3),)),
        lambda f: ft.vjp(f, np.arange(3)),
        lambda f: ft.linearize(f, np.arange(3)),
    ],
    ids=["jvp", "vjp", "linearize"],
)
def test_integer_primal_to_a_transform_without_argnums_raises(call):
    with pytest.raises(TypeError) as error:
        call(lambda x: x * 2.0)
    assert_mentions(error, re.escape("primal 0 has dtype int64"), re.escape(".astype(float)"))
    assert "argnums" not in str(error.value)
    assert_clean()


def test_integer_leaf_of_a_pytree_argument_is_named_by_its_path():
    with pytest.raises(TypeError) as error:
        ft.grad(lambda p: p["w"] * 2.0)({"w": 1.0, "n_layers": 3})
    assert_mentions(error, re.escape("argument 0['n_layers'] has dtype int64"))
    assert_clean()


def test_hessian_of_integer_input_names_hessian():
    with pytest.raises(TypeError) as error:
        ft.hessian(lambda x: fnp.sum(x**2.0))(np.arange(3))
    assert_mentions(error, "^hessian requires real or complex inputs", "int64")
    assert_clean()


def test_hvp_of_integer_input_names_hvp():
    with pytest.raises(TypeError) as error:
        ft.hvp(lambda x: fnp.sum(x**2.0), (np.arange(3),), (np.ones(3),))
    assert_mentions(error, "^hvp requires real or complex inputs", "int64")
    assert_clean()


# ---- a function with no derivative rule ----


def no_numpy_rule(name):
    return (
        f"fntrans has no derivative rule for numpy.{name}. Write it with fntrans.numpy functions "
        f"that have rules, or make it a primitive that runs on plain arrays with "
        f"fntrans.extend.primitive and give its derivatives with fntrans.extend.defvjp "
        f"(reverse mode) and defjvp (forward mode); it then works under vmap too. Code written "
        f"with fntrans.numpy can take a rule of its own with ft.custom_vjp or ft.custom_jvp."
    )


def test_numpy_function_without_rule_raises_naming_it():
    msg = no_numpy_rule("lib.stride_tricks.sliding_window_view")
    with pytest.raises(NotImplementedError, match=re.escape(msg)):
        ft.grad(lambda x: np.lib.stride_tricks.sliding_window_view(x, 2).sum())(X)
    assert_clean()


def test_numpy_ufunc_without_rule_raises_naming_it():
    with pytest.raises(NotImplementedError, match=re.escape(no_numpy_rule("spacing"))):
        ft.grad(lambda x: np.spacing(x).sum())(X)
    assert_clean()


def test_ufunc_method_without_rule_raises_naming_it():
    with pytest.raises(NotImplementedError, match=re.escape(no_numpy_rule("add.reduceat"))):
        ft.grad(lambda x: np.add.reduceat(x, [0, 1])[-1])(X)
    assert_clean()


def test_extend_primitive_without_rules_raises_under_grad():
    @primitive
    def wiggle(x):
        return np.sin(x)

    msg = "fntrans has no forward-mode (JVP) rule for 'wiggle'. Give it one with fntrans.extend.defjvp(wiggle, ...)."
    with pytest.raises(NotImplementedError, match=re.escape(msg)):
        ft.grad(lambda x: fnp.sum(wiggle(x)))(X)
    defjvp(wiggle, lambda g, ans, x: g * fnp.cos(x))  # the advice works
    np.testing.assert_allclose(ft.grad(lambda x: fnp.sum(wiggle(x)))(X), np.cos(X))
    assert_clean()


def test_extend_primitive_with_only_defvjp_works_under_jvp():
    @primitive
    def wiggle(x):
        return np.sin(x)

    defvjp(wiggle, lambda ans, x: lambda g: g * fnp.cos(x))
    # no error: forward mode transposes the VJP rule (reverse-over-reverse)
    np.testing.assert_allclose(ft.jvp(wiggle, (X,), (X,))[1], np.cos(X) * X)
    np.testing.assert_allclose(ft.hessian(lambda x: fnp.sum(wiggle(x)))(X), np.diag(-np.sin(X)))
    assert_clean()


def test_extend_argument_without_vjp_rule_raises():
    @primitive
    def scaled_sin(x, y):
        return np.sin(x) * y

    defvjp(scaled_sin, lambda ans, x, y: lambda g: g * fnp.cos(x) * y, None)
    msg = "fntrans has no reverse-mode (VJP) rule for 'scaled_sin (argument 1)'. Give it one with fntrans.extend.defvjp(scaled_sin, ...)."
    with pytest.raises(NotImplementedError, match=re.escape(msg)):
        ft.grad(lambda x, y: fnp.sum(scaled_sin(x, y)), argnums=1)(X, X)
    assert_clean()


def test_numpy_function_without_rule_under_vmap_suggests_what_works():
    with pytest.raises(NotImplementedError) as error:
        ft.vmap(lambda x: np.spacing(x))(np.ones((2, 3)))
    assert_mentions(error, re.escape("numpy.spacing"), re.escape("fntrans.extend.primitive"))
    assert_clean()


def test_numpy_function_without_rule_under_jvp_suggests_what_works():
    with pytest.raises(NotImplementedError) as error:
        ft.jvp(lambda x: np.spacing(x), (X,), (X,))
    assert_mentions(error, re.escape("numpy.spacing"), "custom_jvp|defjvp")
    assert_clean()


# ---- a traced value reaching NumPy where it cannot dispatch ----


def to_numpy(what):
    return (
        f"A traced value reached NumPy through {what}, where fntrans cannot follow it. This "
        f"happens when assigning into an array made with plain numpy (create it with fnp.zeros "
        f"inside the function, or use fnp.at(x)[i].set(v)), when calling np.sum or np.array on "
        f"a Python list of traced values (use fnp.sum or fnp.stack), or when calling a method of "
        f"a plain ndarray such as W.dot(t) (use fnp.dot(W, t) or W @ t), or when indexing a "
        f"plain ndarray with a traced index (use fnp.take(x, i, axis=0))."
    )


ARRAY = "__array__ (conversion to a NumPy array)"


def drops_derivative(conversion):
    return (
        f"{conversion}() was called on a value that carries a derivative, which would drop it. "
        f"Keep it an array (e.g. x.sum() or x[0]), or use ft.stop_gradient(x) if the derivative "
        f"is not wanted."
    )


def test_np_asarray_of_traced_value_raises():
    with pytest.raises(TypeError, match=re.escape(to_numpy(ARRAY))):
        ft.grad(lambda x: np.asarray(x).sum())(X)
    assert_clean()


def test_float_of_traced_value_raises():
    with pytest.raises(TypeError, match=re.escape(drops_derivative("float"))):
        ft.grad(lambda x: float(x[0]) * x[1])(X)
    assert_clean()


def test_float_of_a_stopped_gradient_works_as_the_message_advises():
    assert ft.grad(lambda x: float(ft.stop_gradient(x[0])) * x[1])(X).tolist() == [0.0, 0.5, 0.0]
    assert_clean()


def test_int_of_traced_value_raises():
    with pytest.raises(TypeError, match=re.escape(drops_derivative("int"))):
        ft.grad(lambda x: int(x[0]) * x[1])(X)
    assert ft.grad(lambda x: int(fnp.argmax(x)) * x[1])(X).tolist() == [0.0, 2.0, 0.0]
    assert_clean()


def test_complex_of_traced_value_raises():
    with pytest.raises(TypeError, match=re.escape(drops_derivative("complex"))):
        ft.grad(lambda x: abs(complex(x[0])) * x[1])(X)
    assert_clean()


def test_math_function_of_traced_value_raises():
    with pytest.raises(TypeError, match=re.escape(drops_derivative("float"))):
        ft.grad(lambda x: math.sin(x[0]) * x[1])(X)
    assert_clean()


def test_index_of_float_traced_value_raises():
    with pytest.raises(TypeError) as error:
        ft.grad(lambda x: [1.0, 2.0][x[0]] * x[1])(np.zeros(2))
    assert_mentions(error, "__index__", "float64|f64")
    assert_clean()


def test_ufunc_out_argument_raises():
    with pytest.raises(TypeError, match=re.escape(to_numpy("the out= argument of numpy.sin"))):
        ft.grad(lambda x: np.sin(x, out=np.zeros(3)).sum())(X)
    assert_clean()


def test_ufunc_out_argument_holding_a_traced_value_raises():
    with pytest.raises(TypeError, match=re.escape(to_numpy("the out= argument of numpy.sin"))):
        ft.grad(lambda x: np.sin(np.ones(3), out=x).sum())(X)
    assert_clean()


def test_assigning_into_plain_ndarray_raises_naming_the_fix():
    def f(x):
        out = np.zeros(3)
        out[:] = x
        return out.sum()

    def fixed(x):
        out = fnp.zeros(3)
        out[:] = x
        return out.sum()

    with pytest.raises(TypeError, match=re.escape(to_numpy(ARRAY))):
        ft.grad(f)(X)
    assert ft.grad(fixed)(X).tolist() == [1.0] * 3
    assert_clean()


def test_assigning_one_traced_element_into_plain_ndarray_raises_type_error():
    def f(x):
        out = np.zeros(3)
        out[0] = x[0]
        return out.sum()

    with pytest.raises(TypeError) as error:
        ft.grad(f)(X)
    assert_mentions(error, "fnp.zeros", re.escape("fnp.at(x)[i].set(v)"))
    assert_clean()


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_np_sum_of_list_of_traced_values_raises(transform):
    with pytest.raises(TypeError, match=re.escape(to_numpy(ARRAY))):
        run_under(transform, lambda x: np.sum([x[0], x[1]]), X)
    assert ft.grad(lambda x: fnp.sum([x[0], x[1]]))(X).tolist() == [1.0, 1.0, 0.0]
    assert_clean()


def test_np_array_of_list_of_traced_values_raises():
    with pytest.raises(TypeError, match=re.escape(to_numpy(ARRAY))):
        ft.grad(lambda x: np.array([x]).sum())(X)
    assert ft.grad(lambda x: fnp.stack([x]).sum())(X).tolist() == [1.0] * 3
    assert_clean()


def test_plain_ndarray_method_on_traced_value_raises():
    W = np.ones((2, 3))
    with pytest.raises(TypeError, match=re.escape(to_numpy(ARRAY))):
        ft.grad(lambda x: W.dot(x).sum())(X)
    assert ft.grad(lambda x: fnp.dot(W, x).sum())(X).tolist() == [2.0] * 3
    assert_clean()


def test_plain_ndarray_indexed_by_traced_index_raises():
    table = np.array([10.0, 20.0, 30.0])
    with pytest.raises(TypeError, match=re.escape(to_numpy(ARRAY))):
        ft.vmap(lambda i: table[i])(np.array([2, 0]))
    assert ft.vmap(lambda i: fnp.take(table, i, axis=0))(np.array([2, 0])).tolist() == [30.0, 10.0]
    assert_clean()


def test_ufunc_at_on_plain_ndarray_raises():
    def f(x):
        out = np.zeros(3)
        np.add.at(out, [0], x[0])
        return x.sum()

    with pytest.raises(TypeError, match=re.escape(to_numpy("numpy.add.at on a plain ndarray"))):
        ft.grad(f)(X)
    assert_clean()


def test_traced_value_reaching_numpy_names_its_shape_and_dtype():
    with pytest.raises(TypeError) as error:
        ft.grad(lambda x: np.array([x]).sum())(np.ones(2))
    assert_mentions(error, r"f64\[2\]|float64.*\(2,\)|\(2,\).*float64")
    assert_clean()


# ---- Python control flow on an abstract value ----


def abstract(operation, aval, source="argument 0"):
    return (
        f"{operation} needs a concrete value, but got an abstract traced value {aval}, "
        f"which depends on {source}."
    )


def batched(operation, aval):
    return (
        f"{operation} was applied to a value batched by vmap ({aval} per example), but a batch "
        f"holds a different value for each example. Use fnp.where (or fnp.maximum, fnp.clip, "
        f"...) for value-dependent choices inside vmap, or pass the argument with in_axes=None."
    )


def absolute(x):
    return x if x > 0 else -x


def doubling_until_ten(x):
    while x < 10.0:
        x = x * 2.0
    return x


def doubled_argmax_times(x):
    for _ in range(fnp.argmax(x)):
        x = x * 2.0
    return x


def test_if_under_make_jaxpr_raises():
    with pytest.raises(ft.ConcretizationError, match=re.escape(abstract("bool()", "bool[]"))):
        ft.make_jaxpr(absolute)(1.0)
    assert "abs" in str(ft.make_jaxpr(fnp.abs)(1.0))
    assert_clean()


def test_while_under_make_jaxpr_raises():
    with pytest.raises(ft.ConcretizationError, match=re.escape(abstract("bool()", "bool[]"))):
        ft.make_jaxpr(doubling_until_ten)(1.0)
    assert_clean()


@pytest.mark.parametrize("conversion", [float, int, complex])
def test_conversion_under_make_jaxpr_raises(conversion):
    msg = abstract(f"{conversion.__name__}()", "f64[]")
    with pytest.raises(ft.ConcretizationError, match=re.escape(msg)):
        ft.make_jaxpr(lambda x: conversion(x) * x)(1.0)
    assert_clean()


def test_range_of_traced_int_under_make_jaxpr_raises():
    with pytest.raises(ft.ConcretizationError, match=re.escape(abstract("__index__", "i64[]"))):
        ft.make_jaxpr(doubled_argmax_times)(X)
    assert_clean()


def test_boolean_mask_under_make_jaxpr_raises():
    msg = abstract("indexing with a boolean mask", "bool[3]")
    with pytest.raises(ft.ConcretizationError, match=re.escape(msg)):
        ft.make_jaxpr(lambda x: x[x > 1.0])(X)
    assert_clean()


def test_tolist_under_make_jaxpr_raises():
    with pytest.raises(ft.ConcretizationError, match=re.escape(abstract("tolist()", "f64[3]"))):
        ft.make_jaxpr(lambda x: x.tolist())(X)
    assert_clean()


def test_if_under_vmap_raises():
    with pytest.raises(ft.ConcretizationError, match=re.escape(batched("bool()", "bool[]"))):
        ft.vmap(absolute)(X)
    assert (
        ft.vmap(lambda x, y: x if y > 0 else -x, in_axes=(0, None))(X, 1.0).tolist() == X.tolist()
    )
    assert_clean()


def test_while_under_vmap_raises():
    with pytest.raises(ft.ConcretizationError, match=re.escape(batched("bool()", "bool[]"))):
        ft.vmap(doubling_until_ten)(X)
    assert_clean()


@pytest.mark.parametrize("conversion", [float, int, complex])
def test_conversion_under_vmap_raises(conversion):
    msg = batched(f"{conversion.__name__}()", "f64[]")
    with pytest.raises(ft.ConcretizationError, match=re.escape(msg)):
        ft.vmap(lambda x: conversion(x) * x)(X)
    assert_clean()


def test_range_of_batched_int_under_vmap_raises():
    with pytest.raises(ft.ConcretizationError, match=re.escape(batched("__index__", "i64[]"))):
        ft.vmap(doubled_argmax_times)(np.ones((2, 3)))
    assert_clean()


def test_boolean_mask_under_vmap_raises():
    msg = batched("indexing with a boolean mask", "bool[3]")
    with pytest.raises(ft.ConcretizationError, match=re.escape(msg)):
        ft.vmap(lambda x: x[x > 1.0])(np.ones((2, 3)))
    assert_clean()


def test_control_flow_under_make_jaxpr_names_the_argument():
    with pytest.raises(ft.ConcretizationError) as error:
        ft.make_jaxpr(lambda x, y: x if y > 0 else -x)(1.0, 2.0)
    assert_mentions(error, re.escape("bool()"), "argument (1|'y')")
    assert_clean()


def test_control_flow_under_vmap_names_the_argument():
    with pytest.raises(ft.ConcretizationError) as error:
        ft.vmap(lambda x, y: x if y > 0 else -x)(X, X)
    assert_mentions(error, re.escape("bool()"), "argument (1|'y')")
    assert_clean()


def test_control_flow_under_make_jaxpr_suggests_an_option_it_has():
    def repeat(x, n):
        for _ in range(n):
            x = x * 2.0
        return x

    with pytest.raises(ft.ConcretizationError) as error:
        ft.make_jaxpr(repeat)(1.0, 3)
    if "static_argnums" in str(error.value):
        ft.make_jaxpr(repeat, static_argnums=(1,))(1.0, 3)  # the advice works
    assert_clean()


def test_item_under_make_jaxpr_is_a_concretization_error():
    with pytest.raises(ft.ConcretizationError) as error:
        ft.make_jaxpr(lambda x: x.item())(1.0)
    assert_mentions(error, re.escape("item()"))
    assert_clean()


def test_item_under_vmap_is_a_concretization_error():
    with pytest.raises(ft.ConcretizationError) as error:
        ft.vmap(lambda x: x.item())(X)
    assert_mentions(error, re.escape("item()"), "vmap")
    assert_clean()


def test_control_flow_under_jit_raises():
    with pytest.raises(ft.ConcretizationError) as error:
        ft.jit(lambda x, y: x if y > 0 else -x)(1.0, 2.0)
    assert_mentions(error, re.escape("bool()"), "argument (1|'y')", "static_argnums")
    assert_clean()


# ---- a tracer used after its transform returned ----


def leaked(transform):
    # the message names the line of this file that applied the transform
    applied = rf" \(applied at {re.escape(__file__)}:\d+ in [^)]+\)"
    rest = (
        f" was used after {transform} returned (a leaked tracer), for example through a "
        f"global variable or a list kept outside the function. Return the value from the "
        f"function instead."
    )
    return re.escape(f"A value traced by {transform}") + applied + re.escape(rest)


LEAKS = {
    "grad": lambda f: ft.grad(f)(X),
    "value_and_grad": lambda f: ft.value_and_grad(f)(X),
    "vjp": lambda f: ft.vjp(f, X),
    "jvp": lambda f: ft.jvp(f, (X,), (X,)),
    "linearize": lambda f: ft.linearize(f, X),
    "vmap": lambda f: ft.vmap(f)(np.ones((2, 3))),
    "make_jaxpr": lambda f: ft.make_jaxpr(f)(X),
    "checkpoint": lambda f: ft.grad(ft.checkpoint(f))(X),
    "jacfwd": lambda f: ft.jacfwd(f)(X),
    "jacrev": lambda f: ft.jacrev(f)(X),
}


def leak_from(transform):
    kept = []

    def f(x):
        kept.append(x)
        return fnp.sum(x * 2.0)

    LEAKS[transform](f)
    return kept[0]


@pytest.mark.parametrize("transform", [t for t in LEAKS if not t.startswith("jac")])
def test_leaked_tracer_raises_naming_its_transform(transform):
    tracer = leak_from(transform)
    with pytest.raises(ft.UnexpectedTracerError, match=leaked(transform)):
        fnp.sin(tracer)
    assert_clean()


def test_leaked_tracer_in_a_conversion_raises():
    tracer = leak_from("vjp")
    with pytest.raises(ft.UnexpectedTracerError, match=leaked("vjp")):
        float(tracer[0])
    assert_clean()


def test_leaked_tracer_in_a_later_transform_raises():
    tracer = leak_from("jvp")
    with pytest.raises(ft.UnexpectedTracerError, match=leaked("jvp")):
        ft.grad(lambda x: fnp.sum(x * tracer))(X)
    assert_clean()


@pytest.mark.parametrize("transform", ["jacfwd", "jacrev"])
def test_leaked_tracer_of_a_jacobian_names_it(transform):
    tracer = leak_from(transform)
    with pytest.raises(ft.UnexpectedTracerError, match=leaked(transform)):
        fnp.sin(tracer)
    assert_clean()


# ---- shapes of tangents and cotangents, argnums, in_axes ----


def dtype_mismatch(what, expected, given):
    return (
        f"{what}: expected dtype {expected}, but got dtype {given}. A tangent or cotangent has "
        f"the dtype of its primal (a complex one for a real primal would lose its imaginary "
        f"part: take fnp.real of it if that is what you mean)."
    )


def shape_mismatch(what, expected, given):
    return f"{what}: expected shape {expected}, but got shape {given}."


def test_cotangent_of_a_broadcastable_shape_raises():
    _, vjp_fn = ft.vjp(fnp.sin, X)
    with pytest.raises(
        ValueError, match=re.escape(shape_mismatch("vjp_fn: the cotangent", "(3,)", "(1,)"))
    ):
        vjp_fn(np.ones(1))
    np.testing.assert_allclose(vjp_fn(np.ones(3))[0], np.cos(X))  # vjp_fn still works
    assert_clean()


def test_scalar_cotangent_for_a_vector_output_raises():
    _, vjp_fn = ft.vjp(fnp.sin, X)
    with pytest.raises(
        ValueError, match=re.escape(shape_mismatch("vjp_fn: the cotangent", "(3,)", "()"))
    ):
        vjp_fn(1.0)
    assert_clean()


def test_cotangent_structure_mismatch_names_both_structures():
    _, vjp_fn = ft.vjp(lambda x: {"a": x, "b": x}, 1.0)
    msg = "vjp_fn: the cotangent: expected the structure PyTreeSpec({'a': *, 'b': *}), but got PyTreeSpec({'a': *})."
    with pytest.raises(TypeError, match=re.escape(msg)):
        vjp_fn({"a": 1.0})
    assert_clean()


def test_complex_cotangent_for_a_real_output_raises():
    _, vjp_fn = ft.vjp(fnp.sin, X)
    msg = dtype_mismatch("vjp_fn: the cotangent", "float64", "complex128")
    with pytest.raises(TypeError, match=re.escape(msg)):
        vjp_fn(np.ones(3) * (1 + 1j))
    assert_clean()


def test_real_cotangent_for_a_complex_output_raises():
    _, vjp_fn = ft.vjp(lambda z: z * 2.0, X * 1j)
    msg = dtype_mismatch("vjp_fn: the cotangent", "complex128", "float64")
    with pytest.raises(TypeError, match=re.escape(msg)):
        vjp_fn(np.ones(3))
    assert_clean()


def test_cotangent_shape_mismatch_under_vmap_raises():
    _, vjp_fn = ft.vjp(fnp.sin, X)
    with pytest.raises(
        ValueError, match=re.escape(shape_mismatch("vjp_fn: the cotangent", "(3,)", "(2,)"))
    ):
        ft.vmap(vjp_fn)(np.ones((4, 2)))
    assert_clean()


def test_tangent_structure_mismatch_raises():
    msg = "jvp: the tangents: expected the structure PyTreeSpec((*, *)), but got PyTreeSpec((*,))."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.jvp(lambda x, y: x * y, (X, X), (X,))
    assert_clean()


def test_primals_and_tangents_not_tuples_raise():
    msg = "jvp takes primals and tangents as tuples, e.g. jvp(f, (x,), (v,)); got ndarray and ndarray."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.jvp(fnp.sin, X, X)
    assert_clean()


def test_complex_tangent_for_a_real_primal_raises():
    msg = dtype_mismatch("jvp: tangent 0", "float64", "complex128")
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.jvp(fnp.sin, (X,), (X * 1j,))
    assert_clean()


def test_linearize_tangent_shape_mismatch_raises():
    _, jvp_fn = ft.linearize(fnp.sin, X)
    with pytest.raises(
        ValueError, match=re.escape(shape_mismatch("linearize: tangent 0", "(3,)", "(2,)"))
    ):
        jvp_fn(np.ones(2))
    assert_clean()


def test_linearize_tangent_structure_mismatch_raises():
    _, jvp_fn = ft.linearize(fnp.sin, X)
    msg = "linearize: the tangents: expected the structure PyTreeSpec((*,)), but got PyTreeSpec((*, *))."
    with pytest.raises(TypeError, match=re.escape(msg)):
        jvp_fn(X, X)
    assert_clean()


def test_linearize_complex_tangent_raises():
    _, jvp_fn = ft.linearize(fnp.sin, X)
    with pytest.raises(
        TypeError, match=re.escape(dtype_mismatch("linearize: tangent 0", "float64", "complex128"))
    ):
        jvp_fn(X * 1j)
    assert_clean()


def test_hvp_tangent_shape_mismatch_names_hvp():
    with pytest.raises(
        ValueError, match=re.escape(shape_mismatch("hvp: tangent 0", "(3,)", "(2,)"))
    ):
        ft.hvp(lambda x: fnp.sum(fnp.sin(x)), (X,), (np.ones(2),))
    assert_clean()


def test_hvp_with_primals_not_tuples_raises():
    with pytest.raises(TypeError, match=re.escape("hvp takes primals and tangents as tuples")):
        ft.hvp(lambda x: fnp.sum(fnp.sin(x)), X, X)
    assert_clean()


def test_tangent_shape_mismatch_in_a_pytree_names_the_leaf():
    primals = ({"a": X, "w": X},)
    with pytest.raises(ValueError) as error:
        ft.jvp(lambda p: p["a"] * p["w"], primals, ({"a": X, "w": np.ones(2)},))
    assert_mentions(error, re.escape("['w']"), re.escape("expected shape (3,), but got shape (2,)"))
    assert_clean()


def out_of_range(transform, argnums):
    return (
        f"{transform}: argnums={argnums} is out of range for a call with 2 positional "
        f"argument(s); valid values are -2 to 1."
    )


def f2(x, y):
    return fnp.sum(x * y)


def test_negative_argnums_out_of_range_raises():
    with pytest.raises(ValueError, match=re.escape(out_of_range("grad", -3))):
        ft.grad(f2, argnums=-3)(1.0, 2.0)
    assert ft.grad(f2, argnums=-1)(1.0, 2.0) == 1.0
    assert_clean()


def test_argnums_tuple_with_an_entry_out_of_range_raises():
    with pytest.raises(ValueError, match=re.escape(out_of_range("grad", 2))):
        ft.grad(f2, argnums=(0, 2))(1.0, 2.0)
    assert_clean()


@pytest.mark.parametrize("transform", ["value_and_grad", "jacfwd", "jacrev", "elementwise_grad"])
def test_argnums_out_of_range_names_each_transform(transform):
    with pytest.raises(ValueError, match=re.escape(out_of_range(transform, 2))):
        getattr(ft, transform)(f2, argnums=2)(1.0, 2.0)
    assert_clean()


@pytest.mark.parametrize("argnums", [0.0, None, "a"])
def test_argnums_of_the_wrong_type_raises(argnums):
    msg = f"jacrev: argnums must be an int or a tuple of ints, but got {argnums!r}."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.jacrev(f2, argnums=argnums)
    assert_clean()


def test_empty_argnums_raises():
    with pytest.raises(
        TypeError, match=re.escape("grad: argnums must be an int or a tuple of ints, but got ().")
    ):
        ft.grad(f2, argnums=())
    assert_clean()


def test_argnums_true_is_a_type_error():
    with pytest.raises(
        TypeError, match=re.escape("grad: argnums must be an int or a tuple of ints, but got True.")
    ):
        ft.grad(f2, argnums=True)
    assert_clean()


def test_grad_called_with_keyword_arguments_only_says_what_to_do():
    with pytest.raises((TypeError, ValueError)) as error:
        ft.grad(lambda x: x * x)(x=1.0)
    assert_mentions(error, "argnames")
    assert "0 to -1" not in str(error.value)
    assert_clean()


def test_duplicate_argnums_do_not_give_a_wrong_gradient():
    try:
        gradients = ft.grad(f2, argnums=(0, 0))(1.0, 2.0)
    except (TypeError, ValueError) as error:
        assert "argnums" in str(error)
    else:
        assert gradients == (2.0, 2.0)
    assert_clean()


def test_in_axes_with_too_few_entries_raises():
    msg = "vmap: in_axes has 1 entries, but the function was called with 2 positional argument(s); give one entry per argument (or one int for all)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.vmap(lambda x, y: x + y, in_axes=(0,))(X, X)
    assert_clean()


def test_in_axes_with_too_many_entries_raises():
    msg = "vmap: in_axes has 3 entries, but the function was called with 2 positional argument(s); give one entry per argument (or one int for all)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.vmap(lambda x, y: x + y, in_axes=(0, 0, 0))(X, X)
    assert_clean()


def test_in_axes_of_float_raises():
    msg = "vmap: in_axes entries must be ints or None, but got 0.0 in in_axes=0.0."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.vmap(lambda x: x, in_axes=0.0)
    assert_clean()


def test_in_axes_all_none_raises():
    msg = "vmap needs at least one input with a mapped axis (not all in_axes None)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.vmap(lambda x: x, in_axes=None)(X)
    assert_clean()


def test_in_axes_out_of_range_for_a_pytree_leaf_raises():
    msg = "vmap: in_axes=1 is out of range for input 1, which has shape (3,) (1 dimension(s)); valid axes are -1 to 0, or None to leave it unmapped."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.vmap(lambda p: p["a"] + p["b"], in_axes=({"a": 0, "b": 1},))(
            {"a": np.ones(3), "b": np.ones(3)}
        )
    assert_clean()


def test_in_axes_for_a_0d_input_says_what_to_do():
    with pytest.raises(ValueError) as error:
        ft.vmap(lambda x: x * 2.0)(1.0)
    assert_mentions(error, re.escape("shape ()"), "None")
    assert "0 to -1" not in str(error.value)
    assert_clean()


def test_in_axes_prefix_mismatch_shows_the_users_in_axes():
    with pytest.raises(ValueError) as error:
        ft.vmap(lambda p: p["a"], in_axes=({"b": 0},))({"a": X})
    assert_mentions(error, re.escape("in_axes=({'b': 0},)"))
    assert_clean()


def test_out_axes_out_of_range_raises():
    with pytest.raises(ValueError, match=re.escape("out_axes=3")):
        ft.vmap(lambda x: x, out_axes=3)(np.ones((2, 3)))
    assert_clean()


# ---- custom rules returning the wrong structure, shape or dtype ----


def sin_with_bwd(bwd):
    @ft.custom_vjp
    def f(x):
        return fnp.sin(x)

    f.defvjp(lambda x: (fnp.sin(x), fnp.cos(x)), bwd)
    return f


def sin_with_jvp_rule(rule):
    @ft.custom_jvp
    def f(x):
        return fnp.sin(x)

    f.defjvp(rule)
    return f


def summed(f):
    return lambda x: fnp.sum(f(x))


def test_custom_vjp_bwd_tuple_too_long_raises():
    msg = "The bwd rule of f must return a tuple with one cotangent per differentiated argument (1), but it returned tuple of length 2."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(summed(sin_with_bwd(lambda cos_x, ct: (cos_x * ct, cos_x))))(X)
    assert_clean()


def test_custom_vjp_bwd_list_raises():
    msg = "The bwd rule of f must return a tuple with one cotangent per differentiated argument (1), but it returned list."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(summed(sin_with_bwd(lambda cos_x, ct: [cos_x * ct])))(X)
    assert_clean()


def test_custom_vjp_bwd_cotangent_of_wrong_structure_raises():
    msg = "custom_vjp bwd of f: the cotangent of argument 0: expected the structure PyTreeSpec(*), but got PyTreeSpec({'a': *})."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(summed(sin_with_bwd(lambda cos_x, ct: ({"a": cos_x * ct},))))(X)
    assert_clean()


def test_custom_vjp_bwd_pytree_cotangent_missing_a_key_raises():
    @ft.custom_vjp
    def product(p):
        return p["a"] * p["b"]

    product.defvjp(lambda p: (product(p), p), lambda p, ct: ({"a": ct * p["b"]},))
    msg = "custom_vjp bwd of product: the cotangent of argument 0: expected the structure PyTreeSpec({'a': *, 'b': *}), but got PyTreeSpec({'a': *})."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(lambda p: fnp.sum(product(p)))({"a": X, "b": X})
    assert_clean()


def test_custom_vjp_bwd_cotangent_of_wrong_shape_raises():
    msg = shape_mismatch("custom_vjp bwd of f: the cotangent of argument 0", "(3,)", "(1,)")
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.grad(summed(sin_with_bwd(lambda cos_x, ct: (fnp.sum(cos_x * ct, keepdims=True),))))(X)
    assert_clean()


def test_custom_vjp_bwd_cotangent_of_wrong_shape_under_jacrev_raises():
    msg = shape_mismatch("custom_vjp bwd of f: the cotangent of argument 0", "(3,)", "()")
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.jacrev(sin_with_bwd(lambda cos_x, ct: (fnp.sum(cos_x * ct),)))(X)
    assert_clean()


def test_custom_vjp_bwd_complex_cotangent_for_real_input_raises():
    msg = dtype_mismatch(
        "custom_vjp bwd of f: the cotangent of argument 0", "float64", "complex128"
    )
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(summed(sin_with_bwd(lambda cos_x, ct: (cos_x * ct * 1j,))))(X)
    assert_clean()


def test_custom_jvp_rule_tangent_of_wrong_structure_raises():
    f = sin_with_jvp_rule(lambda primals, tangents: (fnp.sin(primals[0]), (tangents[0],)))
    msg = "custom_jvp rule of f: the output tangent: expected the structure PyTreeSpec(*), but got PyTreeSpec((*,))."
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.jvp(f, (X,), (X,))
    assert_clean()


def test_custom_jvp_rule_tangent_of_wrong_shape_raises():
    f = sin_with_jvp_rule(lambda primals, tangents: (fnp.sin(primals[0]), fnp.sum(tangents[0])))
    msg = shape_mismatch("custom_jvp rule of f: the output tangent", "(3,)", "()")
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.jvp(f, (X,), (X,))
    assert_clean()


def test_custom_jvp_rule_tangent_of_wrong_shape_raises_under_grad():
    f = sin_with_jvp_rule(lambda primals, tangents: (fnp.sin(primals[0]), fnp.sum(tangents[0])))
    msg = shape_mismatch("custom_jvp rule of f: the output tangent", "(3,)", "()")
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.grad(summed(f))(X)
    assert_clean()


def test_custom_jvp_rule_complex_tangent_for_real_output_raises():
    f = sin_with_jvp_rule(lambda primals, tangents: (fnp.sin(primals[0]), tangents[0] * 1j))
    msg = dtype_mismatch("custom_jvp rule of f: the output tangent", "float64", "complex128")
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.jvp(f, (X,), (X,))
    assert_clean()


def test_custom_jvp_rule_not_returning_a_pair_raises():
    f = sin_with_jvp_rule(lambda primals, tangents: fnp.sin(primals[0]))
    with pytest.raises((TypeError, ValueError)) as error:
        ft.jvp(f, (X,), (X,))
    assert_mentions(error, "custom_jvp rule of f", "pair|tuple")
    assert_clean()


def test_custom_jvp_rule_primal_output_of_wrong_structure_raises():
    f = sin_with_jvp_rule(lambda primals, tangents: ((fnp.sin(primals[0]),), (tangents[0],)))
    with pytest.raises(TypeError) as error:
        ft.jvp(f, (X,), (X,))
    assert_mentions(error, "custom_jvp rule of f", "structure")
    assert_clean()


def test_custom_jvp_rule_primal_output_of_wrong_shape_names_it():
    f = sin_with_jvp_rule(lambda primals, tangents: (fnp.sum(fnp.sin(primals[0])), tangents[0]))
    with pytest.raises(ValueError) as error:
        ft.jvp(f, (X,), (X,))
    assert_mentions(
        error, "custom_jvp rule of f", re.escape("expected shape (3,), but got shape ()")
    )
    assert_clean()


def sin_primitive():
    @primitive
    def g(x):
        return np.sin(x)

    return g


def test_extend_defvjp_cotangent_of_wrong_shape_raises():
    g = sin_primitive()
    defvjp(g, lambda ans, x: lambda ct: fnp.sum(ct))
    msg = shape_mismatch("the defvjp rule of g (argument 0)", "(3,)", "()")
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.grad(summed(g))(X)
    assert_clean()


def test_extend_defvjp_tuple_cotangent_raises():
    g = sin_primitive()
    defvjp(g, lambda ans, x: lambda ct: (ct, ct))
    msg = shape_mismatch("the defvjp rule of g (argument 0)", "(3,)", "(2, 3)")
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.grad(summed(g))(X)
    assert_clean()


def test_extend_defvjp_complex_cotangent_raises():
    g = sin_primitive()
    defvjp(g, lambda ans, x: lambda ct: ct * 1j)
    msg = dtype_mismatch("the defvjp rule of g (argument 0)", "float64", "complex128")
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(summed(g))(X)
    assert_clean()


def test_extend_defjvp_tangent_of_wrong_shape_raises():
    g = sin_primitive()
    defjvp(g, lambda t, ans, x: fnp.sum(t))
    msg = shape_mismatch("the defjvp rule of g (argument 0)", "(3,)", "()")
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.jvp(g, (X,), (X,))
    assert_clean()


def test_extend_defjvp_complex_tangent_raises():
    g = sin_primitive()
    defjvp(g, lambda t, ans, x: t * 1j)
    msg = dtype_mismatch("the defjvp rule of g (argument 0)", "float64", "complex128")
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.jvp(g, (X,), (X,))
    assert_clean()


def test_extend_defvjp_returning_none_says_so():
    g = sin_primitive()
    defvjp(g, lambda ans, x: lambda ct: None)
    with pytest.raises((TypeError, ValueError)) as error:
        ft.grad(summed(g))(X)
    assert_mentions(error, re.escape("the defvjp rule of g (argument 0)"), "None")
    assert_clean()


def test_extend_defjvp_returning_none_says_so():
    g = sin_primitive()
    defjvp(g, lambda t, ans, x: None)
    with pytest.raises((TypeError, ValueError)) as error:
        ft.jvp(g, (X,), (X,))
    assert_mentions(error, re.escape("the defjvp rule of g (argument 0)"), "None")
    assert_clean()


def test_extend_defvjp_returning_a_list_is_read_as_an_array():
    g = sin_primitive()
    defvjp(g, lambda ans, x: lambda ct: [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(ft.grad(summed(g))(X), [1.0, 1.0, 1.0])
    defvjp(g, lambda ans, x: lambda ct: [1.0, 1.0])
    with pytest.raises(ValueError) as error:
        ft.grad(summed(g))(X)
    assert_mentions(error, re.escape("the defvjp rule of g (argument 0)"))
    assert_clean()


# ---- a SciPy function on a traced value ----


def test_scipy_special_ufunc_on_traced_value_names_scipy():
    with pytest.raises(NotImplementedError) as error:
        ft.grad(lambda x: fnp.sum(scipy.special.struve(1.0, x)))(X)
    assert_mentions(
        error,
        re.escape("scipy.special.struve"),
        re.escape("fntrans.scipy"),
        re.escape("fntrans.extend.primitive"),
    )
    assert_clean()


def test_scipy_function_on_traced_value_names_scipy():
    with pytest.raises(NotImplementedError) as error:
        ft.grad(lambda x: fnp.sum(scipy.linalg.logm(fnp.diag(x))))(X + 1.0)
    assert_mentions(
        error,
        re.escape("scipy.linalg.logm"),
        re.escape("fntrans.scipy"),
        re.escape("fntrans.extend.primitive"),
    )
    assert_clean()


# ---- bad input never corrupts state ----


def test_failed_trace_never_mutates_the_users_array():
    def writes_then_fails(x):
        x[0] = 5.0
        x += 1.0
        return float(x[1])

    x, batch = X.copy(), np.ones((2, 3))
    with pytest.raises(TypeError, match=re.escape(drops_derivative("float"))):
        ft.grad(writes_then_fails)(x)
    with pytest.raises(ft.ConcretizationError, match=re.escape(batched("float()", "f64[]"))):
        ft.vmap(writes_then_fails)(batch)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(batch, np.ones((2, 3)))
    assert_clean()


def test_scipy_function_fntrans_has_names_its_version():
    with pytest.raises(NotImplementedError) as error:
        ft.grad(lambda x: scipy.special.logsumexp(x))(X)
    assert_mentions(error, re.escape("call fntrans.scipy.special.logsumexp instead"))
    assert_clean()


def test_custom_vjp_fwd_primal_output_of_wrong_shape_raises():
    @ft.custom_vjp
    def f(x):
        return fnp.sin(x)

    f.defvjp(lambda x: (fnp.sum(fnp.sin(x)), fnp.cos(x)), lambda cos_x, ct: (cos_x * ct,))
    for transform in (lambda: ft.vjp(f, X), lambda: ft.grad(summed(f))(X)):
        with pytest.raises(ValueError) as error:
            transform()
        assert_mentions(
            error, "custom_vjp fwd of f", re.escape("expected shape (3,), but got shape ()")
        )
    assert_clean()
