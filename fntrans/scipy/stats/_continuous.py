"""Continuous distributions in location-scale form, each written in its
standardized variable ``z = (x - loc) / scale``; the tails go through
complementary functions (``expm1``, ``log1p``, ``logaddexp``, ``log_ndtr``)
rather than ``1 - cdf``."""

from __future__ import annotations

import math

import numpy as np

import fntrans.numpy as fnp
from fntrans.primitives import special as sp
from fntrans.scipy import special
from fntrans.scipy.stats._base import ContinuousDistribution, on_support, signed_infinity

_LOG2 = math.log(2.0)
_LOG_PI = math.log(math.pi)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _log1mexp(z):
    """``log(1 - exp(-z))`` for ``z > 0``, accurate at both ends (Mächler 2012)."""
    return fnp.where(z < _LOG2, fnp.log(-fnp.expm1(-z)), fnp.log1p(-fnp.exp(-z)))


class expon_gen(ContinuousDistribution):
    """Exponential distribution: ``pdf(z) = exp(-z)`` for ``z >= 0``."""

    name = "expon"

    def _logpdf(self, z):
        return fnp.where(z >= 0, -z, -np.inf)

    def _cdf(self, z):
        return on_support(z > 0, z, 1.0, lambda z: -fnp.expm1(-z), 0.0)

    def _logcdf(self, z):
        return on_support(z > 0, z, 1.0, _log1mexp, -np.inf)

    def _sf(self, z):
        return on_support(z > 0, z, 1.0, lambda z: fnp.exp(-z), 1.0)

    def _logsf(self, z):
        return fnp.where(z > 0, -z, 0.0)

    def _ppf(self, q):
        return -fnp.log1p(-q)

    def _isf(self, q):
        return -fnp.log(q)


class laplace_gen(ContinuousDistribution):
    """Laplace (double exponential) distribution: ``pdf(z) = exp(-|z|) / 2``."""

    name = "laplace"

    @staticmethod
    def _tail(z):
        # -|z|, written so that its derivative at 0 is that of the z >= 0 branch
        return fnp.where(z < 0, z, -z)

    def _logpdf(self, z):
        return -fnp.abs(z) - _LOG2

    def _cdf(self, z):
        half_tail = 0.5 * fnp.exp(self._tail(z))
        return fnp.where(z < 0, half_tail, 1.0 - half_tail)

    def _sf(self, z):
        half_tail = 0.5 * fnp.exp(self._tail(z))
        return fnp.where(z < 0, 1.0 - half_tail, half_tail)

    def _logcdf(self, z):
        tail = self._tail(z)
        return fnp.where(z < 0, tail - _LOG2, fnp.log1p(-0.5 * fnp.exp(tail)))

    def _logsf(self, z):
        tail = self._tail(z)
        return fnp.where(z < 0, fnp.log1p(-0.5 * fnp.exp(tail)), tail - _LOG2)

    def _ppf(self, q):
        return fnp.where(q <= 0.5, fnp.log(2.0 * q), -fnp.log1p(-q) - _LOG2)

    def _isf(self, q):
        return -self._ppf(q)


class cauchy_gen(ContinuousDistribution):
    """Cauchy distribution: ``pdf(z) = 1 / (pi (1 + z^2))``."""

    name = "cauchy"

    def _logpdf(self, z):
        return -_LOG_PI - fnp.log1p(z * z)

    def _cdf(self, z):
        # arctan2(1, -z) / pi = 1/2 + arctan(z) / pi, without cancellation as z -> -inf
        return fnp.arctan2(1.0, -z) / math.pi

    def _sf(self, z):
        return fnp.arctan2(1.0, z) / math.pi

    def _ppf(self, q):
        # -cot(pi q) below the median and cot(pi (1 - q)) above: accurate in both tails
        def inside(q):
            return 1.0 / fnp.tan(math.pi * fnp.where(q < 0.5, -q, 1.0 - q))

        return on_support((q > 0) & (q < 1), q, 0.5, inside, lambda q: signed_infinity(q, 0.5))

    def _isf(self, q):
        return -self._ppf(q)


class logistic_gen(ContinuousDistribution):
    """Logistic distribution: ``cdf(z) = 1 / (1 + exp(-z))``."""

    name = "logistic"

    def _logpdf(self, z):
        return self._logcdf(z) + self._logsf(z)

    def _logcdf(self, z):
        return -fnp.logaddexp(0.0, -z)

    def _logsf(self, z):
        return -fnp.logaddexp(0.0, z)

    def _cdf(self, z):
        return fnp.exp(self._logcdf(z))

    def _sf(self, z):
        return fnp.exp(self._logsf(z))

    def _ppf(self, q):
        return fnp.log(q) - fnp.log1p(-q)

    def _isf(self, q):
        return -self._ppf(q)


class norm_gen(ContinuousDistribution):
    """Normal distribution: ``pdf(z) = exp(-z^2 / 2) / sqrt(2 pi)``."""

    name = "norm"

    def _logpdf(self, z):
        return -0.5 * (z * z) - _HALF_LOG_2PI

    def _cdf(self, z):
        return special.ndtr(z)

    def _sf(self, z):
        return special.ndtr(-z)

    def _logcdf(self, z):
        return special.log_ndtr(z)

    def _logsf(self, z):
        return special.log_ndtr(-z)

    def _ppf(self, q):
        return special.ndtri(q)

    def _isf(self, q):
        return -special.ndtri(q)


class t_gen(ContinuousDistribution):
    """Student's t distribution with ``df`` degrees of freedom (``df > 0``).

    The cdf, sf and quantiles come from ``stdtr``/``stdtrit``: they are
    differentiable in ``x``, ``q``, ``loc`` and ``scale``, not in ``df``.
    """

    name = "t"
    shapes = ("df",)
    safe = (1.0,)

    def _argcheck(self, df):
        return df > 0

    def _logpdf(self, z, df):
        half = 0.5 * (df + 1.0)
        norm = special.gammaln(half) - special.gammaln(0.5 * df) - 0.5 * (fnp.log(df) + _LOG_PI)
        return norm - half * fnp.log1p(z * z / df)

    def _cdf(self, z, df):
        return sp.stdtr_p.bind(df, z)

    def _sf(self, z, df):
        return sp.stdtr_p.bind(df, -z)

    def _ppf(self, q, df):
        # stdtrit gives +inf at q = 0: the end points are the support's
        def inside(q):
            return sp.stdtrit_p.bind(df, q)

        return on_support((q > 0) & (q < 1), q, 0.5, inside, lambda q: signed_infinity(q, 0.5))

    def _isf(self, q, df):
        return -self._ppf(q, df)


class gamma_gen(ContinuousDistribution):
    """Gamma distribution with shape ``a > 0``: ``pdf(z) = z^(a-1) exp(-z) / Gamma(a)``.

    The cdf, sf and quantiles (incomplete gamma functions) are differentiable
    in ``x``, ``q``, ``loc`` and ``scale``, not in ``a``.
    """

    name = "gamma"
    shapes = ("a",)
    safe = (1.0,)

    def _argcheck(self, a):
        return a > 0

    def _logpdf(self, z, a):
        return on_support(
            z >= 0, z, 1.0, lambda z: special.xlogy(a - 1.0, z) - z - special.gammaln(a), -np.inf
        )

    def _cdf(self, z, a):
        return on_support(z > 0, z, 1.0, lambda z: special.gammainc(a, z), 0.0)

    def _sf(self, z, a):
        return on_support(z > 0, z, 1.0, lambda z: special.gammaincc(a, z), 1.0)

    def _ppf(self, q, a):
        return sp.gammaincinv_p.bind(a, q)

    def _isf(self, q, a):
        return sp.gammainccinv_p.bind(a, q)


class chi2_gen(ContinuousDistribution):
    """Chi-squared distribution with ``df > 0`` degrees of freedom (a gamma
    distribution with ``a = df / 2`` and scale 2); differentiable as ``gamma``."""

    name = "chi2"
    shapes = ("df",)
    safe = (1.0,)

    def _argcheck(self, df):
        return df > 0

    def _logpdf(self, z, df):
        a = 0.5 * df

        def inside(z):
            return special.xlogy(a - 1.0, z) - 0.5 * z - special.gammaln(a) - a * _LOG2

        return on_support(z >= 0, z, 1.0, inside, -np.inf)

    def _cdf(self, z, df):
        return on_support(z > 0, z, 1.0, lambda z: special.gammainc(0.5 * df, 0.5 * z), 0.0)

    def _sf(self, z, df):
        return on_support(z > 0, z, 1.0, lambda z: special.gammaincc(0.5 * df, 0.5 * z), 1.0)

    def _ppf(self, q, df):
        return 2.0 * sp.gammaincinv_p.bind(0.5 * df, q)

    def _isf(self, q, df):
        return 2.0 * sp.gammainccinv_p.bind(0.5 * df, q)


class beta_gen(ContinuousDistribution):
    """Beta distribution with shapes ``a, b > 0`` on [0, 1]:
    ``pdf(z) = z^(a-1) (1-z)^(b-1) / B(a, b)``.

    The cdf, sf and quantiles (incomplete beta functions) are differentiable in
    ``x``, ``q``, ``loc`` and ``scale``, not in ``a`` or ``b``.
    """

    name = "beta"
    shapes = ("a", "b")
    safe = (1.0, 1.0)

    def _argcheck(self, a, b):
        return (a > 0) & (b > 0)

    def _logpdf(self, z, a, b):
        def inside(z):
            return special.xlogy(a - 1.0, z) + special.xlog1py(b - 1.0, -z) - special.betaln(a, b)

        return on_support((z >= 0) & (z <= 1), z, 0.5, inside, -np.inf)

    def _cdf(self, z, a, b):
        inside = (z > 0) & (z < 1)
        return on_support(
            inside, z, 0.5, lambda z: sp.betainc_p.bind(a, b, z), lambda z: (z >= 1).astype(z.dtype)
        )

    def _sf(self, z, a, b):
        inside = (z > 0) & (z < 1)
        return on_support(
            inside,
            z,
            0.5,
            lambda z: sp.betaincc_p.bind(a, b, z),
            lambda z: (z <= 0).astype(z.dtype),
        )

    def _ppf(self, q, a, b):
        return sp.betaincinv_p.bind(a, b, q)

    def _isf(self, q, a, b):
        return sp.betainccinv_p.bind(a, b, q)


norm = norm_gen()
t = t_gen()
gamma = gamma_gen()
chi2 = chi2_gen()
beta = beta_gen()
expon = expon_gen()
laplace = laplace_gen()
cauchy = cauchy_gen()
logistic = logistic_gen()
