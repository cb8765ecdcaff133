"""``autograd.scipy.special``: :mod:`fntrans.scipy.special`.

>>> import fntrans.scipy.special
>>> from fntrans.compat.autograd.scipy import special
>>> special.__all__ == fntrans.scipy.special.__all__
True
"""

from fntrans.scipy.special import *  # noqa: F403
from fntrans.scipy.special import __all__  # noqa: F401
