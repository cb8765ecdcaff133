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
    as_differentiable,
    check_primals_tangents,
    differentiable_leaves,
    fit_to,
    split_aux,
)
from fntrans.core import constants
from fntrans.core.aval import aval_of
from fntrans.core.config import warnings_at_user_lines
from fntrans.core.interpreter import new_interpreter
from fntrans.core.ir import IR
from fntrans.core.tracer import Tracer
from fntrans.interpreters.jvp import JVP, JVPTracer
from fntrans.interpreters.reverse import Tape
from fntrans.interpreters.staging import Staging
from fntrans.primitives.elementwise import stop_gradient_p
from fntrans.tree import tree_flatten, tree_map, tree_unflatten

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
    *,
    argnames: str | Sequence[str] | None = None,
) -> Callable:
    """A function returning ``(f(*args), grad(f)(*args))`` from one forward and one
    backward pass.

    Args:
        f: a function returning one real value (one element: shape ``()`` or ``(1, 1)``).
        argnums: the position(s) to differentiate; a tuple gives a tuple of gradients.
        has_aux: ``f`` returns ``(value, aux)``; then the result is ``((value, aux), grad)``.
        holomorphic: ``f`` is complex-differentiable; gives the complex derivative.
        argnames: parameter name(s) to differentiate, instead of ``argnums``.

    Returns:
        A function with ``f``'s signature returning ``(value, gradient)``.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.value_and_grad(lambda x: fnp.sum(x ** 2))(fnp.array([1.0, 2.0]))
    (np.float64(5.0), array([2., 4.]))
    """
    return _value_and_grad(f, argnums, has_aux, holomorphic, argnames, "value_and_grad")


def grad(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    *,
    argnames: str | Sequence[str] | None = None,
) -> Callable:
    """The gradient of ``f``, a function returning one real value.

    Args:
        f: the function to differentiate; Python control flow on values is fine.
        argnums: the position(s) to differentiate; a tuple gives a tuple of
            gradients, from one pass.
        has_aux: ``f`` returns ``(value, aux)``; then the result is ``(grad, aux)``.
        holomorphic: ``f`` is complex-differentiable; gives the complex derivative.
        argnames: parameter name(s) to differentiate, instead of ``argnums``.

    Returns:
        A function with ``f``'s signature returning gradients shaped like the
        differentiated arguments.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> print(ft.grad(lambda x: fnp.sin(x) * x)(1.0))
    1.3817732906760363
    """
    value_and_grad_f = _value_and_grad(f, argnums, has_aux, holomorphic, argnames, "grad")

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        (value, aux), g = value_and_grad_f.with_aux(*args, **kwargs)
        return (g, aux) if has_aux else g

    return grad_f


def _value_and_grad(f, argnums, has_aux, holomorphic, argnames, transform):
    selector = DiffArgs(transform, f, argnums, argnames)

    def run(*args, **kwargs):
        with warnings_at_user_lines():  # forward and backward
            return compute(*args, **kwargs)

    def compute(*args, **kwargs):
        values, names, call, pick = selector.split(args, kwargs)
        flat, treedefs = [], []
        for value, name in zip(values, names):
            leaves, treedef = differentiable_leaves(value, name, transform, holomorphic)
            flat.append(leaves)
            treedefs.append(treedef)
        with new_interpreter(Tape(transform)) as tape:
            inputs = [[tape.new_input(x) for x in leaves] for leaves in flat]
            # the input nodes, kept before f runs: f may assign into its arguments
            input_nodes = [[t.node for t in tracers] for tracers in inputs]
            out = call(f, [tree_unflatten(t, xs) for t, xs in zip(treedefs, inputs)])
            out, aux = split_aux(out, has_aux, transform)
            _check_scalar_output(out, transform, holomorphic)
        value = _lower(tape, out)
        aux = _lower_tree(tape, aux)
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


def _input_ct(cts, node, value):
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


def vjp(f: Callable, *primals: Any, has_aux: bool = False):
    """The output of ``f(*primals)`` and a function pulling cotangents back through it.

    Args:
        f: the function; its output may be any pytree of arrays.
        *primals: the point (pytrees of float or complex arrays).
        has_aux: ``f`` returns ``(output, aux)``; then ``aux`` is returned third.

    Returns:
        ``(out, vjp_fn)`` (and ``aux``): ``vjp_fn(ct)`` takes a cotangent shaped like
        ``out`` and returns a tuple with one cotangent per primal. It can be called
        many times.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> out, vjp_fn = ft.vjp(fnp.sin, 0.0)
    >>> vjp_fn(2.0)
    (np.float64(2.0),)
    """
    flat, in_tree = tree_flatten(primals)
    flat = [as_differentiable(x, "vjp", f"primal {i}") for i, x in enumerate(flat)]
    with new_interpreter(Tape("vjp")) as tape:
        inputs = [tape.new_input(x) for x in flat]
        input_nodes = [t.node for t in inputs]
        out = f(*tree_unflatten(in_tree, inputs))
        out, aux = split_aux(out, has_aux, "vjp")
    out_flat, out_tree = tree_flatten(out)
    out_values = [_lower(tape, o) for o in out_flat]
    out_nodes = [o.node if tape.is_own(o) else None for o in out_flat]

    def vjp_fn(ct):
        ct_flat, ct_tree = tree_flatten(ct)
        if ct_tree != out_tree:
            raise errors.structure_mismatch("vjp_fn: the cotangent", out_tree, ct_tree)
        ct_flat = [fit_to(c, o, "vjp_fn: the cotangent") for c, o in zip(ct_flat, out_values)]
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
    primal_flat, tangent_flat, in_tree = check_primals_tangents("jvp", primals, tangents)
    with new_interpreter(JVP()) as interp:
        inputs = [JVPTracer(interp, p, t) for p, t in zip(primal_flat, tangent_flat)]
        out = f(*tree_unflatten(in_tree, inputs))
        out, aux = split_aux(out, has_aux, "jvp")
    out_flat, out_tree = tree_flatten(out)
    out_primals, out_tangents = _jvp_outputs(interp, out_flat)
    result = tree_unflatten(out_tree, out_primals), tree_unflatten(out_tree, out_tangents)
    if has_aux:
        return result + (_lower_tree(interp, aux),)
    return result


def _jvp_outputs(interp, out_flat) -> tuple[list, list]:
    """The primal values and tangents of a forward-mode trace's outputs; an
    output that does not depend on the inputs gets a zero tangent."""
    primals, tangents = [], []
    for o in out_flat:
        own = isinstance(o, JVPTracer) and o._interp is interp
        primals.append(o.primal if own else o)
        tangents.append(o.tangent if own else constants.zeros_like(o))
    return primals, tangents


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
    primal_flat, in_tree = tree_flatten(primals)
    primal_flat = [
        as_differentiable(x, "linearize", f"primal {i}") for i, x in enumerate(primal_flat)
    ]
    with new_interpreter(Staging("linearize")) as staging:
        tangent_in = [staging.new_input(aval_of(p)) for p in primal_flat]
        with new_interpreter(JVP("linearize")) as interp:
            inputs = [JVPTracer(interp, p, t) for p, t in zip(primal_flat, tangent_in)]
            out = f(*tree_unflatten(in_tree, inputs))
        out_flat, out_tree = tree_flatten(out)
        out_primals, out_tangents = _jvp_outputs(interp, out_flat)
        ir = staging.build(tangent_in, out_tangents)

    def jvp_fn(*tangents):
        tangent_flat, tangent_tree = tree_flatten(tangents)
        if tangent_tree != in_tree:
            raise errors.structure_mismatch("linearize: the tangents", in_tree, tangent_tree)
        tangent_flat = [
            fit_to(t, p, f"linearize: tangent {i}")
            for i, (t, p) in enumerate(zip(tangent_flat, primal_flat))
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

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> print(ft.make_jaxpr(lambda x: fnp.sum(fnp.sin(x)))(fnp.ones(3)))
    { lambda ; a:f64[3]. let
        b:f64[3] = sin a
        c:f64[] = reduce_sum[axes=(0,)] b
      in (c,) }
    """
    static = {static_argnums} if isinstance(static_argnums, int) else set(static_argnums)

    @functools.wraps(f)
    def make(*args, **kwargs) -> IR:
        n = len(args)
        fixed = {i % n for i in static if -n <= i < n}
        positions = [i for i in range(n) if i not in fixed]
        flat, in_tree = tree_flatten([args[i] for i in positions])
        owners = [p for p in positions for _ in tree_flatten(args[p])[0]]
        with new_interpreter(Staging("make_jaxpr")) as staging:
            inputs = [staging.new_input(aval_of(x), f"argument {p}") for x, p in zip(flat, owners)]
            traced_args = iter(tree_unflatten(in_tree, inputs))
            call_args = [a if i in fixed else next(traced_args) for i, a in enumerate(args)]
            out = f(*call_args, **kwargs)
            return staging.build(inputs, tree_flatten(out)[0])

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
