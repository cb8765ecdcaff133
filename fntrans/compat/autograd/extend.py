"""``autograd.extend``: new primitives with autograd's rules.

``primitive``, ``defvjp`` and ``defjvp`` are :mod:`fntrans.extend`'s, which
take autograd's signatures: ``defvjp(fun, *vjpmakers, argnums=...)`` with
``vjpmaker(ans, *args, **kwargs)`` returning ``lambda g: cotangent``, and
``defjvp(fun, *jvpfuns, argnums=...)`` with ``jvpfun(g, ans, *args, **kwargs)``.
``primitive`` also keeps autograd's older method ``fun.defgrad(make_grad,
argnum=0)``.

>>> import scipy.special
>>> import fntrans.compat.autograd.numpy as np
>>> from fntrans.compat.autograd import grad
>>> from fntrans.compat.autograd.extend import primitive, defvjp
>>> @primitive
... def erf(x):
...     return scipy.special.erf(x)
>>> defvjp(erf, lambda ans, x: lambda g: g * 2 / np.sqrt(np.pi) * np.exp(-x ** 2))
>>> print(round(float(grad(erf)(0.0)), 6))
1.128379
"""

from __future__ import annotations

from collections.abc import Callable

from fntrans import extend as _extend
from fntrans.extend import defjvp, defvjp


class primitive(_extend.primitive):
    """Makes ``fun`` a primitive, whose derivatives come from ``defvjp`` /
    ``defjvp`` (see :class:`fntrans.extend.primitive`).

    >>> from fntrans.compat.autograd import grad
    >>> @primitive
    ... def cube(x):
    ...     return x ** 3
    >>> cube.defgrad(lambda ans, x: lambda g: g * 3 * x ** 2)
    >>> print(grad(cube)(2.0))
    12.0
    """

    def defgrad(self, make_grad: Callable, argnum: int = 0) -> None:
        """autograd's older spelling of ``defvjp(fun, make_grad, argnums=[argnum])``."""
        defvjp(self, make_grad, argnums=[argnum])


__all__ = ["defjvp", "defvjp", "primitive"]
