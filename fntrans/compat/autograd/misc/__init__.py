"""``autograd.misc``: ``flatten`` (and the ``flatten`` and ``optimizers`` submodules).

>>> from fntrans.compat.autograd.misc import flatten
>>> flatten({"b": [1.0, 2.0], "a": 3.0})[0]
array([3., 1., 2.])
"""

from fntrans.compat.autograd.misc.flatten import flatten
