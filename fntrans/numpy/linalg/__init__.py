"""``fntrans.numpy.linalg``: NumPy's linear algebra, differentiable and batchable.

NumPy's own ``np.linalg`` functions dispatch here when handed a traced value.
"""

from fntrans.numpy.linalg._decompositions import *  # noqa: F403
from fntrans.numpy.linalg._solve import *  # noqa: F403
