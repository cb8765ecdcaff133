"""SciPy's special functions (``scipy.special``), differentiable and batchable.

Each takes SciPy's arguments, follows NumPy's broadcasting, keeps float32 as
float32, and works on plain arrays outside a transform too. Orders and shape
parameters (``n`` of ``polygamma``, ``v`` of ``iv``/``jv``/..., ``a`` of
``gammainc``/``gammaincc``) carry no derivative, as in SciPy: differentiating
with respect to one raises ``NotImplementedError``.

>>> import fntrans as ft
>>> import fntrans.scipy.special as fsp
>>> print(ft.grad(fsp.gammaln)(3.0))
0.9227843350984671
"""

from __future__ import annotations

import math

import numpy as np

from fntrans.core import constants
from fntrans.core.tracer import Tracer
from fntrans.numpy import _reductions as reductions
from fntrans.numpy._indexing import where
from fntrans.numpy._math import sinc
from fntrans.numpy._util import asarray, concrete, operand
from fntrans.primitives import elementwise as ew
from fntrans.primitives import math_functions as mf
from fntrans.primitives import special as sp
from fntrans.primitives.broadcasting import broadcast_to
from fntrans.primitives.shape import reshape

__all__ = [
    "beta",
    "betainc",
    "betaincc",
    "betainccinv",
    "betaincinv",
    "betaln",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcinv",
    "erfcx",
    "erfinv",
    "expit",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammainccinv",
    "gammaincinv",
    "gammaln",
    "gammasgn",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "iv",
    "ive",
    "j0",
    "j1",
    "jn",
    "jv",
    "kv",
    "kve",
    "log_expit",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "rgamma",
    "sinc",
    "softmax",
    "stdtr",
    "stdtrit",
    "xlog1py",
    "xlogy",
    "y0",
    "y1",
    "yn",
    "yv",
]

# ---- the gamma family ----


def gammaln(x, /):
    """The logarithm of the absolute value of the gamma function; its
    derivative is ``digamma``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.gammaln(5.0), ft.grad(fsp.gammaln)(1.0))
    3.1780538303479458 -0.5772156649015329
    """
    return sp.gammaln_p.bind(operand(x))


def gamma(x, /):
    """The gamma function; its derivative is ``gamma(x) * digamma(x)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.gamma(5.0), ft.grad(fsp.gamma)(2.0))
    24.0 0.42278433509846713
    """
    return sp.gamma_p.bind(operand(x))


def rgamma(x, /):
    """``1 / gamma(x)``, zero at the poles of ``gamma``.

    >>> import fntrans.scipy.special as fsp
    >>> print(fsp.rgamma(4.0))
    0.16666666666666666
    """
    return sp.rgamma_p.bind(operand(x))


def gammasgn(x, /):
    """The sign of the gamma function (its derivative is zero).

    >>> import fntrans.scipy.special as fsp
    >>> print(fsp.gammasgn(-0.5))
    -1.0
    """
    return sp.gammasgn_p.bind(operand(x))


def digamma(x, /):
    """The digamma function ``d gammaln / dx``; its derivative is ``polygamma(1, x)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.digamma(1.0), ft.grad(fsp.digamma)(1.0))
    -0.5772156649015329 1.6449340668482266
    """
    return sp.digamma_p.bind(operand(x))


psi = digamma


def polygamma(n, x):
    """The ``n``-th derivative of ``digamma``; ``n`` holds non-negative integers
    (concrete values: an order carries no derivative).

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.polygamma(1, 1.0), ft.grad(lambda x: fsp.polygamma(1, x))(1.0))
    1.6449340668482266 -2.404113806319188
    """
    x = operand(x)
    orders = np.asarray(concrete(n, "the order n of polygamma"))
    if orders.dtype.kind not in "biu":
        if orders.dtype.kind != "f" or np.any(orders != np.round(orders)):
            raise ValueError(f"polygamma: the order n must hold integers, but got {n!r}.")
        orders = orders.astype(np.int64)
    if orders.ndim == 0:
        return sp.polygamma(x, int(orders))
    # each distinct order is one primitive call, picked where n has it
    values = np.unique(orders)
    out = sp.polygamma(x, int(values[0]))
    for k in values[1:]:
        out = where(constants.asarray(orders == k, like=x), sp.polygamma(x, int(k)), out)
    shape = np.broadcast_shapes(orders.shape, np.shape(out))
    return out if np.shape(out) == shape else broadcast_to(out, shape)


def _any_at_most(a, bound) -> bool:
    """Whether some entry of ``a`` is at most ``bound``, compared where ``a``
    lives (one boolean comes back from a device)."""
    module = constants.module_for(a)
    return bool(module.any(module.asarray(a) <= bound))


def multigammaln(a, d: int):
    """The log of the multivariate gamma function of dimension ``d``:
    ``d (d - 1) / 4 log(pi) + sum_j gammaln(a - j / 2)`` for ``j < d``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.multigammaln(3.0, 2), ft.grad(lambda a: fsp.multigammaln(a, 2))(3.0))
    1.5501949939575645 1.6259409757437102
    """
    a = operand(a)
    d = int(d)
    if d < 1:
        raise ValueError(f"multigammaln: the dimension d must be a positive integer, got {d}.")
    if not isinstance(a, Tracer) and _any_at_most(a, 0.5 * (d - 1)):
        raise ValueError(f"multigammaln: requires a > (d - 1) / 2 = {0.5 * (d - 1)}, got {a!r}.")
    out = ew.add(gammaln(a), d * (d - 1) * 0.25 * math.log(math.pi))
    for j in range(1, d):
        out = ew.add(out, gammaln(ew.sub(a, 0.5 * j)))
    return out


def beta(a, b, /):
    """The beta function ``gamma(a) gamma(b) / gamma(a + b)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.beta(2.0, 3.0), ft.grad(fsp.beta)(2.0, 3.0))
    0.08333333333333333 -0.0902777777777778
    """
    return sp.beta_p.bind(operand(a), operand(b))


def betaln(a, b, /):
    """``log |beta(a, b)|``; its partial derivatives are ``digamma(a) - digamma(a + b)``
    and ``digamma(b) - digamma(a + b)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.betaln(2.0, 3.0), ft.grad(fsp.betaln, argnums=1)(2.0, 3.0))
    -2.4849066497880004 -0.5833333333333331
    """
    return sp.betaln_p.bind(operand(a), operand(b))


def gammainc(a, x, /):
    """The regularized lower incomplete gamma function ``P(a, x)``.

    Differentiable in ``x`` (``x^(a-1) exp(-x) / gamma(a)``); not in ``a``,
    as in SciPy: differentiating with respect to ``a`` raises
    ``NotImplementedError``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.gammainc(1.0, 2.0), ft.grad(fsp.gammainc, argnums=1)(1.0, 2.0))
    0.8646647167633873 0.1353352832366127
    """
    return sp.gammainc_p.bind(operand(a), operand(x))


def gammaincc(a, x, /):
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``;
    differentiable in ``x`` only (see ``gammainc``).

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.gammaincc(1.0, 2.0), ft.grad(fsp.gammaincc, argnums=1)(1.0, 2.0))
    0.1353352832366127 -0.1353352832366127
    """
    return sp.gammaincc_p.bind(operand(a), operand(x))


# ---- error functions and the normal distribution ----


def erf(x, /):
    """The error function; its derivative is ``2 / sqrt(pi) exp(-x^2)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.erf(0.5), ft.grad(fsp.erf)(0.0))
    0.5204998778130465 1.1283791670955126
    """
    return sp.erf_p.bind(operand(x))


def erfc(x, /):
    """The complementary error function ``1 - erf(x)``, accurate for large ``x``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.erfc(0.5), ft.grad(fsp.erfc)(0.0))
    0.4795001221869535 -1.1283791670955126
    """
    return sp.erfc_p.bind(operand(x))


def erfcx(x, /):
    """The scaled complementary error function ``exp(x^2) erfc(x)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.erfcx(0.0), ft.grad(fsp.erfcx)(0.0))
    1.0 -1.1283791670955126
    """
    return sp.erfcx_p.bind(operand(x))


def erfinv(y, /):
    """The inverse of ``erf`` on ``(-1, 1)``; its derivative is
    ``sqrt(pi) / 2 exp(erfinv(y)^2)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.erfinv(0.0), ft.grad(fsp.erfinv)(0.0))
    0.0 0.8862269254527579
    """
    return sp.erfinv_p.bind(operand(y))


def erfcinv(y, /):
    """The inverse of ``erfc`` on ``(0, 2)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.erfcinv(1.0), ft.grad(fsp.erfcinv)(1.0))
    0.0 -0.8862269254527579
    """
    return sp.erfcinv_p.bind(operand(y))


def ndtr(x, /):
    """The standard normal cumulative distribution function.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.ndtr(0.0), ft.grad(fsp.ndtr)(0.0))
    0.5 0.3989422804014327
    """
    return sp.ndtr_p.bind(operand(x))


def ndtri(y, /):
    """The inverse of ``ndtr`` on ``(0, 1)``; its derivative is
    ``sqrt(2 pi) exp(ndtri(y)^2 / 2)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.ndtri(0.5), ft.grad(fsp.ndtri)(0.5))
    0.0 2.5066282746310002
    """
    return sp.ndtri_p.bind(operand(y))


def log_ndtr(x, /):
    """``log(ndtr(x))``, accurate far in both tails, and so is its derivative.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.log_ndtr(-30.0), ft.grad(fsp.log_ndtr)(-30.0))
    -454.32124395634327 30.03325966743577
    """
    return sp.log_ndtr_p.bind(operand(x))


# ---- the logistic functions ----


def expit(x, /):
    """The logistic sigmoid ``1 / (1 + exp(-x))``; its derivative
    ``expit(x) expit(-x)`` is exact in both tails.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.expit(0.0), ft.grad(fsp.expit)(0.0), ft.grad(fsp.expit)(1000.0))
    0.5 0.25 0.0
    """
    return sp.expit_p.bind(operand(x))


def logit(p, /):
    """``log(p / (1 - p))``, the inverse of ``expit``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.logit(0.5), ft.grad(fsp.logit)(0.5))
    0.0 4.0
    """
    return sp.logit_p.bind(operand(p))


def log_expit(x, /):
    """``log(expit(x))`` without overflow; its derivative is ``expit(-x)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.log_expit(-1000.0), ft.grad(fsp.log_expit)(-1000.0))
    -1000.0 1.0
    """
    return sp.log_expit_p.bind(operand(x))


# ---- x log y and entropy ----


def xlogy(x, y, /):
    """``x * log(y)``, taken as 0 where ``x == 0`` (also where ``y == 0``).

    Its derivative in ``y``, ``x / y``, is 0 where ``x == 0``; in ``x`` it is
    ``log(y)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.xlogy(0.0, 0.0), ft.grad(fsp.xlogy, argnums=1)(0.0, 0.0))
    0.0 0.0
    """
    return sp.xlogy_p.bind(operand(x), operand(y))


def xlog1py(x, y, /):
    """``x * log1p(y)``, taken as 0 where ``x == 0``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.xlog1py(2.0, 0.0), ft.grad(fsp.xlog1py, argnums=1)(2.0, 0.0))
    0.0 2.0
    """
    return sp.xlog1py_p.bind(operand(x), operand(y))


def entr(x, /):
    """The elementwise entropy ``-x log(x)`` (0 at 0, ``-inf`` below 0); its
    derivative ``-(log(x) + 1)`` is defined for ``x > 0``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.entr(1.0), ft.grad(fsp.entr)(1.0))
    -0.0 -1.0
    """
    return sp.entr_p.bind(operand(x))


# ---- modified Bessel functions ----


def i0(x, /):
    """The modified Bessel function of order 0; its derivative is ``i1``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.i0(0.0), ft.grad(fsp.i0)(1.0))
    1.0 0.5651591039924851
    """
    return sp.i0_p.bind(operand(x))


def i1(x, /):
    """The modified Bessel function of order 1; its derivative is
    ``(i0(x) + iv(2, x)) / 2`` (1/2 at 0).

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.i1(0.0), ft.grad(fsp.i1)(0.0))
    0.0 0.5
    """
    return sp.i1_p.bind(operand(x))


def i0e(x, /):
    """The exponentially scaled ``i0``: ``exp(-|x|) i0(x)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.i0e(0.0), ft.grad(fsp.i0e)(1.0))
    1.0 -0.25784919224393194
    """
    return sp.i0e_p.bind(operand(x))


def i1e(x, /):
    """The exponentially scaled ``i1``: ``exp(-|x|) i1(x)``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.i1e(0.0), ft.grad(fsp.i1e)(0.0))
    0.0 0.5
    """
    return sp.i1e_p.bind(operand(x))


def iv(v, x, /):
    """The modified Bessel function of real order ``v``.

    Differentiable in ``x``: ``(iv(v - 1, x) + iv(v + 1, x)) / 2``; not in the
    order ``v``, as in SciPy (differentiating with respect to it raises
    ``NotImplementedError``).

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.iv(1.0, 0.0), ft.grad(fsp.iv, argnums=1)(1.0, 0.0))
    0.0 0.5
    """
    return sp.iv_p.bind(operand(v), operand(x))


def ive(v, x, /):
    """The exponentially scaled ``iv``: ``iv(v, x) exp(-|x|)``; differentiable
    in ``x`` only (see ``iv``).

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.ive(0.0, 1.0), ft.grad(fsp.ive, argnums=1)(0.0, 1.0))
    0.4657596075936404 -0.257849192243932
    """
    return sp.ive_p.bind(operand(v), operand(x))


# ---- Bessel functions of the first and second kind ----


def j0(x, /):
    """The Bessel function of the first kind of order 0; its derivative is ``-j1``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.j0(0.0), ft.grad(fsp.j0)(0.0))
    1.0 -0.0
    """
    return sp.j0_p.bind(operand(x))


def j1(x, /):
    """The Bessel function of the first kind of order 1; its derivative is
    ``(j0(x) - jv(2, x)) / 2`` (1/2 at 0).

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.j1(0.0), ft.grad(fsp.j1)(0.0))
    0.0 0.5
    """
    return sp.j1_p.bind(operand(x))


def jv(v, x, /):
    """The Bessel function of the first kind of real order ``v``.

    Differentiable in ``x``: ``(jv(v - 1, x) - jv(v + 1, x)) / 2``; not in the
    order ``v``, as in SciPy (differentiating with respect to it raises
    ``NotImplementedError``). Complex ``x`` is differentiable too.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.jv(1.0, 0.0), ft.grad(fsp.jv, argnums=1)(1.0, 0.0))
    0.0 0.5
    """
    return sp.jv_p.bind(operand(v), operand(x))


# SciPy's jn is its jv
jn = jv


def y0(x, /):
    """The Bessel function of the second kind of order 0 (``x > 0``); its
    derivative is ``-y1``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(round(float(fsp.y0(1.0)), 6), round(float(ft.grad(fsp.y0)(1.0)), 6))
    0.088257 0.781213
    """
    return sp.y0_p.bind(operand(x))


def y1(x, /):
    """The Bessel function of the second kind of order 1 (``x > 0``); its
    derivative is ``(y0(x) - yv(2, x)) / 2``.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(round(float(fsp.y1(1.0)), 6), round(float(ft.grad(fsp.y1)(1.0)), 6))
    -0.781213 0.86947
    """
    return sp.y1_p.bind(operand(x))


def yn(n, x, /):
    """The Bessel function of the second kind of integer order ``n`` (a float
    order is truncated, as in SciPy).

    Differentiable in ``x``: ``(yn(n - 1, x) - yn(n + 1, x)) / 2``; not in
    ``n`` (differentiating with respect to it raises ``NotImplementedError``).

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(round(float(ft.grad(fsp.yn, argnums=1)(0, 1.0)), 6))
    0.781213
    """
    return sp.yn_p.bind(operand(n), operand(x))


def yv(v, x, /):
    """The Bessel function of the second kind of real order ``v``.

    Differentiable in ``x``: ``(yv(v - 1, x) - yv(v + 1, x)) / 2``; not in the
    order ``v``, as in SciPy (differentiating with respect to it raises
    ``NotImplementedError``). Complex ``x`` is differentiable too.

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(round(float(ft.grad(fsp.yv, argnums=1)(0.0, 1.0)), 6))
    0.781213
    """
    return sp.yv_p.bind(operand(v), operand(x))


def kv(v, x, /):
    """The modified Bessel function of the second kind of real order ``v``
    (``x > 0``).

    Differentiable in ``x``: ``-(kv(v - 1, x) + kv(v + 1, x)) / 2``; not in the
    order ``v``, as in SciPy (differentiating with respect to it raises
    ``NotImplementedError``).

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> print(round(float(ft.grad(fsp.kv, argnums=1)(0.0, 1.0)), 6))
    -0.601907
    """
    return sp.kv_p.bind(operand(v), operand(x))


def kve(v, x, /):
    """The exponentially scaled ``kv``: ``kv(v, x) exp(x)``; differentiable in
    ``x`` only (see ``kv``).

    >>> import fntrans as ft, fntrans.scipy.special as fsp
    >>> dkve = ft.grad(fsp.kve, argnums=1)
    >>> print(round(float(fsp.kve(0.0, 1.0)), 6), round(float(dkve(0.0, 1.0)), 6))
    1.144463 -0.49169
    """
    return sp.kve_p.bind(operand(v), operand(x))


# ---- log-sum-exp and softmax ----


def _shift(a, axis):
    """The maximum of ``a`` over ``axis`` (kept dimensions), 0 where it is not
    finite, as a constant: ``exp(a - shift)`` cannot overflow, and subtracting
    a constant leaves the derivative exact (that of softmax, with no NaN at
    ``-inf`` entries)."""
    if math.prod(a.shape) == 0:  # no maximum: an empty sum's 0, shaped like one
        return ew.stop_gradient(ew.mul(reductions.sum(a, axis=axis, keepdims=True), 0.0))
    m = ew.stop_gradient(reductions.max(a, axis=axis, keepdims=True))
    return where(ew.isfinite_p.bind(m), m, 0.0)


def _inexact(a):
    a = asarray(a)
    return a if a.dtype.kind in "fc" else ew.convert_element_type(a, dtype=np.float64)


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False):
    """``log(sum(b * exp(a)))`` over ``axis``, without overflow (SciPy's signature).

    Its gradient is the softmax of ``a`` (weighted by ``b``), with zeros, not
    NaN, at ``-inf`` entries. With ``return_sign=True`` returns
    ``(log|s|, sign(s))`` for ``s = sum(b * exp(a))``, for negative weights.
    Entries whose weight is exactly 0 are left out, as in SciPy, so the
    derivative with respect to such a weight is 0.

    >>> import numpy as np, fntrans as ft, fntrans.scipy.special as fsp
    >>> print(fsp.logsumexp(np.array([1000.0, 1000.0])))
    1000.6931471805599
    >>> ft.grad(fsp.logsumexp)(np.array([0.0, -np.inf]))
    array([1., 0.])
    """
    a = _inexact(a)
    if b is not None:
        # entries with no weight are left out, as in SciPy: a huge a there
        # neither sets the scale nor makes 0 * inf
        b = asarray(b)
        a = where(ew.ne_p.bind(b, 0), a, -np.inf)
    m = _shift(a, axis)
    e = mf.exp(ew.sub(a, m))
    if b is not None:
        e = ew.mul(b, e)
    s = reductions.sum(e, axis=axis, keepdims=keepdims)
    m = reshape(m, s.shape)
    if return_sign:
        sign = mf.sign(s)
        return ew.add(mf.log(mf.abs_p.bind(s)), m), sign
    return ew.add(mf.log(s), m)


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` over ``axis`` (all of ``x`` by default).

    >>> import numpy as np, fntrans.scipy.special as fsp
    >>> fsp.softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    x = _inexact(x)
    e = mf.exp(ew.sub(x, _shift(x, axis)))
    return ew.div(e, reductions.sum(e, axis=axis, keepdims=True))


def log_softmax(x, axis=None):
    """``log(softmax(x))``, computed as ``x - logsumexp(x)`` without overflow.

    >>> import numpy as np, fntrans.scipy.special as fsp
    >>> fsp.log_softmax(np.array([1000.0, 1000.0]))
    array([-0.69314718, -0.69314718])
    """
    x = _inexact(x)
    shifted = ew.sub(x, _shift(x, axis))
    return ew.sub(shifted, mf.log(reductions.sum(mf.exp(shifted), axis=axis, keepdims=True)))


# ---- incomplete beta, Student's t and the inverses: differentiable in the last argument ----


def betainc(a, b, x, /):
    """The regularized incomplete beta function ``I_x(a, b)``.

    Differentiable in ``x`` only, as SciPy gives no derivative in
    the other arguments (differentiating with respect to one raises).

    >>> import fntrans.scipy.special as fsp
    >>> print(fsp.betainc(0.5, 0.5, 0.5))
    0.5
    """
    return sp.betainc_p.bind(operand(a), operand(b), operand(x))


def betaincc(a, b, x, /):
    """The complement ``1 - I_x(a, b)``.

    Differentiable in ``x`` only, as SciPy gives no derivative in
    the other arguments (differentiating with respect to one raises).

    >>> import fntrans.scipy.special as fsp
    >>> print(fsp.betaincc(0.5, 0.5, 0.5))
    0.5
    """
    return sp.betaincc_p.bind(operand(a), operand(b), operand(x))


def betaincinv(a, b, y, /):
    """The inverse of ``betainc`` in ``x``.

    Differentiable in ``y`` only, as SciPy gives no derivative in
    the other arguments (differentiating with respect to one raises).

    >>> import fntrans.scipy.special as fsp
    >>> print(fsp.betaincinv(0.5, 0.5, 0.5))
    0.5
    """
    return sp.betaincinv_p.bind(operand(a), operand(b), operand(y))


def betainccinv(a, b, y, /):
    """The inverse of ``betaincc`` in ``x``.

    Differentiable in ``y`` only, as SciPy gives no derivative in
    the other arguments (differentiating with respect to one raises).

    >>> import fntrans.scipy.special as fsp
    >>> print(fsp.betainccinv(0.5, 0.5, 0.5))
    0.5
    """
    return sp.betainccinv_p.bind(operand(a), operand(b), operand(y))


def gammaincinv(a, y, /):
    """The inverse of ``gammainc`` in ``x``.

    Differentiable in ``y`` only, as SciPy gives no derivative in
    the other arguments (differentiating with respect to one raises).

    >>> import fntrans.scipy.special as fsp
    >>> print(round(float(fsp.gammaincinv(1.0, 0.5)), 12))
    0.69314718056
    """
    return sp.gammaincinv_p.bind(operand(a), operand(y))


def gammainccinv(a, y, /):
    """The inverse of ``gammaincc`` in ``x``.

    Differentiable in ``y`` only, as SciPy gives no derivative in
    the other arguments (differentiating with respect to one raises).

    >>> import fntrans.scipy.special as fsp
    >>> print(round(float(fsp.gammainccinv(1.0, 0.5)), 12))
    0.69314718056
    """
    return sp.gammainccinv_p.bind(operand(a), operand(y))


def stdtr(df, t, /):
    """Student's t distribution function with ``df`` degrees of freedom.

    Differentiable in ``t`` only, as SciPy gives no derivative in
    the other arguments (differentiating with respect to one raises).

    >>> import fntrans.scipy.special as fsp
    >>> print(fsp.stdtr(3.0, 0.0))
    0.5
    """
    return sp.stdtr_p.bind(operand(df), operand(t))


def stdtrit(df, p, /):
    """The inverse of ``stdtr`` in ``t``.

    Differentiable in ``p`` only, as SciPy gives no derivative in
    the other arguments (differentiating with respect to one raises).

    >>> import fntrans.scipy.special as fsp
    >>> print(fsp.stdtrit(3.0, 0.5))
    0.0
    """
    return sp.stdtrit_p.bind(operand(df), operand(p))
