"""``autograd.scipy.stats.beta``: the functions of :data:`fntrans.scipy.stats.beta`."""

from fntrans.scipy.stats import beta as _beta

pdf, logpdf = _beta.pdf, _beta.logpdf
cdf, logcdf, sf, logsf = _beta.cdf, _beta.logcdf, _beta.sf, _beta.logsf
ppf, isf = _beta.ppf, _beta.isf

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
