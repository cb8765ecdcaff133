"""fntrans.scipy.signal against SciPy: values in every mode (operands swapped,
complex), derivatives to second order, and batching."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.signal

import fntrans as ft
from fntrans.scipy import signal
from fntrans.test_util import check_grads

RNG = np.random.default_rng(1)
SHAPES = [((5,), (3,)), ((3,), (5,)), ((4, 3), (2, 2)), ((2, 2), (4, 3)), ((4, 5), (2, 6))]
MODES = ["full", "same", "valid"]
NAMES = ["convolve", "correlate", "fftconvolve", "oaconvolve", "convolve2d", "correlate2d"]


def _operands(shapes, complex_=True):
    out = [RNG.normal(size=s) for s in shapes]
    if complex_:
        out = [x + 1j * RNG.normal(size=x.shape) for x in out]
    return out


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", NAMES)
def test_values_match_scipy(name, mode, shapes):
    if name.endswith("2d") and len(shapes[0]) != 2:
        return
    a, b = _operands(shapes)
    try:
        want = getattr(scipy.signal, name)(a, b, mode)
    except ValueError:  # 'valid' with neither operand the larger: both refuse
        with pytest.raises(ValueError, match="at least as large"):
            getattr(signal, name)(a, b, mode)
        return
    np.testing.assert_allclose(getattr(signal, name)(a, b, mode), want, atol=1e-12)
    traced = ft.jvp(lambda x, y: getattr(signal, name)(x, y, mode), (a, b), (a, b))[0]
    np.testing.assert_allclose(traced, want, atol=1e-12)


@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
@pytest.mark.parametrize("mode", MODES)
def test_derivatives_to_second_order(mode, method):
    a, b = _operands(((4, 3), (2, 2)), complex_=False)
    check_grads(lambda x, y: signal.convolve(x, y, mode, method=method), (a, b), order=2)
    check_grads(lambda x, y: signal.correlate(y, x, mode, method=method), (a, b), order=2)


def test_complex_derivatives():
    a, b = _operands(((5,), (3,)))
    check_grads(lambda x, y: signal.correlate(x, y, "same"), (a, b), order=2)


@pytest.mark.parametrize("axes", [1, (1,), [0, 1], -2, None])
@pytest.mark.parametrize("mode", MODES)
def test_fftconvolve_axes_broadcast_the_other_axes(mode, axes):
    a = RNG.normal(size=(3, 5, 4))
    b = RNG.normal(size=(1, 2, 4))
    want = scipy.signal.fftconvolve(a, b, mode, axes=axes)
    np.testing.assert_allclose(signal.fftconvolve(a, b, mode, axes=axes), want, atol=1e-12)
    check_grads(lambda x, y: signal.fftconvolve(x, y, mode, axes=axes), (a, b), order=1)


@pytest.mark.parametrize("mode", MODES)
def test_vmap_equals_a_loop(mode):
    a, b = _operands(((4,), (3,)))
    xs, ys = np.stack([a, 2 * a, a - 1]), np.stack([b, 1j * b, b + 1])

    def f(x, y):
        return signal.convolve(x, y, mode)

    np.testing.assert_allclose(ft.vmap(f)(xs, ys), [f(x, y) for x, y in zip(xs, ys)])
    np.testing.assert_allclose(ft.vmap(f, (0, None))(xs, b), [f(x, b) for x in xs])
    np.testing.assert_allclose(ft.vmap(f, (None, 1))(a, ys.T), [f(a, y) for y in ys])
    nested = ft.vmap(ft.vmap(f, (None, 0)), (0, None))(xs, ys)
    np.testing.assert_allclose(nested, [[f(x, y) for y in ys] for x in xs])


def test_gradient_of_a_kernel_sums_the_samples_it_multiplies():
    # valid: y[i] = s[i + 1] k[0] + s[i] k[1], i = 0, 1, 2
    samples = np.array([1.0, 2.0, 3.0, 4.0])
    grad = ft.grad(lambda k: signal.convolve(samples, k, "valid").sum())(np.array([0.5, -1.0]))
    np.testing.assert_allclose(grad, [2.0 + 3.0 + 4.0, 1.0 + 2.0 + 3.0])


def test_zero_dimensional_operands_multiply():
    assert signal.convolve(np.array(2.0), np.array(3.0)) == 6.0


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="same dimensionality"):
        signal.convolve(np.ones(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match=re.escape("mode must be 'full', 'valid' or 'same'")):
        signal.convolve(np.ones(3), np.ones(2), mode="wrap")
    with pytest.raises(NotImplementedError, match="boundary='fill' with fillvalue=0 only"):
        signal.convolve2d(np.ones((2, 2)), np.ones((2, 2)), boundary="wrap")
