"""``autograd.test_util``: ``check_grads`` and ``combo_check`` with autograd's
curried signatures, checking with :func:`fntrans.test_util.check_grads`
(central finite differences in float64, forward and reverse mode, to any
order).

>>> import fntrans.compat.autograd.numpy as np
>>> from fntrans.compat.autograd.test_util import check_grads
>>> check_grads(lambda x, y: np.sin(x) * y, argnum=[0, 1])(0.5, 2.0)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from fntrans.compat.autograd.differential_operators import ArgNum, _argnums, _select
from fntrans.test_util import check_grads as _check_grads
from fntrans.tree import tree_leaves, tree_structure


def check_grads(
    fun: Callable,
    argnum: ArgNum = 0,
    modes: Sequence[str] = ("fwd", "rev"),
    order: int = 2,
) -> Callable:
    """A function of ``fun``'s arguments that checks the derivatives of ``fun``
    with respect to argument(s) ``argnum`` against finite differences, in
    ``modes``, to ``order``; raises ``AssertionError`` where they disagree.

    >>> import fntrans.compat.autograd.numpy as np
    >>> check_grads(np.tanh, modes=["rev"], order=3)(0.3)
    """
    _argnums(argnum)
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"modes must be 'fwd' and/or 'rev', but got {mode!r}.")

    def check(*args, **kwargs):
        unary, x = _select(fun, argnum, args, kwargs)
        _check_grads(unary, (x,), order=order, modes=tuple(modes))

    return check


def combo_check(fun: Callable, *args, **kwargs) -> Callable:
    """``check_grads(fun, *args, **kwargs)`` at every combination of the values
    given: ``combo_check(fun, argnum)(xs, ys, key=values)`` checks
    ``fun(x, y, key=value)`` for each ``x`` in ``xs``, ``y`` in ``ys``, ...

    >>> import fntrans.compat.autograd.numpy as np
    >>> combo_check(np.sum, [0])([np.ones(3), np.ones((2, 2))], axis=[None, 0])
    """

    def check_all(*arg_values, **kwarg_values):
        kwarg_items = [[(k, v) for v in values] for k, values in kwarg_values.items()]
        for call_args in itertools.product(*arg_values):
            for call_kwargs in itertools.product(*kwarg_items):
                check_grads(fun, *args, **kwargs)(*call_args, **dict(call_kwargs))

    return check_all


def check_equivalent(x, y) -> None:
    """Asserts that ``x`` and ``y`` have one structure and close values (to 1e-6).

    >>> check_equivalent([1.0, np.ones(2)], [1.0, np.ones(2)])
    """
    if tree_structure(x) != tree_structure(y):
        raise AssertionError(f"Structure mismatch:\nx: {tree_structure(x)}\ny: {tree_structure(y)}")
    for a, b in zip(tree_leaves(x), tree_leaves(y)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


__all__ = ["check_equivalent", "check_grads", "combo_check"]
