"""Optimizers over pytrees, in two shapes.

- autograd's: ``sgd``, ``rmsprop``, ``adam`` run the whole loop,
  ``adam(grad_fn, init_params, num_iters=..., step_size=...)``, with the
  numbers of ``autograd.misc.optimizers``; ``grad_fn`` may take ``(params, i)``
  or ``(params)`` and may return ``(loss, gradient)``.
- optax's, in ``fntrans.optimizers.stateful``: ``opt = stateful.adam(1e-3)``
  with ``opt.init(params)`` and ``opt.update(grads, state, params)``, for a
  loop you write (or ``stateful.fit``); schedules are in
  ``fntrans.optimizers.schedules``.

>>> import numpy as np
>>> import fntrans as ft, fntrans.numpy as fnp
>>> from fntrans.optimizers import adam
>>> adam(ft.grad(lambda p: fnp.sum((p - 3.0) ** 2)), np.zeros(2), step_size=0.1,
...      num_iters=500).round(3)
array([3., 3.])
"""

from fntrans.optimizers import schedules, stateful
from fntrans.optimizers._loops import adam, rmsprop, sgd

__all__ = ["adam", "rmsprop", "schedules", "sgd", "stateful"]
