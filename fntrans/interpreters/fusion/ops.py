"""What each fusible equation computes: an operation name shared by the
kernel generators, and the dtypes NumPy computes it in."""

from __future__ import annotations

import math

import numpy as np

from fntrans.core.primitive import plain_ufunc
from fntrans.primitives.broadcasting import reduce_sum_p
from fntrans.primitives.elementwise import convert_element_type_p, select_p

# NumPy's ufuncs that both kernel generators compile, by NumPy's name
UFUNCS = frozenset(
    """add subtract multiply divide negative positive power square sqrt cbrt exp exp2
    expm1 log log2 log10 log1p sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh
    arcsinh arccosh arctanh absolute fabs maximum minimum fmax fmin floor ceil rint trunc
    hypot reciprocal equal not_equal less less_equal greater greater_equal logical_and
    logical_or logical_xor logical_not isnan isinf isfinite signbit copysign""".split()
)
# what a Numba loop computes as fast as NumPy's vector code, or faster: its
# tanh, exp, log, sin... take a libm call per element (several times NumPy's time)
CHEAP = frozenset(
    """add subtract multiply divide negative positive square sqrt absolute fabs maximum
    minimum fmax fmin floor ceil rint trunc reciprocal equal not_equal less less_equal
    greater greater_equal logical_and logical_or logical_xor logical_not isnan isinf
    isfinite signbit copysign select convert""".split()
)
# kernels compute in these dtypes only (no float16, integers or complex numbers)
DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.bool_))


def operation(eqn) -> str | None:
    """The equation's operation (a ufunc's name, ``select``, ``convert``,
    ``reduce_sum``), or None if the kernels cannot compute it."""
    prim = eqn.prim
    if prim is select_p:
        return "select"
    if prim is convert_element_type_p:
        return "convert"
    if prim is reduce_sum_p:
        return "reduce_sum"
    ufunc = plain_ufunc(eqn)
    if ufunc is None or ufunc.__name__ not in UFUNCS:
        return None
    return ufunc.__name__


def loop_dtypes(eqn) -> tuple:
    """The dtypes NumPy converts each operand to before computing (as its
    ufunc's loop would: a weak Python scalar takes its partner's dtype)."""
    op = operation(eqn)
    out = eqn.outvars[0].aval.dtype
    if op == "select":
        return (np.dtype(np.bool_), out, out)
    if op in ("convert", "reduce_sum"):
        return (eqn.invars[0].aval.dtype,)
    ufunc = getattr(np, op)
    operands = tuple(
        type(v.aval.dtype_for_promotion()) if v.aval.weak_type else v.aval.dtype for v in eqn.invars
    )
    return ufunc.resolve_dtypes(operands + (None,) * ufunc.nout)[: ufunc.nin]


def number_text(value, dtype, real: str, special: dict) -> str:
    """A scalar as source text of ``dtype``: ``real`` formats a finite float
    (with ``{}`` for its repr); ``special`` holds ``inf``, ``-inf``, ``nan``."""
    if dtype.kind == "b":
        return special["bool"](bool(value))
    value = float(value)
    if math.isnan(value):
        return special["nan"]
    if math.isinf(value):
        return special["inf"] if value > 0 else special["-inf"]
    return real.format(repr(value))
