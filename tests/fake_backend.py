"""A fake second backend — NumPy under another array type — that exercises
backend dispatch and device-mixing without a GPU."""

from __future__ import annotations

import numpy as np
import pytest

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


def fake(x):
    return np.asarray(x, dtype=float).view(FakeArray)


@pytest.fixture
def fake_backend(monkeypatch):
    """Registers FakeArray as a backend for one test."""
    monkeypatch.setattr(backend, "_MODULE_OF_TYPE", dict(backend._MODULE_OF_TYPE))
    monkeypatch.setattr(backend, "_FOREIGN", dict(backend._FOREIGN))
    backend.register_backend(FakeArray, FakeModule())
