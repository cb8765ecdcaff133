"""fntrans.numpy.fft against NumPy: values and dtypes for every keyword
combination, NumPy's own np.fft on traced values, errors, shifts and
frequencies, and derivatives against the DFT matrix."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.test_util import check_grads

RNG = np.random.default_rng(0)
NORMS = [None, "backward", "ortho", "forward"]
ONE_AXIS = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
N_AXES = ["fftn", "ifftn", "rfftn", "irfftn", "fft2", "ifft2", "rfft2", "irfft2"]
REAL_INPUT = {"rfft", "ihfft", "rfftn", "rfft2"}


def _input(name, shape, dtype=np.float64):
    x = RNG.normal(size=shape)
    if name not in REAL_INPUT and np.dtype(dtype).kind == "c":
        x = x + 1j * RNG.normal(size=shape)
    return x.astype(dtype)


def _same(got, want, rtol=1e-12, atol=1e-12):
    assert type(got) is np.ndarray
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", ONE_AXIS)
def test_one_axis_matches_numpy_for_every_keyword(name):
    for shape, n, axis, norm, dtype in itertools.product(
        [(6,), (7,), (3, 4)], [None, 1, 3, 10], [-1, 0], NORMS, [np.float64, np.complex128]
    ):
        if name in REAL_INPUT and dtype is np.complex128:
            continue
        x = _input(name, shape, dtype)
        want = getattr(np.fft, name)(x, n=n, axis=axis, norm=norm)
        _same(getattr(fnp.fft, name)(x, n, axis, norm), want)


@pytest.mark.parametrize("name", N_AXES)
def test_n_axes_match_numpy_for_every_keyword(name):
    default_axes = (-2, -1) if name.endswith("2") else None
    for shape, s, axes, norm in itertools.product(
        [(4, 5), (3, 4, 6)],
        [None, (3, 7), (-1, 2), (1, 1)],
        [default_axes, (0, -1), (-1, 0), (1, 1), (0, 1, 0)],
        NORMS,
    ):
        if s is not None and len(s) != len(axes or shape):
            continue
        for dtype in (np.float64, np.complex128):
            if name in REAL_INPUT and dtype is np.complex128:
                continue
            x = _input(name, shape, dtype)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                want = getattr(np.fft, name)(x, s=s, axes=axes, norm=norm)
                got = getattr(fnp.fft, name)(x, s=s, axes=axes, norm=norm)
            _same(got, want)


@pytest.mark.parametrize("name", ONE_AXIS + N_AXES)
def test_dtypes_follow_numpy(name):
    shape = (4, 6)
    for dtype in (np.float32, np.complex64, np.int64, np.float16, np.bool_):
        if name in REAL_INPUT and np.dtype(dtype).kind == "c":
            continue
        x = _input(name, shape, np.complex64 if dtype is np.complex64 else np.float64)
        x = (x > 0) if dtype is np.bool_ else x.astype(dtype)
        want = getattr(np.fft, name)(x)
        got = getattr(fnp.fft, name)(x)
        if dtype is np.float16 and want.dtype == np.float16:
            # NumPy's inverse real transforms keep float16; fntrans computes in float32
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, want, rtol=1e-2, atol=1e-2)
            continue
        # NumPy scales float16 input by a float16 factor
        tol = {np.float16: 1e-3, np.float32: 1e-4, np.complex64: 1e-4}.get(dtype, 1e-12)
        _same(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ONE_AXIS + N_AXES)
def test_float32_derivatives_stay_float32(name):
    x = _input(name, (3, 4), np.float32)
    f = getattr(fnp.fft, name)

    def loss(x):
        y = f(x)
        return fnp.sum(fnp.real(y * fnp.conj(y)))

    g = ft.grad(loss)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, ft.grad(loss)(x.astype(np.float64)), rtol=1e-3, atol=1e-3)
    z = x.astype(np.complex64)
    if name not in REAL_INPUT:
        assert ft.grad(loss)(z).dtype == np.complex64
    out, tangent = ft.jvp(f, (x,), (np.ones_like(x),))
    assert out.dtype == tangent.dtype == f(x).dtype


@pytest.mark.parametrize("name", ONE_AXIS + N_AXES + ["fftshift", "ifftshift"])
def test_numpy_functions_dispatch_on_traced_values(name):
    x = _input(name, (3, 4))
    np_f, fnp_f = getattr(np.fft, name), getattr(fnp.fft, name)

    def loss(f):
        return lambda x: fnp.sum(fnp.abs(f(x)) ** 2)

    np.testing.assert_allclose(ft.grad(loss(np_f))(x), ft.grad(loss(fnp_f))(x))
    xs = _input(name, (2, 3, 4))
    out = ft.vmap(lambda v: fnp.real(np_f(v)))(xs)
    np.testing.assert_allclose(out, np.stack([np.real(np_f(v)) for v in xs]))


def test_parseval_gradient_and_complex_convention():
    x = RNG.normal(size=5)
    # sum |fft(x)|^2 = n sum x^2
    g = ft.grad(lambda x: fnp.sum(fnp.abs(np.fft.fft(x)) ** 2))(x)
    np.testing.assert_allclose(g, 2 * 5 * x)
    z = x + 1j * RNG.normal(size=5)
    # JAX's convention: grad of a real f(z) is df/dx - i df/dy
    g = ft.grad(lambda z: fnp.sum(fnp.abs(np.fft.ifft(z, norm="ortho")) ** 2))(z)
    np.testing.assert_allclose(g, 2 * np.conj(z))


@pytest.mark.parametrize("n", [5, 6])
def test_jacobians_are_the_dft_matrices(n):
    k = np.arange(n)
    dft = np.exp(-2j * np.pi * np.outer(k, k) / n)
    x = RNG.normal(size=n)
    np.testing.assert_allclose(ft.jacfwd(fnp.fft.fft)(x), dft, atol=1e-12)
    half = dft[: n // 2 + 1]
    np.testing.assert_allclose(ft.jacrev(lambda x: fnp.fft.rfft(x).real)(x), half.real, atol=1e-12)
    np.testing.assert_allclose(ft.jacrev(lambda x: fnp.fft.rfft(x).imag)(x), half.imag, atol=1e-12)
    z = x + 1j * RNG.normal(size=n)
    jac = ft.jacfwd(fnp.fft.ifft, holomorphic=True)(z)
    np.testing.assert_allclose(jac, np.conj(dft) / n, atol=1e-12)
    np.testing.assert_allclose(ft.jacrev(fnp.fft.fft, holomorphic=True)(z), dft, atol=1e-12)


@pytest.mark.parametrize("n", [6, 7])
def test_irfft_ignores_what_it_reads_as_real(n):
    # the zero frequency's (and for even n the Nyquist frequency's) imaginary
    # part does not reach the output: its derivative is zero
    z = RNG.normal(size=n // 2 + 1) + 1j * RNG.normal(size=n // 2 + 1)
    w = RNG.normal(size=n)
    g = ft.grad(lambda z: fnp.sum(w * fnp.fft.irfft(z, n)))(z)
    assert g[0].imag == 0
    assert (g[-1].imag == 0) == (n % 2 == 0)
    check_grads(lambda z: fnp.sin(fnp.fft.irfft(z, n, norm="ortho")), (z,), order=2)


def test_hessian_through_a_spectral_loss():
    x = RNG.normal(size=(2, 5))

    def loss(x):
        spectrum = fnp.fft.rfft2(x, s=(3, 6))
        return fnp.sum(fnp.abs(spectrum) ** 4) + fnp.sum(fnp.fft.irfft(spectrum, 6) ** 3)

    check_grads(loss, (x,), order=2)
    h = ft.hessian(loss)(x)
    assert h.shape == (2, 5, 2, 5)
    np.testing.assert_allclose(h.reshape(10, 10), h.reshape(10, 10).T, atol=1e-8)


def test_shifts_match_numpy_and_differentiate_as_rolls():
    x = np.arange(30.0).reshape(5, 6)
    for axes in (None, 0, 1, (0, 1), (1,), [-1, 0]):
        _same(fnp.fft.fftshift(x, axes=axes), np.fft.fftshift(x, axes=axes))
        _same(fnp.fft.ifftshift(x, axes=axes), np.fft.ifftshift(x, axes=axes))
    w = RNG.normal(size=(5, 6))
    g = ft.grad(lambda x: fnp.sum(w * fnp.fft.fftshift(x)))(x)
    np.testing.assert_allclose(g, np.fft.ifftshift(w))


def test_frequencies_match_numpy_and_differentiate_in_d():
    for n, d in itertools.product([1, 4, 7], [1.0, 0.25, np.float32(0.5)]):
        _same(fnp.fft.fftfreq(n, d), np.fft.fftfreq(n, d))
        _same(fnp.fft.rfftfreq(n, d), np.fft.rfftfreq(n, d))
    _same(fnp.fft.fftfreq(5, device="cpu"), np.fft.fftfreq(5))
    _same(fnp.fft.rfftfreq(np.int64(5), d=2.0, device="cpu"), np.fft.rfftfreq(5, 2.0))
    with pytest.raises(ValueError, match="integer"):
        fnp.fft.fftfreq(4.0)
    with pytest.raises(ValueError, match="integer"):
        fnp.fft.rfftfreq(4.0)
    for freq in (fnp.fft.fftfreq, fnp.fft.rfftfreq):
        g = ft.grad(lambda d, f=freq: fnp.sum(f(7, d) ** 2))(0.5)
        expected = -2 * np.sum(freq(7, 0.5) ** 2) / 0.5
        np.testing.assert_allclose(g, expected)
        check_grads(lambda d, f=freq: f(6, d), (0.7,), order=2)


def test_lists_and_plain_arrays_in_plain_arrays_out():
    _same(fnp.fft.fft([1.0, 2.0, 3.0]), np.fft.fft([1.0, 2.0, 3.0]))
    _same(fnp.fft.irfft([1, 2, 3]), np.fft.irfft([1, 2, 3]))
    _same(fnp.fft.fftn([[1j, 2.0], [3.0, 4.0]]), np.fft.fftn([[1j, 2.0], [3.0, 4.0]]))
    _same(fnp.fft.fft(np.zeros((0, 4))), np.fft.fft(np.zeros((0, 4))))
    _same(fnp.fft.fft(np.zeros(0), n=3), np.fft.fft(np.zeros(0), n=3))
    # NumPy transforms nothing for empty axes, and keeps the dtype
    _same(fnp.fft.fftn(np.ones((2, 3)), axes=()), np.fft.fftn(np.ones((2, 3)), axes=()))


def test_out_argument():
    x = RNG.normal(size=(3, 4))
    out = np.empty((3, 4), np.complex128)
    assert fnp.fft.fft(x, out=out) is out
    np.testing.assert_allclose(out, np.fft.fft(x))
    out = np.empty((3, 3), np.float64)
    assert fnp.fft.irfftn(x, s=(3, 3), axes=(0, 1), out=out) is out
    np.testing.assert_allclose(out, np.fft.irfftn(x, s=(3, 3), axes=(0, 1)))
    with pytest.raises(ValueError, match="wrong shape"):
        fnp.fft.fft(x, out=np.empty((3, 5), np.complex128))
    with pytest.raises(TypeError, match="out="):
        ft.grad(lambda x: fnp.sum(fnp.abs(np.fft.fft(x, out=np.empty(4, complex)))))(x[0])


def test_errors_match_numpy():
    x = np.ones(4)
    for call, error in [
        (lambda m: m.fft(x, n=0), ValueError),
        (lambda m: m.irfft(np.ones(1)), ValueError),
        (lambda m: m.fft(x, norm="unitary"), ValueError),
        (lambda m: m.hfft(x, norm="unitary"), ValueError),
        (lambda m: m.fft(x, axis=1), IndexError),
        (lambda m: m.fftn(np.ones((2, 2)), s=(2, 2), axes=(0,)), ValueError),
        (lambda m: m.fftn(np.ones((2, 2)), axes=(2,)), IndexError),
        (lambda m: m.rfft(x + 1j), TypeError),
        (lambda m: m.fft(np.float64(1.0)), IndexError),
    ]:
        with pytest.raises(error):
            call(np.fft)
        with pytest.raises(error):
            call(fnp.fft)
    with pytest.raises(ValueError, match='Invalid norm value unitary; should be "backward"'):
        fnp.fft.ifft(x, norm="unitary")
    with pytest.raises(TypeError, match="real input"):
        fnp.fft.rfftn(x + 1j)


def test_numpys_deprecations_are_kept():
    x = RNG.normal(size=(3, 4))
    with pytest.warns(DeprecationWarning, match="`axes` should not be `None`"):
        got = fnp.fft.fftn(x, s=(2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _same(got, np.fft.fftn(x, s=(2, 2)))
    with pytest.warns(DeprecationWarning, match="`None` values to `s`"):
        got = fnp.fft.irfftn(x, s=(None, 5), axes=(0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _same(got, np.fft.irfftn(x, s=(None, 5), axes=(0, 1)))


def test_staged_shapes_and_vmap_over_any_axis():
    x = RNG.normal(size=(3, 4, 5))
    ir = ft.make_jaxpr(lambda x: fnp.fft.irfft2(fnp.fft.rfft2(x, axes=(0, 2)), axes=(0, 2)))(x)
    assert "fft" in str(ir)
    for name, in_axes in itertools.product(["rfft", "ifft", "hfft", "irfftn"], [0, 1, 2]):
        f = getattr(fnp.fft, name)
        got = ft.vmap(f, in_axes=in_axes)(x)
        want = np.stack([f(np.take(x, i, axis=in_axes)) for i in range(x.shape[in_axes])])
        _same(got, want)
