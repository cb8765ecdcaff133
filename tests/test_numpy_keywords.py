"""NumPy's keywords and edge inputs that fntrans.numpy accepts as NumPy does,
on plain arrays and under transforms."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp

X = np.array([[0.2, 0.7, -0.4], [1.5, -0.3, 0.9]])
MASK = np.array([True, False, True])

CASES = {
    "sum-initial": lambda np_, x: np_.sum(x, axis=1, initial=2.0),
    "sum-where": lambda np_, x: np_.sum(x, axis=1, where=MASK),
    "sum-out-none": lambda np_, x: np_.sum(x, axis=0, out=None),
    "prod-initial-where": lambda np_, x: np_.prod(x, axis=1, initial=3.0, where=MASK),
    "max-initial-where": lambda np_, x: np_.max(x, axis=1, initial=-1.0, where=MASK),
    "min-initial": lambda np_, x: np_.min(x, axis=0, initial=0.0),
    "mean-where": lambda np_, x: np_.mean(x, axis=1, where=MASK),
    "clip-min-max": lambda np_, x: np_.clip(x, min=-0.25, max=0.5),
    "sum-of-0d-over-axis-0": lambda np_, x: np_.sum(np.array(2.0), axis=0) * x,
    "index-true": lambda np_, x: x[True] * 2.0,
}


@pytest.mark.parametrize("f", CASES.values(), ids=CASES.keys())
def test_numpy_keywords_give_numpys_values_and_derivatives(f):
    expected = f(np, X)
    np.testing.assert_allclose(f(fnp, X), expected)
    # numpy's own function on a tracer dispatches to fntrans, keywords included
    out, tangent = ft.jvp(lambda x: f(np, x), (X,), (np.ones_like(X),))
    np.testing.assert_allclose(out, expected)
    ft.grad(lambda x: fnp.sum(f(np, x)))(X)  # differentiable


def test_result_type_of_a_tracer_and_a_dtype():
    assert ft.grad(lambda x: x * (fnp.result_type(x, np.float32) == np.float64))(1.0) == 1.0
    assert ft.grad(lambda x: x * (np.result_type(x, np.float32) == np.float64))(1.0) == 1.0


def test_out_array_is_a_clear_error():
    msg = "fntrans.numpy does not write results into out= arrays (reduce_sum)"
    with pytest.raises(TypeError, match=re.escape(msg)):
        fnp.sum(X, out=np.zeros(3))


def test_where_without_initial_for_max_is_a_clear_error():
    with pytest.raises(ValueError, match=re.escape("reduce_max with where= needs initial=")):
        fnp.max(X, where=MASK)
