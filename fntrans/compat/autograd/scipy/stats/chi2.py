"""``autograd.scipy.stats.chi2``: the functions of :data:`fntrans.scipy.stats.chi2`."""

from fntrans.scipy.stats import chi2 as _chi2

pdf, logpdf = _chi2.pdf, _chi2.logpdf
cdf, logcdf, sf, logsf = _chi2.cdf, _chi2.logcdf, _chi2.sf, _chi2.logsf
ppf, isf = _chi2.ppf, _chi2.isf

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
