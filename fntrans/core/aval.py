"""Abstract values: what a transform knows about an array without its data."""

from __future__ import annotations

import math

import numpy as np

# Python scalars stand for weak types: NumPy promotes them by kind only (NEP 50).
_PYTHON_SCALARS = (bool, int, float, complex)
_WEAK_PLACEHOLDER = {"b": False, "i": 0, "u": 0, "f": 0.0, "c": 0j}


class ShapedArray:
    """Shape and dtype of an array; ``weak_type`` marks a Python scalar's type.

    A weak type gives way to the other operand's dtype, as NumPy does for
    Python scalars, so ``x32 * 2.0`` stays float32.
    """

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, weak_type=False):
        self.shape = shape if type(shape) is tuple else tuple(shape)
        self.dtype = (
            dtype if type(dtype) is np.dtype or isinstance(dtype, np.dtype) else np.dtype(dtype)
        )
        self.weak_type = weak_type

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def update(self, shape=None, dtype=None, weak_type=None) -> ShapedArray:
        return ShapedArray(
            self.shape if shape is None else shape,
            self.dtype if dtype is None else dtype,
            self.weak_type if weak_type is None else weak_type,
        )

    def dtype_for_promotion(self):
        """The dtype, or a Python scalar standing for it when weak."""
        return _WEAK_PLACEHOLDER[self.dtype.kind] if self.weak_type else self.dtype

    def str_short(self) -> str:
        dims = ",".join(str(d) for d in self.shape)
        return f"{short_dtype_name(self.dtype)}[{dims}]"

    def __eq__(self, other):
        return (
            isinstance(other, ShapedArray)
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.weak_type == other.weak_type
        )

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.shape}, {self.dtype}{weak})"


def short_dtype_name(dtype) -> str:
    """``f64``, ``c128``, ``i32``, ``bool``: the IR printer's dtype names."""
    dtype = np.dtype(dtype)
    return "bool" if dtype == np.bool_ else f"{dtype.kind}{8 * dtype.itemsize}"


def aval_of(x) -> ShapedArray:
    """The abstract value of a concrete array, scalar, tracer (or an abstract value)."""
    if type(x) is ShapedArray:
        return x
    aval = getattr(x, "aval", None)
    if aval is not None:
        return aval
    if type(x) in _PYTHON_SCALARS:  # not NumPy's scalars (np.float64 is a float)
        return ShapedArray((), np.result_type(x), weak_type=True)
    return ShapedArray(np.shape(x), x.dtype)


def shape_of(x) -> tuple:
    """The shape of an array, tracer, abstract value or Python scalar."""
    shape = getattr(x, "shape", None)
    return np.shape(x) if shape is None else shape


def dtype_of(x) -> np.dtype:
    """The dtype of an array, tracer, abstract value or Python scalar."""
    dtype = getattr(x, "dtype", None)
    return np.result_type(x) if dtype is None else dtype


def is_inexact(dtype) -> bool:
    """Floating or complex: the dtypes that carry derivatives."""
    return np.dtype(dtype).kind in "fc"


def result_dtype(*avals) -> np.dtype:
    """NumPy's promotion of the given avals, weak types following NEP 50."""
    return np.result_type(*(a.dtype_for_promotion() for a in avals))


def all_weak(*avals) -> bool:
    return all(a.weak_type for a in avals)


def real_dtype(dtype) -> np.dtype:
    """The dtype of ``dtype``'s real part (complex64 -> float32; real dtypes as they are)."""
    return np.empty(0, dtype).real.dtype
