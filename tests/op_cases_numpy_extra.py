"""Op-table cases for the rest of NumPy's surface: differences, convolutions, polynomials, nan-functions, ...."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fntrans.numpy as fnp
from fntrans.scipy import signal
from tests.op_cases import POSITIVE, binary, unary

VECTORS = [(3,), (2, 3)]


def _with_nans(x):
    """``x`` with its second entry (in flat order) replaced by NaN."""
    pattern = np.zeros(x.shape)
    pattern.flat[1] = np.nan
    # as a list, so that it is built on x's backend
    return x + fnp.asarray(pattern.tolist(), dtype=x.dtype, like=x)


# observations whose correlations are far from +-1 (where corrcoef is clipped)
_SAMPLES = np.array([[0.3, -1.2, 0.8, 1.5], [1.1, 0.2, -0.9, 0.4], [-0.5, 0.9, 1.3, -1.4]])


def _samples(data, shapes, with_imag=False):
    """``_SAMPLES`` moved by a little: well-conditioned inputs for ``corrcoef``."""
    noise = data.draw(hnp.arrays(np.float64, shapes[0], elements=st.floats(-0.1, 0.1)))
    return [_SAMPLES[: shapes[0][0], : shapes[0][1]] + noise]


def _nan(name, fn, shapes=VECTORS, **kw):
    return unary(name, lambda x: fn(_with_nans(x)), shapes=shapes, **kw)


CASES = [
    # differences and integrals
    unary("diff", lambda x: fnp.diff(x, n=2, axis=0, prepend=x[:1] * 0.5), shapes=[(3,), (3, 2)]),
    unary("diff_np_dispatch", lambda x: np.diff(x, append=x[..., :1]), shapes=VECTORS),
    unary("diff_complex", lambda x: fnp.diff(x * x), shapes=[(4,)], complex_ok=True),
    unary("ediff1d", lambda x: fnp.ediff1d(x, to_begin=x[..., 0], to_end=[1.0]), shapes=VECTORS),
    unary("gradient", lambda x: fnp.gradient(x, 0.5, axis=-1), shapes=[(4,), (2, 4)]),
    unary(
        "gradient_edge2",
        lambda x: fnp.stack(fnp.gradient(x, edge_order=2)),
        shapes=[(3, 4)],
    ),
    binary(
        "gradient_coordinates",
        lambda f, x: fnp.gradient(f, x, edge_order=2, axis=-1),
        shapes=[((4,), (4,)), ((2, 5), (5,))],
        distinct=True,
    ),
    binary("trapezoid", lambda y, x: fnp.trapezoid(y, x), shapes=[((4,), (4,)), ((2, 3), (3,))]),
    unary("trapezoid_dx", lambda y: np.trapezoid(y, dx=0.5, axis=0), shapes=VECTORS),
    # convolutions (the conv primitive)
    binary(
        "convolve",
        fnp.convolve,
        shapes=[((4,), (3,)), ((2,), (5,)), ((1,), (1,))],
        complex_ok=True,
    ),
    binary(
        "convolve_same",
        lambda a, v: np.convolve(a, v, mode="same"),
        shapes=[((5,), (2,)), ((3,), (4,))],
    ),
    binary(
        "correlate",
        lambda a, v: fnp.correlate(a, v, "valid") + fnp.correlate(a, v, "full")[1],
        shapes=[((5,), (3,)), ((2,), (4,))],
        complex_ok=True,
    ),
    binary(
        "convolve2d",
        lambda a, b: signal.convolve2d(a, b, "same") + signal.correlate(a, b, "valid").sum(),
        shapes=[((3, 4), (2, 2))],
        complex_ok=True,
    ),
    binary(
        "fftconvolve_axes",
        lambda a, b: signal.fftconvolve(a, b, "valid", axes=-1),
        shapes=[((2, 4), (1, 3)), ((2, 3), (2, 3))],
        float32_tol=(1e-3, 1e-3),
    ),
    # polynomials
    binary("polyval", fnp.polyval, shapes=[((3,), ()), ((4,), (2, 3))]),
    unary(
        "polyder_polyint",
        lambda p: fnp.polyint(fnp.polyder(p, 2), 2, k=p[:1]).astype(p.dtype),
        shapes=[(4,)],
    ),
    binary(
        "polyadd_polymul",
        lambda p, q: fnp.polysub(fnp.polyadd(p, q), fnp.polymul(p, q)),
        shapes=[((3,), (2,))],
    ),
    # statistics
    unary("std_scalar", fnp.std, shapes=[()]),
    unary("var_scalar", lambda x: fnp.var(x) + fnp.std(x, ddof=1), shapes=[(3,)], distinct=True),
    unary("cov", lambda x: fnp.cov(x).astype(x.dtype), shapes=[(4,), (2, 4)]),
    binary(
        "cov_weights",
        lambda x, w: fnp.cov(x, rowvar=False, aweights=w).astype(x.dtype),
        (((-2.0, 2.0)), POSITIVE),
        shapes=[((4, 2), (4,))],
    ),
    unary("corrcoef", lambda x: fnp.corrcoef(x).astype(x.dtype), shapes=[(3, 4)], draw=_samples),
    # functions that ignore NaNs (the derivative is 0 at the NaN)
    _nan("nansum", lambda x: fnp.nansum(x, axis=-1)),
    _nan("nanprod", lambda x: fnp.nanprod(x, axis=0)),
    _nan("nancumsum", lambda x: fnp.nancumsum(x) * fnp.nancumprod(x, axis=-1).sum()),
    _nan("nanmean", lambda x: fnp.nanmean(x, axis=-1, keepdims=True)),
    _nan("nanvar", lambda x: fnp.nanvar(x, ddof=1) + fnp.nanstd(x, axis=0), distinct=True),
    _nan("nanmax", lambda x: fnp.nanmax(x, axis=-1) - np.nanmin(x), distinct=True),
    _nan(
        "nanargmax",
        lambda x: fnp.ravel(x)[fnp.nanargmax(x)] * fnp.nanargmin(x).astype(x.dtype),
        distinct=True,
    ),
    _nan("nanmedian", lambda x: fnp.nanmedian(x, axis=-1), shapes=[(4,), (2, 3)], distinct=True),
    _nan(
        "nanquantile",
        lambda x: fnp.nanquantile(x, [0.3, 0.8]) + np.nanpercentile(x, 40.0),
        shapes=[(5,)],
        distinct=True,
    ),
    binary(
        "fmax_fmin",
        lambda x, y: fnp.fmax(x, _with_nans(y)) + np.fmin(_with_nans(x), y),
        shapes=[((3,), (3,)), ((2, 3), (2, 3))],
        distinct=True,
    ),
    # creation with traced endpoints
    unary("linspace", lambda x: fnp.linspace(x, 2 * x + 1, 5, axis=-1), shapes=[(), (3,)]),
    unary(
        "linspace_np_dispatch",
        lambda x: np.linspace(x, 1.0, 4, endpoint=False, retstep=True)[0],
        shapes=[(), (2,)],
    ),
    unary("logspace", lambda x: fnp.logspace(x, x + 1, 4, base=2.0), shapes=[(), (2,)]),
    unary(
        "geomspace",
        lambda x: fnp.geomspace(x, 3 * x, 4, axis=-1).astype(x.dtype),
        POSITIVE,
        shapes=[(), (2,)],
    ),
    # arrangement
    binary("r_", lambda x, y: fnp.r_[x, 0.5, y, 1:3].astype(x.dtype), shapes=[((3,), (2,))]),
    binary("c_", lambda x, y: fnp.c_[x, y], shapes=[((3,), (3,)), ((2, 3), (2, 1))]),
    binary("row_stack", lambda x, y: fnp.row_stack([x, y]), shapes=[((3,), (3,))]),
    binary("column_stack", lambda x, y: fnp.column_stack([x, y]), shapes=[((3,), (3,))]),
    unary("rollaxis", lambda x: fnp.rollaxis(x, 2, 0) * 2.0, shapes=[(2, 3, 4)]),
    unary(
        "astype_int",
        lambda x: (x.astype(int) * x).astype(x.dtype),
        (-1.8, 1.8),
        away_from=(-1.0, 0.0, 1.0),
    ),
    unary(
        "real_if_close",
        lambda x: fnp.real_if_close(x * (1 + 0j)) * x,
        shapes=[(3,)],
        concrete_only=True,
    ),
]
