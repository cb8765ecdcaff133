"""Questions about arrays with plain Python answers: dtype kinds, scalars, and
comparisons of whole arrays (on concrete values, as NumPy's)."""

from __future__ import annotations

import numpy as np

from fntrans.core.tracer import Tracer
from fntrans.numpy._sorting import concrete


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
