"""Gradient-descent loops with autograd's signatures (``autograd.misc.optimizers``).

Each optimizer runs ``num_iters`` steps of ``params <- params + step_size * d``
where ``d`` comes from the gradient ``g`` (of ``grad_fn(params, i)`` or
``grad_fn(params)``, see ``_calls``), calls ``callback(params, i, g)`` before
each update, and returns the final params with the structure of
``init_params``. Leaves become arrays (a Python float becomes a 0-d
``float64`` array, as autograd's ``flatten`` makes it) and keep their dtype
and backend; the update arithmetic runs leaf by leaf on plain arrays, outside
any transform. ``init_params`` is never modified; an integer leaf is a
``TypeError``, since a fractional step cannot be stored in it.

The update rules and defaults are autograd's, so ported code gives the same
numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from fntrans.backend import module_of
from fntrans.optimizers._calls import loss_and_gradient, with_step_argument
from fntrans.optimizers._monitor import Monitor
from fntrans.tree import tree_leaves, tree_map

GradFn = Callable[..., Any]
Callback = Callable[[Any, int, Any], None]
StepSize = float | Callable[[int], float]


def _float_params(optimizer: str, init_params: Any) -> Any:
    """``init_params`` as a tree of arrays; integer leaves are an error, not a silent cast."""
    params = tree_map(lambda leaf: module_of(leaf).asarray(leaf), init_params)
    for leaf in tree_leaves(params):
        if leaf.dtype.kind not in "fc":
            raise TypeError(
                f"{optimizer} updates params by fractional steps, but init_params has a leaf "
                f"of dtype {leaf.dtype}. Convert it with .astype(float) (or write 1.0 "
                f"instead of 1)."
            )
    return params


def _step_size(name: str, step_size: StepSize, default: float, learning_rate: StepSize | None):
    """``learning_rate`` is another name for ``step_size``; either may be a schedule of ``i``."""
    if learning_rate is not None:
        if step_size != default:
            raise TypeError(
                f"{name} got both step_size={step_size!r} and learning_rate={learning_rate!r}; "
                f"they are two names for one setting, pass one."
            )
        step_size = learning_rate
    return step_size if callable(step_size) else lambda i: step_size


def _step(params: Any, direction: Any, step_size: float) -> Any:
    """``params + step_size * direction``, each leaf kept in its own dtype."""
    return tree_map(lambda p, d: (p + step_size * d).astype(p.dtype, copy=False), params, direction)


_MISSING = object()


def _descend(name, grad_fn, init_params, callback, num_iters, rate, init_state, direction, run):
    """The loop every optimizer shares: ``direction(state, g, i) -> (state, d)``,
    then ``params <- params + rate(i) * d``; ``run`` holds the loop options."""
    if grad_fn is _MISSING or init_params is _MISSING:
        raise TypeError(
            f"fntrans.optimizers.{name}(grad_fn, init_params, ...) runs autograd's whole "
            f"loop and needs both. For optax's shape (init/update in your own loop) use "
            f"fntrans.optimizers.stateful.{name}(learning_rate=...)."
        )
    params = _float_params(name, init_params)
    call, form = with_step_argument(grad_fn, name)
    state = init_state(params)
    losses = []
    with Monitor(name, num_iters, run["progress"], run["stop_on_nan"]) as monitor:
        for i in range(num_iters):
            loss, g = loss_and_gradient(call, form, params, i)
            if run["return_history"] and loss is None:
                raise ValueError(
                    f"{name}(..., return_history=True) records the loss, but grad_fn returns "
                    f"only the gradient. Pass ft.value_and_grad(loss) as grad_fn."
                )
            losses.append(loss)
            monitor.check(i, loss, g, params)
            if callback:
                callback(params, i, g)
            state, d = direction(state, g, i)
            params = _step(params, d, rate(i))
            monitor.done(i, loss)
    if run["return_history"]:
        return params, np.asarray(losses, dtype=np.float64)
    return params


def _zeros_like(tree: Any) -> Any:
    return tree_map(lambda p: module_of(p).zeros_like(p), tree)


def _adam_direction(m, v, *, m_scale: float, v_scale: float, eps: float):
    """``-m_hat / (sqrt(v_hat) + eps)`` from the bias-corrected moments."""
    return -(m / m_scale) / (module_of(v).sqrt(v / v_scale) + eps)


def sgd(
    grad_fn: GradFn = _MISSING,
    init_params: Any = _MISSING,
    callback: Callback | None = None,
    num_iters: int = 200,
    step_size: StepSize = 0.1,
    mass: float = 0.9,
    *,
    learning_rate: StepSize | None = None,
    return_history: bool = False,
    progress: bool | int = False,
    stop_on_nan: bool = False,
) -> Any:
    """Stochastic gradient descent with momentum (autograd's signature).

    ``velocity <- mass * velocity - (1 - mass) * g``, then
    ``params <- params + step_size * velocity``, starting from zero velocity
    (autograd's rule: with ``mass=0`` a step is ``params - step_size * g``).

    Args:
        grad_fn: ``grad_fn(params, i)`` or ``grad_fn(params)`` (called with
            ``i`` when its signature takes two positional arguments), returning
            the gradient, shaped like ``params``, or ``(loss, gradient)`` as
            ``ft.value_and_grad(loss)`` makes.
        init_params: a pytree of float arrays (or Python floats).
        callback: called as ``callback(params, i, g)`` before each update.
        num_iters: number of steps.
        step_size: learning rate, a number or a schedule ``step_size(i)``.
        mass: momentum, between 0 (none) and 1.
        learning_rate: another name for ``step_size`` (optax's and Keras's).
        return_history: also return the loss at each step (before its update),
            as a float64 NumPy array; ``grad_fn`` must then return ``(loss, g)``
            (``ft.value_and_grad(loss)``).
        progress: ``True`` shows a tqdm bar (``pip install fntrans[progress]``),
            or without tqdm prints a line to stderr every tenth of the run; an
            int ``n`` prints a line every ``n`` steps.
        stop_on_nan: raise ``FloatingPointError`` at the first step whose loss
            or gradient is not finite, naming the step and the leaf's path
            (``params['w'][1]``); the error's ``params`` attribute holds the
            params before that step.

    Returns:
        The final params, with the structure and dtypes of ``init_params``;
        ``(params, losses)`` with ``return_history=True``.

    >>> import numpy as np
    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> from fntrans.optimizers import sgd
    >>> loss = lambda p: fnp.sum((p["w"] - 3.0) ** 2)
    >>> params = sgd(ft.grad(loss), {"w": np.zeros(2)}, num_iters=300)
    >>> np.round(params["w"], 4)
    array([3., 3.])
    """

    def direction(velocity, g, i):
        velocity = tree_map(lambda v, g: mass * v - (1.0 - mass) * g, velocity, g)
        return velocity, velocity

    rate = _step_size("sgd", step_size, 0.1, learning_rate)
    run = dict(return_history=return_history, progress=progress, stop_on_nan=stop_on_nan)
    return _descend(
        "sgd", grad_fn, init_params, callback, num_iters, rate, _zeros_like, direction, run
    )


def rmsprop(
    grad_fn: GradFn = _MISSING,
    init_params: Any = _MISSING,
    callback: Callback | None = None,
    num_iters: int = 100,
    step_size: StepSize = 0.1,
    gamma: float = 0.9,
    eps: float = 1e-8,
    *,
    learning_rate: StepSize | None = None,
    return_history: bool = False,
    progress: bool | int = False,
    stop_on_nan: bool = False,
) -> Any:
    """Root-mean-square propagation (autograd's signature): steps scaled by a
    running RMS of the gradient.

    ``avg_sq <- gamma * avg_sq + (1 - gamma) * g**2``, then
    ``params <- params - step_size * g / (sqrt(avg_sq) + eps)``; ``avg_sq``
    starts at ones, as in autograd.

    Args:
        grad_fn: ``grad_fn(params, i)`` or ``grad_fn(params)`` (called with
            ``i`` when its signature takes two positional arguments), returning
            the gradient, shaped like ``params``, or ``(loss, gradient)`` as
            ``ft.value_and_grad(loss)`` makes.
        init_params: a pytree of real float arrays (or Python floats).
        callback: called as ``callback(params, i, g)`` before each update.
        num_iters: number of steps.
        step_size: learning rate, a number or a schedule ``step_size(i)``.
        gamma: decay rate of the running mean of squared gradients.
        eps: added to the RMS to avoid dividing by zero.
        learning_rate: another name for ``step_size`` (optax's and Keras's).
        return_history: also return the loss at each step (before its update),
            as a float64 NumPy array; ``grad_fn`` must then return ``(loss, g)``
            (``ft.value_and_grad(loss)``).
        progress: ``True`` shows a tqdm bar (``pip install fntrans[progress]``),
            or without tqdm prints a line to stderr every tenth of the run; an
            int ``n`` prints a line every ``n`` steps.
        stop_on_nan: raise ``FloatingPointError`` at the first step whose loss
            or gradient is not finite, naming the step and the leaf's path
            (``params['w'][1]``); the error's ``params`` attribute holds the
            params before that step.

    Returns:
        The final params, with the structure and dtypes of ``init_params``;
        ``(params, losses)`` with ``return_history=True``.

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

    rate = _step_size("rmsprop", step_size, 0.1, learning_rate)
    run = dict(return_history=return_history, progress=progress, stop_on_nan=stop_on_nan)
    return _descend(
        "rmsprop", grad_fn, init_params, callback, num_iters, rate, ones_like, direction, run
    )


def adam(
    grad_fn: GradFn = _MISSING,
    init_params: Any = _MISSING,
    callback: Callback | None = None,
    num_iters: int = 100,
    step_size: StepSize = 0.001,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    *,
    learning_rate: StepSize | None = None,
    return_history: bool = False,
    progress: bool | int = False,
    stop_on_nan: bool = False,
) -> Any:
    """Adam (Kingma and Ba, 2015) with autograd's signature: steps from
    bias-corrected moment estimates.

    ``m <- b1 * m + (1 - b1) * g`` and ``v <- b2 * v + (1 - b2) * g**2``, then
    ``params <- params - step_size * m_hat / (sqrt(v_hat) + eps)`` with
    ``m_hat = m / (1 - b1**(i + 1))`` and ``v_hat = v / (1 - b2**(i + 1))``.
    Each coordinate moves by about ``step_size`` per step at first, whatever
    the gradient's scale.

    Args:
        grad_fn: ``grad_fn(params, i)`` or ``grad_fn(params)`` (called with
            ``i`` when its signature takes two positional arguments), returning
            the gradient, shaped like ``params``, or ``(loss, gradient)`` as
            ``ft.value_and_grad(loss)`` makes.
        init_params: a pytree of real float arrays (or Python floats).
        callback: called as ``callback(params, i, g)`` before each update.
        num_iters: number of steps.
        step_size: learning rate, a number or a schedule ``step_size(i)``.
        b1: decay rate of the first-moment (mean) estimate.
        b2: decay rate of the second-moment (uncentred variance) estimate.
        eps: added to ``sqrt(v_hat)`` to avoid dividing by zero.
        learning_rate: another name for ``step_size`` (optax's and Keras's).
        return_history: also return the loss at each step (before its update),
            as a float64 NumPy array; ``grad_fn`` must then return ``(loss, g)``
            (``ft.value_and_grad(loss)``).
        progress: ``True`` shows a tqdm bar (``pip install fntrans[progress]``),
            or without tqdm prints a line to stderr every tenth of the run; an
            int ``n`` prints a line every ``n`` steps.
        stop_on_nan: raise ``FloatingPointError`` at the first step whose loss
            or gradient is not finite, naming the step and the leaf's path
            (``params['w'][1]``); the error's ``params`` attribute holds the
            params before that step.

    Returns:
        The final params, with the structure and dtypes of ``init_params``;
        ``(params, losses)`` with ``return_history=True``.

    >>> import numpy as np
    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> from fntrans.optimizers import adam
    >>> loss = lambda p: fnp.sum((p["a"]["b"] + 1.0) ** 2)
    >>> p, losses = adam(ft.value_and_grad(loss), {"a": {"b": np.ones(2, np.float32)}},
    ...                  learning_rate=0.1, return_history=True)
    >>> p["a"]["b"].dtype, bool(np.allclose(p["a"]["b"], -1.0, atol=0.05))
    (dtype('float32'), True)
    >>> print(losses[0], losses.shape)
    8.0 (100,)
    """

    def moments(params):
        return _zeros_like(params), _zeros_like(params)

    def direction(state, g, i):
        m, v = state
        m = tree_map(lambda m, g: b1 * m + (1.0 - b1) * g, m, g)
        v = tree_map(lambda v, g: b2 * v + (1.0 - b2) * g**2, v, g)
        scales = dict(m_scale=1.0 - b1 ** (i + 1), v_scale=1.0 - b2 ** (i + 1))
        return (m, v), tree_map(partial(_adam_direction, **scales, eps=eps), m, v)

    rate = _step_size("adam", step_size, 0.001, learning_rate)
    run = dict(return_history=return_history, progress=progress, stop_on_nan=stop_on_nan)
    return _descend(
        "adam", grad_fn, init_params, callback, num_iters, rate, moments, direction, run
    )
