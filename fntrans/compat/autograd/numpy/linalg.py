"""``autograd.numpy.linalg``: :mod:`fntrans.numpy.linalg`.

>>> import fntrans.compat.autograd.numpy as np
>>> from fntrans.compat.autograd import grad
>>> print(round(float(grad(lambda A: np.linalg.det(A))(np.eye(2))[0, 0]), 6))
1.0
"""

from fntrans.numpy.linalg import *  # noqa: F403
from fntrans.numpy.linalg import __all__  # noqa: F401
