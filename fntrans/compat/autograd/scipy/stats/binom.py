"""``autograd.scipy.stats.binom``: the functions of :data:`fntrans.scipy.stats.binom`."""

from fntrans.scipy.stats import binom as _binom

pmf, logpmf = _binom.pmf, _binom.logpmf
cdf, logcdf, sf, logsf = _binom.cdf, _binom.logcdf, _binom.sf, _binom.logsf
ppf, isf = _binom.ppf, _binom.isf

__all__ = ["cdf", "isf", "logcdf", "logpmf", "logsf", "pmf", "ppf", "sf"]
