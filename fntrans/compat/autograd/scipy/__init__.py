"""``autograd.scipy``: :mod:`fntrans.scipy`'s ``integrate``, ``linalg``,
``signal``, ``special`` and ``stats``, loaded on first use.

>>> from fntrans.compat.autograd import grad
>>> from fntrans.compat.autograd.scipy import special
>>> print(grad(special.gammaln)(3.0))
0.9227843350984671
"""

from __future__ import annotations

import importlib

_SUBMODULES = ("integrate", "linalg", "signal", "special", "stats")

__all__ = list(_SUBMODULES)


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
