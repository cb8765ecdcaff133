"""Backend dispatch: the array module comes from the inputs.

A fake second backend — NumPy under another array type — exercises the
dispatch and the device-mixing check without a GPU.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans import backend


class FakeArray(np.ndarray):
    """An array of a second, pretend backend."""


class FakeModule:
    """NumPy's functions, returning FakeArray."""

    def __getattr__(self, name):
        func = getattr(np, name)
        if not callable(func):
            return func

        def wrapped(*args, **kwargs):
            out = func(*(np.asarray(a) if isinstance(a, FakeArray) else a for a in args), **kwargs)
            return (
                np.asarray(out).view(FakeArray)
                if isinstance(out, (np.ndarray, np.generic))
                else out
            )

        return wrapped


@pytest.fixture
def fake_backend(monkeypatch):
    monkeypatch.setattr(backend, "_MODULE_OF_TYPE", dict(backend._MODULE_OF_TYPE))
    monkeypatch.setattr(backend, "_FOREIGN", dict(backend._FOREIGN))
    backend.register_backend(FakeArray, FakeModule())


def fake(x):
    return np.asarray(x, dtype=float).view(FakeArray)


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
