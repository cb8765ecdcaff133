"""``fntrans.scipy.stats``: SciPy's probability distributions with SciPy's
call signatures, differentiable in the continuous arguments and parameters.

>>> import fntrans as ft
>>> from fntrans.scipy.stats import norm
>>> print(ft.grad(lambda mu: norm.logpdf(1.0, loc=mu, scale=2.0))(0.0))
0.25
"""

from fntrans.scipy.stats._continuous import (
    beta,
    cauchy,
    chi2,
    expon,
    gamma,
    laplace,
    logistic,
    norm,
    t,
)
from fntrans.scipy.stats._discrete import bernoulli, binom, poisson
from fntrans.scipy.stats._multivariate import dirichlet, multivariate_normal

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
