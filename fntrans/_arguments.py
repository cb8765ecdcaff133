"""The arguments a transform differentiates: selected by position or name,
checked before tracing starts, so a mistake is reported with the user's values."""

from __future__ import annotations

import inspect

import numpy as np

from fntrans import errors


def as_differentiable(x, transform: str, argname: str, holomorphic: bool = False):
    """``x`` as an array-like that can carry a derivative, or a TypeError."""
    if isinstance(x, (bool, int)) or isinstance(x, (np.bool_, np.integer)):
        raise errors.non_differentiable_input(transform, argname, np.result_type(x))
    if isinstance(x, (float, complex)):
        x = np.asarray(x)[()]  # a Python float becomes a NumPy float64
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        raise TypeError(
            f"{transform}: {argname} is a {type(x).__name__}, not an array or a number; "
            f"only arrays, scalars and pytrees (dicts, lists, tuples) of them can be "
            f"differentiated."
        )
    if np.dtype(dtype).kind not in "fc":
        raise errors.non_differentiable_input(transform, argname, dtype)
    if holomorphic and np.dtype(dtype).kind != "c":
        raise errors.holomorphic_input(transform, argname, dtype)
    return x


def check_argnums(transform: str, argnums) -> tuple:
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not nums or not all(isinstance(n, int) and not isinstance(n, bool) for n in nums):
        raise errors.bad_argnums(transform, argnums, 0)
    return nums


class DiffArgs:
    """Which arguments of a call are differentiated: by position or by name."""

    def __init__(self, transform, f, argnums, argnames):
        self.transform = transform
        self.by_name = argnames is not None
        if self.by_name:
            if argnums != 0:
                raise errors.bad_argnames(transform, "give either argnums or argnames, not both.")
            self.single = isinstance(argnames, str)
            self.keys = (argnames,) if self.single else tuple(argnames)
            self.signature = inspect.signature(f)
            unknown = [k for k in self.keys if k not in self.signature.parameters]
            if unknown:
                known = ", ".join(self.signature.parameters)
                raise errors.bad_argnames(
                    transform,
                    f"argnames {unknown[0]!r} is not a parameter of the function; "
                    f"its parameters are: {known}.",
                )
        else:
            self.single = isinstance(argnums, int)
            self.keys = check_argnums(transform, argnums)

    def split(self, args, kwargs):
        """The differentiated values, and a function that calls with new ones."""
        if self.by_name:
            bound = self.signature.bind(*args, **kwargs)
            values = [bound.arguments[k] for k in self.keys]

            def call(f, new_values):
                arguments = dict(bound.arguments)
                arguments.update(zip(self.keys, new_values))
                rebound = inspect.BoundArguments(self.signature, arguments)
                return f(*rebound.args, **rebound.kwargs)

            return values, [f"argument {k!r}" for k in self.keys], call
        n = len(args)
        for k in self.keys:
            if not -n <= k < n:
                raise errors.bad_argnums(self.transform, k, n)
        positions = [k % n for k in self.keys]

        def call(f, new_values):
            new_args = list(args)
            for pos, v in zip(positions, new_values):
                new_args[pos] = v
            return f(*new_args, **kwargs)

        return [args[p] for p in positions], [f"argument {p}" for p in positions], call


def split_aux(out, has_aux: bool, transform: str):
    if not has_aux:
        return out, None
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(
            f"{transform} with has_aux=True requires f to return a pair (output, aux), "
            f"but it returned {describe(out)}."
        )
    return out[0], out[1]


def describe(value) -> str:
    shape = getattr(value, "shape", None)
    return f"an array of shape {tuple(shape)}" if shape is not None else type(value).__name__
