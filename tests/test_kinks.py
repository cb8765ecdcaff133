"""Derivatives where the op table's draws never go: ties of max and min, and
powers at zero. Each value is JAX's (the documented convention), checked in
forward and reverse mode, on NumPy and on the fake second backend."""

from __future__ import annotations

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from tests.fake_backend import fake


@pytest.fixture(params=["numpy", "fake"])
def as_backend(request):
    """Converts test values to the backend under test."""
    if request.param == "numpy":
        return lambda x: np.asarray(x, dtype=float)
    request.getfixturevalue("fake_backend")
    return fake


def forward_and_reverse(f, x):
    """The derivative of a scalar function at ``x`` by jvp and by grad."""
    forward = ft.jvp(f, (x,), (np.ones_like(x),))[1]
    reverse = ft.grad(lambda x: fnp.sum(f(x)))(x)
    return forward, reverse


@pytest.mark.parametrize("op", [fnp.maximum, fnp.minimum], ids=["maximum", "minimum"])
def test_binary_extremum_splits_a_tie_evenly(op, as_backend):
    x, y = as_backend([2.0, 1.0]), as_backend([2.0, 3.0])
    gx, gy = ft.grad(lambda x, y: fnp.sum(op(x, y)), argnums=(0, 1))(x, y)
    first_wins = op is fnp.minimum  # 1 < 3: the minimum takes x, the maximum y
    np.testing.assert_allclose(np.asarray(gx), [0.5, 1.0 if first_wins else 0.0])
    np.testing.assert_allclose(np.asarray(gy), [0.5, 0.0 if first_wins else 1.0])
    tangent = ft.jvp(lambda x: op(x, y), (x,), (as_backend([1.0, 1.0]),))[1]
    np.testing.assert_allclose(np.asarray(tangent), [0.5, 1.0 if first_wins else 0.0])


@pytest.mark.parametrize("op", [fnp.max, fnp.min], ids=["max", "min"])
def test_reduction_extremum_splits_among_ties(op, as_backend):
    x = as_backend([3.0, 1.0, 3.0, 1.0])
    g = ft.grad(op)(x)
    expected = [0.5, 0.0, 0.5, 0.0] if op is fnp.max else [0.0, 0.5, 0.0, 0.5]
    np.testing.assert_allclose(np.asarray(g), expected)
    tangent = ft.jvp(op, (x,), (as_backend([1.0, 2.0, 3.0, 4.0]),))[1]
    np.testing.assert_allclose(np.asarray(tangent), 2.0 if op is fnp.max else 3.0)


# d/dx x**p at x = 0: p * 0**(p - 1), with 0**0 = 1 and x**0 flat everywhere
POWER_AT_ZERO = {0: 0.0, 1: 1.0, 2: 0.0, 0.5: np.inf}


@pytest.mark.parametrize("p", POWER_AT_ZERO, ids=lambda p: f"p={p}")
def test_power_at_zero_with_a_python_exponent(p, as_backend):
    x = as_backend([0.0, 1.0])
    forward, reverse = forward_and_reverse(lambda x: x**p, x)
    expected = [POWER_AT_ZERO[p], p]
    np.testing.assert_allclose(np.asarray(forward), expected)
    np.testing.assert_allclose(np.asarray(reverse), expected)


@pytest.mark.parametrize("p", POWER_AT_ZERO, ids=lambda p: f"p={p}")
def test_power_at_zero_with_an_array_exponent(p, as_backend):
    x, exponent = as_backend([0.0, 1.0]), as_backend([p, p])
    forward, reverse = forward_and_reverse(lambda x: fnp.power(x, exponent), x)
    expected = [POWER_AT_ZERO[p], p]
    np.testing.assert_allclose(np.asarray(forward), expected)
    np.testing.assert_allclose(np.asarray(reverse), expected)


@pytest.mark.parametrize("p", [1.0, 2.0, 0.5], ids=lambda p: f"p={p}")
def test_derivative_in_the_exponent_at_zero_base_is_zero(p, as_backend):
    # d/dp 0**p = log(0) 0**p, taken as 0: 0**p is flat in p for p > 0
    base = as_backend([0.0, 2.0])
    forward, reverse = forward_and_reverse(lambda p: fnp.power(base, p), as_backend([p, p]))
    expected = [0.0, np.log(2.0) * 2.0**p]
    np.testing.assert_allclose(np.asarray(forward), expected)
    np.testing.assert_allclose(np.asarray(reverse), expected)


def test_second_derivatives_of_powers_at_zero(as_backend):
    x = as_backend([0.0])
    second = {p: ft.grad(ft.grad(lambda x, p=p: fnp.sum(x**p)))(x) for p in (0, 1, 2, 3)}
    np.testing.assert_allclose(
        [float(np.asarray(second[p])[0]) for p in (0, 1, 2, 3)], [0, 0, 2, 0]
    )
