"""Backend dispatch: the array module comes from the inputs (on a fake second
backend, tests/fake_backend.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans import backend
from tests.fake_backend import FakeArray, fake


def test_arrays_of_the_second_backend_stay_there(fake_backend):
    x = fake([0.5, 1.0])
    g = ft.grad(lambda x: fnp.sum(fnp.sin(x) * x))(x)
    assert type(g) is FakeArray
    np.testing.assert_allclose(np.asarray(g), np.cos([0.5, 1.0]) * [0.5, 1.0] + np.sin([0.5, 1.0]))
    out, tangent = ft.jvp(fnp.exp, (x,), (fake([1.0, 1.0]),))
    assert type(out) is FakeArray and type(tangent) is FakeArray


def test_python_scalars_mix_with_either_backend(fake_backend):
    assert type(fnp.multiply(fake([1.0]), 2.0)) is FakeArray
    assert type(fnp.multiply(np.ones(1), 2.0)) is np.ndarray


def test_unused_input_gets_zeros_on_its_backend(fake_backend):
    g = ft.grad(lambda x, y: fnp.sum(x), argnums=1)(np.ones(2), fake([1.0, 2.0]))
    assert type(g) is FakeArray


def test_mixing_backends_is_a_clear_error(fake_backend):
    msg = (
        "Arrays from two backends were mixed in one operation: "
        f"{FakeArray.__module__}.FakeArray and numpy.ndarray."
    )
    with pytest.raises(TypeError, match=re.escape(msg)):
        fnp.add(fake([1.0]), np.ones(1))
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(lambda x: fnp.sum(x * np.ones(2)))(fake([1.0, 2.0]))
    assert ft.grad(lambda x: x * 2.0)(1.0) == 2.0


def test_numpy_only_needs_no_registration():
    assert backend.array_module((np.ones(1), 2.0)) is np


def test_assignment_of_a_python_scalar_stays_on_the_backend(fake_backend):
    def f(x):
        return fnp.sum(fnp.at(x)[0].set(2.0) * x)

    g = ft.grad(f)(fake([1.0, 3.0]))
    assert type(g) is FakeArray
    np.testing.assert_allclose(np.asarray(g), [2.0, 6.0])


def test_prod_gradient_stays_on_the_backend(fake_backend):
    g = ft.grad(lambda x: fnp.prod(x))(fake([2.0, 3.0, 0.0]))
    assert type(g) is FakeArray
    np.testing.assert_allclose(np.asarray(g), [0.0, 0.0, 6.0])
