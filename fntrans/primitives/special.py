"""SciPy's special functions (``scipy.special``), elementwise, each given by
its derivative in terms of other primitives, so that every derivative can be
differentiated again: the gamma family (``gamma``, ``gammaln``, ``digamma``,
``polygamma``, ``rgamma``, ``beta``, ``betaln``, the incomplete gamma
functions), the error functions and the normal distribution's (``erf``,
``erfinv``, ``ndtr``, ``ndtri``, ``log_ndtr``, ...), the logistic functions
(``expit``, ``logit``, ``log_expit``), ``xlogy``/``xlog1py``/``entr``, and the
Bessel functions (``j0``, ``j1``, ``jv``, ``y0``, ``y1``, ``yn``, ``yv``), the
modified ones (``i0``, ``i1``, ``iv``, ``kv`` and their scaled forms), and
the incomplete beta and Student's t functions and the inverses that the
distributions' cdf and ppf need (``betainc``, ``stdtr``, ``gammaincinv``, ...).

They compute with SciPy's ufuncs on NumPy arrays (``cupyx.scipy.special`` on
CuPy arrays), with NumPy's broadcasting and dtype rules: float32 stays
float32, and Python scalars are weak. Orders and shape parameters (``n`` of
``polygamma``, ``v`` of ``iv`` and ``jv``, ``a`` of ``gammainc``) carry no derivative, as
in SciPy: differentiating with respect to one raises ``NotImplementedError``.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

from fntrans import errors
from fntrans.backend import scipy_module
from fntrans.core.aval import dtype_of, shape_of
from fntrans.core.primitive import Primitive
from fntrans.primitives._util import elementwise_batch
from fntrans.primitives.broadcasting import unbroadcast
from fntrans.primitives.elementwise import (
    add,
    broadcast_tangent,
    div,
    eq,
    logical_and_p,
    mul,
    neg,
    select,
    sub,
    ufunc_shape,
    unary,
)
from fntrans.primitives.math_functions import exp, log, log1p_p, sign

_PYTHON_SCALARS = (bool, int, float, complex)
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)

# ---- the constructors: SciPy's ufunc on the backend's special module ----


def _special_impl(ufunc):
    """SciPy's ``ufunc`` on NumPy arrays; on another backend, the function of
    the same name in its ``scipy.special`` (``cupyx.scipy.special`` for CuPy).

    Python scalars are weak, as in NumPy's own ufuncs: SciPy's two-argument
    ufuncs list their float64 loop first, so ``xlogy(2.0, x32)`` would
    otherwise be float64.
    """
    name = ufunc.__name__

    def impl(xp, *args, **params):
        if len(args) > 1 and any(type(a) in _PYTHON_SCALARS for a in args):
            dtype = _weak_result_type(args)
            if dtype.kind in "fc":
                args = [
                    xp.asarray(a, _weak_dtype(dtype, type(a) is complex))
                    if type(a) in _PYTHON_SCALARS
                    else a
                    for a in args
                ]
        if xp is np:
            return ufunc(*args, **params)
        return getattr(scipy_module(xp, "special"), name)(*args, **params)

    impl.ufunc = ufunc  # jit's code generator calls SciPy's ufunc directly on NumPy
    return impl


def _weak_result_type(args):
    return np.result_type(*(a if type(a) in _PYTHON_SCALARS else dtype_of(a) for a in args))


def _weak_dtype(result, is_complex):
    """The dtype a Python scalar enters SciPy's loop with: the result's, but
    its real counterpart for a real scalar beside a complex result, as real
    orders need it (``jv(2.0, z)`` has a loop for a real order only)."""
    if result.kind == "c" and not is_complex:
        return np.finfo(result).dtype
    return result


def _special_shape(ufunc):
    """The shape rule of ``_special_impl``: NumPy's promotion of the operands
    (weak Python scalars included), then SciPy's loop for that dtype."""
    numpy_shape = ufunc_shape(ufunc)

    def shape(*avals):
        out = numpy_shape(*avals)
        dtype = np.result_type(*(a.dtype_for_promotion() for a in avals))
        if len(avals) > 1 and dtype.kind in "fc":
            loop = tuple(
                _weak_dtype(dtype, a.dtype.kind == "c") if a.weak_type else a.dtype for a in avals
            )
            out = out.update(dtype=ufunc.resolve_dtypes(loop + (None,))[-1])
        return out

    return shape


def _unary(name, ufunc, jvp=None, *, zero_derivative=False):
    """A one-argument special function; ``jvp(t, ans, x)`` gives the tangent
    and, as the Jacobian is diagonal, also the VJP."""
    return unary(
        name, ufunc=ufunc, jvp=jvp, zero_derivative=zero_derivative, impl=_special_impl(ufunc)
    )


def _binary(name, ufunc, dx, dy, *, impl=None):
    """A two-argument special function with partial derivatives ``dx(ans, x, y)``
    and ``dy(ans, x, y)``. A partial derivative of ``None`` marks an argument
    that carries none (an order or a shape parameter): differentiating with
    respect to it raises."""
    prim = None
    partials = (dx, dy)

    def partial(i, ans, x, y):
        if partials[i] is None:
            raise errors.special_argument_not_differentiable(name, i)
        return partials[i](ans, x, y)

    def jvp(primals, tangents):
        x, y = primals
        ans = prim.bind(x, y)
        out = None
        for i, t in enumerate(tangents):
            if t is not None:
                term = mul(t, partial(i, ans, x, y))
                out = term if out is None else add(out, term)
        if out is None:
            return ans, None
        return ans, broadcast_tangent(out, shape_of(ans), dtype_of(ans))

    def vjp(ct, ans, x, y, *, needs):
        return tuple(
            unbroadcast(mul(ct, partial(i, ans, x, y)), shape_of(arg)) if need else None
            for i, (arg, need) in enumerate(zip((x, y), needs))
        )

    prim = Primitive(
        name,
        impl=impl or _special_impl(ufunc),
        shape=_special_shape(ufunc),
        jvp=jvp,
        vjp=vjp,
        batch=elementwise_batch,
    )
    return prim


# ---- the gamma family ----

gammaln_p = _unary("gammaln", sc.gammaln, lambda t, ans, x: mul(t, digamma(x)))
# d gamma = gamma * digamma, reusing ans
gamma_p = _unary("gamma", sc.gamma, lambda t, ans, x: mul(t, mul(ans, digamma(x))))
# d (1 / gamma) = -digamma / gamma
rgamma_p = _unary("rgamma", sc.rgamma, lambda t, ans, x: neg(mul(t, mul(ans, digamma(x)))))
gammasgn_p = _unary("gammasgn", sc.gammasgn, zero_derivative=True)
digamma_p = _unary("digamma", sc.psi, lambda t, ans, x: mul(t, polygamma(x, 1)))


def _polygamma_impl(xp, x, *, n):
    special = sc if xp is np else scipy_module(xp, "special")
    if n == 0:
        return special.psi(x)
    # polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x); Python scalars keep x's dtype
    return (-1.0) ** (n + 1) * math.factorial(n) * special.zeta(float(n + 1), x)


def _polygamma_jvp(primals, tangents, *, n):
    (x,), (t,) = primals, tangents
    return polygamma(x, n), mul(t, polygamma(x, n + 1))


polygamma_p = Primitive(
    "polygamma",
    impl=_polygamma_impl,
    shape=lambda x, *, n: ufunc_shape(sc.psi)(x),
    jvp=_polygamma_jvp,
    vjp=lambda ct, ans, x, *, n, needs: (mul(ct, polygamma(x, n + 1)),),
    batch=elementwise_batch,
)


def _digamma_difference(x, y):
    return sub(digamma(x), digamma(add(x, y)))


# d betaln(a, b) / da = digamma(a) - digamma(a + b)
betaln_p = _binary(
    "betaln",
    sc.betaln,
    lambda ans, a, b: _digamma_difference(a, b),
    lambda ans, a, b: _digamma_difference(b, a),
)
beta_p = _binary(
    "beta",
    sc.beta,
    lambda ans, a, b: mul(ans, _digamma_difference(a, b)),
    lambda ans, a, b: mul(ans, _digamma_difference(b, a)),
)


def _gammainc_dx(ans, a, x):
    # d/dx P(a, x) = x^(a-1) e^(-x) / gamma(a), in logs against overflow
    return exp(sub(sub(xlogy(sub(a, 1.0), x), x), gammaln(a)))


gammainc_p = _binary("gammainc", sc.gammainc, None, _gammainc_dx)
gammaincc_p = _binary(
    "gammaincc", sc.gammaincc, None, lambda ans, a, x: neg(_gammainc_dx(ans, a, x))
)

# ---- error functions and the normal distribution ----


def _gaussian(x):
    return exp(mul(-0.5, mul(x, x)))


erf_p = _unary("erf", sc.erf, lambda t, ans, x: mul(t, mul(2 / _SQRT_PI, exp(neg(mul(x, x))))))
erfc_p = _unary("erfc", sc.erfc, lambda t, ans, x: mul(t, mul(-2 / _SQRT_PI, exp(neg(mul(x, x))))))
# the inverse's derivative is 1 / erf'(ans)
erfinv_p = _unary(
    "erfinv", sc.erfinv, lambda t, ans, x: mul(t, mul(_SQRT_PI / 2, exp(mul(ans, ans))))
)
erfcinv_p = _unary(
    "erfcinv", sc.erfcinv, lambda t, ans, x: mul(t, mul(-_SQRT_PI / 2, exp(mul(ans, ans))))
)
# erfcx = exp(x^2) erfc(x): d erfcx = 2 x erfcx - 2 / sqrt(pi)
erfcx_p = _unary(
    "erfcx", sc.erfcx, lambda t, ans, x: mul(t, sub(mul(mul(2.0, x), ans), 2 / _SQRT_PI))
)
ndtr_p = _unary("ndtr", sc.ndtr, lambda t, ans, x: mul(t, mul(1 / _SQRT_2PI, _gaussian(x))))
ndtri_p = _unary(
    "ndtri", sc.ndtri, lambda t, ans, x: mul(t, mul(_SQRT_2PI, exp(mul(0.5, mul(ans, ans)))))
)
# d log ndtr = pdf / cdf = exp(-x^2 / 2 - log_ndtr(x)) / sqrt(2 pi): no underflow
# of pdf and cdf far in the left tail
log_ndtr_p = _unary(
    "log_ndtr",
    sc.log_ndtr,
    lambda t, ans, x: mul(t, mul(1 / _SQRT_2PI, exp(sub(mul(-0.5, mul(x, x)), ans)))),
)

# ---- the logistic functions ----

# d expit = expit(x) expit(-x), exact in both tails (unlike ans * (1 - ans))
expit_p = _unary("expit", sc.expit, lambda t, ans, x: mul(t, mul(ans, expit(neg(x)))))
logit_p = _unary("logit", sc.logit, lambda t, ans, x: div(t, mul(x, sub(1.0, x))))
# d log(expit(x)) = 1 - expit(x) = expit(-x)
log_expit_p = _unary("log_expit", sc.log_expit, lambda t, ans, x: mul(t, expit(neg(x))))

# ---- x log y and entropy ----


def _x_over(x, y):
    # x / y, taken as 0 where both are 0 (x log y is 0 along x = 0); elsewhere
    # the quotient itself, so that its derivative in x is 1 / y also at x = 0
    both_zero = logical_and_p.bind(eq(x, 0), eq(y, 0))
    return div(x, select(both_zero, 1.0, y))


xlogy_p = _binary("xlogy", sc.xlogy, lambda ans, x, y: log(y), lambda ans, x, y: _x_over(x, y))
xlog1py_p = _binary(
    "xlog1py",
    sc.xlog1py,
    lambda ans, x, y: log1p(y),
    lambda ans, x, y: _x_over(x, add(y, 1.0)),
)
# entr(x) = -x log x: d entr = -(log x + 1)
entr_p = _unary("entr", sc.entr, lambda t, ans, x: neg(mul(t, add(log(x), 1.0))))

# ---- modified Bessel functions ----

# I_v' = (I_{v-1} + I_{v+1}) / 2; the scaled ive = iv exp(-|x|) subtracts sign(x) ive.


def _iv_dx(ans, v, x):
    return mul(0.5, add(iv(sub(v, 1.0), x), iv(add(v, 1.0), x)))


def _ive_dx(ans, v, x):
    return sub(mul(0.5, add(ive(sub(v, 1.0), x), ive(add(v, 1.0), x))), mul(sign(x), ans))


_scipy_iv = _special_impl(sc.iv)


def _iv_impl(xp, v, x):
    # SciPy's float64 iv is NaN for 0 < |x| < ~1e-307; its value at 0 is the
    # one it gives just above that range, so such x are flushed to 0
    if dtype_of(x) == np.float64:
        x = xp.where(xp.abs(x) < 1e-307, 0 * x, x)
    return _scipy_iv(xp, v, x)


iv_p = _binary("iv", sc.iv, None, _iv_dx, impl=_iv_impl)
ive_p = _binary("ive", sc.ive, None, _ive_dx)
i0_p = _unary("i0", sc.i0, lambda t, ans, x: mul(t, i1(x)))
# I_1' = (I_0 + I_2) / 2, finite at 0 (unlike I_0 - I_1 / x)
i1_p = _unary("i1", sc.i1, lambda t, ans, x: mul(t, mul(0.5, add(i0(x), iv(2.0, x)))))
i0e_p = _unary("i0e", sc.i0e, lambda t, ans, x: mul(t, sub(i1e(x), mul(sign(x), ans))))
i1e_p = _unary(
    "i1e",
    sc.i1e,
    lambda t, ans, x: mul(t, sub(mul(0.5, add(i0e(x), ive(2.0, x))), mul(sign(x), ans))),
)

# ---- Bessel functions of the first and second kind ----

# C_v' = (C_{v-1} - C_{v+1}) / 2 for C = J, Y; C_0' = -C_1, and C_1' = (C_0 - C_2) / 2,
# finite at 0 (unlike C_0 - C_1 / x).


def _jv_dx(ans, v, x):
    return mul(0.5, sub(jv(sub(v, 1.0), x), jv(add(v, 1.0), x)))


def _yv_dx(ans, v, x):
    return mul(0.5, sub(yv(sub(v, 1.0), x), yv(add(v, 1.0), x)))


def _yn_dx(ans, n, x):
    # integer orders stay integers (SciPy's yn truncates a float order)
    return mul(0.5, sub(yn(sub(n, 1), x), yn(add(n, 1), x)))


jv_p = _binary("jv", sc.jv, None, _jv_dx)
yv_p = _binary("yv", sc.yv, None, _yv_dx)
yn_p = _binary("yn", sc.yn, None, _yn_dx)
j0_p = _unary("j0", sc.j0, lambda t, ans, x: neg(mul(t, j1(x))))
j1_p = _unary("j1", sc.j1, lambda t, ans, x: mul(t, mul(0.5, sub(j0(x), jv(2.0, x)))))
y0_p = _unary("y0", sc.y0, lambda t, ans, x: neg(mul(t, y1(x))))
y1_p = _unary("y1", sc.y1, lambda t, ans, x: mul(t, mul(0.5, sub(y0(x), yv(2.0, x)))))

# ---- modified Bessel functions of the second kind ----

# K_v' = -(K_{v-1} + K_{v+1}) / 2; the scaled kve = kv exp(x) adds kve.


def _kv_dx(ans, v, x):
    return mul(-0.5, add(kv(sub(v, 1.0), x), kv(add(v, 1.0), x)))


def _kve_dx(ans, v, x):
    return sub(ans, mul(0.5, add(kve(sub(v, 1.0), x), kve(add(v, 1.0), x))))


kv_p = _binary("kv", sc.kv, None, _kv_dx)
kve_p = _binary("kve", sc.kve, None, _kve_dx)

# ---- binding helpers ----

gammaln = gammaln_p.bind
digamma = digamma_p.bind
expit = expit_p.bind
xlogy = xlogy_p.bind
xlog1py = xlog1py_p.bind
betaln = betaln_p.bind
iv = iv_p.bind
ive = ive_p.bind
i0 = i0_p.bind
i1e = i1e_p.bind
i0e = i0e_p.bind
i1 = i1_p.bind
jv = jv_p.bind
yv = yv_p.bind
yn = yn_p.bind
j0 = j0_p.bind
j1 = j1_p.bind
y0 = y0_p.bind
y1 = y1_p.bind
kv = kv_p.bind
kve = kve_p.bind
log1p = log1p_p.bind


def polygamma(x, n: int):
    """The ``n``-th derivative of ``digamma`` at ``x`` (``n`` a Python int)."""
    return polygamma_p.bind(x, n=int(n))


__all__ = [name for name in dir() if name.endswith("_p")]


# ---- incomplete beta, Student's t, inverse incomplete gamma: derivatives in the
# last argument only (SciPy gives none in the shape parameters) ----

_LOG_PI = math.log(math.pi)


def _last_argument(name, ufunc, d_last):
    """An elementwise SciPy function whose derivative in its last argument is
    ``d_last(ans, *args)``; ``d_last=None`` for one never differentiated."""
    prim = None

    def partial(i, ans, args):
        if i != len(args) - 1 or d_last is None:
            raise errors.special_argument_not_differentiable(name, i)
        return d_last(ans, *args)

    def jvp(primals, tangents):
        ans = prim.bind(*primals)
        out = None
        for i, t in enumerate(tangents):
            if t is not None:
                term = mul(t, partial(i, ans, primals))
                out = term if out is None else add(out, term)
        if out is None:
            return ans, None
        return ans, broadcast_tangent(out, shape_of(ans), dtype_of(ans))

    def vjp(ct, ans, *args, needs):
        return tuple(
            unbroadcast(mul(ct, partial(i, ans, args)), shape_of(arg)) if need else None
            for i, (arg, need) in enumerate(zip(args, needs))
        )

    prim = Primitive(
        name,
        impl=_special_impl(ufunc),
        shape=ufunc_shape(ufunc),
        jvp=jvp,
        vjp=vjp,
        batch=elementwise_batch,
    )
    return prim


def _log_beta_density(a, b, x):
    return sub(add(xlogy(sub(a, 1.0), x), xlog1py(sub(b, 1.0), neg(x))), betaln(a, b))


def _log_gamma_density(a, x):
    return sub(sub(xlogy(sub(a, 1.0), x), x), gammaln(a))


def _log_t_density(df, t):
    half = mul(0.5, add(df, 1.0))
    norm = sub(sub(gammaln(half), gammaln(mul(0.5, df))), mul(0.5, add(log(df), _LOG_PI)))
    return sub(norm, mul(half, log1p(div(mul(t, t), df))))


betainc_p = _last_argument(
    "betainc", sc.betainc, lambda ans, a, b, x: exp(_log_beta_density(a, b, x))
)
betaincc_p = _last_argument(
    "betaincc", sc.betaincc, lambda ans, a, b, x: neg(exp(_log_beta_density(a, b, x)))
)
# an inverse's derivative is one over the forward function's, at the result
betaincinv_p = _last_argument(
    "betaincinv", sc.betaincinv, lambda ans, a, b, y: exp(neg(_log_beta_density(a, b, ans)))
)
betainccinv_p = _last_argument(
    "betainccinv", sc.betainccinv, lambda ans, a, b, y: neg(exp(neg(_log_beta_density(a, b, ans))))
)
gammaincinv_p = _last_argument(
    "gammaincinv", sc.gammaincinv, lambda ans, a, y: exp(neg(_log_gamma_density(a, ans)))
)
gammainccinv_p = _last_argument(
    "gammainccinv", sc.gammainccinv, lambda ans, a, y: neg(exp(neg(_log_gamma_density(a, ans))))
)
stdtr_p = _last_argument("stdtr", sc.stdtr, lambda ans, df, t: exp(_log_t_density(df, t)))
stdtrit_p = _last_argument(
    "stdtrit", sc.stdtrit, lambda ans, df, p: exp(neg(_log_t_density(df, ans)))
)
# the discrete quantiles are piecewise constant: used on inputs without derivatives
pdtrik_p = _last_argument("pdtrik", sc.pdtrik, None)
bdtrik_p = _last_argument("bdtrik", sc.bdtrik, None)
