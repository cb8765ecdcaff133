"""fntrans.scipy.stats against scipy.stats: every method of every distribution,
broadcasting, float32, SciPy's argument parsing, invalid parameters, and the
derivatives that are not covered by the op table (errors, zero derivatives)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.stats

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.scipy import stats

# (name, shape parameters, points inside and around the support)
X = np.linspace(-4.0, 4.0, 17)
UNIT = np.array([-0.5, 0.0, 0.05, 0.3, 0.5, 0.7, 0.95, 1.0, 1.5])
CONTINUOUS = [
    ("norm", (), X),
    ("expon", (), X),
    ("laplace", (), X),
    ("cauchy", (), X),
    ("logistic", (), X),
    ("t", (2.5,), X),
    ("t", (30.0,), X),
    ("gamma", (0.7,), X),
    ("gamma", (3.5,), X),
    ("chi2", (1.0,), X),
    ("chi2", (5.0,), X),
    ("beta", (0.6, 2.5), UNIT),
    ("beta", (2.0, 3.0), UNIT),
]
CONTINUOUS_METHODS = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf"]
Q = np.array([0.0, 1e-8, 0.01, 0.3, 0.5, 0.8, 0.999, 1.0])
K = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 4.5, 6.0, 10.0])
DISCRETE = [
    ("poisson", (2.3,)),
    ("poisson", (0.0,)),
    ("bernoulli", (0.3,)),
    ("bernoulli", (0.0,)),
    ("bernoulli", (1.0,)),
    ("binom", (6, 0.35)),
    ("binom", (6, 0.0)),
    ("binom", (6, 1.0)),
    ("binom", (0, 0.4)),
]
DISCRETE_METHODS = ["pmf", "logpmf", "cdf", "logcdf", "sf", "logsf"]


def _ids(table):
    return [f"{row[0]}{row[1]}" for row in table]


@pytest.mark.parametrize("name,shapes,x", CONTINUOUS, ids=_ids(CONTINUOUS))
@pytest.mark.parametrize("method", CONTINUOUS_METHODS + ["ppf", "isf"])
def test_continuous_values_match_scipy(name, shapes, x, method):
    points = Q if method in ("ppf", "isf") else x
    got = getattr(getattr(stats, name), method)(points, *shapes, loc=0.3, scale=1.5)
    want = getattr(getattr(scipy.stats, name), method)(points, *shapes, loc=0.3, scale=1.5)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("name,shapes", DISCRETE, ids=_ids(DISCRETE))
@pytest.mark.parametrize("method", DISCRETE_METHODS + ["ppf", "isf"])
def test_discrete_values_match_scipy(name, shapes, method):
    points = Q[Q != 0.8] if method in ("ppf", "isf") else K  # 0.8 = cdf(0) of bernoulli(0.2)
    got = getattr(getattr(stats, name), method)(points, *shapes, loc=1)
    want = getattr(getattr(scipy.stats, name), method)(points, *shapes, loc=1)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-300)


def test_tails_are_accurate_where_one_minus_cdf_is_not():
    assert stats.norm.logcdf(-40.0) == pytest.approx(scipy.stats.norm.logcdf(-40.0), rel=1e-12)
    assert stats.norm.logsf(40.0) == pytest.approx(scipy.stats.norm.logsf(40.0), rel=1e-12)
    assert stats.expon.logcdf(1e-20) == pytest.approx(np.log(1e-20), rel=1e-12)
    assert stats.expon.logcdf(50.0) == pytest.approx(-np.exp(-50.0), rel=1e-12)
    assert stats.logistic.logcdf(-800.0) == pytest.approx(-800.0, rel=1e-12)
    assert stats.laplace.logcdf(-800.0) == pytest.approx(-800.0 - np.log(2.0), rel=1e-12)
    assert stats.cauchy.cdf(-1e10) == pytest.approx(1 / (np.pi * 1e10), rel=1e-9)
    assert stats.cauchy.ppf(1e-12) == pytest.approx(-1 / (np.pi * 1e-12), rel=1e-9)


def test_multivariate_normal_matches_scipy_for_every_form_of_cov():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3))
    mean = rng.normal(size=3)
    for cov in [a @ a.T + np.eye(3), 2.0, np.array([1.0, 2.0, 3.0])]:
        for x in [rng.normal(size=3), rng.normal(size=(4, 3)), rng.normal(size=(2, 4, 3))]:
            for method in ("logpdf", "pdf"):
                got = getattr(stats.multivariate_normal, method)(x, mean, cov)
                want = getattr(scipy.stats.multivariate_normal, method)(x, mean, cov)
                assert np.shape(got) == np.shape(want)
                np.testing.assert_allclose(got, want, rtol=1e-12)


def test_multivariate_normal_infers_the_dimension_and_squeezes_as_scipy():
    for args in [(0.5,), ([0.5, 1.0],), (np.ones((1, 2)), [0.0, 1.0]), (0.5, 1.0, 2.0)]:
        got = stats.multivariate_normal.logpdf(*args)
        want = scipy.stats.multivariate_normal.logpdf(*args)
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_multivariate_normal_with_a_singular_diagonal_cov():
    kw = dict(mean=[0.0, 0.0], cov=[1.0, 0.0], allow_singular=True)
    for x in ([0.5, 0.0], [0.5, 1.0]):
        got = stats.multivariate_normal.logpdf(x, **kw)
        assert got == scipy.stats.multivariate_normal.logpdf(x, **kw)
    with pytest.raises(np.linalg.LinAlgError, match="allow_singular=True"):
        stats.multivariate_normal.logpdf([0.5, 0.0], [0.0, 0.0], [1.0, 0.0])


def test_multivariate_normal_with_a_singular_full_cov_matches_scipy():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 2))
    cov, mean = a @ a.T, rng.normal(size=3)
    in_span = (mean[:, None] + a @ rng.normal(size=(2, 4))).T
    for x in (in_span, rng.normal(size=(4, 3))):
        got = stats.multivariate_normal.logpdf(x, mean, cov, allow_singular=True)
        want = scipy.stats.multivariate_normal.logpdf(x, mean, cov, allow_singular=True)
        np.testing.assert_allclose(got, want, rtol=1e-10)
    with pytest.raises(np.linalg.LinAlgError, match="allow_singular=True"):
        stats.multivariate_normal.logpdf(in_span, mean, cov)
    with pytest.raises(ValueError, match="must be positive semidefinite"):
        stats.multivariate_normal.logpdf(in_span, mean, -cov, allow_singular=True)


def test_multivariate_normal_under_vmap_gives_nan_where_scipy_would_raise():
    """Abstract values cannot raise SciPy's errors: the result says it by NaN,
    not by the density of a matrix that is not a covariance."""
    x, mean = np.array([0.3, -0.2]), np.zeros(2)
    covs = np.stack([np.diag([1.0, 2.0]), np.diag([1.0, -2.0])])
    got = ft.vmap(stats.multivariate_normal.logpdf, in_axes=(None, None, 0))(x, mean, covs)
    assert got[0] == pytest.approx(scipy.stats.multivariate_normal.logpdf(x, mean, covs[0]))
    assert np.isnan(got[1])
    diagonals = np.array([[1.0, 2.0], [1.0, -2.0]])
    got = ft.vmap(stats.multivariate_normal.logpdf, in_axes=(None, None, 0))(x, mean, diagonals)
    assert got[0] == pytest.approx(scipy.stats.multivariate_normal.logpdf(x, mean, diagonals[0]))
    assert np.isnan(got[1])
    covs = np.concatenate([covs, [np.diag([-1.0, -2.0])]])
    degenerate = ft.vmap(
        lambda c: stats.multivariate_normal.logpdf(x, mean, c, allow_singular=True)
    )(covs)
    assert degenerate[0] == pytest.approx(got[0]) and np.isnan(degenerate[1:]).all()


def test_multivariate_normal_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=re.escape("x has 3 components")):
        stats.multivariate_normal.logpdf(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match=re.escape("cov has shape (3, 3)")):
        stats.multivariate_normal.logpdf(np.zeros(2), np.zeros(2), np.eye(3))


def test_multivariate_normal_entropy_matches_scipy_for_every_form_of_cov():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 3))
    full = a @ a.T + np.eye(3)
    singular = a[:, :2] @ a[:, :2].T
    for mean, cov in [
        (None, full),
        (np.zeros(3), np.array([1.0, 2.0, 3.0])),
        (np.zeros(3), 2.5),
        (None, 2.5),
        (None, singular),  # SciPy's rank and pseudo-determinant
        (np.zeros(3), np.array([1.0, 0.0, 3.0])),
    ]:
        want = scipy.stats.multivariate_normal.entropy(mean, cov)
        np.testing.assert_allclose(stats.multivariate_normal.entropy(mean, cov), want, rtol=1e-12)
        frozen = stats.multivariate_normal(mean, cov, allow_singular=True)
        np.testing.assert_allclose(frozen.entropy(), want, rtol=1e-12)
    np.testing.assert_allclose(
        stats.multivariate_normal.entropy(), scipy.stats.multivariate_normal.entropy()
    )
    assert stats.multivariate_normal.entropy(cov=full.astype(np.float32)).dtype == np.float32
    assert stats.multivariate_normal.entropy(cov=singular.astype(np.float32)).dtype == np.float32


def test_multivariate_normal_entropy_of_a_singular_cov_raises_as_scipy_does():
    # a frozen distribution without allow_singular, as SciPy's at freezing
    with pytest.raises(np.linalg.LinAlgError, match="allow_singular=True"):
        stats.multivariate_normal([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]]).entropy()
    with pytest.raises(ValueError, match="must be positive semidefinite"):
        stats.multivariate_normal.entropy([0.0, 0.0], [1.0, -1.0])


def test_multivariate_normal_entropy_derivatives_in_cov():
    from fntrans.test_util import check_grads

    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 3))
    cov = a @ a.T + np.eye(3)
    entropy = stats.multivariate_normal.entropy
    # d/dcov of log det(cov) / 2 is inv(cov) / 2
    np.testing.assert_allclose(ft.grad(lambda c: entropy(cov=c))(cov), np.linalg.inv(cov) / 2)
    check_grads(lambda c: entropy(cov=c), (cov,), order=2)
    check_grads(lambda v: entropy(np.zeros(3), v), (np.array([1.0, 2.0, 3.0]),), order=2)
    check_grads(lambda s: entropy(np.zeros(3), s), (2.5,), order=2)
    check_grads(lambda c: stats.multivariate_normal(cov=c).entropy(), (cov,), order=1)
    # on a singular cov, that of the pseudo-determinant: pinv(cov) / 2
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])
    # (through eigvalsh, which reads the lower triangle: the symmetric part is that)
    g = ft.grad(lambda c: entropy(cov=c))(singular)
    np.testing.assert_allclose((g + g.T) / 2, singular / 8)
    # under vmap (values unknown), the determinant of each
    covs = np.stack([cov, 2.0 * cov])
    np.testing.assert_allclose(
        ft.vmap(lambda c: entropy(cov=c))(covs),
        [scipy.stats.multivariate_normal.entropy(cov=c) for c in covs],
        rtol=1e-12,
    )


def test_dirichlet_matches_scipy_with_k_or_k_minus_1_components():
    alpha = np.array([1.0, 2.0, 3.0])
    x = np.array([[0.2, 0.3], [0.3, 0.3], [0.5, 0.4]])
    for points in (x, x[:2], x[:, 0], x[:2, 0]):
        for method in ("logpdf", "pdf"):
            got = getattr(stats.dirichlet, method)(points, alpha)
            want = getattr(scipy.stats.dirichlet, method)(points, alpha)
            assert np.shape(got) == np.shape(want)
            np.testing.assert_allclose(got, want, rtol=1e-12)


def test_dirichlet_off_the_simplex_is_minus_inf_and_bad_alpha_nan():
    alpha = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(
        stats.dirichlet.logpdf(np.array([[0.2, 1.2], [0.3, -0.3], [0.6, 0.1]]), alpha),
        [-np.inf, -np.inf],
    )
    assert np.isnan(stats.dirichlet.logpdf([0.2, 0.3, 0.5], [1.0, -2.0, 3.0]))


def test_broadcasting_follows_numpy():
    x = np.linspace(-1.0, 1.0, 3)
    loc = np.array([[0.0], [0.5]])
    got = stats.t.logpdf(x, np.array([2.0, 3.0, 4.0]), loc, 1.5)
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, scipy.stats.t.logpdf(x, [2.0, 3.0, 4.0], loc, 1.5))
    got = stats.binom.cdf(np.arange(4)[:, None], 5, np.array([0.2, 0.7]))
    assert got.shape == (4, 2)
    np.testing.assert_allclose(got, scipy.stats.binom.cdf(np.arange(4)[:, None], 5, [0.2, 0.7]))


ALL_CONTINUOUS = sorted({row[0]: row for row in CONTINUOUS}.values())


@pytest.mark.parametrize("name,shapes,x", ALL_CONTINUOUS, ids=_ids(ALL_CONTINUOUS))
def test_float32_stays_float32(name, shapes, x):
    dist = getattr(stats, name)
    x32 = (np.abs(x[::4]) / 4.0 + 0.1).astype(np.float32)
    shapes32 = [np.float32(s) for s in shapes]
    for method in CONTINUOUS_METHODS + ["ppf", "isf"]:
        out = getattr(dist, method)(x32, *shapes32, loc=0.0, scale=2.0)
        assert out.dtype == np.float32, method
        want = getattr(getattr(scipy.stats, name), method)(x32.astype(np.float64), *shapes, 0, 2)
        np.testing.assert_allclose(out, want, rtol=2e-4, atol=1e-6)
    grad = ft.grad(lambda s: fnp.sum(dist.logpdf(x32, *shapes32, loc=0.0, scale=s)))
    assert grad(np.float32(2.0)).dtype == np.float32


def test_float32_parameters_with_integer_counts_stay_float32():
    k = np.arange(4)
    for out in (
        stats.poisson.logpmf(k, np.float32(2.0)),
        stats.binom.cdf(k, 5, np.float32(0.3)),
        stats.bernoulli.pmf(k, np.float32(0.3)),
        stats.poisson.ppf(np.float32(0.5), np.float32(2.0)),
    ):
        assert out.dtype == np.float32
    assert stats.poisson.logpmf(k.astype(float), np.float32(2.0)).dtype == np.float64


def test_invalid_parameters_give_nan_as_in_scipy():
    cases = [
        (stats.norm.logpdf, (1.0,), dict(scale=-1.0)),
        (stats.norm.cdf, (1.0,), dict(scale=0.0)),
        (stats.t.logpdf, (1.0, -1.0), {}),
        (stats.gamma.cdf, (1.0, 0.0), {}),
        (stats.beta.logpdf, (0.5, 1.0, -1.0), {}),
        (stats.norm.ppf, (1.5,), {}),
        (stats.poisson.logpmf, (1, -1.0), {}),
        (stats.binom.logpmf, (2, 5.5, 0.3), {}),
        (stats.binom.cdf, (2, 5, 1.3), {}),
        (stats.bernoulli.ppf, (-0.1, 0.3), {}),
    ]
    for f, args, kwds in cases:
        assert np.isnan(f(*args, **kwds)), (f, args, kwds)


def test_invalid_parameters_make_no_nan_derivative_elsewhere():
    scale = np.array([-1.0, 2.0])
    g = ft.grad(lambda s: fnp.sum(fnp.where(s > 0, stats.norm.logpdf(1.0, scale=s), 0.0)))(scale)
    np.testing.assert_allclose(g, [0.0, -0.5 + 0.25 / 2.0])


def test_arguments_by_position_or_by_name_as_in_scipy():
    want = scipy.stats.t.logpdf(0.7, 3.0, 0.2, 1.5)
    for args, kwds in [
        ((3.0, 0.2, 1.5), {}),
        ((3.0,), dict(loc=0.2, scale=1.5)),
        ((), dict(df=3.0, loc=0.2, scale=1.5)),
    ]:
        assert stats.t.logpdf(0.7, *args, **kwds) == pytest.approx(want, rel=1e-13)
    assert stats.binom.pmf(2, n=5, p=0.3, loc=0) == pytest.approx(scipy.stats.binom.pmf(2, 5, 0.3))


def test_argument_errors_name_the_method_and_the_argument():
    with pytest.raises(
        TypeError, match=re.escape("t.logpdf() missing required shape parameter(s) 'df'")
    ):
        stats.t.logpdf(1.0)
    with pytest.raises(
        TypeError, match=re.escape("norm.cdf() got an unexpected keyword argument 'mu'")
    ):
        stats.norm.cdf(1.0, mu=2.0)
    with pytest.raises(
        TypeError, match=re.escape("norm.cdf() got multiple values for argument 'loc'")
    ):
        stats.norm.cdf(1.0, 2.0, loc=2.0)
    with pytest.raises(TypeError, match=re.escape("norm.pdf() takes at most 2 parameters")):
        stats.norm.pdf(1.0, 0.0, 1.0, 2.0)


def test_frozen_distributions_forward_their_parameters():
    frozen = stats.gamma(2.0, scale=3.0)
    assert frozen.logpdf(1.5) == pytest.approx(scipy.stats.gamma(2.0, scale=3.0).logpdf(1.5))
    assert frozen.ppf(0.3) == pytest.approx(scipy.stats.gamma(2.0, scale=3.0).ppf(0.3))
    mvn = stats.multivariate_normal([0.0, 1.0], [1.0, 2.0])
    assert mvn.logpdf([0.5, 0.5]) == pytest.approx(
        scipy.stats.multivariate_normal([0.0, 1.0], [1.0, 2.0]).logpdf([0.5, 0.5])
    )
    with pytest.raises(AttributeError, match="frozen gamma has no attribute 'fit'"):
        frozen.fit  # noqa: B018


@pytest.mark.parametrize(
    "name,shapes", [("t", (2.5,)), ("gamma", (1.7,)), ("chi2", (3.0,)), ("beta", (2.0, 3.0))]
)
def test_cdf_derivatives_in_x_are_the_density(name, shapes):
    dist = getattr(stats, name)
    x = np.array([0.2, 0.6])
    d = ft.elementwise_grad(lambda x: dist.cdf(x, *shapes))(x)
    np.testing.assert_allclose(d, dist.pdf(x, *shapes), rtol=1e-10)
    d = ft.elementwise_grad(lambda x: dist.sf(x, *shapes))(x)
    np.testing.assert_allclose(d, -dist.pdf(x, *shapes), rtol=1e-10)
    q = np.array([0.2, 0.7])
    for method in ("ppf", "isf"):
        d = ft.elementwise_grad(lambda q: getattr(dist, method)(q, *shapes))(q)  # noqa: B023
        want = 1.0 / dist.pdf(getattr(dist, method)(q, *shapes), *shapes)
        np.testing.assert_allclose(d, want if method == "ppf" else -want, rtol=1e-10)


@pytest.mark.parametrize(
    "f,argument",
    [
        (lambda df: stats.t.cdf(0.5, df), "'x'"),
        (lambda a: stats.gamma.cdf(0.5, a), "'a'"),
        (lambda a: stats.gamma.ppf(0.5, a), "'x'"),
        (lambda a: stats.beta.sf(0.5, a, 2.0), "'x'"),
        (lambda n: stats.binom.cdf(2, 5.0 + 0.0 * n, 0.3), "'x'"),
    ],
    ids=["t.cdf-df", "gamma.cdf-a", "gamma.ppf-a", "beta.sf-a", "binom.cdf-n"],
)
def test_shape_derivatives_without_a_rule_raise(f, argument):
    with pytest.raises(NotImplementedError, match="has no derivative with respect to its argument"):
        ft.grad(f)(2.0)


def test_discrete_quantiles_have_zero_derivative():
    g = ft.grad(lambda mu: fnp.sum(stats.poisson.ppf(np.array([0.2, 0.9]), mu)))(2.0)
    assert g == 0.0
    g = ft.grad(lambda q: fnp.sum(stats.binom.ppf(q, 5, 0.4)))(np.array([0.2, 0.9]))
    np.testing.assert_array_equal(g, [0.0, 0.0])


def test_second_derivatives_in_shape_parameters():
    h = ft.hessian(lambda a: stats.gamma.logpdf(1.3, a))(2.0)
    eps = 1e-4
    want = (
        stats.gamma.logpdf(1.3, 2.0 + eps)
        - 2 * stats.gamma.logpdf(1.3, 2.0)
        + stats.gamma.logpdf(1.3, 2.0 - eps)
    ) / eps**2
    assert h == pytest.approx(want, rel=1e-5)


def test_vmap_over_parameters_equals_a_loop():
    dfs = np.array([1.5, 3.0, 10.0])
    got = ft.vmap(lambda df: stats.t.cdf(np.array([0.3, -1.0]), df))(dfs)
    want = np.stack([scipy.stats.t.cdf([0.3, -1.0], df) for df in dfs])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    mus = np.array([0.5, 2.0, 7.0])
    got = ft.vmap(lambda mu: stats.poisson.ppf(np.array([0.1, 0.6]), mu))(mus)
    np.testing.assert_array_equal(
        got, np.stack([scipy.stats.poisson.ppf([0.1, 0.6], m) for m in mus])
    )


def test_plain_numpy_code_on_plain_arrays_returns_plain_arrays():
    out = stats.norm.logpdf(np.array([0.0, 1.0]))
    assert type(out) is np.ndarray
