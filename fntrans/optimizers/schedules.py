"""Schedules: functions from a step count (0, 1, ...) to a value, usually a
learning rate; the formulas and names are optax's.

Pass one wherever a learning rate is taken: ``stateful.adam(schedule)``, or
``step_size=schedule`` in autograd's shape (called with ``i``).

>>> from fntrans.optimizers import schedules
>>> lr = schedules.warmup(schedules.exponential_decay(0.1, 100, 0.5), warmup_steps=10)
>>> [round(lr(step), 4) for step in (0, 5, 10, 110)]
[0.0, 0.05, 0.1, 0.05]
"""

from __future__ import annotations

import math
from collections.abc import Callable

Schedule = Callable[[int], float]


def _positive(name: str, argument: str, value: int) -> None:
    if not value > 0:
        raise ValueError(f"{name} needs {argument} > 0, but got {argument}={value!r}.")


def constant_schedule(value: float) -> Schedule:
    """The schedule that is ``value`` at every step.

    Args:
        value: the value.

    Returns:
        ``schedule(count) -> value``.

    >>> constant_schedule(0.1)(1000)
    0.1
    """

    def schedule(count: int) -> float:
        return value

    return schedule


def linear_schedule(
    init_value: float, end_value: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """Linear from ``init_value`` to ``end_value`` over ``transition_steps``
    steps starting at ``transition_begin``; constant before and after.

    Args:
        init_value: the value up to ``transition_begin``.
        end_value: the value from ``transition_begin + transition_steps`` on.
        transition_steps: the length of the ramp, > 0.
        transition_begin: the step the ramp starts at.

    Returns:
        ``schedule(count)``.

    >>> [linear_schedule(1.0, 0.0, 4)(step) for step in range(6)]
    [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """
    _positive("linear_schedule", "transition_steps", transition_steps)

    def schedule(count: int) -> float:
        done = min(max(count - transition_begin, 0), transition_steps)
        return (init_value - end_value) * (1.0 - done / transition_steps) + end_value

    return schedule


def exponential_decay(
    init_value: float,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """``init_value * decay_rate ** ((count - transition_begin) / transition_steps)``.

    Args:
        init_value: the value up to ``transition_begin``.
        transition_steps: steps over which the value is multiplied by ``decay_rate``, > 0.
        decay_rate: the factor per ``transition_steps`` steps.
        transition_begin: the step the decay starts at.
        staircase: decay in whole jumps every ``transition_steps`` steps (the
            exponent is floored).
        end_value: a floor (or, for ``decay_rate > 1``, a ceiling) on the value.

    Returns:
        ``schedule(count)``.

    >>> [exponential_decay(1.0, 10, 0.5)(step) for step in (0, 10, 20)]
    [1.0, 0.5, 0.25]
    >>> exponential_decay(1.0, 10, 0.5, staircase=True)(19)
    0.5
    """
    _positive("exponential_decay", "transition_steps", transition_steps)

    def schedule(count: int) -> float:
        elapsed = count - transition_begin
        if elapsed <= 0:
            return init_value
        exponent = elapsed / transition_steps
        value = init_value * decay_rate ** (math.floor(exponent) if staircase else exponent)
        if end_value is not None:
            value = max(value, end_value) if decay_rate < 1 else min(value, end_value)
        return value

    return schedule


def cosine_decay_schedule(
    init_value: float, decay_steps: int, alpha: float = 0.0, exponent: float = 1.0
) -> Schedule:
    """Half a cosine from ``init_value`` down to ``alpha * init_value`` over
    ``decay_steps`` steps, then constant (Loshchilov and Hutter, 2017).

    ``init_value * ((1 - alpha) * c ** exponent + alpha)`` with
    ``c = (1 + cos(pi * min(count, decay_steps) / decay_steps)) / 2``.

    Args:
        init_value: the value at step 0.
        decay_steps: the length of the decay, > 0.
        alpha: the final value as a fraction of ``init_value``.
        exponent: a power applied to the cosine factor.

    Returns:
        ``schedule(count)``.

    >>> [round(cosine_decay_schedule(1.0, 10)(step), 6) for step in (0, 5, 10, 20)]
    [1.0, 0.5, 0.0, 0.0]
    """
    _positive("cosine_decay_schedule", "decay_steps", decay_steps)

    def schedule(count: int) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * min(count, decay_steps) / decay_steps))
        return init_value * ((1.0 - alpha) * cosine**exponent + alpha)

    return schedule


def warmup(schedule: Schedule, warmup_steps: int, init_value: float = 0.0) -> Schedule:
    """A linear warmup from ``init_value`` to ``schedule(0)`` over
    ``warmup_steps`` steps, then ``schedule(count - warmup_steps)``.

    Args:
        schedule: the schedule after the warmup (a number is a constant schedule).
        warmup_steps: the length of the warmup (0: none).
        init_value: the value at step 0.

    Returns:
        ``schedule(count)``.

    >>> lr = warmup(cosine_decay_schedule(1.0, 10), warmup_steps=4)
    >>> [round(lr(step), 3) for step in (0, 2, 4, 9, 14)]
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    after = schedule if callable(schedule) else constant_schedule(schedule)
    if warmup_steps <= 0:
        return after
    peak = after(0)

    def warmed_up(count: int) -> float:
        if count < warmup_steps:
            return init_value + (peak - init_value) * count / warmup_steps
        return after(count - warmup_steps)

    return warmed_up


def warmup_cosine_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    exponent: float = 1.0,
) -> Schedule:
    """A linear warmup from ``init_value`` to ``peak_value``, then a cosine
    decay to ``end_value``; ``decay_steps`` counts both parts (optax's convention).

    Args:
        init_value: the value at step 0.
        peak_value: the value at the end of the warmup.
        warmup_steps: the length of the warmup.
        decay_steps: the total length, warmup included (> ``warmup_steps``).
        end_value: the value from ``decay_steps`` on.
        exponent: a power applied to the cosine factor.

    Returns:
        ``schedule(count)``.

    >>> lr = warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=2, decay_steps=12, end_value=0.1)
    >>> [round(lr(step), 3) for step in (0, 1, 2, 7, 12)]
    [0.0, 0.5, 1.0, 0.55, 0.1]
    """
    alpha = 0.0 if peak_value == 0 else end_value / peak_value
    decay = cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha, exponent)
    return warmup(decay, warmup_steps, init_value)
