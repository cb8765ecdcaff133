"""NumPy's mathematical functions, elementwise: arithmetic, powers, exponents
and logarithms, trigonometric and hyperbolic functions, rounding, complex
parts, extrema (``maximum``, ``clip``) and the rest of NumPy's "Mathematical
functions" (``sinc``, ``nan_to_num``, ``interp``, ...). Most are ufuncs that
bind one primitive."""

from __future__ import annotations

import math

import numpy as np

from fntrans import errors
from fntrans.core import constants
from fntrans.core.aval import dtype_of
from fntrans.core.tracer import Tracer
from fntrans.numpy._indexing import where
from fntrans.numpy._util import binary, operand, unary
from fntrans.primitives import elementwise as ew
from fntrans.primitives import math_functions as mf
from fntrans.primitives.indexing import getitem

add = binary(ew.add_p, "add")
subtract = binary(ew.sub_p, "subtract")
multiply = binary(ew.mul_p, "multiply")
divide = true_divide = binary(ew.div_p, "divide")
power = binary(mf.pow_p, "power")
maximum = binary(mf.max_p, "maximum")
minimum = binary(mf.min_p, "minimum")
arctan2 = binary(mf.atan2_p, "arctan2")

logaddexp = binary(mf.logaddexp_p, "logaddexp")
logaddexp.__doc__ = """``log(exp(x) + exp(y))`` without overflow.

>>> import fntrans as ft, fntrans.numpy as fnp
>>> print(fnp.logaddexp(1000.0, 1000.0))
1000.6931471805599
>>> ft.grad(fnp.logaddexp)(0.0, 0.0)
np.float64(0.5)
"""
logaddexp2 = binary(mf.logaddexp2_p, "logaddexp2")
logaddexp2.__doc__ = "``log2(2**x + 2**y)`` without overflow."
hypot = binary(mf.hypot_p, "hypot")
hypot.__doc__ = """``sqrt(x**2 + y**2)`` without overflow.

>>> import fntrans as ft, fntrans.numpy as fnp
>>> ft.grad(fnp.hypot, argnums=(0, 1))(3.0, 4.0)
(np.float64(0.6), np.float64(0.8))
"""
fmod = binary(mf.fmod_p, "fmod")
fmod.__doc__ = "The remainder of ``x / y`` with the sign of ``x`` (C's ``fmod``)."
remainder = mod = binary(mf.remainder_p, "remainder")
remainder.__doc__ = "The remainder of ``x / y`` with the sign of ``y`` (Python's ``%``)."

negative = unary(ew.neg_p, "negative")
exp = unary(mf.exp_p, "exp")
exp2 = unary(mf.exp2_p, "exp2")
expm1 = unary(mf.expm1_p, "expm1")
log = unary(mf.log_p, "log")
log2 = unary(mf.log2_p, "log2")
log10 = unary(mf.log10_p, "log10")
log1p = unary(mf.log1p_p, "log1p")
sin = unary(mf.sin_p, "sin")
cos = unary(mf.cos_p, "cos")
tan = unary(mf.tan_p, "tan")
arcsin = unary(mf.arcsin_p, "arcsin")
arccos = unary(mf.arccos_p, "arccos")
arctan = unary(mf.arctan_p, "arctan")
sinh = unary(mf.sinh_p, "sinh")
cosh = unary(mf.cosh_p, "cosh")
tanh = unary(mf.tanh_p, "tanh")
arcsinh = unary(mf.arcsinh_p, "arcsinh")
arccosh = unary(mf.arccosh_p, "arccosh")
arctanh = unary(mf.arctanh_p, "arctanh")
sqrt = unary(mf.sqrt_p, "sqrt")
cbrt = unary(mf.cbrt_p, "cbrt")
square = unary(mf.square_p, "square")
reciprocal = unary(mf.reciprocal_p, "reciprocal")
absolute = abs = unary(mf.abs_p, "absolute")


def sign(x, /):
    """NumPy's ``sign``: ``z / |z|`` for complex ``z`` (with its derivative);
    the sign of real ``x`` is piecewise constant (derivative 0).

    >>> import fntrans.numpy as fnp
    >>> fnp.sign(3 + 4j)
    np.complex128(0.6+0.8j)
    """
    x = operand(x)
    if dtype_of(x).kind == "c":
        return mf.complex_sign_p.bind(x)
    return mf.sign_p.bind(x)


floor = unary(mf.floor_p, "floor")
ceil = unary(mf.ceil_p, "ceil")
rint = unary(mf.round_p, "rint")
trunc = unary(mf.trunc_p, "trunc")
conjugate = conj = unary(ew.conj_p, "conjugate")
signbit = unary(ew.signbit_p, "signbit")
signbit.__doc__ = "Whether each element has its sign bit set (a boolean array: no derivative)."


def positive(x, /):
    """NumPy's ``positive``: ``x`` itself."""
    return operand(x)


def real(x, /):
    """The real part of ``x`` (a copy for traced arrays)."""
    x = operand(x)
    if not isinstance(x, Tracer) and not hasattr(x, "dtype"):
        x = np.asarray(x)
    return ew.real_p.bind(x) if x.dtype.kind == "c" else x


def imag(x, /):
    """The imaginary part of ``x`` (zeros for a real ``x``)."""
    x = operand(x)
    if not isinstance(x, Tracer) and not hasattr(x, "dtype"):
        x = np.asarray(x)
    if x.dtype.kind == "c":
        return ew.imag_p.bind(x)
    return ew.mul_p.bind(x, 0)


def round(x, decimals: int = 0):
    """NumPy's ``round``; its derivative is zero. Integers stay integers."""
    x = operand(x)
    if dtype_of(x).kind in "biu":
        if decimals >= 0:
            return x
        scale = 10**-decimals  # to a multiple of a power of ten, half to even
        return ew.convert_element_type(
            multiply(mf.round_p.bind(divide(x, scale)), scale), dtype=dtype_of(x)
        )
    if decimals == 0:
        return mf.round_p.bind(operand(x))
    scale = 10.0**decimals
    return divide(mf.round_p.bind(multiply(x, scale)), scale)


around = round


floor_divide = binary(mf.floor_divide_p, "floor_divide")
floor_divide.__doc__ = """NumPy's ``floor_divide`` (``x // y``); its derivative is zero.

Integers stay integers, and floats are rounded as NumPy rounds them:

>>> import fntrans.numpy as fnp
>>> print(fnp.floor_divide(1.0, 0.1), fnp.floor_divide(7, 2))
9.0 3
"""


def divmod(x, y, /):
    """``(floor_divide(x, y), remainder(x, y))``."""
    return floor_divide(x, y), remainder(x, y)


def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):
    """NumPy's ``clip``: limits ``a`` to ``[a_min, a_max]`` (or ``min=``, ``max=``)."""
    if out is not None:
        raise errors.out_argument("clip")
    a_min = min if a_min is None else a_min
    a_max = max if a_max is None else a_max
    if a_min is not None:
        a = maximum(a, a_min)
    if a_max is not None:
        a = minimum(a, a_max)
    return a


def sinc(x, /):
    """``sin(pi x) / (pi x)``, and 1 at 0; its derivatives are exact at 0 too.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> print(ft.grad(ft.grad(fnp.sinc))(0.0))
    -3.289868133696453
    """
    return mf.sinc_p.bind(operand(x), order=0)


def fix(x, /):
    """Rounds toward zero (``trunc``); its derivative is zero."""
    return mf.trunc_p.bind(operand(x))


def fabs(x, /):
    """The absolute value of real ``x``."""
    return mf.abs_p.bind(operand(x))


def deg2rad(x, /):
    """Degrees to radians."""
    return ew.mul_p.bind(operand(x), math.pi / 180)


def rad2deg(x, /):
    """Radians to degrees."""
    return ew.mul_p.bind(operand(x), 180 / math.pi)


radians = deg2rad
degrees = rad2deg


def _as_inexact(x):
    x = operand(x)
    if dtype_of(x).kind in "fc":
        return x
    return ew.convert_element_type(x, dtype=np.float64)


def copysign(x, y, /):
    """``x`` with the sign of ``y``."""
    x, y = _as_inexact(x), operand(y)
    return ew.select(ew.ne_p.bind(ew.signbit_p.bind(x), ew.signbit_p.bind(y)), ew.neg(x), x)


def float_power(x, y, /):
    """``x ** y`` computed in float64 (complex128 for complex operands)."""
    x, y = operand(x), operand(y)
    complex_ = dtype_of(x).kind == "c" or dtype_of(y).kind == "c"
    dtype = np.complex128 if complex_ else np.float64
    x, y = (ew.convert_element_type(a, dtype=dtype) for a in (x, y))
    return mf.pow(x, y)


def angle(z, deg: bool = False):
    """The argument of complex ``z`` (0 or pi for real ``z``)."""
    z = _as_inexact(z)
    # a real z has a zero imaginary part of positive sign: atan2(0, x < 0) is pi
    out = mf.atan2(imag(z) if dtype_of(z).kind == "c" else 0.0, real(z))
    return rad2deg(out) if deg else out


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN and infinities replaced by finite numbers; the derivative
    is zero at the replaced entries.

    >>> import fntrans.numpy as fnp
    >>> fnp.nan_to_num(fnp.array([1.0, fnp.nan, fnp.inf]))[:2]
    array([1., 0.])
    """
    x = operand(x)
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
    x, xp, fp = operand(x), operand(xp), operand(fp)
    xp_values = xp._concrete_or_raise("interp") if isinstance(xp, Tracer) else xp
    # the segments are found where the points live (no transfer off a device)
    module = constants.module_for(xp_values)
    xp_values = module.asarray(xp_values)
    concrete = x._concrete_or_raise("interp") if isinstance(x, Tracer) else x
    concrete = constants.asarray(concrete, like=xp_values)
    i = module.searchsorted(xp_values, concrete, side="right") - 1
    i = module.clip(i, 0, len(xp_values) - 2)
    x0, x1 = getitem(xp, (i,)), getitem(xp, (i + 1,))
    f0, f1 = getitem(fp, (i,)), getitem(fp, (i + 1,))
    out = f0 + (x - x0) * (f1 - f0) / (x1 - x0)
    out = where(ew.lt_p.bind(x, xp_values[0]), getitem(fp, 0) if left is None else left, out)
    return where(ew.gt_p.bind(x, xp_values[-1]), getitem(fp, -1) if right is None else right, out)


def _nan_aware(extremum, name):
    """NumPy's ``fmax``/``fmin``: ``extremum`` of the two, but a NaN loses to a number."""

    def f(x1, x2, /):
        x1, x2 = operand(x1), operand(x2)
        picked = extremum(x1, x2)
        if dtype_of(picked).kind not in "fc":
            return picked
        # where one operand is NaN take the other; select keeps the NaN operand's
        # derivative path at 0 (its branch is not taken)
        picked = ew.select(ew.isnan_p.bind(x1), x2, picked)
        return ew.select(ew.isnan_p.bind(x2), x1, picked)

    f.__name__ = f.__qualname__ = name
    return f


fmax = _nan_aware(maximum, "fmax")
fmax.__doc__ = """The elementwise maximum, ignoring NaNs (NaN only where both are), as
NumPy's ``fmax``; ties share the derivative equally, as in ``maximum``.

>>> import fntrans as ft, fntrans.numpy as fnp
>>> fnp.fmax(fnp.array([1.0, fnp.nan, fnp.nan]), fnp.array([2.0, 3.0, fnp.nan]))
array([ 2.,  3., nan])
>>> ft.grad(lambda x: fnp.sum(fnp.fmax(x, fnp.array([0.0, fnp.nan]))))(fnp.array([1.0, 1.0]))
array([1., 1.])
"""
fmin = _nan_aware(minimum, "fmin")
fmin.__doc__ = """The elementwise minimum, ignoring NaNs (NaN only where both are), as
NumPy's ``fmin``."""


def real_if_close(a, tol=100):
    """The real part of complex ``a`` if every imaginary part is within ``tol``
    machine epsilons of zero (``tol`` itself if it is below 1), else ``a``.

    The choice is made on the concrete value, so it needs one (not under ``jit``).

    >>> import fntrans.numpy as fnp
    >>> fnp.real_if_close(fnp.array([2.1 + 4e-15j, 5.2 + 3e-15j]))
    array([2.1, 5.2])
    """
    a = operand(a)
    if not isinstance(a, Tracer):
        a = constants.asarray(a, like=a)
    if a.dtype.kind != "c":
        return a
    if tol > 1:
        tol = np.finfo(a.dtype).eps * tol
    parts = a._concrete_or_raise("real_if_close") if isinstance(a, Tracer) else a
    module = constants.module_for(parts)
    # the choice is one boolean brought to the host
    if bool(module.all(module.abs(module.imag(parts)) < tol)):
        return ew.real_p.bind(a)
    return a
