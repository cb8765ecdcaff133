"""``autograd.scipy.stats.bernoulli``: the functions of :data:`fntrans.scipy.stats.bernoulli`."""

from fntrans.scipy.stats import bernoulli as _bernoulli

pmf, logpmf = _bernoulli.pmf, _bernoulli.logpmf
cdf, logcdf, sf, logsf = _bernoulli.cdf, _bernoulli.logcdf, _bernoulli.sf, _bernoulli.logsf
ppf, isf = _bernoulli.ppf, _bernoulli.isf

__all__ = ["cdf", "isf", "logcdf", "logpmf", "logsf", "pmf", "ppf", "sf"]
