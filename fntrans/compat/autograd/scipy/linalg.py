"""``autograd.scipy.linalg``: :mod:`fntrans.scipy.linalg`.

>>> import fntrans.scipy.linalg
>>> from fntrans.compat.autograd.scipy import linalg
>>> linalg.__all__ == fntrans.scipy.linalg.__all__
True
"""

from fntrans.scipy.linalg import *  # noqa: F403
from fntrans.scipy.linalg import __all__  # noqa: F401
