"""Op-table cases for scipy.special: each function on a domain where it is
smooth (positive arguments for the gamma family, (-1, 1) for erfinv, (0, 1)
for ndtri and logit, ...). Orders and shape parameters (polygamma's n, iv's v,
gammainc's a), which carry no derivative, are constants of the case."""

from __future__ import annotations

import numpy as np

import fntrans.numpy as fnp
import fntrans.scipy.special as fsp
from tests.op_cases import FEW_BINARY_SHAPES, binary, unary

SHAPES = [(), (3,), (2, 3)]
POSITIVE = (0.5, 3.0)
BESSEL_POSITIVE = (0.5, 5.0)  # away from the singularity of the second kind at 0
ORDERS = [0.5, 1.0, 2.5]  # iv's orders, gammainc's shapes


def _orders(x):
    # in x's dtype (which NumPy would promote) and on x's backend
    return fnp.asarray(ORDERS, dtype=x.dtype, like=x)


def _real_orders(x):
    # real orders in the precision of x, also for a complex x
    return fnp.asarray(ORDERS, dtype=np.finfo(x.dtype).dtype, like=x)


def _lse_all(x):
    return fsp.logsumexp(x) + 0.5 * fsp.logsumexp(x, axis=-1, keepdims=True)


def _lse_weighted(x, b):
    value, sign = fsp.logsumexp(x, axis=0, b=b, return_sign=True)
    return value * sign + fsp.logsumexp(x, b=b)


CASES = [
    # the gamma family
    unary("special_gammaln", fsp.gammaln, POSITIVE, shapes=SHAPES),
    unary("special_gammaln_negative", fsp.gammaln, (-2.9, -2.1), shapes=[(3,)]),
    unary("special_gamma", fsp.gamma, POSITIVE, shapes=SHAPES),
    unary("special_rgamma", fsp.rgamma, POSITIVE, shapes=[(3,)]),
    unary(
        "special_gammasgn",
        lambda x: fsp.gammasgn(x) * x,
        (-2.8, 2.0),
        away_from=(-2.0, -1.0, 0.0),
        shapes=[(3,)],
    ),
    unary("special_digamma", fsp.digamma, POSITIVE, shapes=SHAPES),
    unary(
        "special_polygamma",
        lambda x: fsp.polygamma(1, x) + fsp.polygamma([0, 2, 0], x),
        POSITIVE,
        shapes=[(3,), (2, 3)],
    ),
    unary("special_multigammaln", lambda a: fsp.multigammaln(a, 3), (1.2, 4.0), shapes=[(), (3,)]),
    binary("special_beta", fsp.beta, POSITIVE, shapes=FEW_BINARY_SHAPES),
    binary("special_betaln", fsp.betaln, POSITIVE, shapes=FEW_BINARY_SHAPES),
    unary(
        "special_gammainc",
        lambda x: fsp.gammainc(_orders(x), x) + fsp.gammaincc(2.0, x),
        POSITIVE,
        shapes=[(3,), (2, 3)],
    ),
    # error functions and the normal distribution
    unary("special_erf", fsp.erf, shapes=SHAPES, complex_ok=True),
    unary("special_erfc", fsp.erfc, shapes=SHAPES, complex_ok=True),
    unary("special_erfcx", fsp.erfcx, (-1.0, 3.0), shapes=SHAPES, complex_ok=True),
    unary("special_erfinv", fsp.erfinv, (-0.9, 0.9), shapes=SHAPES),
    unary("special_erfcinv", fsp.erfcinv, (0.1, 1.9), shapes=SHAPES),
    unary("special_ndtr", fsp.ndtr, (-3.0, 3.0), shapes=SHAPES, complex_ok=True),
    unary("special_ndtri", fsp.ndtri, (0.05, 0.95), shapes=SHAPES),
    unary("special_log_ndtr", fsp.log_ndtr, (-6.0, 3.0), shapes=SHAPES, complex_ok=True),
    # the logistic functions
    unary("special_expit", fsp.expit, (-4.0, 4.0), shapes=SHAPES),
    unary("special_logit", fsp.logit, (0.1, 0.9), shapes=SHAPES),
    unary("special_log_expit", fsp.log_expit, (-4.0, 4.0), shapes=SHAPES),
    # x log y and entropy
    binary(
        "special_xlogy",
        fsp.xlogy,
        ((-2.0, 2.0), POSITIVE),
        shapes=FEW_BINARY_SHAPES,
        complex_ok=True,
    ),
    binary("special_xlog1py", fsp.xlog1py, ((-2.0, 2.0), (-0.7, 2.0)), shapes=FEW_BINARY_SHAPES),
    unary("special_entr", fsp.entr, (0.2, 3.0), shapes=SHAPES),
    # modified Bessel functions (the scaled ones have a kink at 0, from |x|)
    unary("special_i0", fsp.i0, shapes=SHAPES),
    unary("special_i1", fsp.i1, shapes=SHAPES),
    unary("special_i0e", fsp.i0e, away_from=(0.0,), shapes=SHAPES),
    unary("special_i1e", fsp.i1e, away_from=(0.0,), shapes=SHAPES),
    unary(
        "special_iv",
        lambda x: fsp.iv(_orders(x), x) + fsp.iv(-1.5, x),
        POSITIVE,
        shapes=[(3,)],
    ),
    unary("special_ive", lambda x: fsp.ive(_orders(x), x), POSITIVE, shapes=[(3,), (2, 3)]),
    # Bessel functions (the second kind, and the first of fractional order, for x > 0)
    unary("special_j0", fsp.j0, (-4.0, 4.0), shapes=SHAPES),
    unary("special_j1", fsp.j1, (-4.0, 4.0), shapes=SHAPES),
    unary("special_y0", fsp.y0, BESSEL_POSITIVE, shapes=SHAPES),
    unary("special_y1", fsp.y1, BESSEL_POSITIVE, shapes=SHAPES),
    unary(
        "special_jv",
        lambda x: fsp.jv(_real_orders(x), x) + fsp.jn(2, x),
        BESSEL_POSITIVE,
        shapes=[(3,), (2, 3)],
        complex_ok=True,
    ),
    unary(
        "special_yv",
        lambda x: fsp.yv(_real_orders(x), x) + fsp.yv(-1.5, x),
        BESSEL_POSITIVE,
        shapes=[(3,), (2, 3)],
        complex_ok=True,
    ),
    unary("special_yn", lambda x: fsp.yn(0, x) + fsp.yn(3, x), BESSEL_POSITIVE, shapes=[(3,)]),
    unary(
        "special_kv",
        lambda x: fsp.kv(_orders(x), x) + fsp.kv(-1.5, x),
        POSITIVE,
        shapes=[(3,)],
    ),
    unary("special_kve", lambda x: fsp.kve(_orders(x), x), POSITIVE, shapes=[(3,), (2, 3)]),
    # log-sum-exp and softmax
    unary("special_logsumexp", _lse_all, shapes=[(3,), (2, 3)]),
    binary(
        "special_logsumexp_b",
        _lse_weighted,
        ((-2.0, 2.0), (0.2, 2.0)),
        shapes=[((2, 3), (2, 3)), ((2, 3), (3,))],
    ),
    unary("special_softmax", lambda x: fsp.softmax(x, axis=-1), shapes=[(3,), (2, 3)]),
    unary("special_softmax_all", fsp.softmax, shapes=[(2, 3)]),
    unary("special_log_softmax", lambda x: fsp.log_softmax(x, axis=0), shapes=[(3,), (2, 3)]),
]
