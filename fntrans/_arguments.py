"""The arguments a transform differentiates: selected by position or name,
checked before tracing starts, so a mistake is reported with the user's values."""

from __future__ import annotations

import inspect

import numpy as np

from fntrans import errors
from fntrans.core import constants
from fntrans.core.tracer import Tracer
from fntrans.interpreters.ad_util import checked_like
from fntrans.tree import tree_flatten
from fntrans.tree.pytrees import leaf_names, tree_paths

# JAX's dtype of the derivative of an integer or boolean value: zero bytes per
# element, and no arithmetic, so it can be neither mistaken for nor added to a number
float0 = np.dtype([("float0", np.void, 0)])


def float0_zeros(shape: tuple):
    """The derivative of an integer or boolean value of ``shape``: zeros of
    dtype ``float0``."""
    return np.zeros(shape, float0)


def is_integer(x) -> bool:
    """Whether ``x`` is an integer or boolean scalar or array."""
    if isinstance(x, (bool, int, np.bool_, np.integer)):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and np.dtype(dtype).kind in "biu"


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
    """``argnums`` as a tuple of ints; a list is read as a tuple (autograd's
    ``argnum=[0, 1]``), and NumPy integers are ints."""
    nums = tuple(argnums) if isinstance(argnums, (tuple, list)) else (argnums,)
    if not nums or not all(_is_int(n) for n in nums):
        raise errors.bad_argnums(transform, argnums, 0)
    return tuple(int(n) for n in nums)


def _is_int(n) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_))


def check_argnames(transform: str, argnames) -> tuple:
    """``argnames`` as a tuple of names; a list is read as a tuple."""
    names = (argnames,) if isinstance(argnames, str) else argnames
    if (
        not isinstance(names, (tuple, list))
        or not names
        or not all(isinstance(k, str) for k in names)
    ):
        raise errors.bad_argnames(
            transform,
            f"argnames must be a parameter name or a tuple of them, but got {argnames!r}.",
        )
    return tuple(names)


class DiffArgs:
    """Which arguments of a call are differentiated: by position or by name."""

    def __init__(self, transform, f, argnums, argnames):
        self.transform = transform
        self.by_name = argnames is not None
        if self.by_name:
            if argnums != 0:
                raise errors.bad_argnames(transform, "give either argnums or argnames, not both.")
            self.single = isinstance(argnames, str)
            self.keys = check_argnames(transform, argnames)
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
            self.single = _is_int(argnums)
            self.keys = check_argnums(transform, argnums)

    def split(self, args, kwargs):
        """The differentiated values (each argument once), their names, a function
        that calls with new ones, and ``pick``: for each requested argument, the
        index of its value (``argnums=(0, 0)`` asks for one argument twice)."""
        if self.by_name:
            bound = self.signature.bind(*args, **kwargs)
            keys = list(dict.fromkeys(self.keys))
            values = [bound.arguments[k] for k in keys]

            def call(f, new_values):
                arguments = dict(bound.arguments)
                arguments.update(zip(keys, new_values))
                rebound = inspect.BoundArguments(self.signature, arguments)
                return f(*rebound.args, **rebound.kwargs)

            pick = [keys.index(k) for k in self.keys]
            return values, [f"argument {k!r}" for k in keys], call, pick
        n = len(args)
        for k in self.keys:
            if not -n <= k < n:
                if n == 0 and kwargs:
                    raise errors.keyword_only_call(self.transform, sorted(kwargs))
                raise errors.bad_argnums(self.transform, k, n)
        requested = [k % n for k in self.keys]
        positions = list(dict.fromkeys(requested))

        def call(f, new_values):
            new_args = list(args)
            for pos, v in zip(positions, new_values):
                new_args[pos] = v
            return f(*new_args, **kwargs)

        pick = [positions.index(p) for p in requested]
        return [args[p] for p in positions], [f"argument {p}" for p in positions], call, pick


def differentiable_leaves(
    value, name: str, transform: str, holomorphic: bool = False, allow_int: bool = False
):
    """The leaves of the argument ``value`` (checked by ``as_differentiable``,
    each named by its path in it), its structure, and for each leaf whether it
    is differentiated: with ``allow_int``, integer and boolean leaves are kept
    as they are and not differentiated."""
    leaves, treedef = tree_flatten(value)
    differentiated = [not (allow_int and is_integer(x)) for x in leaves]
    try:
        checked = [
            as_differentiable(x, transform, name, holomorphic) if diff else x
            for x, diff in zip(leaves, differentiated)
        ]
    except TypeError:  # the error names the leaf by its path, worked out only now
        checked = [
            as_differentiable(x, transform, leaf_name, holomorphic) if diff else x
            for x, leaf_name, diff in zip(leaves, leaf_names(value, name), differentiated)
        ]
    return checked, treedef, differentiated


def primal_leaves(primals: tuple, transform: str, allow_int: bool = False):
    """The leaves of ``primals`` (checked as by ``differentiable_leaves``, each
    named by its primal and its path in it: ``primal 0['w']``), their structure,
    and for each leaf whether it is differentiated."""
    flat, in_tree = tree_flatten(tuple(primals))
    differentiated = [not (allow_int and is_integer(x)) for x in flat]
    try:
        checked = [
            as_differentiable(x, transform, "a primal") if diff else x
            for x, diff in zip(flat, differentiated)
        ]
    except TypeError:  # the error names the leaf by its path, worked out only now
        checked = [
            as_differentiable(x, transform, name) if diff else x
            for x, name, diff in zip(flat, primal_leaf_names(primals), differentiated)
        ]
    return checked, in_tree, differentiated


def primal_leaf_names(primals, kind: str = "primal") -> list[str]:
    """``primal 0['w']`` for each leaf of the tuple ``primals``, in flatten order."""
    primals = tuple(primals)
    suffixes = leaf_names(primals, "", skip=1)
    positions = [path[0] for path in tree_paths(primals)]
    return [f"{kind} {i}{suffix}" for i, suffix in zip(positions, suffixes)]


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


def check_primals_tangents(transform, primals, tangents):
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"{transform} takes primals and tangents as tuples, e.g. "
            f"{transform}(f, (x,), (v,)); got {type(primals).__name__} and "
            f"{type(tangents).__name__}."
        )
    primal_flat, in_tree = tree_flatten(tuple(primals))
    tangent_flat, tangent_tree = tree_flatten(tuple(tangents))
    if in_tree != tangent_tree:
        raise errors.structure_mismatch(f"{transform}: the tangents", in_tree, tangent_tree)
    # each leaf named by its primal and its path in it: primal 0['w']
    primal_flat = [
        as_differentiable(x, transform, name)
        for x, name in zip(primal_flat, primal_leaf_names(primals))
    ]
    tangent_flat = [
        fit_to(t, p, f"{transform}: {name}")
        for t, p, name in zip(tangent_flat, primal_flat, primal_leaf_names(primals, "tangent"))
    ]
    return primal_flat, tangent_flat, in_tree


def fit_to(value, like, what):
    """A cotangent or tangent ``value`` given by the user, checked against ``like``."""
    if not isinstance(value, Tracer):
        value = constants.module_for(like).asarray(value)
    return checked_like(value, like, what)
