"""``vmap``: a function over a batch of inputs, computed in one pass."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import optree

from fntrans.core.interpreter import new_interpreter
from fntrans.interpreters.batching import Batch
from fntrans.tree import NAMESPACE


def _axis_leaves(transform: str, what: str, axes, tree, shown=None) -> list:
    """One axis (int or None) per leaf of ``tree``, from ``axes``, a pytree prefix
    of it; an error shows ``shown`` (what the user wrote) for ``axes``."""
    try:
        return optree.broadcast_prefix(axes, tree, none_is_leaf=True, namespace=NAMESPACE)
    except ValueError as e:
        given = optree.tree_structure(axes, none_is_leaf=True, namespace=NAMESPACE)
        expected = optree.tree_structure(tree, namespace=NAMESPACE)
        shown = axes if shown is None else shown
        raise ValueError(
            f"{transform}: {what} must be an int, None, or a pytree prefix of the "
            f"{what.split('_')[0]}puts' structure, but got {what}={shown!r} (structure "
            f"{given}) for {what.split('_')[0]}puts of structure {expected} ({e})."
        ) from None


def _check_axis_spec(transform: str, name: str, spec) -> None:
    for leaf in optree.tree_leaves(spec, none_is_leaf=True, namespace=NAMESPACE):
        if leaf is not None and not (isinstance(leaf, int) and not isinstance(leaf, bool)):
            raise TypeError(
                f"{transform}: {name} entries must be ints or None, but got {leaf!r} in "
                f"{name}={spec!r}."
            )


def vmap(f: Callable, in_axes: Any = 0, out_axes: Any = 0) -> Callable:
    """``f`` mapped over an axis of its inputs, computed in one batched pass.

    Args:
        f: the function of one example.
        in_axes: the axis to map of each argument: an int (negative counts
            from the end), ``None`` (not mapped: the same for every example),
            or a tuple with one entry per positional argument, each a pytree
            prefix of that argument. Keyword arguments are mapped over axis 0.
        out_axes: where the batch axis goes in each output (int, ``None`` for
            outputs that do not vary, or a pytree prefix of the output).

    Returns:
        The batched function.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> dot_rows = ft.vmap(lambda row, w: fnp.dot(row, w), in_axes=(0, None))
    >>> dot_rows(fnp.eye(2), fnp.array([3.0, 4.0]))
    array([3., 4.])
    """
    return vmap_named(f, in_axes, out_axes, "vmap")


def vmap_named(f: Callable, in_axes: Any, out_axes: Any, transform: str) -> Callable:
    """``vmap`` for ``transform``, the name its errors give: the one the user
    called (``jacfwd`` batches its tangents with it)."""
    _check_axis_spec(transform, "in_axes", in_axes)
    _check_axis_spec(transform, "out_axes", out_axes)

    @functools.wraps(f)
    def batched(*args, **kwargs):
        axes_spec = in_axes
        if isinstance(axes_spec, list):
            axes_spec = tuple(axes_spec)
        if isinstance(axes_spec, tuple):
            if len(axes_spec) != len(args):
                raise ValueError(
                    f"{transform}: in_axes has {len(axes_spec)} entries, but the function was "
                    f"called with {len(args)} positional argument(s); give one entry per "
                    f"argument (or one int for all)."
                )
        else:
            axes_spec = (axes_spec,) * len(args)
        call_args = (args, kwargs)
        spec = (axes_spec, {k: 0 for k in kwargs})
        axes = _axis_leaves(transform, "in_axes", spec, call_args, shown=in_axes)
        leaves, treedef = optree.tree_flatten(call_args, none_is_leaf=True, namespace=NAMESPACE)
        size = _batch_size(leaves, axes, transform)
        # the leaves' names are worked out only if an error needs them
        names = functools.partial(_input_names, call_args)
        with new_interpreter(Batch(size, transform, names), leaves) as interp:
            inputs = [
                leaf
                if axis is None or leaf is None
                else interp.new_input(leaf, axis % np.ndim(leaf), i)
                for i, (leaf, axis) in enumerate(zip(leaves, axes))
            ]
            new_args, new_kwargs = optree.tree_unflatten(treedef, inputs)
            out = f(*new_args, **new_kwargs)
        out_leaves, out_tree = optree.tree_flatten(out, none_is_leaf=True, namespace=NAMESPACE)
        out_axes_leaves = _axis_leaves(transform, "out_axes", out_axes, out)
        for o, axis in zip(out_leaves, out_axes_leaves):
            ndim = np.ndim(o) + 1  # with the batch axis
            if axis is not None and not -ndim <= axis < ndim:
                raise ValueError(
                    f"{transform}: out_axes={axis} is out of range for an output of shape "
                    f"{tuple(np.shape(o))} (with the batch axis: {ndim} dimension(s)); "
                    f"valid axes are {-ndim} to {ndim - 1}."
                )
        results = [interp.unbatch(o, axis) for o, axis in zip(out_leaves, out_axes_leaves)]
        return optree.tree_unflatten(out_tree, results)

    return batched


def _input_names(call_args) -> list[str]:
    """What errors call each leaf of ``(args, kwargs)``, in flatten order:
    ``argument 1``, ``argument 0['w']``, ``argument 'y'`` (a keyword argument)."""
    paths = optree.tree_paths(call_args, none_is_leaf=True, namespace=NAMESPACE)
    return [f"argument {p[1]!r}" + "".join(f"[{key!r}]" for key in p[2:]) for p in paths]


def _batch_size(leaves, axes, transform: str = "vmap") -> int:
    sizes = []
    for i, (leaf, axis) in enumerate(zip(leaves, axes)):
        if axis is None or leaf is None:
            continue
        shape = np.shape(leaf)
        if not shape:
            raise ValueError(
                f"{transform}: input {i} has shape () (a scalar), which has no axis to map over; "
                f"give it in_axes None to use the same value for every example, or add "
                f"an axis to map."
            )
        if not -len(shape) <= axis < len(shape):
            raise ValueError(
                f"{transform}: in_axes={axis} is out of range for input {i}, which has shape "
                f"{tuple(shape)} ({len(shape)} dimension(s)); valid axes are "
                f"{-len(shape)} to {len(shape) - 1}, or None to leave it unmapped."
            )
        sizes.append((i, shape[axis], tuple(shape)))
    if not sizes:
        raise ValueError(
            f"{transform} needs at least one input with a mapped axis (not all in_axes None)."
        )
    if len({s for _, s, _ in sizes}) > 1:
        listed = ", ".join(f"input {i} of shape {shape} has size {s}" for i, s, shape in sizes)
        raise ValueError(f"{transform} got inconsistent sizes for the mapped axis: {listed}.")
    return sizes[0][1]
