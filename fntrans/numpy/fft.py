"""``fntrans.numpy.fft``: NumPy's discrete Fourier transforms, differentiable.

Every transform binds the one ``fft`` primitive over the trailing axes; the
functions here crop or zero-pad the input to the requested lengths (``n``,
``s``), which differentiates as slicing and padding do, and move the
transformed axes to the end and back. Dtypes follow NumPy 2: float32 input
gives complex64 (and ``irfft`` of complex64 gives float32); integers give
complex128 (float64).

>>> import fntrans as ft, fntrans.numpy as fnp
>>> x = fnp.array([1.0, 2.0, 0.0, -1.0])
>>> fnp.fft.fft(x)
array([2.+0.j, 1.-3.j, 0.+0.j, 1.+3.j])
>>> ft.grad(lambda x: fnp.sum(fnp.abs(fnp.fft.fft(x)) ** 2))(x)  # Parseval: 2 n x
array([ 8., 16.,  0., -8.])
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from fntrans import errors
from fntrans.core.tracer import Tracer
from fntrans.numpy._joining import pad
from fntrans.numpy._shape import roll
from fntrans.numpy._util import asarray, normalize_axes
from fntrans.primitives import fft as fft_prims
from fntrans.primitives.elementwise import conj, convert_element_type
from fntrans.primitives.indexing import along
from fntrans.primitives.shape import transpose

__all__ = [
    "fft",
    "ifft",
    "rfft",
    "irfft",
    "hfft",
    "ihfft",
    "fft2",
    "ifft2",
    "rfft2",
    "irfft2",
    "fftn",
    "ifftn",
    "rfftn",
    "irfftn",
    "fftshift",
    "ifftshift",
    "fftfreq",
    "rfftfreq",
]

_SWAP_DIRECTION = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}

# ---- helpers ----


def _check_norm(norm) -> str:
    if norm is None:
        return "backward"
    if norm not in fft_prims.NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')
    return norm


def _swap_direction(norm) -> str:
    """The norm of the opposite direction, as ``hfft``/``ihfft`` use it."""
    _check_norm(norm)
    return _SWAP_DIRECTION[norm]


def _inexact(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def _as_complex(a):
    return convert_element_type(a, dtype=fft_prims.complex_dtype(_inexact(a.dtype)))


def _as_real(a, name: str):
    if a.dtype.kind == "c":
        raise TypeError(
            f"numpy.fft.{name} takes a real input, but it got {a.dtype}; "
            f"use numpy.fft.{name.replace('r', '', 1)} for complex input."
        )
    return convert_element_type(a, dtype=fft_prims.real_dtype(_inexact(a.dtype)))


def _length(n) -> int:
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    return n


def _resize(a, axis: int, size: int):
    """``a`` cropped or zero-padded to ``size`` entries along ``axis``."""
    have = a.shape[axis]
    if size < have:
        return along(a, axis, slice(0, size))
    if size > have:
        widths = [(0, 0)] * a.ndim
        widths[axis] = (0, size - have)
        return pad(a, widths)
    return a


def _transform(a, fft_type: str, lengths: list, axes: list, norm: str):
    """The ``fft_type`` transform of ``a`` over distinct ``axes`` (the real one
    last) with ``lengths``; ``a`` already has the transform's dtype."""
    for i, (axis, n) in enumerate(zip(axes, lengths)):
        last = i == len(axes) - 1
        a = _resize(a, axis, n // 2 + 1 if fft_type == "irfft" and last else n)
    ndim, k = a.ndim, len(axes)
    order = [i for i in range(ndim) if i not in axes] + list(axes)
    a = transpose(a, order)
    y = fft_prims.fft(a, fft_type, tuple(lengths), norm)
    return transpose(y, tuple(np.argsort(order).tolist())) if k else y


def _finish(y, out, name: str):
    """``y``, or ``y`` written into NumPy's ``out`` argument."""
    if out is None:
        return y
    if isinstance(y, Tracer) or isinstance(out, Tracer):
        raise errors.tracer_to_numpy(f"the out= argument of numpy.fft.{name}")
    if out.shape != y.shape:
        raise ValueError("output array has wrong shape.")
    out[...] = y
    return out


def _one_axis(a, n, axis: int, norm, fft_type: str):
    """One 1-d transform, with NumPy's defaults for ``n``."""
    a = asarray(a)
    if a.ndim == 0:
        raise np.exceptions.AxisError(axis, 0)
    (axis,) = normalize_axes(axis, a.ndim)
    norm = _check_norm(norm)
    if n is None:
        n = (a.shape[axis] - 1) * 2 if fft_type == "irfft" else a.shape[axis]
    n = _length(n)
    a = _as_real(a, fft_type) if fft_type == "rfft" else _as_complex(a)
    return _transform(a, fft_type, [n], [axis], norm)


def _cook_nd_args(a, s, axes, invreal: bool):
    """NumPy's rules for ``s`` and ``axes`` (its deprecations included)."""
    shapeless = s is None
    if axes is not None:
        axes = [normalize_axes(ax, a.ndim)[0] for ax in axes]
    if s is None:
        s = list(a.shape) if axes is None else [a.shape[ax] for ax in axes]
    s = list(s)
    if axes is None:
        if not shapeless:
            warnings.warn(
                "`axes` should not be `None` if `s` is not `None` (Deprecated in NumPy 2.0). "
                "In a future version of NumPy, this will raise an error and `s[i]` will "
                "correspond to the size along the transformed axis specified by `axes[i]`. "
                "To retain current behaviour, pass a sequence [0, ..., k-1] to `axes` for "
                "an array of dimension k.",
                DeprecationWarning,
                stacklevel=4,
            )
        axes = [normalize_axes(ax, a.ndim)[0] for ax in range(-len(s), 0)]
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    if invreal and shapeless:
        s[-1] = (a.shape[axes[-1]] - 1) * 2
    if any(n is None for n in s):
        warnings.warn(
            "Passing an array containing `None` values to `s` is deprecated in NumPy 2.0 "
            "and will raise an error in a future version of NumPy. To use the default "
            "behaviour of the corresponding 1-D transform, pass the value matching the "
            "default for its `n` parameter. To use the default behaviour for every axis, "
            "the `s` argument can be omitted.",
            DeprecationWarning,
            stacklevel=4,
        )
    s = [a.shape[ax] if n is not None and n == -1 else n for n, ax in zip(s, axes)]
    return s, axes


def _n_axes(a, s, axes, norm, fft_type: str):
    """An n-d transform, as NumPy composes it from 1-d ones: one primitive for
    distinct axes, one per axis (in NumPy's order) when an axis repeats."""
    a = asarray(a)
    s, axes = _cook_nd_args(a, s, axes, invreal=fft_type == "irfft")
    norm = _check_norm(norm)
    if not axes and fft_type in ("fft", "ifft"):
        return a  # NumPy transforms nothing, and keeps the dtype
    if len(set(axes)) < len(axes):
        if fft_type == "irfft":
            for n, axis in zip(s[:-1], axes[:-1]):
                a = _one_axis(a, n, axis, norm, "ifft")
            return _one_axis(a, s[-1], axes[-1], norm, "irfft")
        if fft_type == "rfft":
            a = _one_axis(a, s[-1], axes[-1], norm, "rfft")
            s, axes, fft_type = s[:-1], axes[:-1], "fft"
        for n, axis in reversed(list(zip(s, axes))):
            a = _one_axis(a, n, axis, norm, fft_type)
        return a
    lengths = []
    for i, (n, axis) in enumerate(zip(s, axes)):
        if n is None:  # the 1-d transform's default
            last_inverse = fft_type == "irfft" and i == len(axes) - 1
            n = (a.shape[axis] - 1) * 2 if last_inverse else a.shape[axis]
        lengths.append(_length(n))
    a = _as_real(a, fft_type + "n") if fft_type == "rfft" else _as_complex(a)
    return _transform(a, fft_type, lengths, axes, norm)


# ---- one axis ----


def fft(a, n: int | None = None, axis: int = -1, norm: str | None = None, out=None):
    """The one-dimensional discrete Fourier transform, as ``numpy.fft.fft``.

    ``n`` crops or zero-pads the input along ``axis``; ``norm`` is ``"backward"``
    (default, no scaling), ``"ortho"`` (``1/sqrt(n)``) or ``"forward"`` (``1/n``).

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.fft(fnp.array([1.0, 0.0, 0.0, 0.0]))
    array([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
    """
    return _finish(_one_axis(a, n, axis, norm, "fft"), out, "fft")


def ifft(a, n: int | None = None, axis: int = -1, norm: str | None = None, out=None):
    """The one-dimensional inverse discrete Fourier transform, as ``numpy.fft.ifft``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.ifft(fnp.array([4.0, 0.0, 0.0, 0.0]))
    array([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
    """
    return _finish(_one_axis(a, n, axis, norm, "ifft"), out, "ifft")


def rfft(a, n: int | None = None, axis: int = -1, norm: str | None = None, out=None):
    """The discrete Fourier transform of real input: its ``n // 2 + 1``
    non-negative frequencies, as ``numpy.fft.rfft``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.rfft(fnp.array([1.0, 2.0, 0.0, -1.0]))
    array([2.+0.j, 1.-3.j, 0.+0.j])
    """
    return _finish(_one_axis(a, n, axis, norm, "rfft"), out, "rfft")


def irfft(a, n: int | None = None, axis: int = -1, norm: str | None = None, out=None):
    """The inverse of ``rfft``: ``n`` real values (``2 * (m - 1)`` by default) from
    ``m`` non-negative frequencies, as ``numpy.fft.irfft``.

    The imaginary parts of the zero frequency and (even ``n``) of the Nyquist
    frequency are ignored, so their derivatives are zero.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.irfft(fnp.array([2.0, 1.0 - 3.0j, 0.0]))
    array([ 1.,  2.,  0., -1.])
    """
    return _finish(_one_axis(a, n, axis, norm, "irfft"), out, "irfft")


def hfft(a, n: int | None = None, axis: int = -1, norm: str | None = None, out=None):
    """The real spectrum of a signal with Hermitian symmetry given by its first
    half, as ``numpy.fft.hfft``: ``irfft(conj(a), n)`` with the opposite norm.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.hfft(fnp.array([1.0, 2.0, 3.0, 4.0]))
    array([15., -4.,  0., -1.,  0., -4.])
    """
    a = asarray(a)
    norm = _swap_direction(norm)
    if n is None:
        n = (a.shape[axis] - 1) * 2
    y = _one_axis(conj(_as_complex(a)), n, axis, norm, "irfft")
    return _finish(y, out, "hfft")


def ihfft(a, n: int | None = None, axis: int = -1, norm: str | None = None, out=None):
    """The inverse of ``hfft``, as ``numpy.fft.ihfft``: ``conj(rfft(a, n))`` with
    the opposite norm.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.ihfft(fnp.array([15.0, -4.0, 0.0, -1.0, 0.0, -4.0])).real
    array([1., 2., 3., 4.])
    """
    y = conj(_one_axis(a, n, axis, _swap_direction(norm), "rfft"))
    return _finish(y, out, "ihfft")


# ---- several axes ----


def fftn(a, s=None, axes=None, norm: str | None = None, out=None):
    """The n-dimensional discrete Fourier transform over ``axes`` (all by
    default), each cropped or zero-padded to ``s``, as ``numpy.fft.fftn``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.fftn(fnp.ones((2, 2)))
    array([[4.+0.j, 0.+0.j],
           [0.+0.j, 0.+0.j]])
    """
    return _finish(_n_axes(a, s, axes, norm, "fft"), out, "fftn")


def ifftn(a, s=None, axes=None, norm: str | None = None, out=None):
    """The n-dimensional inverse discrete Fourier transform, as ``numpy.fft.ifftn``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.ifftn(fnp.array([[4.0, 0.0], [0.0, 0.0]]))
    array([[1.+0.j, 1.+0.j],
           [1.+0.j, 1.+0.j]])
    """
    return _finish(_n_axes(a, s, axes, norm, "ifft"), out, "ifftn")


def rfftn(a, s=None, axes=None, norm: str | None = None, out=None):
    """The n-dimensional discrete Fourier transform of real input, halved along
    the last of ``axes``, as ``numpy.fft.rfftn``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.rfftn(fnp.ones((2, 2)))
    array([[4.+0.j, 0.+0.j],
           [0.+0.j, 0.+0.j]])
    """
    return _finish(_n_axes(a, s, axes, norm, "rfft"), out, "rfftn")


def irfftn(a, s=None, axes=None, norm: str | None = None, out=None):
    """The inverse of ``rfftn``, as ``numpy.fft.irfftn``; the last of ``s``
    defaults to ``2 * (m - 1)``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.irfftn(fnp.array([[4.0, 0.0], [0.0, 0.0]]))
    array([[1., 1.],
           [1., 1.]])
    """
    return _finish(_n_axes(a, s, axes, norm, "irfft"), out, "irfftn")


def fft2(a, s=None, axes=(-2, -1), norm: str | None = None, out=None):
    """``fftn`` over the last two axes by default, as ``numpy.fft.fft2``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.fft2(fnp.ones((2, 2))).real
    array([[4., 0.],
           [0., 0.]])
    """
    return _finish(_n_axes(a, s, axes, norm, "fft"), out, "fft2")


def ifft2(a, s=None, axes=(-2, -1), norm: str | None = None, out=None):
    """``ifftn`` over the last two axes by default, as ``numpy.fft.ifft2``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.ifft2(fnp.array([[4.0, 0.0], [0.0, 0.0]])).real
    array([[1., 1.],
           [1., 1.]])
    """
    return _finish(_n_axes(a, s, axes, norm, "ifft"), out, "ifft2")


def rfft2(a, s=None, axes=(-2, -1), norm: str | None = None, out=None):
    """``rfftn`` over the last two axes by default, as ``numpy.fft.rfft2``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.rfft2(fnp.ones((2, 3))).shape
    (2, 2)
    """
    return _finish(_n_axes(a, s, axes, norm, "rfft"), out, "rfft2")


def irfft2(a, s=None, axes=(-2, -1), norm: str | None = None, out=None):
    """``irfftn`` over the last two axes by default, as ``numpy.fft.irfft2``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.irfft2(fnp.array([[4.0, 0.0], [0.0, 0.0]]))
    array([[1., 1.],
           [1., 1.]])
    """
    return _finish(_n_axes(a, s, axes, norm, "irfft"), out, "irfft2")


# ---- shifts and frequencies ----


def _shifts(x, axes, sign: int):
    if axes is None:
        axes = tuple(range(x.ndim))
        return [sign * (d // 2) for d in x.shape], axes
    if isinstance(axes, (int, np.integer)):
        return sign * (x.shape[axes] // 2), axes
    return [sign * (x.shape[ax] // 2) for ax in axes], axes


def fftshift(x, axes=None):
    """``x`` rolled so that the zero frequency is in the middle, as
    ``numpy.fft.fftshift``; its derivative rolls back.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.fftshift(fnp.fft.fftfreq(5))
    array([-0.4, -0.2,  0. ,  0.2,  0.4])
    """
    x = asarray(x)
    shift, axes = _shifts(x, axes, 1)
    return roll(x, shift, axes)


def ifftshift(x, axes=None):
    """The inverse of ``fftshift`` (they differ for odd lengths), as
    ``numpy.fft.ifftshift``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.ifftshift(fnp.fft.fftshift(fnp.arange(5.0)))
    array([0., 1., 2., 3., 4.])
    """
    x = asarray(x)
    shift, axes = _shifts(x, axes, -1)
    return roll(x, shift, axes)


def _check_count(n) -> None:
    if not isinstance(n, (int, np.integer)):
        raise ValueError("n should be an integer")


def _device(device) -> dict:
    return {} if device is None else {"device": device}


def fftfreq(n: int, d=1.0, device=None):
    """The sample frequencies of an ``n``-point ``fft`` with sample spacing ``d``,
    as ``numpy.fft.fftfreq``; differentiable in ``d``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.fftfreq(4, d=0.5)
    array([ 0. ,  0.5, -1. , -0.5])
    """
    _check_count(n)
    if not isinstance(d, Tracer):
        return np.fft.fftfreq(n, d, **_device(device))
    k = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return k * (1.0 / (n * d))


def rfftfreq(n: int, d=1.0, device=None):
    """The sample frequencies of an ``n``-point ``rfft`` (``n // 2 + 1`` of them)
    with sample spacing ``d``, as ``numpy.fft.rfftfreq``; differentiable in ``d``.

    >>> import fntrans.numpy as fnp
    >>> fnp.fft.rfftfreq(4, d=0.5)
    array([0. , 0.5, 1. ])
    """
    _check_count(n)
    if not isinstance(d, Tracer):
        return np.fft.rfftfreq(n, d, **_device(device))
    return np.arange(0, n // 2 + 1) * (1.0 / (n * d))
