"""``autograd.scipy.stats.norm``: the functions of :data:`fntrans.scipy.stats.norm`."""

from fntrans.scipy.stats import norm as _norm

pdf, logpdf = _norm.pdf, _norm.logpdf
cdf, logcdf, sf, logsf = _norm.cdf, _norm.logcdf, _norm.sf, _norm.logsf
ppf, isf = _norm.ppf, _norm.isf

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
