"""``autograd.numpy.fft``: :mod:`fntrans.numpy.fft`.

>>> import fntrans.compat.autograd.numpy as np
>>> np.fft.fft(np.ones(2))
array([2.+0.j, 0.+0.j])
"""

from fntrans.numpy.fft import *  # noqa: F403
from fntrans.numpy.fft import __all__  # noqa: F401
