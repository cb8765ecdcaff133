"""The rest of NumPy's surface against NumPy itself: values with NumPy's
keywords, NumPy's own functions on traced values, derivatives through NaNs,
and the derivative of std where the spread is zero."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.test_util import check_grads

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4))
V = RNG.normal(size=5)


def _same(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w)
        return
    assert np.shape(got) == np.shape(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _traced(f, *args):
    """``f``'s value computed under ``jvp`` (on traced arguments)."""
    return ft.jvp(f, args, args)[0]


KEYWORD_CALLS = [
    ("diff", (X,), dict(n=2, axis=0)),
    ("diff", (X,), dict(prepend=0.5, append=X[:, :2])),
    ("diff", (X,), dict(n=0)),
    ("ediff1d", (X,), dict(to_begin=[1.0, 2.0], to_end=3.0)),
    ("gradient", (X,), {}),
    ("gradient", (X, 0.5, 2.0), dict(edge_order=2)),
    ("gradient", (X, np.array([0.0, 0.5, 1.7, 2.0])), dict(axis=1, edge_order=2)),
    ("gradient", (X, np.array([0.0, 1.0, 2.0])), dict(axis=0)),
    ("trapezoid", (X,), dict(dx=0.3, axis=0)),
    ("trapezoid", (X, np.array([0.0, 0.5, 1.7, 2.0])), {}),
    ("convolve", (V, X[0]), dict(mode="same")),
    ("convolve", (X[0], V), dict(mode="valid")),
    ("correlate", (V, X[0]), dict(mode="full")),
    ("correlate", (X[0], V), dict(mode="same")),
    ("correlate", (X[0] + 1j * X[1], V), {}),
    ("polyval", (V, X), {}),
    ("polyder", (V,), dict(m=2)),
    ("polyint", (V,), dict(m=2, k=[1.0, 2.0])),
    ("polyadd", (V, X[0]), {}),
    ("polysub", (X[0], V), {}),
    ("polymul", (V, X[0]), {}),
    ("cov", (X,), dict(rowvar=False, ddof=2)),
    ("cov", (X[0], X[1]), dict(bias=True)),
    ("cov", (X,), dict(fweights=np.array([1, 2, 1, 3]), aweights=np.array([0.1, 0.5, 1.0, 2.0]))),
    ("corrcoef", (X,), dict(rowvar=False)),
    ("corrcoef", (X[0], X[1]), {}),
    ("fmax", (X, X.T[:1].T), {}),
    ("fmin", (X, 0.1), {}),
    ("rollaxis", (np.ones((2, 3, 4)), 2, 1), {}),
    ("rollaxis", (np.ones((2, 3, 4)), -1), {}),
    ("row_stack", ([V, V],), {}),
    ("column_stack", ([V, V],), {}),
    ("column_stack", (V,), {}),  # an array is a sequence of its rows: scalars make 1x1 columns
    ("linspace", (0.5, X[0]), dict(num=4, endpoint=False, axis=-1)),
    ("linspace", (X[0], 2.0), dict(num=3, retstep=True)),
    ("linspace", (0.5, X[0]), dict(num=1)),
    ("linspace", (0.5, 3.7), dict(num=6, dtype=int)),
    ("logspace", (0.5, X[0]), dict(num=4, base=2.0, axis=1)),
    ("geomspace", (1.0, np.abs(X[0]) + 0.1), dict(num=5, endpoint=False)),
    ("geomspace", (-1.0, -1000.0), dict(num=4)),
]


@pytest.mark.parametrize(
    "name,args,kwargs", KEYWORD_CALLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(KEYWORD_CALLS)]
)
def test_values_and_keywords_match_numpy(name, args, kwargs):
    want = getattr(np, name)(*args, **kwargs)
    _same(getattr(fnp, name)(*args, **kwargs), want)
    # traced: the first argument differentiated, where it is a float array
    first = args[0]
    if isinstance(first, np.ndarray) and first.dtype.kind in "fc":
        _same(_traced(lambda a: getattr(fnp, name)(a, *args[1:], **kwargs), first), want)
        # NumPy's own function on a traced value dispatches to fntrans
        _same(_traced(lambda a: getattr(np, name)(a, *args[1:], **kwargs), first), want)


def test_plain_inputs_give_plain_arrays():
    for out in (fnp.diff(X), fnp.convolve(V, V), fnp.nanmean(X), fnp.linspace(0, 1, 3)):
        assert isinstance(out, (np.ndarray, np.generic))


@pytest.mark.parametrize("name", ["diff", "gradient", "trapezoid", "nansum", "nanstd"])
def test_numpy_functions_on_traced_values_are_differentiated(name):
    np.testing.assert_allclose(
        ft.grad(lambda x: fnp.sum(getattr(np, name)(x)))(X),
        ft.grad(lambda x: fnp.sum(getattr(fnp, name)(x)))(X),
    )


def test_numpy_linspace_of_a_traced_endpoint_is_differentiated():
    # NumPy's linspace dispatches on its endpoints: the derivative of the
    # samples 0, b/4, ..., b with respect to b is 0, 1/4, ..., 1
    np.testing.assert_allclose(ft.grad(lambda b: np.linspace(0.0, b, 5).sum())(2.0), 2.5)
    np.testing.assert_allclose(
        ft.jacfwd(lambda a: fnp.linspace(a, 1.0, 3))(0.0), np.array([1.0, 0.5, 0.0])
    )


def test_traced_endpoints_differentiate_to_second_order():
    check_grads(lambda a, b: fnp.linspace(a, b, 4, endpoint=False) ** 2, (0.5, 2.0), order=2)
    check_grads(lambda a, b: fnp.logspace(a, b, 4, base=3.0), (0.5, 2.0), order=2)
    check_grads(lambda a, b: fnp.geomspace(a, b, 4), (np.array([0.5, 1.0]), 2.0), order=2)
    check_grads(lambda a: fnp.logspace(0.0, 1.0, 3, base=a), (np.array([2.0, 3.0]),), order=2)


# ---- NaN-ignoring functions ----

X_NAN = X.copy()
X_NAN[0, 1] = np.nan
X_NAN[2] = np.nan  # an all-NaN row

NAN_CALLS = [
    ("nansum", {}),
    ("nansum", dict(axis=1, keepdims=True)),
    ("nanprod", dict(axis=0)),
    ("nancumsum", dict(axis=1)),
    ("nancumprod", {}),
    ("nanmean", dict(axis=1)),
    ("nanmean", dict(axis=0, keepdims=True)),
    ("nanvar", dict(axis=1, ddof=1)),
    ("nanvar", dict(axis=1, ddof=3)),
    ("nanstd", dict(axis=0)),
    ("nanmax", dict(axis=1)),
    ("nanmin", {}),
    ("nanmedian", dict(axis=1)),
    ("nanmedian", {}),
]


@pytest.mark.parametrize(
    "name,kwargs", NAN_CALLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(NAN_CALLS)]
)
def test_nan_functions_match_numpy_and_give_zero_derivative_at_nans(name, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices, as NumPy warns
        _same(getattr(fnp, name)(X_NAN, **kwargs), getattr(np, name)(X_NAN, **kwargs))
        for module in (fnp, np):  # np's function dispatches to fnp's on a traced value
            f = getattr(module, name)
            g = ft.grad(lambda x, f=f: fnp.sum(fnp.nan_to_num(f(x, **kwargs))))(X_NAN)
            assert np.all(np.isfinite(g)), g
            assert np.all(g[np.isnan(X_NAN)] == 0), g
            # a NaN result (an all-NaN slice) is a constant: its tangent is 0
            _, t = ft.jvp(lambda x, f=f: f(x, **kwargs), (X_NAN,), (np.ones_like(X_NAN),))
            assert np.all(np.isfinite(t)), t


@pytest.mark.parametrize("q", [0.3, [0.1, 0.9], [[0.2], [0.7]]])
@pytest.mark.parametrize("kwargs", [{}, dict(axis=0), dict(axis=1, keepdims=True)])
def test_nanquantile_and_nanpercentile_match_numpy(q, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(fnp.nanquantile(X_NAN, q, **kwargs), np.nanquantile(X_NAN, q, **kwargs))
        p = np.multiply(q, 100)
        _same(fnp.nanpercentile(X_NAN, p, **kwargs), np.nanpercentile(X_NAN, p, **kwargs))
        g = ft.grad(lambda x: fnp.sum(fnp.nan_to_num(fnp.nanquantile(x, q, **kwargs))))(X_NAN)
    assert np.all(np.isfinite(g)) and np.all(g[np.isnan(X_NAN)] == 0)


def test_nanargmax_and_nanargmin_match_numpy_and_raise_on_all_nan_slices():
    _same(fnp.nanargmax(X_NAN, axis=0), np.nanargmax(X_NAN, axis=0))
    _same(fnp.nanargmin(X_NAN[:2], axis=1), np.nanargmin(X_NAN[:2], axis=1))
    with pytest.raises(ValueError, match="All-NaN slice encountered"):
        fnp.nanargmax(X_NAN, axis=1)


def test_nan_functions_batch():
    f = lambda x: fnp.nanmedian(x, axis=0) + fnp.nanvar(x, axis=0)  # noqa: E731
    batch = np.stack([X_NAN[:2], 2 * X_NAN[:2]])
    np.testing.assert_allclose(ft.vmap(f)(batch), np.stack([f(x) for x in batch]))


def test_fmax_and_fmin_keep_numpy_nan_semantics():
    x = np.array([1.0, np.nan, np.nan, 2.0])
    y = np.array([2.0, 3.0, np.nan, np.nan])
    _same(fnp.fmax(x, y), np.fmax(x, y))
    _same(fnp.fmin(x, y), np.fmin(x, y))
    gx, gy = ft.grad(lambda x, y: fnp.sum(fnp.nan_to_num(np.fmax(x, y))), (0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0, 1.0])  # a NaN result: nan_to_num cuts it
    np.testing.assert_array_equal(gy, [1.0, 1.0, 0.0, 0.0])


# ---- std and var where the spread is zero ----


def test_std_of_a_scalar_has_derivative_zero_not_nan():
    # std of one sample is 0 whatever the sample: its derivative is 0
    assert ft.jvp(fnp.std, (1.0,), (1.0,))[1] == 0.0
    assert ft.grad(fnp.std)(np.array([1.0])) == 0.0
    assert ft.grad(ft.grad(fnp.std))(1.0) == 0.0
    assert ft.jvp(fnp.var, (1.0,), (1.0,))[1] == 0.0


def test_std_of_equal_entries_has_derivative_zero():
    np.testing.assert_array_equal(ft.grad(fnp.std)(np.ones(3)), np.zeros(3))
    np.testing.assert_array_equal(ft.grad(fnp.nanstd)(np.array([1.0, np.nan, 1.0])), np.zeros(3))
    check_grads(fnp.std, (X,), order=2)  # elsewhere it is the usual derivative


def test_astype_int_is_traced_with_zero_derivative():
    assert ft.grad(lambda x: x.astype(int) * 1.0 + x)(2.5) == 1.0
    out, tangent = ft.jvp(lambda x: x.astype(int), (2.5,), (1.0,))
    assert out == 2 and not np.any(tangent)


# ---- index tricks, real_if_close, version ----

A, B = np.array([1.0, 2.0]), np.array([3.0, 4.0])
INDEX_TRICKS = [
    lambda m, a, b: m.r_[a, 0.0, b],
    lambda m, a, b: m.r_[a, 1:4, 0:1:3j],
    lambda m, a, b: m.r_["0,2", a, b],
    lambda m, a, b: m.r_["1,2,0", a, b],
    lambda m, a, b: m.r_["-1", a[None], b[None]],
    lambda m, a, b: m.r_[a[0] : b[0] : 4j],
    lambda m, a, b: m.c_[a, b],
    lambda m, a, b: m.c_[a[:, None], b, a],
]


@pytest.mark.parametrize("expr", INDEX_TRICKS)
def test_r_and_c_match_numpy_on_traced_arrays(expr):
    _same(_traced(lambda a, b: expr(fnp, a, b), A, B), expr(np, A, B))
    _same(expr(fnp, A, B), expr(np, A, B))


def test_r_of_traced_values_is_differentiable():
    np.testing.assert_allclose(ft.grad(lambda a: fnp.sum(fnp.r_[a, 2 * a] ** 2))(A), 10 * A)


def test_r_with_a_traced_integer_range_raises():
    msg = "r_/c_: a slice with traced bounds needs a complex step"
    with pytest.raises(TypeError, match=re.escape(msg)):
        ft.grad(lambda a: fnp.sum(fnp.r_[a:3.0]))(0.0)


def test_real_if_close_drops_negligible_imaginary_parts():
    _same(fnp.real_if_close(np.array([1 + 1e-20j])), np.real_if_close(np.array([1 + 1e-20j])))
    z = np.array([1 + 1e-3j])
    _same(fnp.real_if_close(z), np.real_if_close(z))
    _same(fnp.real_if_close(z, tol=1e-2), np.real_if_close(z, tol=1e-2))
    assert ft.grad(lambda x: fnp.real_if_close(x * (1 + 0j))[0] * 2)(np.array([1.0]))[0] == 2.0


def test_version_is_numpys():
    assert fnp.__version__ == np.__version__
