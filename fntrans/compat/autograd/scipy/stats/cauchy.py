"""``autograd.scipy.stats.cauchy``: the functions of :data:`fntrans.scipy.stats.cauchy`."""

from fntrans.scipy.stats import cauchy as _cauchy

pdf, logpdf = _cauchy.pdf, _cauchy.logpdf
cdf, logcdf, sf, logsf = _cauchy.cdf, _cauchy.logcdf, _cauchy.sf, _cauchy.logsf
ppf, isf = _cauchy.ppf, _cauchy.isf

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
