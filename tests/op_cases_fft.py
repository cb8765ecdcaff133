"""Op-table cases for the discrete Fourier transforms.

Each transform is seen through a real function of its output: for a complex
spectrum ``y``, ``Re(c y) + 0.2 |y|^2`` with a complex ``c``, which reads both
its real and imaginary parts and is not linear (so second derivatives are not
all zero); for a real output ``y``, ``y + 0.2 y^2``.
"""

from __future__ import annotations

import fntrans.numpy as fnp
from tests.op_cases import unary


def _seen(y):
    if y.dtype.kind == "c":
        return fnp.real(y * (0.3 + 0.8j)) + 0.2 * fnp.real(y * fnp.conj(y))
    return y + 0.2 * y * y


def _case(name, fn, shapes, **kw):
    return unary(f"fft.{name}", lambda x: _seen(fn(x)), shapes=shapes, **kw)


ONE_D = [(5,), (2, 6)]  # odd and even lengths, and a batch of signals
N_D = [(3, 4), (2, 3, 5)]

CASES = [
    # complex to complex, one axis: defaults, cropping, padding, norms, axis
    _case("fft", fnp.fft.fft, ONE_D, complex_ok=True),
    _case("fft-n3", lambda x: fnp.fft.fft(x, n=3), ONE_D, complex_ok=True),
    _case("fft-n8-ortho", lambda x: fnp.fft.fft(x, 8, norm="ortho"), ONE_D, complex_ok=True),
    _case("fft-axis0-forward", lambda x: fnp.fft.fft(x, axis=0, norm="forward"), [(3, 4)]),
    _case("ifft", fnp.fft.ifft, ONE_D, complex_ok=True),
    _case("ifft-n7-forward", lambda x: fnp.fft.ifft(x, 7, norm="forward"), ONE_D),
    _case("ifft-axis0-ortho", lambda x: fnp.fft.ifft(x, 2, 0, "ortho"), [(3, 4)]),
    # real to half spectrum and back: even and odd lengths decide the weighting
    _case("rfft", fnp.fft.rfft, ONE_D),
    _case("rfft-n4", lambda x: fnp.fft.rfft(x, n=4), ONE_D),
    _case("rfft-n9-ortho", lambda x: fnp.fft.rfft(x, 9, norm="ortho"), ONE_D),
    _case("rfft-axis0-forward", lambda x: fnp.fft.rfft(x, axis=0, norm="forward"), [(4, 3)]),
    _case("irfft", fnp.fft.irfft, ONE_D, complex_ok=True),
    _case("irfft-n7", lambda x: fnp.fft.irfft(x, n=7), ONE_D, complex_ok=True),
    _case("irfft-n3-ortho", lambda x: fnp.fft.irfft(x, 3, norm="ortho"), ONE_D, complex_ok=True),
    _case("irfft-n12-forward", lambda x: fnp.fft.irfft(x, 12, norm="forward"), ONE_D),
    _case("irfft-axis0", lambda x: fnp.fft.irfft(x, axis=0), [(3, 4)], complex_ok=True),
    # Hermitian transforms
    _case("hfft", fnp.fft.hfft, ONE_D, complex_ok=True),
    _case("hfft-n5-ortho", lambda x: fnp.fft.hfft(x, 5, norm="ortho"), ONE_D, complex_ok=True),
    _case("ihfft", fnp.fft.ihfft, ONE_D),
    _case("ihfft-n4-forward", lambda x: fnp.fft.ihfft(x, 4, norm="forward"), ONE_D),
    # several axes
    _case("fft2", fnp.fft.fft2, N_D, complex_ok=True),
    _case("fft2-s", lambda x: fnp.fft.fft2(x, s=(2, 6), norm="ortho"), N_D),
    _case("ifft2", fnp.fft.ifft2, N_D, complex_ok=True),
    _case("rfft2", fnp.fft.rfft2, N_D),
    _case("rfft2-s", lambda x: fnp.fft.rfft2(x, s=(4, 3), norm="forward"), N_D),
    _case("irfft2", fnp.fft.irfft2, N_D, complex_ok=True),
    _case("irfft2-s", lambda x: fnp.fft.irfft2(x, s=(2, 5), norm="ortho"), N_D),
    _case("fftn", fnp.fft.fftn, [(2, 3, 4)], complex_ok=True),
    _case("fftn-axes", lambda x: fnp.fft.fftn(x, s=(3, 2), axes=(2, 0)), [(2, 3, 4)]),
    _case("fftn-repeated-axis", lambda x: fnp.fft.fftn(x, axes=(1, 1)), [(2, 3)]),
    _case("ifftn", lambda x: fnp.fft.ifftn(x, axes=(0, 2), norm="forward"), [(2, 3, 4)]),
    _case("rfftn", fnp.fft.rfftn, [(2, 3, 4)]),
    _case("rfftn-axes", lambda x: fnp.fft.rfftn(x, s=(5, 2), axes=(1, 0)), [(2, 3, 4)]),
    _case("irfftn", fnp.fft.irfftn, [(2, 3, 4)], complex_ok=True),
    _case("irfftn-axes", lambda x: fnp.fft.irfftn(x, s=(3, 3), axes=(2, 0)), [(2, 3, 4)]),
    # shifts are rolls
    _case("fftshift", fnp.fft.fftshift, [(5,), (4, 3)], complex_ok=True),
    _case("ifftshift", lambda x: fnp.fft.ifftshift(x, axes=0), [(5,), (3, 4)], complex_ok=True),
    _case(
        "fftshift-of-fft",
        lambda x: fnp.fft.fftshift(fnp.fft.fft(x), axes=-1),
        ONE_D,
        complex_ok=True,
    ),
]
