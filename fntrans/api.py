"""The transforms users call: grad, value_and_grad, vjp, jvp, linearize, make_jaxpr.

Arguments are checked here, before tracing starts, so a mistake is reported
with the user's values and leaves nothing behind.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fntrans import errors
from fntrans._arguments import (
    DiffArgs,
    check_primals_tangents,
    differentiable_leaves,
    fit_to,
    float0_zeros,
    primal_leaf_names,
    primal_leaves,
    split_aux,
)
from fntrans._arguments import float0 as float0  # the derivative of an integer input
from fntrans.core import constants
from fntrans.core.attribution import warnings_at_user_lines
from fntrans.core.aval import aval_of, dtype_of, shape_of
from fntrans.core.interpreter import new_interpreter
from fntrans.core.ir import IR
from fntrans.core.tracer import Tracer
from fntrans.interpreters.flat import jvp_outputs
from fntrans.interpreters.jvp import JVP, JVPTracer
from fntrans.interpreters.reverse import Tape
from fntrans.interpreters.staging import Staging, input_names, output_names
from fntrans.primitives.elementwise import stop_gradient_p
from fntrans.tree import tree_flatten, tree_map, tree_unflatten
from fntrans.tree.pytrees import leaf_names, tree_paths

# ---- helpers shared by the transforms ----


def _lower(interp, x):
    """``x`` with ``interp``'s tracers replaced by their primal values."""
    if isinstance(x, Tracer) and x._interp is interp:
        return x.primal
    return x


def _lower_tree(interp, tree):
    return tree_map(lambda x: _lower(interp, x), tree)


# ---- reverse mode ----


def value_and_grad(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    allow_int: bool = False,
    *,
    argnames: str | Sequence[str] | None = None,
) -> Callable:
    """A function returning ``(f(*args), grad(f)(*args))`` from one forward and one
    backward pass.

    Args:
        f: a function returning one real value (one element: shape ``()`` or ``(1, 1)``).
        argnums: the position(s) to differentiate; a tuple (or list) gives a tuple
            of gradients.
        has_aux: ``f`` returns ``(value, aux)``; then the result is ``((value, aux), grad)``.
        holomorphic: ``f`` is complex-differentiable; gives the complex derivative.
        allow_int: integer and boolean leaves of the differentiated arguments are
            allowed; their gradient is zeros of dtype ``float0`` (as in JAX).
        argnames: parameter name(s) to differentiate, instead of ``argnums``.

    Returns:
        A function with ``f``'s signature returning ``(value, gradient)``.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.value_and_grad(lambda x: fnp.sum(x ** 2))(fnp.array([1.0, 2.0]))
    (np.float64(5.0), array([2., 4.]))
    """
    return _value_and_grad(f, argnums, has_aux, holomorphic, argnames, "value_and_grad", allow_int)


def grad(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    allow_int: bool = False,
    *,
    argnames: str | Sequence[str] | None = None,
) -> Callable:
    """The gradient of ``f``, a function returning one real value.

    Args:
        f: the function to differentiate; Python control flow on values is fine.
        argnums: the position(s) to differentiate; a tuple (or list) gives a tuple
            of gradients, from one pass.
        has_aux: ``f`` returns ``(value, aux)``; then the result is ``(grad, aux)``.
        holomorphic: ``f`` is complex-differentiable; gives the complex derivative.
        allow_int: integer and boolean leaves of the differentiated arguments are
            allowed (settings kept in a parameter dict); their gradient is zeros
            of their shape and dtype ``float0``, as in JAX.
        argnames: parameter name(s) to differentiate, instead of ``argnums``.

    Returns:
        A function with ``f``'s signature returning gradients shaped like the
        differentiated arguments.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> print(ft.grad(lambda x: fnp.sin(x) * x)(1.0))
    1.3817732906760363
    >>> g = ft.grad(lambda p: p["w"] * p["n"], allow_int=True)({"w": 2.0, "n": 3})
    >>> print(g["w"], g["n"].dtype)
    3.0 [('float0', 'V')]
    """
    return _grad(f, argnums, has_aux, holomorphic, argnames, "grad", allow_int)


def _grad(f, argnums, has_aux, holomorphic, argnames, transform, allow_int=False):
    value_and_grad_f = _value_and_grad(
        f, argnums, has_aux, holomorphic, argnames, transform, allow_int
    )

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        (value, aux), g = value_and_grad_f.with_aux(*args, **kwargs)
        return (g, aux) if has_aux else g

    return grad_f


def _value_and_grad(f, argnums, has_aux, holomorphic, argnames, transform, allow_int=False):
    selector = DiffArgs(transform, f, argnums, argnames)

    def run(*args, **kwargs):
        with warnings_at_user_lines():  # forward and backward
            return compute(*args, **kwargs)

    def compute(*args, **kwargs):
        values, names, call, pick = selector.split(args, kwargs)
        flat, treedefs, masks = [], [], []
        for value, name in zip(values, names):
            leaves, treedef, differentiated = differentiable_leaves(
                value, name, transform, holomorphic, allow_int
            )
            flat.append(leaves)
            treedefs.append(treedef)
            masks.append(differentiated)
        with new_interpreter(Tape(transform), flat) as tape:
            inputs = [
                [tape.new_input(x) if d else x for x, d in zip(leaves, mask)]
                for leaves, mask in zip(flat, masks)
            ]
            # the input nodes, kept before f runs: f may assign into its arguments
            input_nodes = [
                [t.node if d else None for t, d in zip(tracers, mask)]
                for tracers, mask in zip(inputs, masks)
            ]
            out = call(f, [tree_unflatten(t, xs) for t, xs in zip(treedefs, inputs)])
            out, aux = split_aux(out, has_aux, transform)
            _check_scalar_output(out, transform, holomorphic)
        value = _lower(tape, out)
        aux = _lower_tree(tape, aux) if has_aux else None
        cts = {}
        if tape.is_own(out):
            cts = tape.backward([out.node], [constants.ones_like(value)], keep=False)
        grads = [
            tree_unflatten(treedef, [_input_ct(cts, n, x) for n, x in zip(nodes, leaves)])
            for treedef, nodes, leaves in zip(treedefs, input_nodes, flat)
        ]
        return (value, aux), grads[0] if selector.single else tuple(grads[i] for i in pick)

    @functools.wraps(f)
    def value_and_grad_f(*args, **kwargs):
        (value, aux), g = run(*args, **kwargs)
        return ((value, aux), g) if has_aux else (value, g)

    value_and_grad_f.with_aux = run
    return value_and_grad_f


def _flat_grad(f, in_tree, leaves, transform):
    """The gradient of ``f`` (one real value) with respect to every one of its
    arguments, given as the leaves of ``in_tree``, already checked: one leaf each.
    For transforms built on grad (hvp), without argument selection or pytree
    checks on each call."""
    with new_interpreter(Tape(transform), leaves) as tape:
        inputs = [tape.new_input(x) for x in leaves]
        nodes = [t.node for t in inputs]  # before f runs: f may assign into them
        out = f(*tree_unflatten(in_tree, inputs))
        _check_scalar_output(out, transform, False)
    cts = {}
    if tape.is_own(out):
        cts = tape.backward([out.node], [constants.ones_like(out.primal)], keep=False)
    return [_input_ct(cts, n, x) for n, x in zip(nodes, leaves)]


def _fits(value, like) -> bool:
    """Whether ``value`` is an array of ``like``'s type (or a traced value) with
    its shape and dtype already: nothing for ``fit_to`` to check or convert."""
    shape = getattr(value, "shape", None)
    return (
        shape is not None
        and (type(value) is type(like) or isinstance(value, Tracer))
        and tuple(shape) == tuple(shape_of(like))
        and dtype_of(value) == dtype_of(like)
    )


def _input_ct(cts, node, value):
    """The cotangent of an input: ``float0`` zeros for one not differentiated
    (``node`` None: an integer leaf under allow_int), zeros for one unused."""
    if node is None:
        return float0_zeros(np.shape(value))
    ct = cts.get(node)
    return constants.zeros_like(value) if ct is None else ct


def _check_scalar_output(out, transform, holomorphic):
    if isinstance(out, (float, int, complex, bool)):
        out = np.asarray(out)
    shape = getattr(out, "shape", None)
    if shape is None:
        raise errors.non_array_output(transform, out)
    if math.prod(shape) != 1:
        raise errors.non_scalar_output(transform, shape)
    if out.dtype.kind == "c" and not holomorphic:
        raise errors.complex_output(transform, out.dtype)
    if out.dtype.kind not in "fc":
        raise TypeError(
            f"{transform} requires f to return a real value, but it returned dtype "
            f"{out.dtype}, which carries no derivative."
        )


def vjp(f: Callable, *primals: Any, has_aux: bool = False, allow_int: bool = False):
    """The output of ``f(*primals)`` and a function pulling cotangents back through it.

    Args:
        f: the function; its output may be any pytree of arrays.
        *primals: the point (pytrees of float or complex arrays).
        has_aux: ``f`` returns ``(output, aux)``; then ``aux`` is returned third.
        allow_int: integer and boolean leaves of the primals are allowed; their
            cotangent is zeros of dtype ``float0`` (as in JAX).

    Returns:
        ``(out, vjp_fn)`` (and ``aux``): ``vjp_fn(ct)`` takes a cotangent shaped like
        ``out`` and returns a tuple with one cotangent per primal. It can be called
        many times.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> out, vjp_fn = ft.vjp(fnp.sin, 0.0)
    >>> vjp_fn(2.0)
    (np.float64(2.0),)
    """
    return _vjp(f, primals, has_aux, allow_int, "vjp")


def _vjp(f, primals, has_aux, allow_int, transform):
    flat, in_tree, differentiated = primal_leaves(primals, transform, allow_int)
    with new_interpreter(Tape(transform), flat) as tape:
        inputs = [tape.new_input(x) if d else x for x, d in zip(flat, differentiated)]
        input_nodes = [t.node if d else None for t, d in zip(inputs, differentiated)]
        out = f(*tree_unflatten(in_tree, inputs))
        out, aux = split_aux(out, has_aux, transform)
    out_flat, out_tree = tree_flatten(out)
    out_values = [_lower(tape, o) for o in out_flat]
    out_nodes = [o.node if tape.is_own(o) else None for o in out_flat]

    def vjp_fn(ct):
        ct_flat, ct_tree = tree_flatten(ct)
        if ct_tree != out_tree:
            raise errors.structure_mismatch(f"{transform}_fn: the cotangent", out_tree, ct_tree)
        if not all(map(_fits, ct_flat, out_values)):
            # each cotangent leaf named by its path in the output: the cotangent['b']
            outs = tree_unflatten(out_tree, out_values)
            names = leaf_names(outs, f"{transform}_fn: the cotangent")
            ct_flat = [fit_to(c, o, name) for c, o, name in zip(ct_flat, out_values, names)]
        with warnings_at_user_lines():
            cts = tape.backward(out_nodes, ct_flat, keep=True)
        return tree_unflatten(in_tree, [_input_ct(cts, n, x) for n, x in zip(input_nodes, flat)])

    result = tree_unflatten(out_tree, out_values)
    if has_aux:
        return result, vjp_fn, _lower_tree(tape, aux)
    return result, vjp_fn


# ---- forward mode ----


def jvp(f: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """Forward mode: ``f(*primals)`` and its directional derivative along ``tangents``.

    Args:
        f: the function.
        primals: a tuple of arguments (pytrees of float or complex arrays).
        tangents: a tuple of the same structure, shapes and dtypes.
        has_aux: ``f`` returns ``(output, aux)``; then ``aux`` is returned third.

    Returns:
        ``(out, tangent_out)``.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.jvp(fnp.sin, (0.0,), (3.0,))
    (np.float64(0.0), np.float64(3.0))
    """
    return _jvp(f, primals, tangents, has_aux, "jvp")


def _jvp(f, primals, tangents, has_aux, transform):
    primal_flat, tangent_flat, in_tree = check_primals_tangents(transform, primals, tangents)
    with new_interpreter(JVP(transform), primal_flat) as interp:
        inputs = [JVPTracer(interp, p, t) for p, t in zip(primal_flat, tangent_flat)]
        out = f(*tree_unflatten(in_tree, inputs))
        out, aux = split_aux(out, has_aux, transform)
    out_flat, out_tree = tree_flatten(out)
    out_primals, out_tangents = jvp_outputs(interp, out_flat)
    result = tree_unflatten(out_tree, out_primals), tree_unflatten(out_tree, out_tangents)
    if has_aux:
        return result + (_lower_tree(interp, aux),)
    return result


def linearize(f: Callable, *primals: Any):
    """``f(*primals)`` and its linear map at that point, kept as an IR program.

    Args:
        f: the function.
        *primals: the point.

    Returns:
        ``(out, jvp_fn)``: ``jvp_fn(*tangents)`` evaluates the recorded linear map
        (no call to ``f``) and can be called many times; ``jvp_fn.ir`` is the program.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> out, f_jvp = ft.linearize(fnp.sin, 0.0)
    >>> f_jvp(2.0)
    np.float64(2.0)
    """
    primal_flat, in_tree, _ = primal_leaves(primals, "linearize")
    with new_interpreter(Staging("linearize"), primal_flat) as staging:
        tangent_in = [staging.new_input(aval_of(p)) for p in primal_flat]
        with new_interpreter(JVP("linearize"), primal_flat) as interp:
            inputs = [JVPTracer(interp, p, t) for p, t in zip(primal_flat, tangent_in)]
            out = f(*tree_unflatten(in_tree, inputs))
        out_flat, out_tree = tree_flatten(out)
        out_primals, out_tangents = jvp_outputs(interp, out_flat)
        ir = staging.build(tangent_in, out_tangents)
    tangent_names = [f"linearize: {name}" for name in primal_leaf_names(primals, "tangent")]

    def jvp_fn(*tangents):
        tangent_flat, tangent_tree = tree_flatten(tangents)
        if tangent_tree != in_tree:
            raise errors.structure_mismatch("linearize: the tangents", in_tree, tangent_tree)
        tangent_flat = [
            fit_to(t, p, name) for t, p, name in zip(tangent_flat, primal_flat, tangent_names)
        ]
        return tree_unflatten(out_tree, ir(*tangent_flat))

    jvp_fn.ir = ir
    return tree_unflatten(out_tree, out_primals), jvp_fn


# ---- staging and utilities ----


def make_jaxpr(f: Callable, static_argnums: int | Sequence[int] = ()) -> Callable:
    """A function that traces ``f`` on the shapes and dtypes of its arguments and
    returns the IR program.

    Args:
        f: the function.
        static_argnums: positions of arguments passed as they are, not traced
            (Python values that control flow depends on).

    The inputs are named by their parameters and pytree paths
    (``params['W1']``); keyword arguments are passed as they are, not traced.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> print(ft.make_jaxpr(lambda x: fnp.sum(fnp.sin(x)))(fnp.ones(3)))
    { lambda ; x:f64[3]. let
        a:f64[3] = sin x
        b:f64[] = reduce_sum[axes=(0,)] a
      in (b,) }
    """
    static = {static_argnums} if isinstance(static_argnums, int) else set(static_argnums)

    @functools.wraps(f)
    def make(*args, **kwargs) -> IR:
        n = len(args)
        fixed = {i % n for i in static if -n <= i < n}
        positions = [i for i in range(n) if i not in fixed]
        flat, in_tree = tree_flatten([args[i] for i in positions])
        paths = [(p, path) for p in positions for path in tree_paths(args[p])]
        labels, names = input_names(f, n, paths)
        with new_interpreter(Staging("make_jaxpr", runs_later=True)) as staging:
            inputs = [staging.new_input(aval_of(x), name) for x, name in zip(flat, names)]
            traced_args = iter(tree_unflatten(in_tree, inputs))
            call_args = [a if i in fixed else next(traced_args) for i, a in enumerate(args)]
            out = f(*call_args, **kwargs)
            out_names = output_names(tree_paths(out))
            return staging.build(inputs, tree_flatten(out)[0], labels, out_names)

    return make


def stop_gradient(x: Any) -> Any:
    """``x``, treated as a constant by every transform (a pytree is fine).

    >>> import fntrans as ft
    >>> print(ft.grad(lambda x: x * ft.stop_gradient(x))(3.0))
    3.0
    """

    def stop(leaf):
        if getattr(leaf, "dtype", np.dtype(object)).kind in "fc":
            return stop_gradient_p.bind(leaf)
        return leaf

    return tree_map(stop, x)
