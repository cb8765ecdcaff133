"""Gradient-descent optimizers over pytrees, with autograd's signatures.

Each optimizer runs ``num_iters`` steps of ``params <- update(params, g)``
where ``g = grad_fn(params, i)`` has the pytree structure of ``params``, calls
``callback(params, i, g)`` before each update, and returns the final params
with the structure of ``init_params``. Leaves become arrays (a Python float
becomes a 0-d ``float64`` array, as autograd's ``flatten`` makes it) and keep
their dtype and backend; the update arithmetic runs leaf by leaf on plain
arrays, outside any transform. ``init_params`` is never modified; an integer
leaf is a ``TypeError``, since a fractional step cannot be stored in it.

The update rules and defaults are autograd's (``autograd.misc.optimizers``),
so ported code gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fntrans.backend import module_of
from fntrans.tree import tree_leaves, tree_map, tree_structure

GradFn = Callable[[Any, int], Any]
Callback = Callable[[Any, int, Any], None]


def _as_arrays(tree: Any) -> Any:
    return tree_map(lambda leaf: module_of(leaf).asarray(leaf), tree)


def _float_params(optimizer: str, init_params: Any) -> Any:
    """``init_params`` as a tree of arrays; integer leaves are an error, not a silent cast."""
    params = _as_arrays(init_params)
    for leaf in tree_leaves(params):
        if leaf.dtype.kind not in "fc":
            raise TypeError(
                f"{optimizer} updates params by fractional steps, but init_params has a leaf "
                f"of dtype {leaf.dtype}. Convert it with .astype(float) (or write 1.0 "
                f"instead of 1)."
            )
    return params


def _gradient(grad_fn: GradFn, params: Any, i: int) -> Any:
    """``grad_fn(params, i)`` as a tree of arrays, checked against ``params``'s structure."""
    g = grad_fn(params, i)
    expected, given = tree_structure(params), tree_structure(g)
    if given != expected:
        raise ValueError(
            f"grad_fn(params, {i}) must return a gradient with the structure of params, "
            f"{expected}, but it returned {given}. Return ft.grad(loss)(params, ...) "
            f"for params passed as the first argument."
        )
    return _as_arrays(g)


def _step(params: Any, direction: Any, step_size: float) -> Any:
    """``params + step_size * direction``, each leaf kept in its own dtype."""
    return tree_map(lambda p, d: (p + step_size * d).astype(p.dtype, copy=False), params, direction)


def _descend(name, grad_fn, init_params, callback, num_iters, step_size, init_state, direction):
    """The loop every optimizer shares: ``direction(state, g, i) -> (state, d)``,
    then ``params <- params + step_size * d``."""
    params = _float_params(name, init_params)
    state = init_state(params)
    for i in range(num_iters):
        g = _gradient(grad_fn, params, i)
        if callback:
            callback(params, i, g)
        state, d = direction(state, g, i)
        params = _step(params, d, step_size)
    return params


def _zeros_like(tree: Any) -> Any:
    return tree_map(lambda p: module_of(p).zeros_like(p), tree)


def _adam_direction(m, v, *, m_scale: float, v_scale: float, eps: float):
    """``-m_hat / (sqrt(v_hat) + eps)`` from the bias-corrected moments."""
    return -(m / m_scale) / (module_of(v).sqrt(v / v_scale) + eps)


def sgd(
    grad_fn: GradFn,
    init_params: Any,
    callback: Callback | None = None,
    num_iters: int = 200,
    step_size: float = 0.1,
    mass: float = 0.9,
) -> Any:
    """Stochastic gradient descent with momentum.

    ``velocity <- mass * velocity - (1 - mass) * g``, then
    ``params <- params + step_size * velocity``, starting from zero velocity
    (autograd's rule: with ``mass=0`` a step is ``params - step_size * g``).

    Args:
        grad_fn: ``grad_fn(params, i)`` returns the gradient at step ``i``,
            with the pytree structure of ``params``.
        init_params: a pytree of float arrays (or Python floats).
        callback: called as ``callback(params, i, g)`` before each update.
        num_iters: number of steps.
        step_size: learning rate.
        mass: momentum, between 0 (none) and 1.

    Returns:
        The final params, with the structure and dtypes of ``init_params``.

    >>> import numpy as np
    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> from fntrans.optimizers import sgd
    >>> loss = lambda p, i: fnp.sum((p["w"] - 3.0) ** 2)
    >>> params = sgd(ft.grad(loss), {"w": np.zeros(2)}, num_iters=300)
    >>> np.round(params["w"], 4)
    array([3., 3.])
    """

    def direction(velocity, g, i):
        velocity = tree_map(lambda v, g: mass * v - (1.0 - mass) * g, velocity, g)
        return velocity, velocity

    return _descend(
        "sgd", grad_fn, init_params, callback, num_iters, step_size, _zeros_like, direction
    )


def rmsprop(
    grad_fn: GradFn,
    init_params: Any,
    callback: Callback | None = None,
    num_iters: int = 100,
    step_size: float = 0.1,
    gamma: float = 0.9,
    eps: float = 1e-8,
) -> Any:
    """Root-mean-square propagation: steps scaled by a running RMS of the gradient.

    ``avg_sq <- gamma * avg_sq + (1 - gamma) * g**2``, then
    ``params <- params - step_size * g / (sqrt(avg_sq) + eps)``; ``avg_sq``
    starts at ones, as in autograd.

    Args:
        grad_fn: ``grad_fn(params, i)`` returns the gradient at step ``i``,
            with the pytree structure of ``params``.
        init_params: a pytree of real float arrays (or Python floats).
        callback: called as ``callback(params, i, g)`` before each update.
        num_iters: number of steps.
        step_size: learning rate.
        gamma: decay rate of the running mean of squared gradients.
        eps: added to the RMS to avoid dividing by zero.

    Returns:
        The final params, with the structure and dtypes of ``init_params``.

    >>> import numpy as np
    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> from fntrans.optimizers import rmsprop
    >>> loss = lambda p, i: fnp.sum((p[0] - 1.0) ** 2) + (p[1] + 2.0) ** 2
    >>> p = rmsprop(ft.grad(loss), [np.zeros(3), 0.0], step_size=0.05, num_iters=200)
    >>> np.round(p[0], 2), np.round(p[1], 2)
    (array([1., 1., 1.]), np.float64(-2.0))
    """

    def ones_like(params):
        return tree_map(lambda p: module_of(p).ones_like(p), params)

    def direction(avg_sq_grad, g, i):
        avg_sq_grad = tree_map(lambda s, g: gamma * s + (1.0 - gamma) * g**2, avg_sq_grad, g)
        return avg_sq_grad, tree_map(lambda g, s: -g / (module_of(s).sqrt(s) + eps), g, avg_sq_grad)

    return _descend(
        "rmsprop", grad_fn, init_params, callback, num_iters, step_size, ones_like, direction
    )


def adam(
    grad_fn: GradFn,
    init_params: Any,
    callback: Callback | None = None,
    num_iters: int = 100,
    step_size: float = 0.001,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
) -> Any:
    """Adam (Kingma and Ba, 2015): steps from bias-corrected moment estimates.

    ``m <- b1 * m + (1 - b1) * g`` and ``v <- b2 * v + (1 - b2) * g**2``, then
    ``params <- params - step_size * m_hat / (sqrt(v_hat) + eps)`` with
    ``m_hat = m / (1 - b1**(i + 1))`` and ``v_hat = v / (1 - b2**(i + 1))``.
    Each coordinate moves by about ``step_size`` per step at first, whatever
    the gradient's scale.

    Args:
        grad_fn: ``grad_fn(params, i)`` returns the gradient at step ``i``,
            with the pytree structure of ``params``.
        init_params: a pytree of real float arrays (or Python floats).
        callback: called as ``callback(params, i, g)`` before each update.
        num_iters: number of steps.
        step_size: learning rate.
        b1: decay rate of the first-moment (mean) estimate.
        b2: decay rate of the second-moment (uncentred variance) estimate.
        eps: added to ``sqrt(v_hat)`` to avoid dividing by zero.

    Returns:
        The final params, with the structure and dtypes of ``init_params``.

    >>> import numpy as np
    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> from fntrans.optimizers import adam
    >>> loss = lambda p, i: fnp.sum((p["a"]["b"] + 1.0) ** 2)
    >>> p = adam(ft.grad(loss), {"a": {"b": np.ones(2, np.float32)}}, step_size=0.1)
    >>> p["a"]["b"].dtype, bool(np.allclose(p["a"]["b"], -1.0, atol=0.05))
    (dtype('float32'), True)
    """

    def moments(params):
        return _zeros_like(params), _zeros_like(params)

    def direction(state, g, i):
        m, v = state
        m = tree_map(lambda m, g: b1 * m + (1.0 - b1) * g, m, g)
        v = tree_map(lambda v, g: b2 * v + (1.0 - b2) * g**2, v, g)
        scales = dict(m_scale=1.0 - b1 ** (i + 1), v_scale=1.0 - b2 ** (i + 1))
        return (m, v), tree_map(partial(_adam_direction, **scales, eps=eps), m, v)

    return _descend(
        "adam", grad_fn, init_params, callback, num_iters, step_size, moments, direction
    )
