"""``autograd.scipy.stats.gamma``: the functions of :data:`fntrans.scipy.stats.gamma`."""

from fntrans.scipy.stats import gamma as _gamma

pdf, logpdf = _gamma.pdf, _gamma.logpdf
cdf, logcdf, sf, logsf = _gamma.cdf, _gamma.logcdf, _gamma.sf, _gamma.logsf
ppf, isf = _gamma.ppf, _gamma.isf

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
