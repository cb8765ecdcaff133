"""``autograd.scipy.signal``: :mod:`fntrans.scipy.signal`.

>>> import fntrans.scipy.signal
>>> from fntrans.compat.autograd.scipy import signal
>>> signal.__all__ == fntrans.scipy.signal.__all__
True
"""

from fntrans.scipy.signal import *  # noqa: F403
from fntrans.scipy.signal import __all__  # noqa: F401
