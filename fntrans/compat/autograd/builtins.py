"""``autograd.builtins``: Python's own containers, which are pytrees in fntrans.

autograd needed traced versions of ``tuple``, ``list`` and ``dict`` (and of
``isinstance`` and ``type``, which see through them); fntrans traces inside
ordinary containers, so these are Python's builtins.

>>> from fntrans.compat.autograd.builtins import tuple
>>> tuple([1.0, 2.0])
(1.0, 2.0)
"""

import builtins as _builtins

dict = _builtins.dict
isinstance = _builtins.isinstance
list = _builtins.list
tuple = _builtins.tuple
type = _builtins.type

__all__ = ["dict", "isinstance", "list", "tuple", "type"]
