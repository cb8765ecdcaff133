"""Discrete distributions on the integers: ``poisson``, ``bernoulli``, ``binom``.

The mass functions are written in logs (``xlogy``, ``xlog1py``, ``gammaln``),
so that ``p`` or ``mu`` at the ends of their range give exact zeros; the
cumulative ones go through the incomplete gamma and beta functions. All are
differentiable in the continuous parameter (``mu``, ``p``); ``k`` enters
through ``floor`` in the cumulative functions and the quantiles are
piecewise constant, so their derivatives there are zero.
"""

from __future__ import annotations

import numpy as np

import fntrans.numpy as fnp
from fntrans.primitives import special as sp
from fntrans.primitives.elementwise import stop_gradient
from fntrans.scipy import special
from fntrans.scipy.stats._base import DiscreteDistribution, on_support


def _is_integer(k):
    return k == fnp.floor(k)


def _with_ends(q, inside, lower, upper):
    """``inside(q)`` for ``0 < q < 1``, with SciPy's values at the ends:
    ``lower`` (one below the support) at ``q = 0``, ``upper`` at ``q = 1``."""
    ends = fnp.where(q == 0, lower, upper).astype(q.dtype)
    return on_support((q > 0) & (q < 1), q, 0.5, inside, ends)


class poisson_gen(DiscreteDistribution):
    """Poisson distribution with mean ``mu >= 0``: ``pmf(k) = mu^k exp(-mu) / k!``."""

    name = "poisson"
    shapes = ("mu",)
    safe = (1.0,)

    def _argcheck(self, mu):
        return mu >= 0

    def _logpmf(self, k, mu):
        def inside(k):
            return special.xlogy(k, mu) - special.gammaln(k + 1.0) - mu

        return on_support((k >= 0) & _is_integer(k), k, 0.0, inside, -np.inf)

    def _cdf(self, k, mu):
        return on_support(k >= 0, k, 0.0, lambda k: special.gammaincc(fnp.floor(k) + 1.0, mu), 0.0)

    def _sf(self, k, mu):
        return on_support(k >= 0, k, 0.0, lambda k: special.gammainc(fnp.floor(k) + 1.0, mu), 1.0)

    def _ppf(self, q, mu):
        # SciPy's way: invert the cdf in k continuously, then step to the integer
        q, mu = stop_gradient(q), stop_gradient(mu)

        def inside(q):
            above = fnp.ceil(sp.pdtrik_p.bind(q, mu))
            below = fnp.maximum(above - 1.0, 0.0)
            return fnp.where(special.gammaincc(below + 1.0, mu) >= q, below, above)

        return _with_ends(q, inside, -1.0, np.inf)


class bernoulli_gen(DiscreteDistribution):
    """Bernoulli distribution: ``pmf(1) = p``, ``pmf(0) = 1 - p``, for ``0 <= p <= 1``."""

    name = "bernoulli"
    shapes = ("p",)
    safe = (0.5,)

    def _argcheck(self, p):
        return (p >= 0) & (p <= 1)

    def _logpmf(self, k, p):
        def inside(k):
            return special.xlogy(k, p) + special.xlog1py(1.0 - k, -p)

        return on_support((k == 0) | (k == 1), k, 0.0, inside, -np.inf)

    def _cdf(self, k, p):
        return fnp.where(k < 0, 0.0, fnp.where(k < 1, 1.0 - p, 1.0))

    def _sf(self, k, p):
        return fnp.where(k < 0, 1.0, fnp.where(k < 1, p, 0.0))

    def _ppf(self, q, p):
        return _with_ends(q, lambda q: fnp.where(q <= 1.0 - p, 0.0, 1.0).astype(q.dtype), -1.0, 1.0)


class binom_gen(DiscreteDistribution):
    """Binomial distribution of ``n`` trials (an integer ``n >= 0``) with success
    probability ``0 <= p <= 1``.

    ``cdf`` and ``sf`` (incomplete beta functions) are differentiable in ``p``,
    not in ``n``; ``logpmf`` in both (continued to real ``n`` through ``gammaln``).
    """

    name = "binom"
    shapes = ("n", "p")
    safe = (1.0, 0.5)

    def _argcheck(self, n, p):
        return (n >= 0) & _is_integer(n) & (p >= 0) & (p <= 1)

    def _logpmf(self, k, n, p):
        def inside(k):
            # SciPy's form: exact zeros at k = 0 and k = n
            log_choose = special.gammaln(n + 1.0) - (
                special.gammaln(k + 1.0) + special.gammaln(n - k + 1.0)
            )
            return log_choose + special.xlogy(k, p) + special.xlog1py(n - k, -p)

        # n >= k, not k <= n: NumPy hands a scalar k's comparison with a traced n
        # over as a 0-d NumPy array, which a device array may not meet
        on = (k >= 0) & (n >= k) & _is_integer(k)
        return on_support(on, k, 0.0, inside, -np.inf)

    def _cdf(self, k, n, p):
        k = fnp.floor(k)

        def inside(k):
            return sp.betainc_p.bind(n - k, k + 1.0, 1.0 - p)

        return on_support((k >= 0) & (k < n), k, 0.0, inside, lambda k: (k >= n).astype(k.dtype))

    def _sf(self, k, n, p):
        k = fnp.floor(k)

        def inside(k):
            return sp.betainc_p.bind(k + 1.0, n - k, p)

        return on_support((k >= 0) & (k < n), k, 0.0, inside, lambda k: (k < 0).astype(k.dtype))

    def _ppf(self, q, n, p):
        q, n, p = stop_gradient(q), stop_gradient(n), stop_gradient(p)

        def inside(q):
            above = fnp.ceil(sp.bdtrik_p.bind(q, n, p))
            # bdtrik is NaN where all the mass is at one point: at 0 (p = 0 or n = 0), or n
            above = fnp.where(p == 1, n, fnp.where((p == 0) | (n == 0), 0.0, above))
            below = fnp.maximum(above - 1.0, 0.0)
            return fnp.where(self._cdf(below, n, p) >= q, below, above)

        return _with_ends(q, inside, -1.0, n)


poisson = poisson_gen()
bernoulli = bernoulli_gen()
binom = binom_gen()
