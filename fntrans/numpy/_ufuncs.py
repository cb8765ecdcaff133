"""Elementwise functions: NumPy's ufuncs over fntrans primitives."""

from __future__ import annotations

import numpy as np

from fntrans.core.tracer import Tracer
from fntrans.primitives import elementwise as ew
from fntrans.primitives import math_functions as mf


def _operand(x):
    """Python lists and tuples become arrays; everything else passes through."""
    if type(x) is list or type(x) is tuple:
        from fntrans.numpy._creation import asarray

        return asarray(x)
    return x


def _unary(prim, numpy_name):
    bind = prim.bind

    def f(x, /):
        return bind(_operand(x))

    f.__name__ = f.__qualname__ = numpy_name
    f.__doc__ = f"NumPy's ``{numpy_name}``, differentiable (see ``numpy.{numpy_name}``)."
    return f


def _binary(prim, numpy_name):
    bind = prim.bind

    def f(x, y, /):
        return bind(_operand(x), _operand(y))

    f.__name__ = f.__qualname__ = numpy_name
    f.__doc__ = f"NumPy's ``{numpy_name}``, differentiable (see ``numpy.{numpy_name}``)."
    return f


add = _binary(ew.add_p, "add")
subtract = _binary(ew.sub_p, "subtract")
multiply = _binary(ew.mul_p, "multiply")
divide = true_divide = _binary(ew.div_p, "divide")
power = _binary(mf.pow_p, "power")
maximum = _binary(mf.max_p, "maximum")
minimum = _binary(mf.min_p, "minimum")
arctan2 = _binary(mf.atan2_p, "arctan2")
equal = _binary(ew.eq_p, "equal")
not_equal = _binary(ew.ne_p, "not_equal")
less = _binary(ew.lt_p, "less")
less_equal = _binary(ew.le_p, "less_equal")
greater = _binary(ew.gt_p, "greater")
greater_equal = _binary(ew.ge_p, "greater_equal")
logical_and = _binary(ew.logical_and_p, "logical_and")
logical_or = _binary(ew.logical_or_p, "logical_or")
logical_xor = _binary(ew.logical_xor_p, "logical_xor")

negative = _unary(ew.neg_p, "negative")
exp = _unary(mf.exp_p, "exp")
exp2 = _unary(mf.exp2_p, "exp2")
expm1 = _unary(mf.expm1_p, "expm1")
log = _unary(mf.log_p, "log")
log2 = _unary(mf.log2_p, "log2")
log10 = _unary(mf.log10_p, "log10")
log1p = _unary(mf.log1p_p, "log1p")
sin = _unary(mf.sin_p, "sin")
cos = _unary(mf.cos_p, "cos")
tan = _unary(mf.tan_p, "tan")
arcsin = _unary(mf.arcsin_p, "arcsin")
arccos = _unary(mf.arccos_p, "arccos")
arctan = _unary(mf.arctan_p, "arctan")
sinh = _unary(mf.sinh_p, "sinh")
cosh = _unary(mf.cosh_p, "cosh")
tanh = _unary(mf.tanh_p, "tanh")
arcsinh = _unary(mf.arcsinh_p, "arcsinh")
arccosh = _unary(mf.arccosh_p, "arccosh")
arctanh = _unary(mf.arctanh_p, "arctanh")
sqrt = _unary(mf.sqrt_p, "sqrt")
cbrt = _unary(mf.cbrt_p, "cbrt")
square = _unary(mf.square_p, "square")
reciprocal = _unary(mf.reciprocal_p, "reciprocal")
absolute = abs = _unary(mf.abs_p, "absolute")
sign = _unary(mf.sign_p, "sign")
floor = _unary(mf.floor_p, "floor")
ceil = _unary(mf.ceil_p, "ceil")
rint = _unary(mf.round_p, "rint")
trunc = _unary(mf.trunc_p, "trunc")
conjugate = conj = _unary(ew.conj_p, "conjugate")
logical_not = _unary(ew.logical_not_p, "logical_not")


def positive(x, /):
    """NumPy's ``positive``: ``x`` itself."""
    return _operand(x)


def real(x, /):
    """The real part of ``x`` (a copy for traced arrays)."""
    x = _operand(x)
    if not isinstance(x, Tracer) and not hasattr(x, "dtype"):
        x = np.asarray(x)
    return ew.real_p.bind(x) if x.dtype.kind == "c" else x


def imag(x, /):
    """The imaginary part of ``x`` (zeros for a real ``x``)."""
    x = _operand(x)
    if not isinstance(x, Tracer) and not hasattr(x, "dtype"):
        x = np.asarray(x)
    if x.dtype.kind == "c":
        return ew.imag_p.bind(x)
    return ew.mul_p.bind(x, 0)


def where(condition, x=None, y=None, /):
    """NumPy's ``where``: elements of ``x`` where ``condition`` holds, else of ``y``.

    The gradient flows to the chosen branch only (but a NaN in the other
    branch's derivative still poisons it; see the sharp-bits page).

    >>> import fntrans.numpy as fnp
    >>> fnp.where(fnp.array([True, False]), 1.0, fnp.array([5.0, 6.0]))
    array([1., 6.])
    """
    if x is None and y is None:
        from fntrans.numpy._indexing import nonzero

        return nonzero(condition)
    return ew.select_p.bind(_operand(condition), _operand(x), _operand(y))


def round(x, decimals: int = 0):
    """NumPy's ``round``; its derivative is zero."""
    if decimals == 0:
        return mf.round_p.bind(_operand(x))
    scale = 10.0**decimals
    return divide(mf.round_p.bind(multiply(x, scale)), scale)


around = round


def floor_divide(x, y, /):
    """NumPy's ``floor_divide`` (``x // y``); its derivative is zero."""
    return floor(divide(x, y))


def clip(a, a_min=None, a_max=None):
    """NumPy's ``clip``: limits ``a`` to ``[a_min, a_max]``."""
    if a_min is not None:
        a = maximum(a, a_min)
    if a_max is not None:
        a = minimum(a, a_max)
    return a
