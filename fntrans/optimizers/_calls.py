"""How an optimizer calls the user's gradient function, and what it may return.

``grad_fn`` is called as ``grad_fn(params, i)`` when its signature takes two
positional arguments (autograd's convention, kept for every function that
accepts it), else as ``grad_fn(params)``. It returns a gradient shaped like
``params``, or a pair ``(loss, gradient)`` as ``ft.value_and_grad`` makes.
The two cannot be confused: a pair ``(leaf, tree)`` never has the structure
of ``tree``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fntrans.backend import module_of
from fntrans.tree import tree_map, tree_structure


def _accepts(signature: inspect.Signature, n: int) -> bool:
    try:
        signature.bind(*range(n))
    except TypeError:
        return False
    return True


def with_step_argument(grad_fn: Callable, name: str, role: str = "grad_fn") -> tuple[Callable, str]:
    """``grad_fn`` as a function of ``(params, i)``, whichever of the two forms it
    takes, and the form it is called in, for error messages."""
    if not callable(grad_fn):
        raise TypeError(
            f"{name} takes {role} as its first argument, a function of params, but got "
            f"{type(grad_fn).__name__} {grad_fn!r}."
        )
    try:
        signature = inspect.signature(grad_fn)
    except (TypeError, ValueError):  # no introspectable signature: autograd's convention
        return grad_fn, f"{role}(params, i)"
    if _accepts(signature, 2):
        return grad_fn, f"{role}(params, i)"
    if _accepts(signature, 1):
        return lambda params, i: grad_fn(params), f"{role}(params)"
    raise TypeError(
        f"{name} calls {role}(params, i) or {role}(params), but {role} has the signature "
        f"{signature}, which takes neither. Wrap it, e.g. "
        f"lambda params, i: {role}(params, batch[i])."
    )


def _is_one_value(x: Any) -> bool:
    shape = getattr(x, "shape", None)
    if shape is None:
        return isinstance(x, (int, float))
    return getattr(x, "size", 0) == 1 and x.dtype.kind == "f"


def as_float(loss: Any) -> float:
    """The loss as a Python float (one value, on any backend)."""
    return float(module_of(loss).asarray(loss).reshape(()).item())


def loss_and_gradient(call: Callable, form: str, params: Any, i: int) -> tuple[float | None, Any]:
    """``(loss or None, gradient)`` from ``call(params, i)``, the gradient as arrays;
    ``form`` is how the user's function is called, as ``with_step_argument`` gives it."""
    result = call(params, i)
    expected = tree_structure(params)
    loss = None
    if tree_structure(result) != expected:
        pair = isinstance(result, tuple) and len(result) == 2
        if not (pair and _is_one_value(result[0]) and tree_structure(result[1]) == expected):
            called = form.replace(", i)", f", {i})")
            raise ValueError(
                f"{called} must return a gradient with the structure of params, {expected}, "
                f"or a pair (loss, gradient) as ft.value_and_grad(loss) makes, but it returned "
                f"{tree_structure(result)}. Return ft.grad(loss)(params, ...) for params passed "
                f"as the first argument."
            )
        loss, result = as_float(result[0]), result[1]
    return loss, tree_map(lambda g: module_of(g).asarray(g), result)
