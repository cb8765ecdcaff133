"""``fntrans.numpy.linalg``: NumPy's linear algebra, differentiable and batchable.

NumPy's own ``np.linalg`` functions dispatch here when handed a traced value.

>>> import numpy as np, fntrans as ft, fntrans.numpy as fnp
>>> print(ft.grad(lambda a: fnp.linalg.slogdet(a)[1])(2.0 * np.eye(2)))
[[0.5 0. ]
 [0.  0.5]]
"""

from fntrans.numpy.linalg._decompositions import (
    cholesky,
    cond,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    lstsq,
    matrix_rank,
    pinv,
    qr,
    svd,
    svdvals,
)
from fntrans.numpy.linalg._solve import (
    det,
    inv,
    matrix_power,
    multi_dot,
    norm,
    slogdet,
    solve,
    tensorinv,
    tensorsolve,
)

__all__ = [
    "cholesky",
    "cond",
    "det",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "lstsq",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
]
