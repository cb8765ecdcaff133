"""``autograd.numpy.random``: NumPy's own ``numpy.random`` (random draws are
not differentiated).

>>> import fntrans.compat.autograd.numpy.random as npr
>>> npr.RandomState(0).randn(2).shape
(2,)
"""

from numpy.random import *  # noqa: F403
