"""``autograd.scipy.stats.expon``: the functions of :data:`fntrans.scipy.stats.expon`."""

from fntrans.scipy.stats import expon as _expon

pdf, logpdf = _expon.pdf, _expon.logpdf
cdf, logcdf, sf, logsf = _expon.cdf, _expon.logcdf, _expon.sf, _expon.logsf
ppf, isf = _expon.ppf, _expon.isf

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
