"""Jacobians and Hessians as batched JVPs and VJPs: one pass over the whole basis."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np

from fntrans import errors
from fntrans._arguments import (
    DiffArgs,
    check_primals_tangents,
    differentiable_leaves,
    float0,
    float0_zeros,
)
from fntrans.api import _flat_grad, _jvp, _vjp
from fntrans.core import constants
from fntrans.core.aval import dtype_of
from fntrans.core.interpreter import new_interpreter
from fntrans.interpreters.flat import jvp_outputs
from fntrans.interpreters.jvp import JVP, JVPTracer
from fntrans.primitives.joining import split
from fntrans.primitives.shape import reshape
from fntrans.tree import tree_flatten, tree_map, tree_unflatten
from fntrans.tree.pytrees import leaf_names
from fntrans.vectorize import vmap_named


class _Differentiated:
    """The differentiated part of one call, ``f``'s arguments selected by
    ``argnums`` or ``argnames``, as one pytree ``value`` with its ``leaves``,
    whether each is ``differentiated`` (not an integer leaf under allow_int)
    and, for errors, their ``names()`` (``argument 0['w']``)."""

    def __init__(self, selector, f, args, kwargs, holomorphic=False, allow_int=False):
        values, names, self.call, pick = selector.split(args, kwargs)
        if len(pick) != len(values):
            raise errors.repeated_argnums(selector.transform)
        checked, self.differentiated = [], []
        for v, name in zip(values, names):
            leaves, treedef, differentiated = differentiable_leaves(
                v, name, selector.transform, holomorphic, allow_int
            )
            checked.append(tree_unflatten(treedef, leaves))
            self.differentiated += differentiated
        self._named = list(zip(values, names))
        self.f, self.single = f, selector.single
        self.value = checked[0] if self.single else tuple(checked)
        self.leaves, self.tree = tree_flatten(self.value)

    def names(self) -> list[str]:
        """Each leaf's name, worked out only for an error."""
        return [leaf for v, name in self._named for leaf in leaf_names(v, name)]

    def function(self, value):
        """``f`` as a function of the differentiated part only."""
        return self.call(self.f, [value] if self.single else list(value))


def _check_real(transform, what, leaves, names):
    """A complex leaf is an error (a complex derivative is only one number
    where f is holomorphic); ``names()`` gives the leaves' names, for it."""
    for i, x in enumerate(leaves):
        if dtype_of(x).kind == "c":
            name = names()[i]
            # a leaf of a pytree is named by its path; a whole argument or output is not
            leaf = name if "[" in name else None
            raise errors.complex_jacobian(transform, what, dtype_of(x), leaf)


def _basis(leaves):
    """The standard basis of the flattened ``leaves``: one array per leaf, of shape
    ``(N,) + leaf.shape`` and the leaf's dtype, where N is the total size."""
    sizes = [math.prod(np.shape(x)) for x in leaves]
    total = sum(sizes)
    eye = constants.eye(total, np.float64, like=leaves[0])
    pieces, start = [], 0
    for x, size in zip(leaves, sizes):
        piece = eye[:, start : start + size].reshape((total,) + tuple(np.shape(x)))
        pieces.append(piece.astype(x.dtype, copy=False))
        start += size
    return pieces


def _assemble(out_flat, out_tree, in_flat, in_tree, block):
    """Nested Jacobian: outer structure the output's, inner the input's, with
    ``block(i, j)`` reshaped to ``out_i.shape + in_j.shape``."""
    return tree_unflatten(
        out_tree,
        [
            tree_unflatten(
                in_tree,
                [
                    _shaped(block(i, j), tuple(np.shape(o)) + tuple(np.shape(x)))
                    for j, x in enumerate(in_flat)
                ],
            )
            for i, o in enumerate(out_flat)
        ],
    )


def _shaped(block, shape):
    # float0 blocks (integer inputs under allow_int) are made in their shape
    return block if dtype_of(block) == float0 else reshape(block, shape)


def _cut(x, sizes, axis):
    return split(x, sizes, axis) if len(sizes) > 1 else (x,)


def jacfwd(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    *,
    argnames: str | Sequence[str] | None = None,
) -> Callable:
    """The Jacobian of ``f`` by forward mode: one batched JVP over the input basis.

    Args:
        f: the function; inputs and outputs may be pytrees of arrays.
        argnums: the argument(s) to differentiate; a tuple (or list) gives a tuple.
        argnames: parameter name(s) to differentiate, instead of ``argnums``.
        has_aux: ``f`` returns ``(out, aux)``; then ``(jacobian, aux)`` is returned.
        holomorphic: ``f`` is complex-differentiable.

    Returns:
        A function returning the Jacobian: for each output leaf and input leaf,
        an array of shape ``out.shape + in.shape``, nested as the output's
        structure around the input's.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.jacfwd(lambda x: x ** 2)(fnp.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    return _jacfwd(f, argnums, has_aux, holomorphic, argnames, "jacfwd")


def _jacfwd(f, argnums, has_aux, holomorphic, argnames, transform):
    selector = DiffArgs(transform, f, argnums, argnames)

    @functools.wraps(f)
    def jacobian(*args, **kwargs):
        d = _Differentiated(selector, f, args, kwargs, holomorphic)
        if not holomorphic:
            _check_real(transform, "input", d.leaves, d.names)

        def pushforward(*basis_leaves):
            tangent = tree_unflatten(d.tree, basis_leaves)
            return _jvp(d.function, (d.value,), (tangent,), has_aux, transform)

        out_axes = (None, -1, None) if has_aux else (None, -1)
        result = vmap_named(pushforward, 0, out_axes, transform)(*_basis(d.leaves))
        out_flat, out_tree = tree_flatten(result[0])
        # each output tangent has shape out.shape + (N,): cut N into the inputs
        sizes = [math.prod(np.shape(x)) for x in d.leaves]
        cut = [_cut(t, sizes, len(np.shape(t)) - 1) for t in tree_flatten(result[1])[0]]
        jac = _assemble(out_flat, out_tree, d.leaves, d.tree, lambda i, j: cut[i][j])
        return (jac, result[2]) if has_aux else jac

    return jacobian


def jacrev(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    allow_int: bool = False,
    *,
    argnames: str | Sequence[str] | None = None,
) -> Callable:
    """The Jacobian of ``f`` by reverse mode: one forward pass, then one batched
    VJP over the output basis.

    Args and returns as for :func:`jacfwd`; with ``allow_int=True``, integer and
    boolean leaves of the differentiated arguments are allowed and their blocks
    are zeros of dtype ``float0`` (as in JAX).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.jacrev(lambda x: fnp.sin(x) * 2.0)(fnp.zeros(2))
    array([[2., 0.],
           [0., 2.]])
    """
    return _jacrev(f, argnums, has_aux, holomorphic, argnames, "jacrev", allow_int)


def _jacrev(f, argnums, has_aux, holomorphic, argnames, transform, allow_int=False):
    selector = DiffArgs(transform, f, argnums, argnames)

    @functools.wraps(f)
    def jacobian(*args, **kwargs):
        d = _Differentiated(selector, f, args, kwargs, holomorphic, allow_int)
        result = _vjp(d.function, (d.value,), has_aux, allow_int, transform)
        out_flat, out_tree = tree_flatten(result[0])
        if not holomorphic:
            names = functools.partial(leaf_names, result[0], "the output")
            _check_real(transform, "output", out_flat, names)
        vjp_fn = result[1]
        # integer leaves (allow_int) have no cotangent to batch: float0 blocks
        diff_leaves = [x for x, diff in zip(d.leaves, d.differentiated) if diff]

        def pullback(*basis_leaves):
            ct = tree_flatten(vjp_fn(tree_unflatten(out_tree, basis_leaves))[0])[0]
            return [c for c, diff in zip(ct, d.differentiated) if diff]

        # each differentiated input's: (M,) + in.shape
        cts = vmap_named(pullback, 0, 0, transform)(*_basis(out_flat)) if diff_leaves else []
        sizes = [math.prod(np.shape(o)) for o in out_flat]
        cut = iter([_cut(c, sizes, 0) for c in cts])
        cut = [next(cut) if diff else None for diff in d.differentiated]

        def block(i, j):
            if cut[j] is None:
                return float0_zeros(np.shape(out_flat[i]) + np.shape(d.leaves[j]))
            return cut[j][i]

        jac = _assemble(out_flat, out_tree, d.leaves, d.tree, block)
        return (jac, result[2]) if has_aux else jac

    return jacobian


def hessian(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    holomorphic: bool = False,
    argnames: str | Sequence[str] | None = None,
) -> Callable:
    """The Hessian of a scalar ``f``: ``jacfwd(jacrev(f))``; with
    ``holomorphic=True``, the second complex derivative of a holomorphic ``f``.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.hessian(lambda x: fnp.sum(x ** 3))(fnp.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    >>> ft.hessian(lambda z: z ** 3, holomorphic=True)(1j)
    array(0.+6.j)
    """
    inner = _jacrev(f, argnums, False, holomorphic, argnames, "hessian")
    return _jacfwd(inner, argnums, False, holomorphic, argnames, "hessian")


def hvp(f: Callable, primals: Sequence, tangents: Sequence) -> tuple:
    """The Hessian-vector product ``H v`` of a scalar ``f`` at ``primals``, by
    forward-over-reverse: the Hessian is never formed.

    Args:
        f: a function returning one real value.
        primals: a tuple of arguments.
        tangents: a tuple of the same structure (the vector ``v``).

    Returns:
        ``H v``, a tuple in the structure of ``primals``.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.hvp(lambda x: fnp.sum(x ** 3), (fnp.array([1.0, 2.0]),), (fnp.array([1.0, 0.0]),))
    (array([6., 0.]),)
    """
    primal_flat, tangent_flat, in_tree = check_primals_tangents("hvp", primals, tangents)
    with new_interpreter(JVP("hvp"), primal_flat) as interp:
        inputs = [JVPTracer(interp, p, t) for p, t in zip(primal_flat, tangent_flat)]
        gradient = _flat_grad(f, in_tree, inputs, "hvp")
    return tree_unflatten(in_tree, jvp_outputs(interp, gradient)[1])


def elementwise_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The derivative of an elementwise ``f``: the VJP with a cotangent of ones
    (the column sums of the Jacobian, autograd's ``elementwise_grad``).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.elementwise_grad(fnp.sin)(fnp.zeros(3))
    array([1., 1., 1.])
    """

    selector = DiffArgs("elementwise_grad", f, argnums, None)

    @functools.wraps(f)
    def derivative(*args, **kwargs):
        d = _Differentiated(selector, f, args, kwargs)
        out, vjp_fn = _vjp(d.function, (d.value,), False, False, "elementwise_grad")
        return vjp_fn(tree_map(constants.ones_like, out))[0]

    return derivative
