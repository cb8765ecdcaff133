"""Op-table cases for scipy.stats distributions: each distribution's methods at
points inside its support, differentiated in ``x`` (or ``q``), ``loc``,
``scale`` and, where SciPy's functions allow it, the shape parameters."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fntrans.numpy as fnp
from fntrans.scipy import stats
from tests.op_cases import OpCase

LOC = (-0.3, 0.3)
SCALE = (0.8, 1.5)
QUANTILE = (0.05, 0.95)
# (x or q, loc, scale): an array against scalars, and a three-way broadcast
LOCATION_SCALE_SHAPES = [((3,), (), ()), ((2, 1), (1, 3), (3,))]
# (x or q, *shape parameters, loc, scale)
ONE_SHAPE_SHAPES = [((3,), (), (), ()), ((2, 1), (1, 3), (3,), ())]
TWO_SHAPES_SHAPES = [((3,), (), (), (), ()), ((2, 1), (1, 3), (3,), (), (2, 1))]


def _cumulative(dist, *shapes):
    """cdf, logcdf, sf and logsf summed, with fixed shape parameters."""

    def f(x, loc, scale):
        return (
            dist.cdf(x, *shapes, loc, scale)
            + dist.logcdf(x, *shapes, loc, scale)
            + dist.sf(x, *shapes, loc, scale)
            + dist.logsf(x, *shapes, loc, scale)
        )

    return f


def _quantiles(dist, *shapes):
    return lambda q, loc, scale: dist.ppf(q, *shapes, loc, scale) + dist.isf(q, *shapes, loc, scale)


def _densities(dist):
    return lambda x, *args: dist.logpdf(x, *args) + dist.pdf(x, *args)


def _location_scale(name, dist, x_domain, *shapes, quantiles=True, loc=LOC, scale=SCALE):
    """Cases for the cumulative functions and the quantiles of ``dist`` with
    its shape parameters fixed at ``shapes``; ``(x - loc) / scale`` stays
    inside the support for ``x``, ``loc``, ``scale`` in their domains."""
    domains = (x_domain, loc, scale)
    frozen = [
        OpCase(f"stats_{name}_cdf", _cumulative(dist, *shapes), LOCATION_SCALE_SHAPES, domains)
    ]
    if quantiles:
        frozen.append(
            OpCase(
                f"stats_{name}_ppf",
                _quantiles(dist, *shapes),
                LOCATION_SCALE_SHAPES,
                (QUANTILE, loc, scale),
            )
        )
    return frozen


CASES = [
    OpCase(
        "stats_norm_density", _densities(stats.norm), LOCATION_SCALE_SHAPES, ((-2, 2), LOC, SCALE)
    ),
    *_location_scale("norm", stats.norm, (-3.0, 3.0)),
    OpCase(
        "stats_expon_density",
        _densities(stats.expon),
        LOCATION_SCALE_SHAPES,
        ((0.5, 3), LOC, SCALE),
    ),
    *_location_scale("expon", stats.expon, (0.5, 3.0)),
    # the kink of laplace at x = loc stays out of reach: x - loc is at least 0.2 from it
    OpCase(
        "stats_laplace_density",
        _densities(stats.laplace),
        LOCATION_SCALE_SHAPES,
        ((0.5, 3), LOC, SCALE),
    ),
    OpCase(
        "stats_laplace_density_left",
        _densities(stats.laplace),
        LOCATION_SCALE_SHAPES,
        ((-3, -0.5), LOC, SCALE),
    ),
    *_location_scale("laplace", stats.laplace, (0.5, 3.0)),
    *_location_scale("laplace_left", stats.laplace, (-3.0, -0.5), quantiles=False),
    OpCase(
        "stats_cauchy_density",
        _densities(stats.cauchy),
        LOCATION_SCALE_SHAPES,
        ((-3, 3), LOC, SCALE),
    ),
    *_location_scale("cauchy", stats.cauchy, (-4.0, 4.0)),
    OpCase(
        "stats_logistic_density",
        _densities(stats.logistic),
        LOCATION_SCALE_SHAPES,
        ((-3, 3), LOC, SCALE),
    ),
    *_location_scale("logistic", stats.logistic, (-4.0, 4.0)),
    OpCase("stats_t_density", _densities(stats.t), ONE_SHAPE_SHAPES, ((-3, 3), (1, 6), LOC, SCALE)),
    *_location_scale("t", stats.t, (-3.0, 3.0), 2.5),
    OpCase(
        "stats_gamma_density",
        _densities(stats.gamma),
        ONE_SHAPE_SHAPES,
        ((0.5, 4), (0.5, 4), LOC, SCALE),
    ),
    *_location_scale("gamma", stats.gamma, (0.5, 4.0), 1.7),
    OpCase(
        "stats_chi2_density",
        _densities(stats.chi2),
        ONE_SHAPE_SHAPES,
        ((0.5, 4), (1, 6), LOC, SCALE),
    ),
    *_location_scale("chi2", stats.chi2, (0.5, 4.0), 3.5),
    OpCase(
        "stats_beta_density",
        _densities(stats.beta),
        TWO_SHAPES_SHAPES,
        ((0.3, 0.7), (0.5, 3), (0.5, 3), (-0.05, 0.05), (1.0, 1.2)),
    ),
    *_location_scale("beta", stats.beta, (0.3, 0.7), 1.5, 2.5, loc=(-0.05, 0.05), scale=(1.0, 1.2)),
]


# discrete distributions: derivatives in the continuous parameter at fixed k
K = np.array([0, 1, 3])  # integer counts keep a float32 parameter float32


def _like(a, x, dtype=None):
    """The NumPy constant ``a`` on the backend of ``x`` (mixing backends is an error)."""
    return fnp.asarray(a.tolist(), dtype=dtype or a.dtype, like=x)


def _masses(dist, *before):
    """logpmf, pmf, cdf, logcdf, sf and logsf at ``K``, summed; ``before`` are
    fixed leading shape parameters."""

    def f(param):
        args = (*before, param)
        k = _like(K, param)
        return (
            dist.logpmf(k, *args)
            + dist.pmf(k, *args)
            + dist.cdf(k, *args)
            + dist.logcdf(k, *args)
            + dist.sf(k, *args)
            + dist.logsf(k, *args)
        )

    return f


DISCRETE_SHAPES = [((),), ((3,),), ((2, 1),)]

CASES += [
    OpCase("stats_poisson", _masses(stats.poisson), DISCRETE_SHAPES, (0.5, 4.0)),
    OpCase("stats_binom", _masses(stats.binom, 5), DISCRETE_SHAPES, (0.1, 0.9)),
    OpCase(
        "stats_bernoulli",
        lambda p: (
            stats.bernoulli.logpmf(_like(K[:2], p), p)
            + stats.bernoulli.pmf(_like(K[:2], p), p)
            + stats.bernoulli.cdf(_like(K[:2] - 1, p), p)
            + stats.bernoulli.logsf(_like(K[:2] - 1, p), p)
        ),
        [((),), ((2,),), ((3, 1),)],
        (0.1, 0.9),
    ),
]


# multivariate distributions


def _spd(data, shape):
    """A well-conditioned symmetric positive definite matrix."""
    n = shape[-1]
    floats = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False, width=64)
    a = data.draw(hnp.arrays(np.float64, shape, elements=floats))
    return a @ a.T / n + np.eye(n)


def _plain(data, shape, low=-1.5, high=1.5):
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    return data.draw(hnp.arrays(np.float64, shape, elements=floats))


def _points_mean_cov(data, shapes, with_imag=False):
    x_shape, mean_shape, cov_shape = shapes
    return [_plain(data, x_shape), _plain(data, mean_shape), _spd(data, cov_shape)]


def _points_mean_variances(data, shapes, with_imag=False):
    x_shape, mean_shape, var_shape = shapes
    return [_plain(data, x_shape), _plain(data, mean_shape), _plain(data, var_shape, 0.5, 2.0)]


def _simplex_alpha(data, shapes, with_imag=False):
    """The first K - 1 coordinates of points inside the simplex (the last is
    implied), and concentrations."""
    x_shape, alpha_shape = shapes
    return [_plain(data, x_shape, 0.1, 0.4), _plain(data, alpha_shape, 0.5, 3.0)]


def _mvn_density(x, mean, cov):
    return stats.multivariate_normal.logpdf(x, mean, cov) + stats.multivariate_normal.pdf(
        x, mean, cov
    )


CASES += [
    OpCase(
        "stats_multivariate_normal",
        _mvn_density,
        [((3,), (3,), (3, 3)), ((4, 2), (2,), (2, 2))],
        draw=_points_mean_cov,
    ),
    OpCase(
        "stats_multivariate_normal_diagonal",
        _mvn_density,
        [((3,), (3,), (3,)), ((4, 2), (2,), (2,)), ((4, 2), (2,), ())],
        draw=_points_mean_variances,
    ),
    OpCase(
        "stats_dirichlet",
        lambda x, alpha: stats.dirichlet.logpdf(x, alpha) + stats.dirichlet.pdf(x, alpha),
        [((2,), (3,)), ((2, 4), (3,))],
        draw=_simplex_alpha,
    ),
]

# the discrete quantiles are piecewise constant: their derivative is zero
Q = np.array([0.1, 0.5, 0.9])
CASES += [
    OpCase(
        "stats_poisson_ppf",
        lambda mu: mu * stats.poisson.ppf(_like(Q, mu, mu.dtype), mu),
        [((),), ((3,),)],
        (0.5, 4.0),
    ),
    OpCase(
        "stats_binom_ppf",
        lambda p: p * stats.binom.ppf(_like(Q, p, p.dtype), 6, p),
        [((),), ((3,),)],
        (0.1, 0.9),
    ),
]
