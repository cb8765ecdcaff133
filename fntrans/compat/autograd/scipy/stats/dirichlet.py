"""``autograd.scipy.stats.dirichlet``: the functions of :data:`fntrans.scipy.stats.dirichlet`."""

from fntrans.scipy.stats import dirichlet as _dirichlet

pdf, logpdf = _dirichlet.pdf, _dirichlet.logpdf

__all__ = ["logpdf", "pdf"]
