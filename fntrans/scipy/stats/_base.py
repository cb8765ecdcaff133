"""What every distribution shares: SciPy's argument parsing (shape parameters,
then ``loc`` and ``scale``, by position or by name), one float dtype for all
arguments, loc/scale standardization, NaN for invalid parameters, and
evaluation restricted to the support so that no NaN reaches a derivative."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

import fntrans.numpy as fnp


def as_float(*args, counts: int = 0) -> list:
    """``args`` cast to their common float dtype (float64 for integers).

    Python scalars become NumPy scalars of that dtype, so that a function of
    them alone (``log(scale)``) does not turn a float32 result into float64.
    The first ``counts`` arguments (the ``k`` of a discrete distribution) take
    part in choosing the dtype only when they are floats: integer counts with
    a float32 ``p`` give float32.
    """
    args = [fnp.asarray(a) if isinstance(a, (list, tuple)) else a for a in args]
    dtypes = [a.dtype if hasattr(a, "dtype") else a for a in args]
    for i in range(counts):
        if np.dtype(getattr(args[i], "dtype", type(args[i]))).kind in "biu":
            dtypes[i] = 0  # a weak Python int
    dtype = np.result_type(*dtypes)
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    out = []
    for a in args:
        if hasattr(a, "dtype"):  # an array of any backend, traced or not
            out.append(a if a.dtype == dtype else a.astype(dtype))
        else:
            out.append(dtype.type(a))
    return out


def all_true(mask) -> bool:
    """Whether ``mask`` is known to hold everywhere (never for an abstract one)."""
    if isinstance(mask, bool):
        return mask
    if not isinstance(mask, (np.ndarray, np.generic)):
        return False  # traced, or on a device: reading it back would synchronize
    return bool(mask.all())


def on_support(inside, x, safe, f, outside):
    """``f(x)`` where ``inside`` holds and ``outside`` (a value, or a function
    of ``x``) elsewhere.

    ``f`` only ever sees ``x`` inside (``safe`` replaces it elsewhere), so the
    unused branch makes no NaN that a derivative would multiply by zero.
    """
    if all_true(inside):
        return f(x)
    if callable(outside):
        outside = outside(x)
    return fnp.where(inside, f(fnp.where(inside, x, safe)), outside)


def signed_infinity(x, below):
    """``-inf`` where ``x < below``, else ``inf``, in ``x``'s dtype."""
    return fnp.where(x < below, -np.inf, np.inf).astype(x.dtype)


def _both(mask, other):
    """``mask & other``, where ``mask`` may be the Python ``True`` of no condition."""
    return other if mask is True else mask & other


def _is_default(value, default) -> bool:
    return type(value) in (int, float) and value == default


class _Frozen:
    """A distribution with its parameters fixed, as ``scipy.stats.norm(loc, scale)``."""

    def __init__(self, dist, args, kwds):
        self.dist, self.args, self.kwds = dist, args, kwds

    def __getattr__(self, method):
        if method.startswith("_") or method not in self.dist.methods:
            raise AttributeError(f"frozen {self.dist.name} has no attribute {method!r}")
        bound = getattr(self.dist, method)
        return lambda x: bound(x, *self.args, **self.kwds)

    def __repr__(self):
        return f"<frozen {self.dist.name}{self.args or ''}{self.kwds or ''}>"


class SciPyMethods:
    """SciPy's own methods for what fntrans does not differentiate (``rvs``,
    ``mean``, ``entropy``, ``fit``, ...): they run on concrete values.

    >>> import numpy as np
    >>> from fntrans.scipy.stats import norm
    >>> norm.rvs(size=2, random_state=np.random.default_rng(0)).shape
    (2,)
    """

    name: str = ""

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        import scipy.stats

        return getattr(getattr(scipy.stats, self.name), attr)


class Distribution(SciPyMethods):
    """SciPy's argument parsing, shared by the continuous and discrete families."""

    name: str = ""
    shapes: tuple = ()  # names of the shape parameters, in SciPy's order
    safe: tuple = ()  # one valid value per shape parameter, replacing invalid ones
    location_names: tuple = ()
    methods: tuple = ()

    def _parse(self, method, args, kwds) -> list:
        names = self.shapes + self.location_names
        if len(args) > len(names):
            raise TypeError(
                f"{self.name}.{method}() takes at most {len(names)} parameters "
                f"{names} after the first argument, but {len(args)} were given"
            )
        values = dict(zip(names, args))
        where = f"{self.name}.{method}()"
        for key, value in kwds.items():
            if key not in names:
                raise TypeError(f"{where} got an unexpected keyword argument {key!r}")
            if key in values:
                raise TypeError(f"{where} got multiple values for argument {key!r}")
            values[key] = value
        missing = [n for n in self.shapes if n not in values]
        if missing:
            raise TypeError(
                f"{self.name}.{method}() missing required shape parameter(s) "
                f"{', '.join(repr(m) for m in missing)}"
            )
        defaults = {"loc": 0, "scale": 1}
        return [values.get(n, defaults.get(n)) for n in names]

    def _argcheck(self, *shapes):
        """Where the shape parameters are valid (SciPy gives NaN elsewhere)."""
        return True

    def _guarded(self, valid, shapes, extra=()):
        """Invalid parameters replaced by safe ones, so nothing downstream
        warns or makes NaN derivatives; ``extra`` are (array, safe value) pairs."""
        safes = self.safe + tuple(s for _, s in extra)
        values = list(shapes) + [a for a, _ in extra]
        return [fnp.where(valid, v, s) for v, s in zip(values, safes)]

    def __call__(self, *args, **kwds) -> _Frozen:
        """The distribution frozen at the given parameters, as SciPy's ``dist(*args)``.

        >>> from fntrans.scipy.stats import norm
        >>> print(norm(loc=1.0, scale=2.0).cdf(1.0))
        0.5
        """
        self._parse("__call__", args, kwds)
        return _Frozen(self, args, kwds)

    def __repr__(self):
        return f"<fntrans.scipy.stats.{self.name}>"


class ContinuousDistribution(Distribution):
    """A continuous distribution in SciPy's location-scale form:
    ``logpdf(x, *shapes, loc=0, scale=1) = _logpdf((x - loc) / scale, *shapes) - log(scale)``.

    Subclasses give the standardized ``_logpdf``, ``_cdf``, ``_logcdf``, ``_sf``,
    ``_logsf``, ``_ppf`` and ``_isf``; this class handles ``loc``, ``scale``,
    dtypes, and invalid parameters (``scale <= 0`` or shape parameters outside
    their range give NaN, as in SciPy).
    """

    location_names = ("loc", "scale")
    methods = ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")

    def _standardized(self, method, x, args, kwds, f):
        *shapes, loc, scale = self._parse(method, args, kwds)
        shift, rescale = not _is_default(loc, 0), not _is_default(scale, 1)
        x, loc, scale, *shapes = as_float(x, loc, scale, *shapes)
        valid = self._argcheck(*shapes)
        if rescale:
            valid = _both(valid, scale > 0)
        ok = all_true(valid)
        if not ok:
            *shapes, scale = self._guarded(valid, shapes, [(scale, 1.0)])
        z = x
        if shift:
            z = z - loc
        if rescale:
            z = z / scale
        out = f(z, shapes, scale if rescale else None)
        return out if ok else fnp.where(valid, out, np.nan)

    def _quantile(self, method, q, args, kwds, f):
        *shapes, loc, scale = self._parse(method, args, kwds)
        shift, rescale = not _is_default(loc, 0), not _is_default(scale, 1)
        q, loc, scale, *shapes = as_float(q, loc, scale, *shapes)
        valid = _both(self._argcheck(*shapes), (q >= 0) & (q <= 1))
        if rescale:
            valid = _both(valid, scale > 0)
        ok = all_true(valid)
        if not ok:
            *shapes, scale, q = self._guarded(valid, shapes, [(scale, 1.0), (q, 0.5)])
        out = f(q, *shapes)
        if rescale:
            out = out * scale
        if shift:
            out = out + loc
        return out if ok else fnp.where(valid, out, np.nan)

    def logpdf(self, x: ArrayLike, *args, **kwds):
        """Log of the probability density at ``x``: ``logpdf(x, *shapes, loc=0, scale=1)``.

        >>> from fntrans.scipy.stats import norm
        >>> print(round(float(norm.logpdf(0.0)), 6))
        -0.918939
        """
        return self._standardized("logpdf", x, args, kwds, self._scaled_logpdf)

    def _scaled_logpdf(self, z, shapes, scale):
        out = self._logpdf(z, *shapes)
        return out if scale is None else out - fnp.log(scale)

    def pdf(self, x: ArrayLike, *args, **kwds):
        """Probability density at ``x``: ``pdf(x, *shapes, loc=0, scale=1)``.

        >>> from fntrans.scipy.stats import expon
        >>> print(expon.pdf(0.0, scale=2.0))
        0.5
        """
        return fnp.exp(self._standardized("pdf", x, args, kwds, self._scaled_logpdf))

    def cdf(self, x: ArrayLike, *args, **kwds):
        """Cumulative distribution function at ``x``: ``cdf(x, *shapes, loc=0, scale=1)``.

        >>> from fntrans.scipy.stats import logistic
        >>> print(logistic.cdf(0.0))
        0.5
        """
        return self._standardized("cdf", x, args, kwds, lambda z, s, _: self._cdf(z, *s))

    def logcdf(self, x: ArrayLike, *args, **kwds):
        """Log of the cumulative distribution function, accurate where it is tiny.

        >>> from fntrans.scipy.stats import laplace
        >>> print(round(float(laplace.logcdf(-100.0)), 4))
        -100.6931
        """
        return self._standardized("logcdf", x, args, kwds, lambda z, s, _: self._logcdf(z, *s))

    def sf(self, x: ArrayLike, *args, **kwds):
        """Survival function ``1 - cdf``, computed without cancellation.

        >>> from fntrans.scipy.stats import expon
        >>> print(round(float(expon.sf(1.0)), 6))
        0.367879
        """
        return self._standardized("sf", x, args, kwds, lambda z, s, _: self._sf(z, *s))

    def logsf(self, x: ArrayLike, *args, **kwds):
        """Log of the survival function, accurate far in the upper tail.

        >>> from fntrans.scipy.stats import expon
        >>> print(expon.logsf(1000.0))
        -1000.0
        """
        return self._standardized("logsf", x, args, kwds, lambda z, s, _: self._logsf(z, *s))

    def ppf(self, q: ArrayLike, *args, **kwds):
        """Percent point function (inverse of ``cdf``); NaN for ``q`` outside [0, 1].

        >>> from fntrans.scipy.stats import cauchy
        >>> print(round(float(cauchy.ppf(0.75, loc=1.0)), 6))
        2.0
        """
        return self._quantile("ppf", q, args, kwds, self._ppf)

    def isf(self, q: ArrayLike, *args, **kwds):
        """Inverse survival function (inverse of ``sf``), accurate for small ``q``.

        >>> from fntrans.scipy.stats import expon
        >>> print(round(float(expon.isf(0.5)), 6))
        0.693147
        """
        return self._quantile("isf", q, args, kwds, self._isf)

    def _logcdf(self, z, *shapes):
        return fnp.log(self._cdf(z, *shapes))

    def _logsf(self, z, *shapes):
        return fnp.log(self._sf(z, *shapes))

    def _isf(self, q, *shapes):
        return self._ppf(1.0 - q, *shapes)


class DiscreteDistribution(Distribution):
    """A discrete distribution in SciPy's form ``logpmf(k, *shapes, loc=0)``.

    Subclasses give ``_logpmf``, ``_cdf``, ``_sf`` and ``_ppf`` of ``k - loc``;
    this class handles ``loc``, dtypes, and invalid parameters (NaN, as in SciPy).
    """

    location_names = ("loc",)
    methods = ("pmf", "logpmf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")

    def _shifted(self, method, k, args, kwds, f, quantile=False):
        *shapes, loc = self._parse(method, args, kwds)
        shift = not _is_default(loc, 0)
        k, loc, *shapes = as_float(k, loc, *shapes, counts=0 if quantile else 1)
        valid = self._argcheck(*shapes)
        if quantile:
            valid = _both(valid, (k >= 0) & (k <= 1))
        ok = all_true(valid)
        if not ok:
            extra = [(k, 0.5)] if quantile else []
            shapes = self._guarded(valid, shapes, extra)
            if quantile:
                *shapes, k = shapes
        if shift and not quantile:
            k = k - loc
        out = f(k, *shapes)
        if shift and quantile:
            out = out + loc
        return out if ok else fnp.where(valid, out, np.nan)

    def logpmf(self, k: ArrayLike, *args, **kwds):
        """Log of the probability mass at ``k``: ``logpmf(k, *shapes, loc=0)``;
        ``-inf`` off the support (including non-integer ``k``).

        >>> from fntrans.scipy.stats import bernoulli
        >>> print(round(float(bernoulli.logpmf(1, 0.25)), 6))
        -1.386294
        """
        return self._shifted("logpmf", k, args, kwds, self._logpmf)

    def pmf(self, k: ArrayLike, *args, **kwds):
        """Probability mass at ``k``: ``pmf(k, *shapes, loc=0)``.

        >>> from fntrans.scipy.stats import bernoulli
        >>> print(bernoulli.pmf(1, 0.25))
        0.25
        """
        return fnp.exp(self._shifted("pmf", k, args, kwds, self._logpmf))

    def cdf(self, k: ArrayLike, *args, **kwds):
        """Cumulative distribution function ``P(X <= k)``.

        >>> from fntrans.scipy.stats import bernoulli
        >>> print(bernoulli.cdf(0.5, 0.25))
        0.75
        """
        return self._shifted("cdf", k, args, kwds, self._cdf)

    def logcdf(self, k: ArrayLike, *args, **kwds):
        """Log of the cumulative distribution function.

        >>> from fntrans.scipy.stats import bernoulli
        >>> print(bernoulli.logcdf(1.0, 0.25))
        0.0
        """
        return self._shifted("logcdf", k, args, kwds, lambda k, *s: fnp.log(self._cdf(k, *s)))

    def sf(self, k: ArrayLike, *args, **kwds):
        """Survival function ``P(X > k)``, computed without cancellation.

        >>> from fntrans.scipy.stats import bernoulli
        >>> print(bernoulli.sf(0.0, 0.25))
        0.25
        """
        return self._shifted("sf", k, args, kwds, self._sf)

    def logsf(self, k: ArrayLike, *args, **kwds):
        """Log of the survival function.

        >>> from fntrans.scipy.stats import bernoulli
        >>> print(bernoulli.logsf(1.0, 0.25))
        -inf
        """
        return self._shifted("logsf", k, args, kwds, lambda k, *s: fnp.log(self._sf(k, *s)))

    def ppf(self, q: ArrayLike, *args, **kwds):
        """Percent point function: the least ``k`` with ``cdf(k) >= q`` (``loc - 1`` at 0).

        >>> from fntrans.scipy.stats import bernoulli
        >>> print(bernoulli.ppf([0.5, 0.9], 0.25))
        [0. 1.]
        """
        return self._shifted("ppf", q, args, kwds, self._ppf, quantile=True)

    def isf(self, q: ArrayLike, *args, **kwds):
        """Inverse survival function: the least ``k`` with ``sf(k) <= q``.

        >>> from fntrans.scipy.stats import bernoulli
        >>> print(bernoulli.isf([0.5, 0.1], 0.25))
        [0. 1.]
        """
        return self._shifted("isf", q, args, kwds, self._isf, quantile=True)

    def _isf(self, q, *shapes):
        return self._ppf(1.0 - q, *shapes)
