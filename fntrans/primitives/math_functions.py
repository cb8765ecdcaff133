"""NumPy's mathematical functions, each given by its derivative through the
elementwise constructors: powers, extrema, exponentials and logarithms,
trigonometric and hyperbolic functions, roots, rounding, ``abs``, and the
two-argument functions (``atan2``, ``logaddexp``, ``hypot``, ``fmod``,
``remainder``), and ``sinc`` with its derivatives.
"""

from __future__ import annotations

import math

import numpy as np

from fntrans.core.aval import dtype_of
from fntrans.core.primitive import Primitive
from fntrans.primitives._util import elementwise_batch
from fntrans.primitives.elementwise import (
    add,
    binary,
    conj,
    convert_element_type,
    div,
    eq,
    gt,
    imag,
    logical_and_p,
    lt,
    mul,
    neg,
    real,
    select,
    sub,
    ufunc_shape,
    unary,
)

# ---- powers and extrema ----


def _pow_dx(ans, x, y):
    # A Python (or concrete NumPy) exponent stays a number, so it never changes x's dtype.
    if isinstance(y, (int, float, complex)):
        if y == 0:
            return mul(0.0, x)  # x ** 0 is flat everywhere, 0 ** 0 included
        return mul(y, x if y == 2 else pow(x, y - 1))
    # the same guard where it matters, at 0 ** 0 (elsewhere the formula holds,
    # with its own derivatives in y): 0, not 0 * inf from 0 ** -1
    flat = logical_and_p.bind(eq(x, 0), eq(y, 0))
    return select(flat, 0.0, mul(select(flat, 1.0, y), pow(x, sub(y, 1))))


def _pow_dy(ans, x, y):
    # d/dy x**y = log(x) * x**y, taken as 0 where x == 0 (0 ** y is flat for y > 0)
    return mul(log(select(eq(x, 0), 1.0, x)), ans)


pow_p = binary("pow", np.power, _pow_dx, _pow_dy)


def _share(x, y, picked):
    """The weight of x in max/min: 1 where picked, 1/2 on ties, 0 elsewhere."""
    dtype = np.result_type(dtype_of(x), dtype_of(y))
    tie = convert_element_type(eq(x, y), dtype=dtype)
    return add(convert_element_type(picked, dtype=dtype), mul(0.5, tie))


max_p = binary(
    "max",
    np.maximum,
    lambda ans, x, y: _share(x, y, gt(x, y)),
    lambda ans, x, y: _share(y, x, gt(y, x)),
)
min_p = binary(
    "min",
    np.minimum,
    lambda ans, x, y: _share(x, y, lt(x, y)),
    lambda ans, x, y: _share(y, x, lt(y, x)),
)
# atan2(x, y): d/dx = y / (x^2 + y^2), d/dy = -x / (x^2 + y^2)
atan2_p = binary(
    "atan2",
    np.arctan2,
    lambda ans, x, y: div(y, add(mul(x, x), mul(y, y))),
    lambda ans, x, y: neg(div(x, add(mul(x, x), mul(y, y)))),
)

# ---- unary math ----

exp_p = unary("exp", jvp=lambda t, ans, x: mul(t, ans))
# Python floats for the constants: a NumPy float64 would promote float32 and complex64
exp2_p = unary("exp2", jvp=lambda t, ans, x: mul(t, mul(ans, math.log(2.0))))
expm1_p = unary("expm1", jvp=lambda t, ans, x: mul(t, add(ans, 1.0)))
log_p = unary("log", jvp=lambda t, ans, x: div(t, x))
log2_p = unary("log2", jvp=lambda t, ans, x: div(t, mul(x, math.log(2.0))))
log10_p = unary("log10", jvp=lambda t, ans, x: div(t, mul(x, math.log(10.0))))
log1p_p = unary("log1p", jvp=lambda t, ans, x: div(t, add(x, 1.0)))
sin_p = unary("sin", jvp=lambda t, ans, x: mul(t, cos(x)))
cos_p = unary("cos", jvp=lambda t, ans, x: neg(mul(t, sin(x))))
# d tan = 1 + tan^2, reusing ans instead of recomputing tan(x)
tan_p = unary("tan", jvp=lambda t, ans, x: mul(t, add(1.0, mul(ans, ans))))
arcsin_p = unary("arcsin", jvp=lambda t, ans, x: div(t, sqrt(sub(1.0, mul(x, x)))))
arccos_p = unary("arccos", jvp=lambda t, ans, x: neg(div(t, sqrt(sub(1.0, mul(x, x))))))
arctan_p = unary("arctan", jvp=lambda t, ans, x: div(t, add(1.0, mul(x, x))))
sinh_p = unary("sinh", jvp=lambda t, ans, x: mul(t, cosh(x)))
cosh_p = unary("cosh", jvp=lambda t, ans, x: mul(t, sinh(x)))
# d tanh = 1 - tanh^2, reusing ans
tanh_p = unary("tanh", jvp=lambda t, ans, x: mul(t, sub(1.0, mul(ans, ans))))
arcsinh_p = unary("arcsinh", jvp=lambda t, ans, x: div(t, sqrt(add(mul(x, x), 1.0))))
arccosh_p = unary("arccosh", jvp=lambda t, ans, x: div(t, sqrt(sub(mul(x, x), 1.0))))
arctanh_p = unary("arctanh", jvp=lambda t, ans, x: div(t, sub(1.0, mul(x, x))))
# d sqrt = 1 / (2 sqrt(x)), reusing ans
sqrt_p = unary("sqrt", jvp=lambda t, ans, x: div(t, mul(2.0, ans)))
cbrt_p = unary("cbrt", jvp=lambda t, ans, x: div(t, mul(3.0, mul(ans, ans))))
square_p = unary("square", jvp=lambda t, ans, x: mul(t, mul(2.0, x)))
reciprocal_p = unary("reciprocal", jvp=lambda t, ans, x: neg(mul(t, mul(ans, ans))))
sign_p = unary("sign", zero_derivative=True)
floor_p = unary("floor", zero_derivative=True)
ceil_p = unary("ceil", zero_derivative=True)
round_p = unary("round", ufunc=np.rint, zero_derivative=True)
trunc_p = unary("trunc", zero_derivative=True)


def _nonzero(ans):
    # |z| where it is not 0, else 1: at z = 0, conj(z) = 0 makes d|z| zero, as
    # sign(0) = 0 does for real x (JAX's convention), instead of 0 / 0
    return select(eq(ans, 0), 1.0, ans)


def _abs_tangent(t, ans, x):
    if dtype_of(x).kind == "c":
        # |z| is not holomorphic: d|z| = Re(conj(z) dz) / |z|
        return div(real(mul(conj(x), t)), _nonzero(ans))
    return mul(t, sign(x))


def _abs_vjp(ct, ans, x, *, needs):
    if dtype_of(x).kind == "c":
        # transpose of t -> Re(conj(z) t) / |z|, with no conjugation of ct
        return (mul(conj(x), div(ct, _nonzero(ans))),)
    return (mul(ct, sign(x)),)


abs_p = unary("abs", ufunc=np.absolute, jvp=_abs_tangent, vjp=_abs_vjp)


# sign(z) = z / |z| of complex z moves only with z's phase:
# d sign = i sign Im(conj(sign) dz) / |z|, and 0 at z = 0 (where sign is 0), as for abs
def _complex_sign_tangent(t, ans, x):
    return mul(mul(ans, 1j), div(imag(mul(conj(ans), t)), _nonzero(abs_p.bind(x))))


def _complex_sign_vjp(ct, ans, x, *, needs):
    # its transpose (no conjugation of ct): i conj(sign) Im(sign ct) / |z|
    return (mul(mul(conj(ans), 1j), div(imag(mul(ans, ct)), _nonzero(abs_p.bind(x)))),)


# NumPy's sign of complex z; the sign of real x (sign_p) has derivative 0
complex_sign_p = unary(
    "complex_sign", ufunc=np.sign, jvp=_complex_sign_tangent, vjp=_complex_sign_vjp
)

# ---- two-argument functions ----


def _quotient(ans, x, y):
    # x = q * y + ans with an integer q; rounding recovers it from the result
    return round_(div(sub(x, ans), y))


# d logaddexp(x, y) / dx = e^x / (e^x + e^y) = e^(x - ans), at most 1: no overflow
logaddexp_p = binary(
    "logaddexp",
    np.logaddexp,
    lambda ans, x, y: exp(sub(x, ans)),
    lambda ans, x, y: exp(sub(y, ans)),
)
logaddexp2_p = binary(
    "logaddexp2",
    np.logaddexp2,
    lambda ans, x, y: exp2(sub(x, ans)),
    lambda ans, x, y: exp2(sub(y, ans)),
)
hypot_p = binary("hypot", np.hypot, lambda ans, x, y: div(x, ans), lambda ans, x, y: div(y, ans))
# NumPy's floor division (1.0 // 0.1 is 9.0, not floor(1.0 / 0.1)): piecewise constant
floor_divide_p = binary("floor_divide", np.floor_divide, zero_derivative=True)
# fmod and remainder are x - q * y with a piecewise-constant q
fmod_p = binary(
    "fmod", np.fmod, lambda ans, x, y: 1.0, lambda ans, x, y: mul(-1.0, _quotient(ans, x, y))
)
remainder_p = binary(
    "remainder",
    np.remainder,
    lambda ans, x, y: 1.0,
    lambda ans, x, y: mul(-1.0, _quotient(ans, x, y)),
)

# ---- sinc and its derivatives: sinc_p(x, order=k) is the k-th derivative ----

_SERIES_TERMS = 24


def _sinc_derivative(xp, x, order):
    """The ``order``-th derivative of sin(pi x) / (pi x), exact at 0.

    With u = pi x: near 0 from the Maclaurin series of sin(u) / u, elsewhere
    from Leibniz's rule on sin(u) * u^-1 (whose terms cancel badly near 0).
    """
    u = xp.pi * x
    small = xp.abs(u) < 1
    u_small = xp.where(small, u, 0)
    u_large = xp.where(small, 1, u)
    series = 0
    # sin(u) / u = sum_n (-1)^n u^(2n) / (2n + 1)!, differentiated `order` times
    for n in range((order + 1) // 2, (order + 1) // 2 + _SERIES_TERMS):
        coef = (-1) ** n / ((2 * n + 1) * math.factorial(2 * n - order))
        series = series + coef * u_small ** (2 * n - order)
    leibniz = 0
    for j in range(order + 1):
        m = order - j
        inverse_power = (-1) ** m * math.factorial(m) * u_large ** -(m + 1)
        leibniz = leibniz + math.comb(order, j) * xp.sin(u_large + j * xp.pi / 2) * inverse_power
    return xp.where(small, series, leibniz) * xp.pi**order


def _sinc_impl(xp, x, *, order):
    if dtype_of(x).kind not in "fc":
        x = xp.asarray(x, dtype=np.float64)
    # NumPy's sinc of complex z divides sin(pi z) by pi z, which overflows to
    # inf + nan j for subnormal z: complex z take the series near 0 as well
    if order == 0 and dtype_of(x).kind != "c":
        return xp.sinc(x)
    return _sinc_derivative(xp, x, order).astype(dtype_of(x), copy=False)


def _sinc_jvp(primals, tangents, *, order):
    (x,), (t,) = primals, tangents
    return sinc_p.bind(x, order=order), mul(t, sinc_p.bind(x, order=order + 1))


sinc_p = Primitive(
    "sinc",
    impl=_sinc_impl,
    shape=lambda x, *, order: ufunc_shape(np.sin)(x),
    jvp=_sinc_jvp,
    vjp=lambda ct, ans, x, *, order, needs: (mul(ct, sinc_p.bind(x, order=order + 1)),),
    batch=elementwise_batch,
)

# ---- binding helpers ----

pow = pow_p.bind
max = max_p.bind
min = min_p.bind
atan2 = atan2_p.bind
exp = exp_p.bind
exp2 = exp2_p.bind
log = log_p.bind
sin = sin_p.bind
cos = cos_p.bind
sinh = sinh_p.bind
cosh = cosh_p.bind
sqrt = sqrt_p.bind
sign = sign_p.bind
round_ = round_p.bind

__all__ = [name for name in dir() if name.endswith("_p")]
