"""``autograd.scipy.stats.laplace``: the functions of :data:`fntrans.scipy.stats.laplace`."""

from fntrans.scipy.stats import laplace as _laplace

pdf, logpdf = _laplace.pdf, _laplace.logpdf
cdf, logcdf, sf, logsf = _laplace.cdf, _laplace.logcdf, _laplace.sf, _laplace.logsf
ppf, isf = _laplace.ppf, _laplace.isf

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
