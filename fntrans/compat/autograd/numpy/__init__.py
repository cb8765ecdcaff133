"""``autograd.numpy``: :mod:`fntrans.numpy`, with NumPy's own ``random``.

Names that fntrans.numpy does not define (``errstate``, ``set_printoptions``,
...) are NumPy's own, as autograd's wrapper passes them through; called on a
traced value, NumPy hands them to fntrans.numpy or raises a ``TypeError``
that says what to use.

>>> import fntrans.compat.autograd.numpy as np
>>> import fntrans.compat.autograd.numpy.random as npr
>>> npr.seed(0)
>>> np.sum(np.sin(npr.randn(3)) ** 2) > 0
np.True_
"""

# the submodules come after the star import, and as full imports: ``from
# ... import random`` would keep the star-imported NumPy ``random``
import numpy as _numpy  # noqa: I001

from fntrans.numpy import *  # noqa: F403
from fntrans.numpy import __version__
import fntrans.compat.autograd.numpy.fft as fft
import fntrans.compat.autograd.numpy.linalg as linalg
import fntrans.compat.autograd.numpy.random as random


def __getattr__(name: str):
    try:
        return getattr(_numpy, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
