"""``autograd.scipy.stats.t``: the functions of :data:`fntrans.scipy.stats.t`."""

from fntrans.scipy.stats import t as _t

pdf, logpdf = _t.pdf, _t.logpdf
cdf, logcdf, sf, logsf = _t.cdf, _t.logcdf, _t.sf, _t.logsf
ppf, isf = _t.ppf, _t.isf

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
