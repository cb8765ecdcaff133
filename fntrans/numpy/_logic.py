"""NumPy's logic functions, none of which has a derivative: comparisons,
logical and bitwise operations (elementwise), tests of values (``isnan``,
``iscomplex``, ...) and of types (``iscomplexobj``, ``isscalar``,
``result_type``), ``all`` and ``any``, and comparisons of whole arrays
(``allclose``, ``array_equal``, ...) on concrete values, as NumPy's."""

from __future__ import annotations

import numpy as np

from fntrans.core.tracer import Tracer
from fntrans.numpy._math import imag
from fntrans.numpy._reductions import sum
from fntrans.numpy._sorting import count_nonzero
from fntrans.numpy._util import asarray, binary, concrete, unary
from fntrans.primitives import elementwise as ew

equal = binary(ew.eq_p, "equal")
not_equal = binary(ew.ne_p, "not_equal")
less = binary(ew.lt_p, "less")
less_equal = binary(ew.le_p, "less_equal")
greater = binary(ew.gt_p, "greater")
greater_equal = binary(ew.ge_p, "greater_equal")
logical_and = binary(ew.logical_and_p, "logical_and")
logical_or = binary(ew.logical_or_p, "logical_or")
logical_xor = binary(ew.logical_xor_p, "logical_xor")
logical_not = unary(ew.logical_not_p, "logical_not")
bitwise_and = binary(ew.bitwise_and_p, "bitwise_and")
bitwise_or = binary(ew.bitwise_or_p, "bitwise_or")
bitwise_xor = binary(ew.bitwise_xor_p, "bitwise_xor")
left_shift = binary(ew.left_shift_p, "left_shift")
right_shift = binary(ew.right_shift_p, "right_shift")
invert = bitwise_not = unary(ew.invert_p, "invert")

isfinite = unary(ew.isfinite_p, "isfinite")
isnan = unary(ew.isnan_p, "isnan")
isinf = unary(ew.isinf_p, "isinf")
isfinite.__doc__ = "Whether each element is finite (a boolean array: no derivative)."
isnan.__doc__ = "Whether each element is NaN (a boolean array: no derivative)."
isinf.__doc__ = "Whether each element is infinite (a boolean array: no derivative)."


def iscomplex(x, /):
    """Whether each element has a non-zero imaginary part."""
    return ew.ne_p.bind(imag(x), 0)


def isreal(x, /):
    """Whether each element has a zero imaginary part."""
    return ew.eq(imag(x), 0)


def _dtype(x):
    return x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype


def iscomplexobj(x) -> bool:
    """Whether ``x`` has a complex dtype (traced arrays too)."""
    return _dtype(x).kind == "c"


def isrealobj(x) -> bool:
    """Whether ``x`` has a dtype that is not complex (traced arrays too)."""
    return not iscomplexobj(x)


def isscalar(element) -> bool:
    """NumPy's ``isscalar``: a traced value, like a 0-d array, is not a scalar."""
    return not isinstance(element, Tracer) and np.isscalar(element)


def result_type(*arrays_and_dtypes):
    """NumPy's ``result_type``, accepting traced arrays.

    >>> import numpy as np, fntrans.numpy as fnp
    >>> fnp.result_type(np.ones(2, np.float32), np.float64)
    dtype('float64')
    """
    return np.result_type(*(a.dtype if isinstance(a, Tracer) else a for a in arrays_and_dtypes))


def any(a, axis=None, keepdims: bool = False):
    """Whether any element over ``axis`` is non-zero (a boolean: no derivative)."""
    return ew.gt(count_nonzero(a, axis=axis, keepdims=keepdims), 0)


def all(a, axis=None, keepdims: bool = False):
    """Whether every element over ``axis`` is non-zero (a boolean: no derivative)."""
    zeros = sum(ew.eq(asarray(a), 0), axis=axis, keepdims=keepdims)
    return ew.eq(zeros, 0)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan: bool = False):
    """Elementwise ``|a - b| <= atol + rtol |b|`` (on concrete values)."""
    return np.isclose(concrete(a, "isclose"), concrete(b, "isclose"), rtol, atol, equal_nan)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan: bool = False) -> bool:
    """Whether ``isclose`` holds everywhere (on concrete values).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(lambda x: x**2 if fnp.allclose(x, 1.0) else x)(1.0)
    np.float64(2.0)
    """
    return bool(
        np.allclose(concrete(a, "allclose"), concrete(b, "allclose"), rtol, atol, equal_nan)
    )


def array_equal(a1, a2, equal_nan: bool = False) -> bool:
    """Whether two arrays have the same shape and elements (on concrete values)."""
    return bool(np.array_equal(concrete(a1, "array_equal"), concrete(a2, "array_equal"), equal_nan))


def array_equiv(a1, a2) -> bool:
    """Whether two arrays broadcast to the same shape with equal elements (concrete values)."""
    return bool(np.array_equiv(concrete(a1, "array_equiv"), concrete(a2, "array_equiv")))
