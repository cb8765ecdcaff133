"""The discrete Fourier transforms: one primitive, ``fft``, over the trailing axes.

``fft_type`` picks the transform: ``"fft"`` and ``"ifft"`` (complex to
complex), ``"rfft"`` (real to the non-negative half of the spectrum) and
``"irfft"`` (that half back to real). ``fft_lengths`` are the transform's
lengths over the last ``len(fft_lengths)`` axes, which the operand already has
(for ``"irfft"`` the last axis holds ``n // 2 + 1`` entries): ``fntrans.numpy.fft``
crops, pads and moves axes around it. ``norm`` is NumPy's: ``"backward"``,
``"ortho"`` or ``"forward"``.

Every transform is linear, so its JVP is itself and reverse mode needs only a
transpose, under JAX's complex convention (the pairing ``Re(sum(a * b))``,
without conjugation):

- the DFT matrix is symmetric, so ``fft`` and ``ifft`` are their own transposes;
- ``irfft`` reads each of the ``n // 2 + 1`` frequencies it is given as two
  (the frequency and its mirror image), except the zero frequency and, for even
  ``n``, the Nyquist one; its transpose is ``conj(w * rfft(ct))`` with those
  weights ``w`` (1 or 2), and the transpose of ``rfft`` is ``irfft(conj(ct) / w)``,
  each with the opposite ``norm`` so the scale factors match.
"""

from __future__ import annotations

import functools

import numpy as np

from fntrans.core import constants
from fntrans.core.aval import dtype_of
from fntrans.core.primitive import Primitive
from fntrans.primitives.elementwise import conj, convert_element_type, mul
from fntrans.primitives.shape import move_axis

FFT_TYPES = ("fft", "ifft", "rfft", "irfft")
NORMS = ("backward", "ortho", "forward")
# the norm whose scale factor is the same: a transform's transpose runs the
# other direction, where "backward" and "forward" trade places
_SWAPPED = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


@functools.cache
def complex_dtype(dtype) -> np.dtype:
    """The complex dtype for ``dtype``'s precision (float32 -> complex64)."""
    return np.result_type(dtype, np.complex64)


@functools.cache
def real_dtype(dtype) -> np.dtype:
    """The real dtype for ``dtype``'s precision (complex64 -> float32)."""
    return np.empty(0, complex_dtype(dtype)).real.dtype


def _fft_shape(x, *, fft_type, fft_lengths, norm):
    n = fft_lengths[-1]
    if fft_type == "rfft":
        return x.update(
            shape=x.shape[:-1] + (n // 2 + 1,), dtype=complex_dtype(x.dtype), weak_type=False
        )
    if fft_type == "irfft":
        return x.update(shape=x.shape[:-1] + (n,), dtype=real_dtype(x.dtype), weak_type=False)
    return x.update(dtype=complex_dtype(x.dtype), weak_type=False)


def _fft_impl(xp, x, *, fft_type, fft_lengths, norm):
    if len(fft_lengths) == 1:  # the 1-d functions skip the n-d functions' bookkeeping
        if fft_type == "irfft":
            out = xp.fft.irfft(x, fft_lengths[0], norm=norm)
        else:
            out = getattr(xp.fft, fft_type)(x, norm=norm)
    else:
        axes = tuple(range(-len(fft_lengths), 0))
        s = fft_lengths if fft_type == "irfft" else None
        out = getattr(xp.fft, fft_type + "n")(x, s=s, axes=axes, norm=norm)
    # NumPy before 2.0 computes float32 in double precision
    want = real_dtype(x.dtype) if fft_type == "irfft" else complex_dtype(x.dtype)
    return out if out.dtype == want else out.astype(want)


def fft(x, fft_type: str, fft_lengths: tuple, norm: str = "backward"):
    """The ``fft_type`` transform of ``x`` over its last ``len(fft_lengths)`` axes."""
    return fft_p.bind(x, fft_type=fft_type, fft_lengths=tuple(fft_lengths), norm=norm)


def _fft_jvp(primals, tangents, *, fft_type, fft_lengths, norm):
    (x,), (t,) = primals, tangents
    ans = fft(x, fft_type, fft_lengths, norm)
    if fft_type != "rfft":  # a complex transform wants a complex tangent
        t = convert_element_type(t, dtype=complex_dtype(dtype_of(t)))
    return ans, fft(t, fft_type, fft_lengths, norm)


def _hermitian_weights(n: int, dtype, like):
    """How many times each of the ``n // 2 + 1`` frequencies of a real signal of
    length ``n`` appears in its full spectrum: once for the zero frequency and
    (even ``n``) the Nyquist one, twice for the others."""
    w = constants.full((n // 2 + 1,), 2, dtype, like=like)
    w[0] = 1
    if n % 2 == 0:
        w[-1] = 1
    return w


def _fft_transpose(ct, x, *, fft_type, fft_lengths, norm):
    n = fft_lengths[-1]
    if fft_type == "rfft":
        ct = convert_element_type(ct, dtype=complex_dtype(x.dtype))
        w = _hermitian_weights(n, real_dtype(x.dtype), ct)
        out = fft(mul(conj(ct), 1 / w), "irfft", fft_lengths, _SWAPPED[norm])
    elif fft_type == "irfft":
        ct = convert_element_type(ct, dtype=real_dtype(x.dtype))
        w = _hermitian_weights(n, real_dtype(x.dtype), ct)
        out = conj(mul(fft(ct, "rfft", fft_lengths, _SWAPPED[norm]), w))
    else:
        ct = convert_element_type(ct, dtype=complex_dtype(x.dtype))
        out = fft(ct, fft_type, fft_lengths, norm)
    return (out,)


def _fft_batch(prim, vals, dims, **params):
    # the transform acts on trailing axes: a batch axis in front is one more row
    (x,), (d,) = vals, dims
    return fft_p.bind(move_axis(x, d, 0), **params), 0


fft_p = Primitive(
    "fft",
    impl=_fft_impl,
    shape=_fft_shape,
    jvp=_fft_jvp,
    transpose=_fft_transpose,
    batch=_fft_batch,
)

__all__ = ["fft_p"]
