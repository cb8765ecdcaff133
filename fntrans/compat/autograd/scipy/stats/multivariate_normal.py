"""``autograd.scipy.stats.multivariate_normal``: the functions of
:data:`fntrans.scipy.stats.multivariate_normal`."""

from fntrans.scipy.stats import multivariate_normal as _multivariate_normal

pdf, logpdf = _multivariate_normal.pdf, _multivariate_normal.logpdf
entropy = _multivariate_normal.entropy

__all__ = ["entropy", "logpdf", "pdf"]
