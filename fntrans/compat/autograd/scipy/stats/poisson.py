"""``autograd.scipy.stats.poisson``: the functions of :data:`fntrans.scipy.stats.poisson`."""

from fntrans.scipy.stats import poisson as _poisson

pmf, logpmf = _poisson.pmf, _poisson.logpmf
cdf, logcdf, sf, logsf = _poisson.cdf, _poisson.logcdf, _poisson.sf, _poisson.logsf
ppf, isf = _poisson.ppf, _poisson.isf

__all__ = ["cdf", "isf", "logcdf", "logpmf", "logsf", "pmf", "ppf", "sf"]
