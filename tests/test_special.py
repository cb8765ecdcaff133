"""fntrans.scipy.special: values against SciPy, the keywords of logsumexp and
softmax, stability where the naive formulas fail, the arguments that carry no
derivative, and SciPy's own ufuncs on traced values. The derivatives
themselves are checked by the op table (tests/op_cases_special.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.special as sc

import fntrans as ft
import fntrans.numpy as fnp
import fntrans.scipy.special as fsp

X = np.array([0.3, 1.2, 2.7])
UNIT = np.array([-0.6, 0.1, 0.8])
PROB = np.array([0.1, 0.5, 0.85])

# (name, arguments) for every elementwise function, on its domain
VALUE_CASES = [
    ("gammaln", (X,)),
    ("gammaln", (-X - 0.5,)),
    ("gamma", (X,)),
    ("rgamma", (X,)),
    ("gammasgn", (-X - 0.5,)),
    ("digamma", (X,)),
    ("psi", (X,)),
    ("beta", (X, X[::-1])),
    ("betaln", (X, 1.5)),
    ("gammainc", (X, X[::-1])),
    ("gammaincc", (X, X[::-1])),
    ("erf", (UNIT,)),
    ("erfc", (UNIT,)),
    ("erfcx", (UNIT,)),
    ("erfinv", (UNIT,)),
    ("erfcinv", (UNIT + 1.0,)),
    ("ndtr", (UNIT,)),
    ("ndtri", (PROB,)),
    ("log_ndtr", (UNIT * 40,)),
    ("expit", (UNIT,)),
    ("logit", (PROB,)),
    ("log_expit", (UNIT,)),
    ("xlogy", (UNIT, X)),
    ("xlog1py", (UNIT, X)),
    ("entr", (X,)),
    ("i0", (UNIT,)),
    ("i1", (UNIT,)),
    ("i0e", (UNIT,)),
    ("i1e", (UNIT,)),
    ("iv", (1.5, X)),
    ("ive", (X, X)),
    ("j0", (UNIT * 5,)),
    ("j1", (UNIT * 5,)),
    ("jv", (1.5, X)),
    ("jv", (X, -UNIT * 5)),
    ("jn", (2, UNIT * 5)),
    ("y0", (X,)),
    ("y1", (X,)),
    ("yv", (X, X)),
    ("yn", (2, X)),
    ("kv", (X, X)),
    ("kve", (1.5, X)),
    ("sinc", (UNIT,)),
]


@pytest.mark.parametrize("name,args", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_values_match_scipy(name, args):
    expected = getattr(sc, name)(*args)
    np.testing.assert_allclose(getattr(fsp, name)(*args), expected, rtol=1e-14, atol=1e-300)
    # traced: the same values come out of a transform
    in_axes = tuple(0 if isinstance(a, np.ndarray) else None for a in args)
    out = ft.vmap(getattr(fsp, name), in_axes=in_axes)(*args)
    np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("name,args", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_float32_stays_float32_with_weak_python_scalars(name, args):
    args32 = [a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in args]
    assert getattr(fsp, name)(*args32).dtype == np.float32
    if len(args) == 2 and all(isinstance(a, np.ndarray) for a in args):
        # a Python float beside a float32 array gives way to it
        assert getattr(fsp, name)(1.5, args32[1]).dtype == np.float32
        assert getattr(fsp, name)(args32[0], 1.5).dtype == np.float32


def test_broadcasting_follows_numpy():
    a = np.array([[0.5], [1.5]])
    out = fsp.gammainc(a, X)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, sc.gammainc(a, X))
    cts = ft.grad(lambda x: fnp.sum(fsp.betaln(a, x)))(X)
    np.testing.assert_allclose(cts, np.sum(sc.psi(X) - sc.psi(a + X), axis=0))


def test_polygamma_and_multigammaln_match_scipy():
    n = np.array([0, 1, 3])
    np.testing.assert_allclose(fsp.polygamma(n, X), sc.polygamma(n, X), rtol=1e-13)
    np.testing.assert_allclose(
        fsp.polygamma(np.array([[0], [2]]), X), sc.polygamma(np.array([[0], [2]]), X), rtol=1e-13
    )
    np.testing.assert_allclose(fsp.polygamma(2, 1.5), sc.polygamma(2, 1.5), rtol=1e-13)
    np.testing.assert_allclose(fsp.multigammaln(X + 2, 4), sc.multigammaln(X + 2, 4), rtol=1e-13)


def test_polygamma_order_must_hold_integers():
    with pytest.raises(ValueError, match=re.escape("polygamma: the order n must hold integers")):
        fsp.polygamma(1.5, 2.0)
    assert fsp.polygamma(1.0, 2.0) == sc.polygamma(1, 2.0)


def test_multigammaln_checks_its_domain_as_scipy_does():
    with pytest.raises(ValueError, match=re.escape("requires a > (d - 1) / 2 = 1.0")):
        fsp.multigammaln(0.9, 3)


# ---- derivatives at special points ----


def test_derivatives_follow_the_documented_formulas():
    np.testing.assert_allclose(ft.grad(fsp.gammaln)(-2.5), sc.psi(-2.5))
    np.testing.assert_allclose(ft.grad(ft.grad(fsp.digamma))(1.5), sc.polygamma(2, 1.5))
    np.testing.assert_allclose(
        ft.grad(fsp.erfinv)(0.3), np.sqrt(np.pi) / 2 * np.exp(sc.erfinv(0.3) ** 2)
    )
    np.testing.assert_allclose(
        ft.grad(fsp.ndtri)(0.2), np.sqrt(2 * np.pi) * np.exp(sc.ndtri(0.2) ** 2 / 2)
    )
    np.testing.assert_allclose(ft.grad(fsp.i0)(0.7), sc.i1(0.7))
    np.testing.assert_allclose(ft.grad(fsp.i1)(0.7), sc.i0(0.7) - sc.i1(0.7) / 0.7)
    np.testing.assert_allclose(ft.grad(fsp.i0e)(0.7), sc.i1e(0.7) - sc.i0e(0.7))
    np.testing.assert_allclose(
        ft.grad(fsp.iv, argnums=1)(2.5, 0.7), (sc.iv(1.5, 0.7) + sc.iv(3.5, 0.7)) / 2
    )
    a, x = 2.5, 1.3
    np.testing.assert_allclose(
        ft.grad(fsp.gammainc, argnums=1)(a, x), np.exp(-x) * x ** (a - 1) / sc.gamma(a)
    )


def test_bessel_derivatives_are_finite_at_zero():
    assert ft.grad(fsp.i1)(0.0) == 0.5
    assert ft.grad(fsp.i1e)(0.0) == 0.5
    assert ft.grad(ft.grad(fsp.i0))(0.0) == 0.5
    assert ft.grad(fsp.iv, argnums=1)(1.0, 0.0) == 0.5
    assert np.isfinite(ft.grad(ft.grad(fsp.i1))(0.0))


def test_iv_at_a_subnormal_argument_is_not_nan():
    # SciPy's own float64 iv is NaN there
    assert fsp.iv(2.0, 2.2e-309) == 0.0
    assert ft.grad(fsp.i1)(2.2e-309) == 0.5


def test_bessel_first_and_second_kind_derivatives_follow_the_recurrences():
    x = 1.7
    np.testing.assert_allclose(ft.grad(fsp.j0)(x), -sc.j1(x), rtol=1e-14)
    np.testing.assert_allclose(ft.grad(fsp.y0)(x), -sc.y1(x), rtol=1e-14)
    np.testing.assert_allclose(ft.grad(fsp.j1)(x), sc.j0(x) - sc.j1(x) / x, rtol=1e-13)
    np.testing.assert_allclose(ft.grad(fsp.y1)(x), sc.y0(x) - sc.y1(x) / x, rtol=1e-13)
    # second order: J_0'' = -J_1' and Y_0'' = -Y_1'
    np.testing.assert_allclose(ft.grad(ft.grad(fsp.j0))(x), -(sc.j0(x) - sc.j1(x) / x))
    np.testing.assert_allclose(ft.grad(ft.grad(fsp.y0))(x), -(sc.y0(x) - sc.y1(x) / x))
    for v in (0.5, 2.0, -1.5):
        np.testing.assert_allclose(
            ft.grad(fsp.jv, argnums=1)(v, x), sc.jvp(v, x), rtol=1e-13, atol=1e-15
        )
        np.testing.assert_allclose(ft.grad(fsp.yv, argnums=1)(v, x), sc.yvp(v, x), rtol=1e-13)
        np.testing.assert_allclose(ft.grad(fsp.kv, argnums=1)(v, x), sc.kvp(v, x), rtol=1e-13)
        np.testing.assert_allclose(
            ft.grad(fsp.kve, argnums=1)(v, x), (sc.kvp(v, x) + sc.kv(v, x)) * np.exp(x)
        )
        np.testing.assert_allclose(
            ft.grad(ft.grad(fsp.jv, argnums=1), argnums=1)(v, x), sc.jvp(v, x, 2), rtol=1e-12
        )
        np.testing.assert_allclose(
            ft.grad(ft.grad(fsp.yv, argnums=1), argnums=1)(v, x), sc.yvp(v, x, 2), rtol=1e-12
        )
    assert ft.grad(fsp.j1)(0.0) == 0.5
    assert ft.grad(fsp.jv, argnums=1)(1.0, 0.0) == 0.5


def test_yn_takes_integer_orders_as_scipy_does():
    n = np.array([0, 1, 3])
    out = fsp.yn(n, X)
    assert out.dtype == np.float64  # SciPy's integer-order loop
    np.testing.assert_allclose(out, sc.yn(n, X), rtol=1e-14)
    np.testing.assert_allclose(ft.grad(lambda x: fnp.sum(fsp.yn(n, x)))(X), sc.yvp(n, X))
    np.testing.assert_allclose(ft.vmap(fsp.yn)(n, X), sc.yn(n, X), rtol=1e-14)
    assert fsp.yn(3, X.astype(np.float32)).dtype == np.float32


def test_bessel_functions_of_complex_argument():
    z = np.array([0.5 + 0.3j, 2.0 - 1.0j])
    np.testing.assert_allclose(fsp.jv(1.5, z), sc.jv(1.5, z), rtol=1e-14)
    np.testing.assert_allclose(fsp.yv(1.5, z.astype(np.complex64)), sc.yv(1.5, z), rtol=1e-5)
    assert fsp.jv(1.5, z.astype(np.complex64)).dtype == np.complex64
    # holomorphic: the tangent is jv'(z) times the complex tangent
    _, tangent = ft.jvp(lambda z: fsp.jv(1.5, z), (z,), (np.ones_like(z),))
    np.testing.assert_allclose(tangent, sc.jvp(1.5, z), rtol=1e-13)


# ---- stability ----


def test_expit_and_its_derivatives_at_large_arguments():
    x = np.array([-1000.0, 1000.0])
    np.testing.assert_array_equal(fsp.expit(x), [0.0, 1.0])
    np.testing.assert_array_equal(ft.elementwise_grad(fsp.expit)(x), [0.0, 0.0])
    np.testing.assert_array_equal(ft.elementwise_grad(ft.elementwise_grad(fsp.expit))(x), [0, 0])
    np.testing.assert_array_equal(ft.elementwise_grad(fsp.log_expit)(x), [1.0, 0.0])
    # exact in the tail, where 1 - expit(x) has cancelled to 0
    np.testing.assert_allclose(ft.grad(fsp.expit)(40.0), np.exp(-40.0), rtol=1e-12)


def test_log_ndtr_derivative_far_in_the_left_tail():
    # pdf / cdf would be 0 / 0 there
    x = -40.0
    assert np.isfinite(ft.grad(fsp.log_ndtr)(x))
    np.testing.assert_allclose(ft.grad(fsp.log_ndtr)(x), -x, rtol=1e-3)


def test_xlogy_is_zero_at_x_zero_with_derivatives_that_follow():
    assert fsp.xlogy(0.0, 0.0) == 0.0
    dx, dy = ft.grad(fsp.xlogy, argnums=(0, 1))(0.0, 2.0)
    assert dx == np.log(2.0) and dy == 0.0
    assert ft.grad(fsp.xlogy, argnums=1)(0.0, 0.0) == 0.0
    # the mixed derivative d2/dx dy = 1 / y holds at x = 0 too
    assert ft.grad(ft.grad(fsp.xlogy, argnums=1), argnums=0)(0.0, 4.0) == 0.25
    assert ft.grad(fsp.xlog1py, argnums=1)(0.0, -1.0) == 0.0
    assert fsp.xlog1py(0.0, -1.0) == 0.0


def test_logsumexp_gradient_at_minus_infinity_entries_is_softmax_without_nan():
    a = np.array([0.0, -np.inf, np.log(3.0)])
    np.testing.assert_allclose(ft.grad(fsp.logsumexp)(a), [0.25, 0.0, 0.75])
    hessian = ft.hessian(fsp.logsumexp)(a)
    assert np.all(np.isfinite(hessian))
    np.testing.assert_allclose(ft.grad(lambda x: fsp.softmax(x)[0])(a)[1], 0.0)
    np.testing.assert_allclose(ft.grad(lambda x: fsp.log_softmax(x)[0])(a), [0.75, 0.0, -0.75])


def test_logsumexp_hessian_is_that_of_softmax():
    p = sc.softmax(X)
    np.testing.assert_allclose(ft.hessian(fsp.logsumexp)(X), np.diag(p) - np.outer(p, p))


def test_logsumexp_of_large_and_infinite_values():
    assert fsp.logsumexp(np.array([1000.0, 1000.0])) == 1000.0 + np.log(2.0)
    assert fsp.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf
    assert fsp.logsumexp(np.array([])) == -np.inf
    # an entry with zero weight does not set the scale
    np.testing.assert_allclose(fsp.logsumexp(np.array([1000.0, 0.0]), b=np.array([0.0, 1.0])), 0.0)


# ---- the keywords of logsumexp and softmax ----

A = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.2]])
B = np.array([[1.0, 0.5, -0.3], [2.0, 0.0, 1.0]])


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_axis_and_keepdims_match_scipy(axis, keepdims):
    out = fsp.logsumexp(A, axis=axis, keepdims=keepdims)
    expected = sc.logsumexp(A, axis=axis, keepdims=keepdims)
    assert np.shape(out) == np.shape(expected)
    np.testing.assert_allclose(out, expected)
    assert fsp.logsumexp(A.astype(np.float32), axis=axis).dtype == np.float32


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_logsumexp_weights_and_return_sign_match_scipy(axis):
    value, sign = fsp.logsumexp(A, axis=axis, b=B, return_sign=True)
    expected_value, expected_sign = sc.logsumexp(A, axis=axis, b=B, return_sign=True)
    np.testing.assert_allclose(value, expected_value)
    np.testing.assert_array_equal(sign, expected_sign)
    np.testing.assert_allclose(
        fsp.logsumexp(A, axis=axis, b=B[0]), sc.logsumexp(A, axis=axis, b=B[0])
    )


def test_logsumexp_gradient_in_the_weights():
    weights = np.abs(B) + 0.1
    grad_b = ft.grad(lambda b: fsp.logsumexp(A, b=b))(weights)
    np.testing.assert_allclose(grad_b, np.exp(A) / np.sum(weights * np.exp(A)))
    # an entry with weight exactly 0 is left out, as in SciPy: its derivative is 0
    assert ft.grad(lambda b: fsp.logsumexp(A, b=b))(B)[1, 1] == 0.0


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_softmax_and_log_softmax_match_scipy(axis):
    np.testing.assert_allclose(fsp.softmax(A, axis=axis), sc.softmax(A, axis=axis))
    np.testing.assert_allclose(fsp.log_softmax(A, axis=axis), sc.log_softmax(A, axis=axis))
    assert fsp.softmax(A.astype(np.float32), axis=axis).dtype == np.float32


def test_softmax_of_integers_is_float64():
    assert fsp.softmax(np.array([1, 2])).dtype == np.float64


# ---- arguments with no derivative ----


@pytest.mark.parametrize(
    "name,argument",
    [
        ("gammainc", "a"),
        ("gammaincc", "a"),
        ("iv", "v"),
        ("ive", "v"),
        ("jv", "v"),
        ("yv", "v"),
        ("kv", "v"),
        ("kve", "v"),
    ],
)
def test_differentiating_an_order_or_shape_parameter_raises(name, argument):
    f = getattr(fsp, name)
    msg = (
        f"fntrans.scipy.special.{name} has no derivative with respect to its argument "
        f"'{argument}' (argument 0), as SciPy has none"
    )
    with pytest.raises(NotImplementedError, match=re.escape(msg)):
        ft.grad(f)(1.5, 2.0)
    with pytest.raises(NotImplementedError, match=re.escape(msg)):
        ft.jvp(f, (1.5, 2.0), (1.0, 1.0))
    # the other argument is fine, with the first passed through stop_gradient too
    assert np.isfinite(ft.grad(lambda a, x: f(ft.stop_gradient(a), x))(1.5, 2.0))


def test_differentiating_the_order_of_yn_raises():
    msg = "fntrans.scipy.special.yn has no derivative with respect to its argument 'n'"
    with pytest.raises(NotImplementedError, match=re.escape(msg)):
        ft.grad(fsp.yn)(1.0, 2.0)


def test_gammasgn_has_zero_derivative():
    assert ft.grad(fsp.gammasgn)(-0.5) == 0.0


# ---- SciPy's own ufuncs on traced values ----


def test_scipy_ufuncs_on_traced_values_dispatch_to_fntrans():
    np.testing.assert_allclose(ft.grad(sc.gammaln)(3.0), 0.9227843350984671)
    np.testing.assert_allclose(ft.grad(lambda x: sc.xlogy(2.0, x))(4.0), 0.5)
    np.testing.assert_allclose(ft.grad(sc.digamma)(1.0), np.pi**2 / 6)  # the ufunc named psi
    np.testing.assert_allclose(ft.grad(sc.expm1)(0.0), 1.0)  # NumPy's function
    np.testing.assert_allclose(ft.vmap(sc.ndtr)(UNIT), sc.ndtr(UNIT))
    assert ft.jvp(sc.erf, (0.0,), (1.0,))[1] == 2 / np.sqrt(np.pi)
    # the Bessel functions, jn being SciPy's jv
    np.testing.assert_allclose(ft.grad(sc.j0)(1.3), -sc.j1(1.3))
    np.testing.assert_allclose(ft.grad(sc.y0)(1.3), -sc.y1(1.3))
    np.testing.assert_allclose(ft.grad(lambda x: sc.jn(2, x))(1.3), sc.jvp(2, 1.3))
    np.testing.assert_allclose(ft.grad(lambda x: sc.yn(2, x))(1.3), sc.yvp(2, 1.3))
    np.testing.assert_allclose(ft.grad(lambda x: sc.kv(0.5, x))(1.3), sc.kvp(0.5, 1.3))


def test_scipy_ufunc_that_fntrans_lacks_names_scipy():
    msg = (
        "fntrans has no derivative rule for scipy.special.struve: fntrans.scipy does not "
        "provide it. Make it a primitive that runs on plain arrays with fntrans.extend.primitive"
    )
    with pytest.raises(NotImplementedError, match=re.escape(msg)):
        ft.grad(lambda x: fnp.sum(sc.struve(1.0, x)))(X)
    assert ft.grad(lambda x: x * x)(3.0) == 6.0


def test_scipy_ufunc_out_argument_names_scipy():
    with pytest.raises(TypeError, match=re.escape("the out= argument of scipy.special.erf")):
        ft.grad(lambda x: sc.erf(x, out=np.empty(())))(0.5)
