"""``autograd.scipy.stats``: :mod:`fntrans.scipy.stats`'s distributions, each a
module of functions as autograd has them, so both
``from ...stats import norm`` and ``import ...stats.norm as norm`` work.

>>> from fntrans.compat.autograd import grad
>>> import fntrans.compat.autograd.scipy.stats.norm as norm
>>> print(grad(lambda mu: norm.logpdf(1.0, mu, 2.0))(0.0))
0.25
"""

from fntrans.compat.autograd.scipy.stats import (
    bernoulli,
    beta,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    laplace,
    logistic,
    multivariate_normal,
    norm,
    poisson,
    t,
)

__all__ = [
    "bernoulli",
    "beta",
    "binom",
    "cauchy",
    "chi2",
    "dirichlet",
    "expon",
    "gamma",
    "laplace",
    "logistic",
    "multivariate_normal",
    "norm",
    "poisson",
    "t",
]
