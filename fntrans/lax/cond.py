"""``cond``, ``switch`` and ``select_n``, and the ``cond`` primitive they bind.

``cond`` takes an index and the operands; its ``branches`` parameter holds one
program per branch, each taking the operands (then the closed-over traced
values) and returning the flat outputs. Only the chosen branch runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import fntrans.numpy as fnp
from fntrans.core.aval import aval_of, is_inexact, result_dtype
from fntrans.core.primitive import Primitive
from fntrans.core.tracer import Tracer
from fntrans.lax import _errors
from fntrans.lax._tracing import (
    as_operand,
    batch_leading,
    fit_output,
    inexact,
    join_closures,
    tangents_above_primals,
    trace,
    transpose_from_vjp,
    zeros_for,
)
from fntrans.primitives.elementwise import convert_element_type
from fntrans.primitives.shape import reshape
from fntrans.tree import tree_flatten, tree_unflatten
from fntrans.tree.pytrees import leaf_names


def _cond_impl(xp, index, *args, branches):
    return tuple(branches[int(index)].run(xp, *args))


def _cond_shape(index, *avals, branches):
    return tuple(branches[0].out_avals)


def _cond_jvp(primals, tangents, *, branches):
    index, *args = primals
    nonzero = tuple(t is not None and is_inexact(a.dtype) for a, t in zip(args, tangents[1:]))
    dots = [t for t, nz in zip(tangents[1:], nonzero) if nz]
    outs = cond_p.bind(index, *args, *dots, branches=tuple(b.jvp(nonzero) for b in branches))
    n = len(branches[0].outvars)
    ans, out_dots = outs[:n], iter(outs[n:])
    if tangents_above_primals(primals, dots):  # keep the primal outputs known
        ans = cond_p.bind(index, *args, branches=branches)
    return ans, tuple(next(out_dots) if d else None for d in inexact(branches[0].out_avals))


def _cond_vjp(cts, ans, index, *args, needs, branches):
    # each branch's pull-back, chosen by the same index (it runs that branch again)
    needs = tuple(needs[1:])
    out_avals = branches[0].out_avals
    ct_mask = inexact(out_avals)
    cts = [zeros_for(ct, a, index) for ct, a, m in zip(cts, out_avals, ct_mask) if m]
    pull_backs = tuple(b.vjp(needs, ct_mask) for b in branches)
    cts_in = iter(cond_p.bind(index, *args, *cts, branches=pull_backs))
    return (None, *(next(cts_in) if need else None for need in needs))


def _cond_batch(prim, vals, dims, *, branches):
    index, *args = (batch_leading(v, d) for v, d in zip(vals, dims))
    size = next(v.shape[d] for v, d in zip(vals, dims) if d is not None)
    batched = tuple(d is not None for d in dims[1:])
    if dims[0] is None:  # one branch for the whole batch: cond of the batched branches
        found = [b.batched(batched, size)[1] for b in branches]
        force = tuple(any(flags) for flags in zip(*found))
        programs = tuple(b.batched(batched, size, force)[0] for b in branches)
        outs = cond_p.bind(index, *args, branches=programs)
        return outs, tuple(0 if f else None for f in force)
    # a branch per example: every branch runs on the whole batch, then each
    # example takes its own branch's results
    n_out = len(branches[0].outvars)
    everything = (True,) * n_out
    results = [b.batched(batched, size, everything)[0](*args) for b in branches]
    outs = []
    for i in range(n_out):
        cases = [r[i] for r in results]
        which = reshape(index, (size,) + (1,) * (len(cases[0].shape) - 1))
        outs.append(select_n(which, *cases))
    return tuple(outs), (0,) * n_out


cond_p = Primitive(
    "cond",
    impl=_cond_impl,
    shape=_cond_shape,
    jvp=_cond_jvp,
    transpose=transpose_from_vjp(_cond_vjp),
    vjp=_cond_vjp,
    batch=_cond_batch,
    multiple_results=True,
)


def _trace_branches(
    what: str, funs: Sequence[Callable], names: Sequence[str], operands: tuple
) -> tuple[list, list, list, Any]:
    """The branches as programs with one output type: ``(programs, operands,
    closures, out_tree)``; a Python scalar output gives way to the dtype the
    other branches return."""
    ops, in_tree = tree_flatten(operands)
    ops = [as_operand(o) for o in ops]
    in_avals = [aval_of(o).update(weak_type=False) for o in ops]
    trees, avals = [], []

    def flat(fun, dtypes=None):
        def flat_fun(*args):
            out_flat, out_tree = tree_flatten(fun(*tree_unflatten(in_tree, args)))
            if dtypes is None:
                trees.append(out_tree)
                avals.append([aval_of(o) for o in out_flat])
                return out_flat
            return [fit_output(o, d) for o, d in zip(out_flat, dtypes)]

        return flat_fun

    traced = [trace(flat(f), in_avals, ops) for f in funs]
    for name, tree in zip(names[1:], trees[1:]):
        if tree != trees[0]:
            raise _errors.output_structure(what, names[0], name, trees[0], tree)
    leaves = leaf_names(tree_unflatten(trees[0], avals[0]), "output")
    dtypes = [_joined_dtype(what, names, leaf, column) for leaf, column in zip(leaves, zip(*avals))]
    for i, fun in enumerate(funs):
        if any(p.dtype != d for p, d in zip(traced[i][0].out_avals, dtypes)):
            traced[i] = trace(flat(fun, dtypes), in_avals, ops)
    programs, closures = join_closures(traced)
    return programs, ops, closures, trees[0]


def _joined_dtype(what, names, leaf, avals):
    """The dtype every branch gives an output: that of the branches whose dtype
    is not weak (a Python scalar's); they must agree, as must all shapes."""
    for name, aval in zip(names[1:], avals[1:]):
        if aval.shape != avals[0].shape:
            raise _errors.output_type(what, names[0], name, leaf, avals[0], aval)
    strong = [(name, a) for name, a in zip(names, avals) if not a.weak_type]
    for name, aval in strong[1:]:
        if aval.dtype != strong[0][1].dtype:
            raise _errors.output_type(what, strong[0][0], name, leaf, strong[0][1], aval)
    return strong[0][1].dtype if strong else result_dtype(*avals)


def _switch(what, index, funs, names, operands, reverse=False):
    # errors name the branches in the order the user gave them, which is cond's reverse
    programs, ops, closures, out_tree = _trace_branches(what, funs, names, operands)
    if reverse:
        programs.reverse()
    outs = cond_p.bind(index, *ops, *closures, branches=tuple(programs))
    return tree_unflatten(out_tree, list(outs))


def _scalar(what: str, name: str, value, kinds: str) -> Any:
    aval = aval_of(value)
    if aval.shape != () or aval.dtype.kind not in kinds:
        wanted = "boolean or integer" if "f" not in kinds else "boolean or number"
        raise _errors.bad_index(what, name, aval, wanted)
    return value


def cond(pred: Any, true_fun: Callable, false_fun: Callable, *operands: Any) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, as one
    operation that transforms can trace: it works where ``pred`` is a traced
    value (under ``jit``, ``make_jaxpr``, or ``vmap`` with a batched ``pred``,
    where both branches run and each example takes its own).

    Args:
        pred: a scalar boolean (or number: non-zero is true).
        true_fun, false_fun: functions of the operands returning outputs of the
            same structure, shapes and dtypes. They may close over other values.
        *operands: the branches' arguments (pytrees of arrays).

    Returns:
        The chosen branch's outputs.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> from fntrans import lax
    >>> f = lambda x: lax.cond(x > 0, fnp.sin, lambda x: x**2, x)
    >>> print(f(-2.0), ft.grad(f)(-2.0), ft.grad(f)(0.5))
    4.0 -4.0 0.8775825618903728
    """
    _scalar("cond", "pred", pred, "biuf")
    if isinstance(pred, Tracer) or hasattr(pred, "dtype"):
        if aval_of(pred).dtype.kind != "b":
            pred = fnp.not_equal(pred, 0)
        index = convert_element_type(pred, dtype=np.int32)
    else:
        index = int(bool(pred))
    funs, names = (true_fun, false_fun), ("true_fun", "false_fun")
    return _switch("cond", index, funs, names, operands, reverse=True)


def switch(index: Any, branches: Sequence[Callable], *operands: Any) -> Any:
    """``branches[index](*operands)``, as one operation that transforms can trace.

    ``index`` is clamped to ``[0, len(branches) - 1]``, as in JAX.

    Args:
        index: a scalar integer.
        branches: functions of the operands returning outputs of the same
            structure, shapes and dtypes.
        *operands: the branches' arguments (pytrees of arrays).

    Returns:
        The chosen branch's outputs.

    >>> import fntrans.numpy as fnp
    >>> from fntrans import lax
    >>> branches = [lambda x: x + 1.0, lambda x: x * 10.0, fnp.negative]
    >>> [float(lax.switch(i, branches, 2.0)) for i in (-5, 0, 1, 2, 7)]
    [3.0, 3.0, 20.0, -2.0, -2.0]
    """
    branches = list(branches)
    if not branches or not all(callable(b) for b in branches):
        raise ValueError(
            f"switch: branches must be a non-empty sequence of functions, but got {branches!r}."
        )
    _scalar("switch", "index", index, "biu")
    if len(branches) == 1:
        return branches[0](*operands)
    last = len(branches) - 1
    if isinstance(index, Tracer) or hasattr(index, "dtype"):
        index = convert_element_type(fnp.clip(index, 0, last), dtype=np.int32)
    else:
        index = min(max(int(index), 0), last)
    names = [f"branches[{i}]" for i in range(len(branches))]
    return _switch("switch", index, branches, names, operands)


def select_n(which: Any, *cases: Any) -> Any:
    """Elementwise choice among ``cases``: ``cases[which]`` at each position
    (``which`` boolean with two cases, False taking the first, or integer).
    Every case is computed; ``which`` and the cases broadcast together.

    >>> import fntrans.numpy as fnp
    >>> from fntrans import lax
    >>> lax.select_n(fnp.array([0, 2, 1]), fnp.zeros(3), fnp.ones(3), fnp.full(3, 2.0))
    array([0., 2., 1.])
    """
    if not cases:
        raise ValueError("select_n: needs at least one case.")
    kind = aval_of(which).dtype.kind
    if kind not in "biu":
        raise TypeError(
            f"select_n: which must be boolean or integer, but got {aval_of(which).str_short()}."
        )
    if kind == "b" and len(cases) > 2:
        raise TypeError(
            f"select_n: a boolean which chooses between two cases, but got {len(cases)}: "
            f"give an integer which."
        )
    out = cases[0]
    for i, case in enumerate(cases[1:], 1):
        out = fnp.where(which if kind == "b" else fnp.equal(which, i), case, out)
    return out
