"""More of NumPy's elementwise math: logaddexp, hypot, sinc, fmod, remainder,
angle conversions, and the floating-point class tests."""

from __future__ import annotations

import math

import numpy as np

from fntrans.core.aval import dtype_of
from fntrans.numpy._ufuncs import _binary, _operand, _unary, floor_divide, imag, real
from fntrans.primitives import elementwise as ew
from fntrans.primitives import math_functions as mf

logaddexp = _binary(mf.logaddexp_p, "logaddexp")
logaddexp.__doc__ = """``log(exp(x) + exp(y))`` without overflow.

>>> import fntrans as ft, fntrans.numpy as fnp
>>> print(fnp.logaddexp(1000.0, 1000.0))
1000.6931471805599
>>> ft.grad(fnp.logaddexp)(0.0, 0.0)
np.float64(0.5)
"""
logaddexp2 = _binary(mf.logaddexp2_p, "logaddexp2")
logaddexp2.__doc__ = "``log2(2**x + 2**y)`` without overflow."
hypot = _binary(mf.hypot_p, "hypot")
hypot.__doc__ = """``sqrt(x**2 + y**2)`` without overflow.

>>> import fntrans as ft, fntrans.numpy as fnp
>>> ft.grad(fnp.hypot, argnums=(0, 1))(3.0, 4.0)
(np.float64(0.6), np.float64(0.8))
"""
fmod = _binary(mf.fmod_p, "fmod")
fmod.__doc__ = "The remainder of ``x / y`` with the sign of ``x`` (C's ``fmod``)."
remainder = mod = _binary(mf.remainder_p, "remainder")
remainder.__doc__ = "The remainder of ``x / y`` with the sign of ``y`` (Python's ``%``)."

isfinite = _unary(ew.isfinite_p, "isfinite")
isnan = _unary(ew.isnan_p, "isnan")
isinf = _unary(ew.isinf_p, "isinf")
signbit = _unary(ew.signbit_p, "signbit")
isfinite.__doc__ = "Whether each element is finite (a boolean array: no derivative)."
isnan.__doc__ = "Whether each element is NaN (a boolean array: no derivative)."
isinf.__doc__ = "Whether each element is infinite (a boolean array: no derivative)."
signbit.__doc__ = "Whether each element has its sign bit set (a boolean array: no derivative)."


def sinc(x, /):
    """``sin(pi x) / (pi x)``, and 1 at 0; its derivatives are exact at 0 too.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> print(ft.grad(ft.grad(fnp.sinc))(0.0))
    -3.289868133696453
    """
    return mf.sinc_p.bind(_operand(x), order=0)


def fix(x, /):
    """Rounds toward zero (``trunc``); its derivative is zero."""
    return mf.trunc_p.bind(_operand(x))


def fabs(x, /):
    """The absolute value of real ``x``."""
    return mf.abs_p.bind(_operand(x))


def deg2rad(x, /):
    """Degrees to radians."""
    return ew.mul_p.bind(_operand(x), math.pi / 180)


def rad2deg(x, /):
    """Radians to degrees."""
    return ew.mul_p.bind(_operand(x), 180 / math.pi)


radians = deg2rad
degrees = rad2deg


def _as_inexact(x):
    x = _operand(x)
    if dtype_of(x).kind in "fc":
        return x
    return ew.convert_element_type(x, dtype=np.float64)


def copysign(x, y, /):
    """``x`` with the sign of ``y``."""
    x, y = _as_inexact(x), _operand(y)
    return ew.select(ew.ne_p.bind(ew.signbit_p.bind(x), ew.signbit_p.bind(y)), ew.neg(x), x)


def float_power(x, y, /):
    """``x ** y`` computed in float64 (complex128 for complex operands)."""
    x, y = _operand(x), _operand(y)
    complex_ = dtype_of(x).kind == "c" or dtype_of(y).kind == "c"
    dtype = np.complex128 if complex_ else np.float64
    x, y = (ew.convert_element_type(a, dtype=dtype) for a in (x, y))
    return mf.pow(x, y)


def divmod(x, y, /):
    """``(floor_divide(x, y), remainder(x, y))``."""
    return floor_divide(x, y), remainder(x, y)


def angle(z, deg: bool = False):
    """The argument of complex ``z`` (0 or pi for real ``z``)."""
    z = _as_inexact(z)
    # a real z has a zero imaginary part of positive sign: atan2(0, x < 0) is pi
    out = mf.atan2(imag(z) if dtype_of(z).kind == "c" else 0.0, real(z))
    return rad2deg(out) if deg else out


def iscomplex(x, /):
    """Whether each element has a non-zero imaginary part."""
    return ew.ne_p.bind(imag(x), 0)


def isreal(x, /):
    """Whether each element has a zero imaginary part."""
    return ew.eq(imag(x), 0)


def select(condlist, choicelist, default=0):
    """Elements of ``choicelist[i]`` where ``condlist[i]`` first holds, else ``default``.

    >>> import fntrans.numpy as fnp
    >>> x = fnp.arange(5.0)
    >>> fnp.select([x < 2, x > 3], [x, x ** 2], -1.0)
    array([ 0.,  1., -1., -1., 16.])
    """
    from fntrans.numpy._ufuncs import where

    if len(condlist) != len(choicelist):
        raise ValueError("select: condlist and choicelist must have the same length")
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where(cond, choice, out)
    return out


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN and infinities replaced by finite numbers; the derivative
    is zero at the replaced entries.

    >>> import fntrans.numpy as fnp
    >>> fnp.nan_to_num(fnp.array([1.0, fnp.nan, fnp.inf]))[:2]
    array([1., 0.])
    """
    from fntrans.numpy._ufuncs import where

    x = _operand(x)
    finfo = np.finfo(dtype_of(x) if dtype_of(x).kind == "f" else np.float64)
    x = where(ew.ne_p.bind(x, x), nan, x)
    x = where(ew.eq_p.bind(x, np.inf), finfo.max if posinf is None else posinf, x)
    return where(ew.eq_p.bind(x, -np.inf), finfo.min if neginf is None else neginf, x)


def interp(x, xp, fp, left=None, right=None):
    """Piecewise-linear interpolation of ``(xp, fp)`` at ``x``, as NumPy's
    ``interp``; differentiable in ``x`` and ``fp`` (the segment of each ``x``
    is found from its concrete value).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> print(ft.grad(lambda x: fnp.interp(x, fnp.array([0.0, 1.0]), fnp.array([0.0, 3.0])))(0.5))
    3.0
    """
    from fntrans.core.tracer import Tracer
    from fntrans.numpy._ufuncs import where
    from fntrans.primitives.indexing import getitem

    x, xp, fp = _operand(x), _operand(xp), _operand(fp)
    concrete = x._concrete_or_raise("interp") if isinstance(x, Tracer) else np.asarray(x)
    xp_values = xp._concrete_or_raise("interp") if isinstance(xp, Tracer) else np.asarray(xp)
    i = np.clip(np.searchsorted(xp_values, concrete, side="right") - 1, 0, len(xp_values) - 2)
    x0, x1 = getitem(xp, (i,)), getitem(xp, (i + 1,))
    f0, f1 = getitem(fp, (i,)), getitem(fp, (i + 1,))
    out = f0 + (x - x0) * (f1 - f0) / (x1 - x0)
    out = where(ew.lt_p.bind(x, xp_values[0]), getitem(fp, 0) if left is None else left, out)
    return where(ew.gt_p.bind(x, xp_values[-1]), getitem(fp, -1) if right is None else right, out)
