"""``autograd.misc.optimizers``: ``sgd``, ``rmsprop`` and ``adam`` with
autograd's signatures, defaults and update rules, over any pytree of params;
``grad(params, i)`` gives the gradient at step ``i`` and
``callback(params, i, g)`` runs before each update. They are
:mod:`fntrans.optimizers`'s.

>>> import fntrans.compat.autograd.numpy as np
>>> from fntrans.compat.autograd import grad
>>> from fntrans.compat.autograd.misc.optimizers import sgd
>>> loss = lambda params, i: np.sum((params["w"] - 3.0) ** 2)
>>> sgd(grad(loss), {"w": np.zeros(2)}, num_iters=300)["w"].round(4)
array([3., 3.])
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from fntrans import optimizers as _optimizers
from fntrans.tree import ravel_pytree

GradFn = Callable[[Any, int], Any]
Callback = Callable[[Any, int, Any], None]


def sgd(
    grad: GradFn,
    x: Any,
    callback: Callback | None = None,
    num_iters: int = 200,
    step_size: float = 0.1,
    mass: float = 0.9,
) -> Any:
    """Stochastic gradient descent with momentum; ``grad(x, i)`` at step ``i``.

    >>> sgd(lambda x, i: 2.0 * x, 1.0, num_iters=500).round(6)
    np.float64(0.0)
    """
    return _optimizers.sgd(
        grad, x, callback=callback, num_iters=num_iters, step_size=step_size, mass=mass
    )


def rmsprop(
    grad: GradFn,
    x: Any,
    callback: Callback | None = None,
    num_iters: int = 100,
    step_size: float = 0.1,
    gamma: float = 0.9,
    eps: float = 1e-8,
) -> Any:
    """Root-mean-square propagation; ``grad(x, i)`` at step ``i``.

    >>> bool(abs(rmsprop(lambda x, i: 2.0 * x, 1.0, step_size=0.01, num_iters=300)) < 0.05)
    True
    """
    return _optimizers.rmsprop(
        grad,
        x,
        callback=callback,
        num_iters=num_iters,
        step_size=step_size,
        gamma=gamma,
        eps=eps,
    )


def adam(
    grad: GradFn,
    x: Any,
    callback: Callback | None = None,
    num_iters: int = 100,
    step_size: float = 0.001,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
) -> Any:
    """Adam (Kingma and Ba, 2014); ``grad(x, i)`` at step ``i``.

    >>> bool(abs(adam(lambda x, i: 2.0 * x, 1.0, step_size=0.1, num_iters=300)) < 0.05)
    True
    """
    return _optimizers.adam(
        grad,
        x,
        callback=callback,
        num_iters=num_iters,
        step_size=step_size,
        b1=b1,
        b2=b2,
        eps=eps,
    )


def unflatten_optimizer(optimize: Callable) -> Callable:
    """Makes an optimizer of flat 1-d arrays (``optimize(grad, x, callback,
    *args)``) work on any pytree of params.

    >>> import numpy as np
    >>> @unflatten_optimizer
    ... def descend(grad, x, callback=None, num_iters=100, step_size=0.1):
    ...     for i in range(num_iters):
    ...         x = x - step_size * grad(x, i)
    ...     return x
    >>> descend(lambda p, i: {"w": 2.0 * p["w"]}, {"w": np.ones(2)})["w"].round(6)
    array([0., 0.])
    """

    @functools.wraps(optimize)
    def optimize_tree(grad, x0, callback=None, *args, **kwargs):
        flat_x0, unflatten = ravel_pytree(x0)

        def flat_grad(x, i):
            return ravel_pytree(grad(unflatten(x), i))[0]

        flat_callback = None
        if callback:

            def flat_callback(x, i, g):
                callback(unflatten(x), i, unflatten(g))

        return unflatten(optimize(flat_grad, flat_x0, flat_callback, *args, **kwargs))

    return optimize_tree


__all__ = ["adam", "rmsprop", "sgd", "unflatten_optimizer"]
