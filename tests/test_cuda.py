"""The same transforms on CuPy arrays (CUDA). Skipped, with the reason, where
CuPy or a GPU is missing; tests/test_backend.py covers the dispatch on CI."""

from __future__ import annotations

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp


def _cupy_or_skip_reason():
    try:
        import cupy
    except ImportError:
        return None, "CuPy is not installed (install fntrans[cuda12] or fntrans[cuda13])"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None, "CuPy is installed but no CUDA GPU is visible"
    except Exception as e:  # no driver, no device
        return None, f"CuPy is installed but CUDA is unavailable: {e}"
    return cupy, None


cupy, REASON = _cupy_or_skip_reason()
pytestmark = pytest.mark.skipif(cupy is None, reason=REASON or "")


def loss(w, x):
    return fnp.sum(fnp.tanh(x @ w) ** 2)


def test_grad_runs_on_the_gpu_and_matches_numpy():
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    g = ft.grad(loss)(cupy.asarray(w), cupy.asarray(x))
    assert isinstance(g, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(g), ft.grad(loss)(w, x), rtol=1e-10)


def test_vmap_jacobians_and_assignment_on_the_gpu():
    x = cupy.asarray(np.linspace(0.1, 1.0, 4))
    J = ft.jacrev(lambda x: fnp.sin(x) * x[0])(x)
    assert isinstance(J, cupy.ndarray) and J.shape == (4, 4)
    per_example = ft.vmap(ft.grad(lambda v: fnp.sum(v**2)))(cupy.ones((3, 2)))
    assert isinstance(per_example, cupy.ndarray)

    def f(x):
        out = x * 1.0
        out[0] = 2.0 * x[1]
        return fnp.sum(out)

    assert isinstance(ft.grad(f)(x), cupy.ndarray)


def test_mixing_numpy_and_cupy_is_a_clear_error():
    with pytest.raises(TypeError, match="Arrays from two backends were mixed"):
        fnp.add(cupy.ones(2), np.ones(2))
