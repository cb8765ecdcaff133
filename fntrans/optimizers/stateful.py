"""Optimizers in optax's stateful shape, for a training loop you write.

An optimizer is a ``GradientTransformation``: a pair of pure functions,
``init(params) -> state`` and ``update(grads, state, params=None) ->
(updates, state)``; ``apply_updates(params, updates)`` takes the step. The
names, arguments, defaults and update formulas are optax's, so optax code
ports by its import line (``import fntrans.optimizers.stateful as optax``).
Learning rates are numbers or schedules (``fntrans.optimizers.schedules``);
``updates`` already carry the minus sign of descent. Leaves may be NumPy or
CuPy arrays (or Python floats); the arithmetic runs leaf by leaf on plain
arrays, outside any transform. ``fit`` is a ready-made loop that records the
loss.

>>> import numpy as np
>>> import fntrans as ft, fntrans.numpy as fnp
>>> from fntrans.optimizers import stateful
>>> loss = lambda p: fnp.sum((p["w"] - 3.0) ** 2)
>>> opt = stateful.adam(learning_rate=0.1)
>>> params = {"w": np.zeros(2)}
>>> state = opt.init(params)
>>> for step in range(300):
...     grads = ft.grad(loss)(params)
...     updates, state = opt.update(grads, state, params)
...     params = stateful.apply_updates(params, updates)
>>> params["w"].round(3)
array([3., 3.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from fntrans.api import value_and_grad
from fntrans.backend import module_of
from fntrans.optimizers._calls import loss_and_gradient, with_step_argument
from fntrans.optimizers._monitor import Monitor
from fntrans.optimizers.schedules import Schedule
from fntrans.tree import tree_leaves, tree_map

LearningRate = float | Schedule


class GradientTransformation(NamedTuple):
    """An optimizer (or one stage of one): ``init(params) -> state`` and
    ``update(grads, state, params=None) -> (updates, state)``."""

    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


class EmptyState(NamedTuple):
    """The state of a transformation that keeps none."""


class ScaleByScheduleState(NamedTuple):
    """The number of updates made so far."""

    count: int


class TraceState(NamedTuple):
    """The momentum (trace of past updates), shaped like params."""

    trace: Any


class ScaleByAdamState(NamedTuple):
    """Adam's update count and first and second moments, shaped like params."""

    count: int
    mu: Any
    nu: Any


class ScaleByRmsState(NamedTuple):
    """The running mean of squared gradients, shaped like params."""

    nu: Any


def _zeros_like(tree: Any) -> Any:
    return tree_map(lambda p: module_of(p).zeros_like(p), tree)


def _abs_sq(g: Any) -> Any:
    """``|g|**2``, real for complex ``g``."""
    return (g * g.conj()).real if g.dtype.kind == "c" else g * g


def _as_array(x: Any) -> Any:
    return module_of(x).asarray(x)


def identity() -> GradientTransformation:
    """The transformation that leaves updates as they are.

    Returns:
        A ``GradientTransformation``.

    >>> identity().update([1.0], EmptyState())
    ([1.0], EmptyState())
    """
    return GradientTransformation(
        lambda params: EmptyState(), lambda g, state, params=None: (g, state)
    )


def scale(step_size: float) -> GradientTransformation:
    """``updates * step_size``.

    Args:
        step_size: the factor.

    Returns:
        A ``GradientTransformation``.

    >>> import numpy as np
    >>> scale(-0.5).update(np.array([2.0]), EmptyState())[0]
    array([-1.])
    """

    def update(updates, state, params=None):
        return tree_map(lambda g: step_size * _as_array(g), updates), state

    return GradientTransformation(lambda params: EmptyState(), update)


def scale_by_schedule(schedule: Schedule) -> GradientTransformation:
    """``updates * schedule(count)``, ``count`` the number of earlier updates.

    Args:
        schedule: a function of the step count (0 at the first update).

    Returns:
        A ``GradientTransformation``.

    >>> import numpy as np
    >>> t = scale_by_schedule(lambda count: 10.0 ** -count)
    >>> state = t.init(np.zeros(1))
    >>> for _ in range(3):
    ...     updates, state = t.update(np.ones(1), state)
    >>> updates, state
    (array([0.01]), ScaleByScheduleState(count=3))
    """

    def update(updates, state, params=None):
        factor = schedule(state.count)
        updates = tree_map(lambda g: factor * _as_array(g), updates)
        return updates, ScaleByScheduleState(state.count + 1)

    return GradientTransformation(lambda params: ScaleByScheduleState(0), update)


def scale_by_learning_rate(
    learning_rate: LearningRate, *, flip_sign: bool = True
) -> GradientTransformation:
    """``-learning_rate * updates`` (a descent step), for a number or a schedule.

    Args:
        learning_rate: a number or a schedule.
        flip_sign: negate (descend); ``False`` ascends.

    Returns:
        A ``GradientTransformation``.

    >>> import numpy as np
    >>> scale_by_learning_rate(0.1).update(np.array([2.0]), EmptyState())[0]
    array([-0.2])
    """
    sign = -1.0 if flip_sign else 1.0
    if callable(learning_rate):
        return scale_by_schedule(lambda count: sign * learning_rate(count))
    return scale(sign * learning_rate)


def trace(decay: float, nesterov: bool = False) -> GradientTransformation:
    """Momentum: ``trace <- updates + decay * trace``; the updates become
    ``trace`` (or ``updates + decay * trace`` with Nesterov's).

    Args:
        decay: the momentum.
        nesterov: use Nesterov's momentum.

    Returns:
        A ``GradientTransformation``.

    >>> import numpy as np
    >>> t = trace(0.5)
    >>> state = t.init(np.zeros(1))
    >>> _, state = t.update(np.ones(1), state)
    >>> t.update(np.ones(1), state)[0]
    array([1.5])
    """

    def update(updates, state, params=None):
        new_trace = tree_map(lambda g, t: g + decay * t, updates, state.trace)
        if nesterov:
            updates = tree_map(lambda g, t: g + decay * t, updates, new_trace)
        else:
            updates = new_trace
        return updates, TraceState(new_trace)

    return GradientTransformation(lambda params: TraceState(_zeros_like(params)), update)


def scale_by_adam(
    b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, eps_root: float = 0.0
) -> GradientTransformation:
    """Adam's scaling (Kingma and Ba, 2015), without the learning rate.

    ``mu <- b1 * mu + (1 - b1) * g``, ``nu <- b2 * nu + (1 - b2) * |g|**2``,
    ``count <- count + 1``, then the update is
    ``mu_hat / (sqrt(nu_hat + eps_root) + eps)`` with
    ``mu_hat = mu / (1 - b1**count)`` and ``nu_hat = nu / (1 - b2**count)``.

    Args:
        b1: decay rate of the first moment.
        b2: decay rate of the second moment.
        eps: added to the root, outside it.
        eps_root: added inside the root.

    Returns:
        A ``GradientTransformation`` with a ``ScaleByAdamState``.

    >>> import numpy as np
    >>> t = scale_by_adam()
    >>> t.update(np.array([-3.0, 4.0]), t.init(np.zeros(2)))[0].round(6)
    array([-1.,  1.])
    """

    def init(params):
        return ScaleByAdamState(0, _zeros_like(params), _zeros_like(params))

    def update(updates, state, params=None):
        mu = tree_map(lambda g, m: (1.0 - b1) * g + b1 * m, updates, state.mu)
        nu = tree_map(lambda g, v: (1.0 - b2) * _abs_sq(g) + b2 * v, updates, state.nu)
        count = state.count + 1
        mu_scale, nu_scale = 1.0 - b1**count, 1.0 - b2**count

        def step(m, v):
            return (m / mu_scale) / (module_of(v).sqrt(v / nu_scale + eps_root) + eps)

        return tree_map(step, mu, nu), ScaleByAdamState(count, mu, nu)

    return GradientTransformation(init, update)


def scale_by_rms(
    decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0
) -> GradientTransformation:
    """RMSProp's scaling: ``nu <- decay * nu + (1 - decay) * |g|**2``, then
    ``g / sqrt(nu + eps)`` (optax's: ``eps`` inside the root).

    Args:
        decay: decay rate of the mean of squares.
        eps: added inside the root.
        initial_scale: the starting value of ``nu``.

    Returns:
        A ``GradientTransformation`` with a ``ScaleByRmsState``.

    >>> import numpy as np
    >>> t = scale_by_rms(eps=0.0)
    >>> t.update(np.array([2.0]), t.init(np.zeros(1)))[0].round(4)
    array([3.1623])
    """

    def init(params):
        return ScaleByRmsState(tree_map(lambda p: module_of(p).full_like(p, initial_scale), params))

    def update(updates, state, params=None):
        nu = tree_map(lambda g, n: (1.0 - decay) * _abs_sq(g) + decay * n, updates, state.nu)
        updates = tree_map(lambda g, n: g / module_of(n).sqrt(n + eps), updates, nu)
        return updates, ScaleByRmsState(nu)

    return GradientTransformation(init, update)


def add_decayed_weights(weight_decay: float = 0.0, mask: Any = None) -> GradientTransformation:
    """``updates + weight_decay * params``: weight decay, decoupled from the
    gradient's scaling when it comes after it in a ``chain`` (as in ``adamw``).

    Args:
        weight_decay: the factor.
        mask: a pytree of bools shaped like params (or a function of params
            returning one): decay only where ``True``. ``None`` decays all.

    Returns:
        A ``GradientTransformation``; its ``update`` needs ``params``.

    >>> import numpy as np
    >>> t = add_decayed_weights(0.1)
    >>> t.update(np.zeros(2), EmptyState(), params=np.array([1.0, 2.0]))[0]
    array([0.1, 0.2])
    """

    def update(updates, state, params=None):
        if params is None:
            raise ValueError(
                "add_decayed_weights (weight decay, as in adamw) needs the params: call "
                "update(grads, state, params)."
            )
        keep = mask(params) if callable(mask) else mask
        if keep is None:
            decayed = tree_map(lambda g, p: g + weight_decay * _as_array(p), updates, params)
        else:
            decayed = tree_map(
                lambda g, p, k: g + weight_decay * _as_array(p) if k else g, updates, params, keep
            )
        return decayed, state

    return GradientTransformation(lambda params: EmptyState(), update)


def global_norm(tree: Any) -> float:
    """The 2-norm of all leaves of ``tree`` taken together, as a Python float.

    Args:
        tree: a pytree of arrays.

    Returns:
        ``sqrt(sum of |x|**2 over every element of every leaf)``.

    >>> import numpy as np
    >>> global_norm({"a": np.array([3.0]), "b": [np.array([[4.0]])]})
    5.0
    """
    return sum(float(module_of(x).sum(_abs_sq(_as_array(x)))) for x in tree_leaves(tree)) ** 0.5


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Scale updates down to ``global_norm(updates) <= max_norm``: unchanged
    when the norm is below ``max_norm``, else ``updates * max_norm / norm``.

    Args:
        max_norm: the largest global norm let through.

    Returns:
        A ``GradientTransformation``.

    >>> import numpy as np
    >>> clip_by_global_norm(1.0).update([np.array([3.0, 4.0])], EmptyState())[0]
    [array([0.6, 0.8])]
    """

    def update(updates, state, params=None):
        norm = global_norm(updates)
        if norm < max_norm:
            return updates, state
        return tree_map(lambda g: g * (max_norm / norm), updates), state

    return GradientTransformation(lambda params: EmptyState(), update)


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """The transformations applied in order, each to the previous one's updates;
    the state is the tuple of their states.

    Args:
        *transforms: the transformations, first applied first.

    Returns:
        A ``GradientTransformation``.

    >>> import numpy as np
    >>> chain(clip_by_global_norm(1.0), scale(-0.1)).update([np.array([3.0, 4.0])],
    ...                                                     (EmptyState(), EmptyState()))[0]
    [array([-0.06, -0.08])]
    """

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(updates, state, params=None):
        if len(state) != len(transforms):
            raise ValueError(
                f"chain of {len(transforms)} transformations got a state of {len(state)} "
                f"entries; make it with this chain's init(params)."
            )
        new_state = []
        for t, s in zip(transforms, state):
            updates, s = t.update(updates, s, params)
            new_state.append(s)
        return updates, tuple(new_state)

    return GradientTransformation(init, update)


def sgd(
    learning_rate: LearningRate, momentum: float | None = None, nesterov: bool = False
) -> GradientTransformation:
    """Stochastic gradient descent, optionally with momentum (optax's rule:
    ``trace <- g + momentum * trace``, update ``-learning_rate * trace``).

    Args:
        learning_rate: a number or a schedule.
        momentum: the momentum; ``None`` for none.
        nesterov: use Nesterov's momentum.

    Returns:
        ``chain(trace(momentum, nesterov), scale_by_learning_rate(learning_rate))``.

    >>> import numpy as np
    >>> opt = sgd(0.1)
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0]
    array([-0.2])
    """
    momentum_stage = identity() if momentum is None else trace(momentum, nesterov)
    return chain(momentum_stage, scale_by_learning_rate(learning_rate))


def rmsprop(
    learning_rate: LearningRate,
    decay: float = 0.9,
    eps: float = 1e-8,
    initial_scale: float = 0.0,
    momentum: float | None = None,
    nesterov: bool = False,
) -> GradientTransformation:
    """RMSProp (Tieleman and Hinton, 2012), optax's form:
    ``-learning_rate * g / sqrt(nu + eps)``, then optional momentum.

    Args:
        learning_rate: a number or a schedule.
        decay: decay rate of the mean of squares.
        eps: added inside the root.
        initial_scale: the starting value of the mean of squares.
        momentum: momentum applied after scaling; ``None`` for none.
        nesterov: use Nesterov's momentum.

    Returns:
        ``chain(scale_by_rms(...), scale_by_learning_rate(...), trace(...))``.

    >>> import numpy as np
    >>> opt = rmsprop(0.1, eps=0.0)
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0].round(4)
    array([-0.3162])
    """
    momentum_stage = identity() if momentum is None else trace(momentum, nesterov)
    return chain(
        scale_by_rms(decay, eps, initial_scale),
        scale_by_learning_rate(learning_rate),
        momentum_stage,
    )


def adam(
    learning_rate: LearningRate,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
) -> GradientTransformation:
    """Adam (Kingma and Ba, 2015): ``-learning_rate * mu_hat / (sqrt(nu_hat + eps_root) + eps)``.

    Args:
        learning_rate: a number or a schedule.
        b1: decay rate of the first moment.
        b2: decay rate of the second moment.
        eps: added to the root, outside it.
        eps_root: added inside the root.

    Returns:
        ``chain(scale_by_adam(...), scale_by_learning_rate(learning_rate))``.

    >>> import numpy as np
    >>> opt = adam(learning_rate=1e-3)
    >>> opt.update(np.array([5.0]), opt.init(np.zeros(1)))[0].round(6)
    array([-0.001])
    """
    return chain(scale_by_adam(b1, b2, eps, eps_root), scale_by_learning_rate(learning_rate))


def adamw(
    learning_rate: LearningRate,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    weight_decay: float = 1e-4,
    mask: Any = None,
) -> GradientTransformation:
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019):
    ``-learning_rate * (adam_step + weight_decay * params)``; the decay is not
    scaled by Adam's moments.

    Args:
        learning_rate: a number or a schedule.
        b1: decay rate of the first moment.
        b2: decay rate of the second moment.
        eps: added to the root, outside it.
        eps_root: added inside the root.
        weight_decay: the decay factor.
        mask: where to decay, as in ``add_decayed_weights``.

    Returns:
        ``chain(scale_by_adam(...), add_decayed_weights(...), scale_by_learning_rate(...))``;
        its ``update`` needs ``params``.

    >>> import numpy as np
    >>> opt, params = adamw(0.1, weight_decay=0.5), np.array([2.0])
    >>> opt.update(np.array([5.0]), opt.init(params), params)[0].round(6)
    array([-0.2])
    """
    return chain(
        scale_by_adam(b1, b2, eps, eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


def apply_updates(params: Any, updates: Any) -> Any:
    """``params + updates``, leaf by leaf, each leaf kept in its dtype.

    Args:
        params: a pytree of float arrays (or Python floats).
        updates: a pytree with the structure of ``params``.

    Returns:
        The new params, as arrays.

    >>> import numpy as np
    >>> apply_updates({"w": np.ones(2, np.float32)}, {"w": np.array([0.5, -0.5])})
    {'w': array([1.5, 0.5], dtype=float32)}
    """

    def add(p, u):
        p = _as_array(p)
        if p.dtype.kind not in "fc":
            raise TypeError(
                f"apply_updates adds fractional steps, but params has a leaf of dtype "
                f"{p.dtype}. Convert it with .astype(float) (or write 1.0 instead of 1)."
            )
        return (p + u).astype(p.dtype, copy=False)

    return tree_map(add, params, updates)


def fit(
    loss: Callable[..., Any],
    params: Any,
    optimizer: GradientTransformation,
    num_steps: int = 100,
    *,
    callback: Callable[[Any, int, Any], None] | None = None,
    progress: bool | int = False,
    stop_on_nan: bool = False,
) -> tuple[Any, np.ndarray]:
    """Minimize ``loss`` from ``params`` with ``optimizer`` for ``num_steps`` steps.

    Each step computes ``ft.value_and_grad(loss)``, records the loss, calls
    ``callback(params, i, grads)``, then ``optimizer.update`` and
    ``apply_updates``.

    Args:
        loss: ``loss(params, i)`` or ``loss(params)`` (called with ``i`` when its
            signature takes two positional arguments, e.g. to pick a minibatch),
            returning one real value.
        params: the starting pytree of float arrays; not modified.
        optimizer: a ``GradientTransformation``, e.g. ``adam(1e-2)``.
        num_steps: the number of steps.
        callback: called as ``callback(params, i, grads)`` before each update.
        progress: ``True`` shows a tqdm bar (``pip install fntrans[progress]``),
            or without tqdm prints a line to stderr every tenth of the run; an
            int ``n`` prints a line every ``n`` steps.
        stop_on_nan: raise ``FloatingPointError`` at the first step whose loss
            or gradient is not finite, naming the step and the leaf's path; the
            error's ``params`` attribute holds the params before that step.

    Returns:
        ``(params, losses)``: the final params and the loss at each step
        (before its update), a float64 NumPy array.

    >>> import numpy as np
    >>> import fntrans.numpy as fnp
    >>> loss = lambda p: fnp.sum((p["w"] - 3.0) ** 2)
    >>> params, losses = fit(loss, {"w": np.zeros(2)}, adam(0.1), num_steps=300)
    >>> params["w"].round(3), losses[0], bool(losses[-1] < 1e-6)
    (array([3., 3.]), np.float64(18.0), True)
    """
    call, form = with_step_argument(value_and_grad(loss), "fit", role="loss")
    params = tree_map(_as_array, params)
    state = optimizer.init(params)
    losses = []
    with Monitor("fit", num_steps, progress, stop_on_nan) as monitor:
        for i in range(num_steps):
            value, grads = loss_and_gradient(call, form, params, i)
            losses.append(value)
            monitor.check(i, value, grads, params)
            if callback:
                callback(params, i, grads)
            updates, state = optimizer.update(grads, state, params)
            params = apply_updates(params, updates)
            monitor.done(i, value)
    return params, np.asarray(losses, dtype=np.float64)
