"""More elementwise primitives: logaddexp, hypot, fmod and remainder, sinc, and
the floating-point class tests (isfinite, isnan, isinf, signbit).

Each is one NumPy kernel; a binary one is given by its two partial derivatives.
"""

from __future__ import annotations

import math

import numpy as np

from fntrans.core.primitive import Primitive
from fntrans.primitives._batching import elementwise_batch
from fntrans.primitives._rules import dtype_of, ufunc_shape, unary
from fntrans.primitives.elementwise import (
    binary,
    div,
    exp2_p,
    exp_p,
    mul,
    round_p,
    sub,
)


def _quotient(ans, x, y):
    # x = q * y + ans with an integer q; rounding recovers it from the result
    return round_p.bind(div(sub(x, ans), y))


# d logaddexp(x, y) / dx = e^x / (e^x + e^y) = e^(x - ans), at most 1: no overflow
logaddexp_p = binary(
    "logaddexp",
    np.logaddexp,
    lambda ans, x, y: exp_p.bind(sub(x, ans)),
    lambda ans, x, y: exp_p.bind(sub(y, ans)),
)
logaddexp2_p = binary(
    "logaddexp2",
    np.logaddexp2,
    lambda ans, x, y: exp2_p.bind(sub(x, ans)),
    lambda ans, x, y: exp2_p.bind(sub(y, ans)),
)
hypot_p = binary("hypot", np.hypot, lambda ans, x, y: div(x, ans), lambda ans, x, y: div(y, ans))
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

isfinite_p = unary("isfinite", zero_derivative=True)
isnan_p = unary("isnan", zero_derivative=True)
isinf_p = unary("isinf", zero_derivative=True)
signbit_p = unary("signbit", zero_derivative=True)

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
    if order == 0:
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

__all__ = [name for name in dir() if name.endswith("_p")]
