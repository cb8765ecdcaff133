"""``fntrans.scipy.signal``: SciPy's N-d convolutions and correlations,
differentiable in both operands and batchable.

All of them are one primitive (``fntrans.primitives.convolution``), computed by
``scipy.signal.convolve`` (``cupyx.scipy.signal`` on CuPy); its transpose in
one operand is a correlation with the other.

>>> import numpy as np
>>> import fntrans as ft
>>> from fntrans.scipy import signal
>>> signal.convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
array([0. , 1. , 2.5, 4. , 1.5])
>>> ft.grad(lambda k: signal.convolve(np.array([1.0, 2.0, 3.0]), k, "valid")[0])(np.ones(3))
array([3., 2., 1.])
"""

from __future__ import annotations

from fntrans.numpy._util import asarray, normalize_axes
from fntrans.primitives import convolution as cv
from fntrans.primitives import elementwise as ew
from fntrans.primitives.indexing import getitem
from fntrans.primitives.shape import transpose

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "fftconvolve", "oaconvolve"]


def _operands(name: str, in1, in2):
    in1, in2 = asarray(in1), asarray(in2)
    if in1.ndim != in2.ndim:
        raise ValueError(
            f"{name}: in1 and in2 should have the same dimensionality, but they have shapes "
            f"{in1.shape} and {in2.shape}."
        )
    return in1, in2


def convolve(in1, in2, mode: str = "full", method: str = "auto"):
    """The N-d convolution of ``in1`` and ``in2``, as ``scipy.signal.convolve``.

    Args:
        in1: the first array.
        in2: the second array, with as many dimensions as ``in1``.
        mode: ``"full"`` (every overlap), ``"valid"`` (complete overlaps only;
            one operand must be at least as large as the other in every
            dimension) or ``"same"`` (the centre of ``"full"``, shaped like ``in1``).
        method: ``"auto"``, ``"direct"`` or ``"fft"``, as SciPy's.

    Returns:
        The convolution; its derivative in each operand is a correlation
        with the other.

    >>> import numpy as np
    >>> from fntrans.scipy import signal
    >>> signal.convolve(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0]), mode="same")
    array([1., 3., 5.])
    """
    in1, in2 = _operands("convolve", in1, in2)
    if in1.ndim == 0:
        return ew.mul(in1, in2)
    return cv.convolve(in1, in2, mode, method=method)


def correlate(in1, in2, mode: str = "full", method: str = "auto"):
    """The N-d cross-correlation of ``in1`` and ``in2``, as ``scipy.signal.correlate``:
    ``z[k] = sum_l in1[l] * conj(in2[l - k + N - 1])``.

    Args:
        in1: the first array.
        in2: the second array, with as many dimensions as ``in1``.
        mode: ``"full"``, ``"valid"`` or ``"same"``, as for ``convolve``.
        method: ``"auto"``, ``"direct"`` or ``"fft"``.

    Returns:
        The correlation, differentiable in both operands.

    >>> import numpy as np
    >>> from fntrans.scipy import signal
    >>> signal.correlate(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.5]), mode="valid")
    array([2. , 3.5])
    """
    in1, in2 = _operands("correlate", in1, in2)
    if in1.ndim == 0:
        return ew.mul(in1, ew.conj(in2) if in2.dtype.kind == "c" else in2)
    return cv.correlate(in1, in2, mode, method=method)


def fftconvolve(in1, in2, mode: str = "full", axes=None):
    """The convolution of ``in1`` and ``in2`` by FFT, as ``scipy.signal.fftconvolve``.

    Args:
        in1: the first array.
        in2: the second array, with as many dimensions as ``in1``.
        mode: ``"full"``, ``"valid"`` or ``"same"``.
        axes: the axes to convolve over (all by default); along the others the
            operands must have equal lengths or length 1, and are broadcast.

    Returns:
        The convolution, differentiable in both operands.

    >>> import numpy as np
    >>> from fntrans.scipy import signal
    >>> signal.fftconvolve(np.ones((2, 3)), np.array([[1.0, -1.0]]), axes=1).round(12)
    array([[ 1.,  0.,  0., -1.],
           [ 1.,  0.,  0., -1.]])
    """
    in1, in2 = _operands("fftconvolve", in1, in2)
    if in1.ndim == 0:
        return ew.mul(in1, in2)
    conv_axes = normalize_axes(axes if not isinstance(axes, list) else tuple(axes), in1.ndim)
    batch_axes = tuple(i for i in range(in1.ndim) if i not in conv_axes)
    for i in batch_axes:
        if in1.shape[i] != in2.shape[i] and 1 not in (in1.shape[i], in2.shape[i]):
            raise ValueError(
                f"fftconvolve: along axis {i}, which is not convolved, in1 and in2 must have "
                f"equal lengths or length 1, but they have shapes {in1.shape} and {in2.shape}."
            )
    order = batch_axes + conv_axes
    out = cv.convolve(
        transpose(in1, order),
        transpose(in2, order),
        mode,
        method="fft",
        batch_ndim=len(batch_axes),
    )
    inverse = tuple(order.index(i) for i in range(in1.ndim))
    return transpose(out, inverse)


oaconvolve = fftconvolve


def _two_d(name: str, in1, in2, boundary: str, fillvalue):
    in1, in2 = asarray(in1), asarray(in2)
    if in1.ndim != 2 or in2.ndim != 2:
        raise ValueError(
            f"{name}: in1 and in2 should be 2-d, but they have shapes {in1.shape} and {in2.shape}."
        )
    if boundary != "fill" or fillvalue != 0:
        raise NotImplementedError(
            f"{name} supports boundary='fill' with fillvalue=0 only, not boundary={boundary!r} "
            f"with fillvalue={fillvalue!r}; pad the input with fntrans.numpy.pad instead."
        )
    return in1, in2


def convolve2d(in1, in2, mode: str = "full", boundary: str = "fill", fillvalue=0):
    """The 2-d convolution of ``in1`` and ``in2``, as ``scipy.signal.convolve2d``
    (zero padding: ``boundary="fill"``, ``fillvalue=0``).

    >>> import numpy as np
    >>> from fntrans.scipy import signal
    >>> signal.convolve2d(np.eye(2), np.ones((1, 2)))
    array([[1., 1., 0.],
           [0., 1., 1.]])
    """
    in1, in2 = _two_d("convolve2d", in1, in2, boundary, fillvalue)
    return cv.convolve(in1, in2, mode, method="direct")


def correlate2d(in1, in2, mode: str = "full", boundary: str = "fill", fillvalue=0):
    """The 2-d cross-correlation of ``in1`` and ``in2``, as ``scipy.signal.correlate2d``
    (zero padding: ``boundary="fill"``, ``fillvalue=0``)."""
    in1, in2 = _two_d("correlate2d", in1, in2, boundary, fillvalue)
    if mode == "valid" and in2.shape[0] >= in1.shape[0] and in2.shape[1] >= in1.shape[1]:
        if in2.shape != in1.shape:
            # SciPy swaps the operands and flips the result, without conjugating it
            return cv.flip(cv.correlate(in2, in1, mode, method="direct"), 0)
    if mode != "same":
        return cv.correlate(in1, in2, mode, method="direct")
    # SciPy centres correlate2d's 'same' result m // 2 into the full one (the
    # kernel's centre after flipping), where correlate takes (m - 1) // 2
    full = cv.correlate(in1, in2, "full", method="direct")
    (n0, n1), (m0, m1) = in1.shape, in2.shape
    return getitem(full, (slice(m0 // 2, m0 // 2 + n0), slice(m1 // 2, m1 // 2 + n1)))
