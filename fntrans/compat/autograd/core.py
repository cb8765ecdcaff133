"""``autograd.core``, where older autograd code imports ``primitive`` from.

>>> from fntrans.compat.autograd.core import primitive, defvjp
>>> primitive.__module__
'fntrans.compat.autograd.extend'
"""

from fntrans.compat.autograd.extend import defjvp, defvjp, primitive

__all__ = ["defjvp", "defvjp", "primitive"]
