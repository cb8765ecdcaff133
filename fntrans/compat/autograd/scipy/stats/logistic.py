"""``autograd.scipy.stats.logistic``: the functions of :data:`fntrans.scipy.stats.logistic`."""

from fntrans.scipy.stats import logistic as _logistic

pdf, logpdf = _logistic.pdf, _logistic.logpdf
cdf, logcdf, sf, logsf = _logistic.cdf, _logistic.logcdf, _logistic.sf, _logistic.logsf
ppf, isf = _logistic.ppf, _logistic.isf

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
