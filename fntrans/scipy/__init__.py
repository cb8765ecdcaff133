"""``fntrans.scipy``: SciPy's API over fntrans primitives, differentiable and
batchable like ``fntrans.numpy``.

Submodules load on first use (``scipy.stats`` is slow to import):

>>> import fntrans as ft
>>> print(ft.grad(ft.scipy.special.gammaln)(3.0))
0.9227843350984671
"""

from __future__ import annotations

import importlib

_SUBMODULES = ("integrate", "linalg", "signal", "special", "stats")

__all__ = list(_SUBMODULES)


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"fntrans.scipy.{name}")
    raise AttributeError(f"module 'fntrans.scipy' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
