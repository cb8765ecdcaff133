"""Multivariate distributions: ``multivariate_normal`` and ``dirichlet``, with
SciPy's argument conventions (the components of ``x`` along its last axis for
the normal, along its first axis for the Dirichlet) and SciPy's squeezed
output shapes."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

import fntrans.numpy as fnp
from fntrans.core.tracer import Tracer
from fntrans.scipy import special
from fntrans.scipy.stats._base import SciPyMethods, all_true, as_float

_LOG_2PI = math.log(2.0 * math.pi)


def _require(condition, error) -> bool:
    """SciPy's check of the covariance: raises ``error`` where ``condition``
    fails on host values. Returns whether it could tell: traced values, and
    values on a device (reading one back would wait for it), are left to
    ``_nan_unless``."""
    if not isinstance(condition, (np.ndarray, np.generic)):
        return False
    if not condition.all():
        raise error
    return True


def _nan_unless(condition, out):
    """``out``, or NaN where ``condition`` fails somewhere."""
    return fnp.where(fnp.all(condition), out, np.nan)


def _squeeze(out):
    """SciPy's ``_squeeze_output``: unit axes dropped."""
    return fnp.squeeze(out) if 1 in fnp.shape(out) else out


def _singular():
    return np.linalg.LinAlgError(
        "multivariate_normal: the covariance is singular or not positive definite; "
        "pass allow_singular=True for a degenerate distribution"
    )


def _not_semidefinite():
    return ValueError("multivariate_normal: the covariance must be positive semidefinite")


def _cutoff(s):
    """SciPy's ``_eigvalsh_to_eps``: eigenvalues at most this are taken as 0."""
    return {4: 1e3, 8: 1e6}[s.dtype.itemsize] * np.finfo(s.dtype).eps * fnp.max(fnp.abs(s))


def _maybe_degenerate(cov) -> bool:
    """Whether the covariance (a matrix, or the variances of a diagonal one)
    is known to have an eigenvalue at or below SciPy's cut-off. Abstract
    values (under ``vmap``) are taken as positive definite."""
    value = cov.concrete if isinstance(cov, Tracer) else cov
    if value is None:
        return False
    s = value if value.ndim < 2 else fnp.linalg.eigvalsh(value)
    return bool(fnp.any(s <= _cutoff(s)))


class _FrozenMultivariate:
    def __init__(self, dist, args, kwds):
        self.dist, self.args, self.kwds = dist, args, kwds

    def logpdf(self, x):
        return self.dist.logpdf(x, *self.args, **self.kwds)

    def pdf(self, x):
        return self.dist.pdf(x, *self.args, **self.kwds)


class _FrozenMultivariateNormal(_FrozenMultivariate):
    def entropy(self):
        mean, cov, allow_singular = self.args
        return self.dist._entropy(mean, cov, allow_singular)


class multivariate_normal_gen(SciPyMethods):
    """The multivariate normal distribution, ``logpdf(x, mean=None, cov=1,
    allow_singular=False)`` as in SciPy: ``cov`` is a matrix, a vector (its
    diagonal) or a scalar (times the identity), and ``x`` holds one point per
    row (its last axis is the components)."""

    name = "multivariate_normal"

    def __call__(self, mean=None, cov=1, allow_singular: bool = False) -> _FrozenMultivariate:
        """The distribution with fixed parameters, as SciPy's ``multivariate_normal(mean, cov)``."""
        return _FrozenMultivariateNormal(self, (mean, cov, allow_singular), {})

    def __repr__(self):
        return "<fntrans.scipy.stats.multivariate_normal>"

    @staticmethod
    def _parameters(x, mean, cov):
        """``x``, ``mean`` and ``cov`` in one float dtype, and the dimension
        (``x=None`` for the parameters alone)."""
        if mean is None:
            dim = 1 if fnp.ndim(cov) == 0 else fnp.shape(cov)[0]
            mean = 0.0
        else:
            dim = int(fnp.size(mean))
        parameters_only = x is None
        x, mean, cov = as_float(0.0 if parameters_only else x, mean, cov)
        mean = fnp.broadcast_to(fnp.reshape(mean, (-1,)), (dim,))
        if cov.ndim == 2 and cov.shape != (dim, dim):
            raise ValueError(
                f"multivariate_normal: cov has shape {cov.shape}, but mean is a vector "
                f"of length {dim}; cov must be a ({dim}, {dim}) matrix"
            )
        if cov.ndim > 2:
            raise ValueError(f"multivariate_normal: cov must be at most 2-d, got shape {cov.shape}")
        if cov.ndim == 1 and cov.shape[0] != dim:
            raise ValueError(
                f"multivariate_normal: cov has {cov.shape[0]} diagonal entries, but mean "
                f"is a vector of length {dim}"
            )
        if parameters_only:
            return None, mean, cov, dim
        # SciPy's _process_quantiles: the last axis of x holds the components
        if x.ndim == 0:
            x = fnp.reshape(x, (1, 1))
        elif x.ndim == 1:
            x = fnp.reshape(x, (-1, 1) if dim == 1 else (1, -1))
        if x.shape[-1] != dim:
            raise ValueError(
                f"multivariate_normal: x has {x.shape[-1]} components along its last axis "
                f"(shape {x.shape}), but the distribution has dimension {dim}"
            )
        return x, mean, cov, dim

    def logpdf(self, x: ArrayLike, mean=None, cov=1, allow_singular: bool = False):
        """Log of the density at each row of ``x``; differentiable in ``x``,
        ``mean`` and ``cov``.

        >>> import numpy as np
        >>> from fntrans.scipy.stats import multivariate_normal
        >>> cov = np.array([[2.0, 0.5], [0.5, 1.0]])
        >>> print(round(float(multivariate_normal.logpdf([1.0, 0.0], cov=cov)), 6))
        -2.403399
        """
        x, mean, cov, dim = self._parameters(x, mean, cov)
        dev = x - mean
        if cov.ndim < 2:
            # diagonal covariance: no factorization needed
            var = fnp.broadcast_to(cov, (dim,))
            if allow_singular:
                return _squeeze(self._degenerate(dev, var, None))
            positive = var > 0
            checked = _require(positive, _singular())
            maha = fnp.sum(dev * dev / var, axis=-1)
            log_det = fnp.sum(fnp.log(var))
        elif allow_singular:
            return _squeeze(self._degenerate(dev, *fnp.linalg.eigh(cov)))
        else:
            rows = fnp.reshape(dev, (-1, dim))
            solved = fnp.linalg.solve(cov, fnp.transpose(rows))
            maha = fnp.reshape(fnp.sum(fnp.transpose(rows) * solved, axis=0), dev.shape[:-1])
            sign, log_det = fnp.linalg.slogdet(cov)
            positive = sign > 0
            checked = _require(positive, _singular())
        out = -0.5 * (dim * _LOG_2PI + log_det + maha)
        return _squeeze(out if checked else _nan_unless(positive, out))

    def entropy(self, mean=None, cov=1):
        """The differential entropy ``log det(2 pi e cov) / 2``; differentiable
        in ``cov`` (``mean`` does not enter it).

        A singular ``cov`` (known values) gives SciPy's entropy of the
        degenerate distribution: the rank and pseudo-determinant in place of
        the dimension and the determinant.

        >>> import numpy as np
        >>> import fntrans as ft
        >>> from fntrans.scipy.stats import multivariate_normal
        >>> print(round(float(multivariate_normal.entropy(cov=np.eye(2))), 6))
        2.837877
        >>> print(ft.grad(lambda c: multivariate_normal.entropy(cov=c))(np.diag([2.0, 4.0])))
        [[0.25  0.   ]
         [0.    0.125]]
        """
        return self._entropy(mean, cov, True)

    def _entropy(self, mean, cov, allow_singular: bool):
        _, _, cov, dim = self._parameters(None, mean, cov)
        if cov.ndim < 2:
            s = fnp.broadcast_to(cov, (dim,))
            if not _maybe_degenerate(s):
                return 0.5 * (dim * (_LOG_2PI + 1.0) + fnp.sum(fnp.log(s)))
        else:
            if not _maybe_degenerate(cov):
                sign, log_det = fnp.linalg.slogdet(cov)
                return 0.5 * (dim * (_LOG_2PI + 1.0) + log_det)
            s = fnp.linalg.eigvalsh(cov)
        rank, log_pdet = self._log_pseudo_det(s)
        if not allow_singular:
            raise _singular()
        return 0.5 * (rank * (_LOG_2PI + 1.0) + log_pdet)

    @staticmethod
    def _log_pseudo_det(s):
        """SciPy's rank and log pseudo-determinant from the eigenvalues ``s``:
        those above its cut-off count."""
        eps = _cutoff(s)
        semidefinite = s >= -eps
        checked = _require(semidefinite, _not_semidefinite())
        keep = s > eps
        log_pdet = fnp.sum(fnp.where(keep, fnp.log(fnp.where(keep, s, 1.0)), 0.0))
        if not checked:
            log_pdet = _nan_unless(semidefinite, log_pdet)
        return fnp.sum(keep, dtype=s.dtype), log_pdet

    @staticmethod
    def _degenerate(dev, s, u):
        """The density on the span of the covariance's eigenvectors with
        eigenvalues above SciPy's cut-off (``-inf`` off it); ``u=None`` for a
        diagonal covariance with eigenvalues ``s``."""
        eps = _cutoff(s)
        semidefinite = s >= -eps
        checked = _require(semidefinite, _not_semidefinite())
        keep = s > eps
        s_safe = fnp.where(keep, s, 1.0)
        rank = fnp.sum(keep, dtype=s.dtype)
        log_pdet = fnp.sum(fnp.where(keep, fnp.log(s_safe), 0.0))
        coords = dev if u is None else fnp.matmul(dev, u)
        maha = fnp.sum(fnp.where(keep, coords * coords / s_safe, 0.0), axis=-1)
        off_span = fnp.sqrt(fnp.sum(fnp.where(keep, 0.0, coords * coords), axis=-1))
        out = -0.5 * (rank * _LOG_2PI + log_pdet + maha)
        out = fnp.where(off_span < 1e3 * eps, out, -np.inf)
        return out if checked else _nan_unless(semidefinite, out)

    def pdf(self, x: ArrayLike, mean=None, cov=1, allow_singular: bool = False):
        """Density at each row of ``x``.

        >>> from fntrans.scipy.stats import multivariate_normal
        >>> print(round(float(multivariate_normal.pdf([0.0, 0.0], cov=[1.0, 1.0])), 6))
        0.159155
        """
        return fnp.exp(self.logpdf(x, mean, cov, allow_singular))


class dirichlet_gen(SciPyMethods):
    """The Dirichlet distribution with concentrations ``alpha`` (a vector of
    ``K`` positive numbers), ``logpdf(x, alpha)`` as in SciPy: the components
    of ``x`` lie along its first axis (``K`` of them, or ``K - 1`` with the last
    implied as one minus their sum).

    Points off the simplex (an entry outside [0, 1], or a sum away from 1)
    give ``-inf``, where SciPy raises ``ValueError``: the answer then does not
    depend on whether the values are known (under ``vmap`` or ``jit``).
    """

    name = "dirichlet"

    def __call__(self, alpha) -> _FrozenMultivariate:
        """The distribution with fixed ``alpha``, as SciPy's ``dirichlet(alpha)``."""
        return _FrozenMultivariate(self, (alpha,), {})

    def __repr__(self):
        return "<fntrans.scipy.stats.dirichlet>"

    def logpdf(self, x: ArrayLike, alpha: ArrayLike):
        """Log of the density at ``x``; differentiable in ``x`` and ``alpha``.

        >>> from fntrans.scipy.stats import dirichlet
        >>> print(round(float(dirichlet.logpdf([0.2, 0.3, 0.5], [1.0, 2.0, 3.0])), 6))
        1.504077
        """
        x, alpha = as_float(x, alpha)
        if alpha.ndim != 1:
            raise ValueError(f"dirichlet: alpha must be 1-d, but alpha.shape = {alpha.shape}")
        k = alpha.shape[0]
        if x.ndim == 0 or x.shape[0] not in (k, k - 1):
            raise ValueError(
                f"dirichlet: x must have {k} or {k - 1} entries along its first axis "
                f"(alpha has {k}), but x.shape = {fnp.shape(x)}"
            )
        if x.shape[0] == k - 1:
            x = fnp.concatenate([x, 1.0 - fnp.sum(x, axis=0, keepdims=True)], axis=0)
        alpha = fnp.reshape(alpha, (k,) + (1,) * (x.ndim - 1))
        log_norm = fnp.sum(special.gammaln(alpha), axis=0) - special.gammaln(fnp.sum(alpha, axis=0))
        tol = max(1e-9, 100 * float(np.finfo(x.dtype).eps))
        on = fnp.all((x >= 0) & (x <= 1), axis=0) & (fnp.abs(fnp.sum(x, axis=0) - 1.0) <= tol)
        safe = fnp.where(on, x, 1.0 / k) if not all_true(on) else x
        out = fnp.sum(special.xlogy(alpha - 1.0, safe), axis=0) - log_norm
        out = out if all_true(on) else fnp.where(on, out, -np.inf)
        valid = fnp.all(alpha > 0)
        return _squeeze(out if all_true(valid) else fnp.where(valid, out, np.nan))

    def pdf(self, x: ArrayLike, alpha: ArrayLike):
        """Density at ``x``.

        >>> from fntrans.scipy.stats import dirichlet
        >>> print(round(float(dirichlet.pdf([0.5, 0.5], [1.0, 1.0])), 6))
        1.0
        """
        return fnp.exp(self.logpdf(x, alpha))


multivariate_normal = multivariate_normal_gen()
dirichlet = dirichlet_gen()
