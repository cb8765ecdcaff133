"""``autograd.scipy.integrate``: :mod:`fntrans.scipy.integrate`.

>>> import fntrans.scipy.integrate
>>> from fntrans.compat.autograd.scipy import integrate
>>> integrate.__all__ == fntrans.scipy.integrate.__all__
True
"""

from fntrans.scipy.integrate import *  # noqa: F403
from fntrans.scipy.integrate import __all__  # noqa: F401
