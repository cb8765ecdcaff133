"""User-defined derivative rules: ``custom_jvp`` and ``custom_vjp``, with JAX's
API, and the call primitives they bind.

A call primitive takes flat array arguments and returns a flat tuple of
results; the user's function and rules travel in its parameters.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Sequence

import numpy as np

from fntrans import errors
from fntrans._arguments import describe
from fntrans.core import constants
from fntrans.core.aval import aval_of, dtype_of, shape_of
from fntrans.core.interpreter import current_stack, tracing
from fntrans.core.ir import eval_ir
from fntrans.core.primitive import Primitive
from fntrans.core.tracer import Tracer
from fntrans.interpreters.ad_util import checked_like, instantiate
from fntrans.interpreters.flat import (
    join_closed,
    jvp_flat,
    pull_back,
    trace_closed,
    trace_shapes,
    vmap_flat,
)
from fntrans.primitives.broadcasting import reduce_sum
from fntrans.primitives.elementwise import convert_element_type
from fntrans.tree import tree_flatten, tree_unflatten


def _outputs(fun, args, name=None) -> tuple:
    """``fun(*args)``, checked by ``_no_closure``."""
    name = name or fun.__name__
    try:
        outs = tuple(fun(*args))
    except errors.UnexpectedTracerError as e:
        # a staged call (jit, make_jaxpr) of a function closing over a traced value
        raise errors.custom_rule_closure_staged(name) from e
    return _no_closure(outs, args, name)


def _no_closure(outs, args, name):
    """``outs``, checked: one traced by a transform that traces none of
    ``args`` comes from a value the function closes over, which the user's
    rule cannot differentiate."""
    top = max((a._interp.level for a in args if isinstance(a, Tracer)), default=-1)
    checked = []
    for out in outs:
        while isinstance(out, Tracer) and out._interp.level > top:
            if out.carries_derivative():
                raise errors.custom_rule_closure(name, out._interp.name)
            out = out.inner  # an array made inside the function (a constant there)
        checked.append(out)
    return tuple(checked)


# ---- custom_jvp_call: fun, with the user's JVP rule ----


def _custom_jvp_jvp(primals, tangents, *, fun, jvp, closures=0):
    # ``closures``: how many of the last operands are values that a staged
    # call's function closes over (a parameter only where there are some)
    if closures and any(t is not None for t in tangents[len(tangents) - closures :]):
        if all(t is None for t in tangents[: len(tangents) - closures]):
            # only a closed-over value varies: as eagerly, the function is differentiated
            return jvp_flat(fun, primals, tangents)
        raise errors.custom_rule_closure(fun.__name__, "the transform")
    tangents = [instantiate(t, p) for p, t in zip(primals, tangents)]
    outs, out_tangents = jvp(primals, tangents)
    checked = _no_closure(tuple(outs) + tuple(out_tangents), [*primals, *tangents], fun.__name__)
    return checked[: len(outs)], checked[len(outs) :]


def _custom_jvp_batch(prim, vals, dims, *, fun, jvp, **closures):
    fun_b = vmap_flat(fun, dims)
    jvp_b = vmap_flat(lambda *args: _concat(jvp(*_halves(args))), tuple(dims) * 2)

    def rule_b(primals, tangents):
        return _halves(jvp_b(*primals, *tangents))

    outs = prim.bind(*vals, fun=fun_b, jvp=rule_b, **closures)
    return outs, (0,) * len(outs)


def _concat(pair):
    first, second = pair
    return tuple(first) + tuple(second)


def _halves(values):
    n = len(values) // 2
    return list(values[:n]), list(values[n:])


custom_jvp_call_p = Primitive(
    "custom_jvp_call",
    impl=lambda xp, *args, fun, jvp, closures=0: _outputs(fun, args),
    shape=lambda *avals, fun, jvp, closures=0: trace_shapes(fun, avals),
    jvp=_custom_jvp_jvp,
    # no VJP rule: reverse mode linearizes the user's JVP rule and transposes it
    batch=_custom_jvp_batch,
    multiple_results=True,
)

# ---- custom_vjp_call: fwd gives the outputs and the residuals, bwd the cotangents ----
#
# Evaluated, it is fun (so fwd, which may call the function itself, runs only
# for differentiation). Reverse mode records fwd instead: its results are the
# outputs followed by the residuals, so the tape keeps the residuals; the user
# sees the outputs only, so no cotangent ever reaches a residual.


class _InsideFwd(threading.local):
    depth = 0


_inside_fwd = _InsideFwd()


def _recorded_fwd(*args, fun, fwd, bwd, n_out, closures=0):
    # While fwd runs for a tape, a forward mode meeting a custom_vjp function
    # (fwd calling the function itself, under hessian or hvp) differentiates
    # its plain function rather than refusing.
    _inside_fwd.depth += 1
    try:
        return _outputs(fwd, args, fun.__name__)
    finally:
        _inside_fwd.depth -= 1


def _custom_vjp_vjp(cts, ans, *args, needs, fun, fwd, bwd, n_out, closures=0):
    # ``closures``: as for custom_jvp_call
    if closures and any(needs[len(needs) - closures :]):
        if not any(needs[: len(needs) - closures]):
            # only a closed-over value varies: as eagerly, the function is differentiated
            return pull_back(fun, args, needs, cts[:n_out])
        raise errors.custom_rule_closure(fun.__name__, "the transform")
    residuals = ans[n_out:]
    cts_out = [instantiate(c, a) for a, c in zip(ans[:n_out], cts[:n_out])]
    return tuple(c if need else None for c, need in zip(bwd(list(residuals), cts_out), needs))


def _custom_vjp_jvp(primals, tangents, *, fun, fwd, bwd, n_out, closures=0):
    # The user-facing wrapper refuses a direct jvp; a rule reaching here
    # differentiates the function itself.
    return jvp_flat(fun, primals, tangents)


def _custom_vjp_batch(prim, vals, dims, *, fun, fwd, bwd, n_out, **closures):
    fun_b = vmap_flat(fun, dims)
    fwd_b = vmap_flat(fwd, dims)

    def bwd_b(residuals, cts):
        n_res = len(residuals)
        per_example = vmap_flat(
            lambda *args: tuple(bwd(list(args[:n_res]), list(args[n_res:]))),
            (0,) * (n_res + len(cts)),
        )
        cts_in = per_example(*residuals, *cts)
        # an argument that was the same for every example sums its cotangent over the batch
        return [
            reduce_sum(c, (0,)) if d is None and c is not None else c for c, d in zip(cts_in, dims)
        ]

    outs = prim.bind(*vals, fun=fun_b, fwd=fwd_b, bwd=bwd_b, n_out=n_out, **closures)
    return outs, (0,) * len(outs)


custom_vjp_call_p = Primitive(
    "custom_vjp_call",
    impl=lambda xp, *args, fun, fwd, bwd, n_out, closures=0: _outputs(fun, args),
    shape=lambda *avals, fun, fwd, bwd, n_out, closures=0: trace_shapes(fun, avals),
    jvp=_custom_vjp_jvp,
    vjp=_custom_vjp_vjp,
    batch=_custom_vjp_batch,
    # enclosing transforms differentiate fwd itself (higher orders: fwd and bwd)
    forward=_recorded_fwd,
    multiple_results=True,
)

# ---- the user-facing decorators ----


class _Structure:
    """Pytree structures of a call's outputs (and residuals), known once it runs."""

    __slots__ = ("out", "res", "avals")

    def __init__(self):
        self.out = self.res = self.avals = None

    @property
    def n_out(self) -> int | None:
        """How many flat outputs the function has (None until it has run)."""
        return None if self.avals is None else len(self.avals)

    def set_outputs(self, tree, avals) -> None:
        """The function's output type: its pytree structure and flat avals."""
        self.out, self.avals = tree, avals


def _positional(fun, args, kwargs, has_defaults: bool):
    """The call's arguments as one positional tuple: keywords and defaults bound
    through ``fun``'s signature, as JAX does."""
    if not kwargs and not has_defaults:
        return args
    bound = inspect.signature(fun).bind(*args, **kwargs)
    bound.apply_defaults()
    return tuple(bound.args) + tuple(bound.kwargs.values())


def _has_defaults(fun) -> bool:
    try:
        return any(p.default is not p.empty for p in inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return False


def _split(args, nondiff_argnums):
    nondiff = {i: args[i] for i in nondiff_argnums}
    diff = tuple(a for i, a in enumerate(args) if i not in nondiff)
    return nondiff, diff


def _merged(nondiff, diff_iter):
    out, i = [], 0
    diff_iter = iter(diff_iter)
    while True:
        if i in nondiff:
            out.append(nondiff[i])
        else:
            try:
                out.append(next(diff_iter))
            except StopIteration:
                return out
        i += 1


class _CustomRule:
    """What custom_jvp and custom_vjp share: the function, its non-differentiated
    arguments, and the call's flattening."""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self._has_defaults = _has_defaults(fun)  # read once: signatures are slow
        # (arguments' key, output structure, output avals) of the last abstract
        # trace of the function, for checking a rule's primal output against it
        self._last_type = None

    def _missing(self, what: str, how: str) -> AttributeError:
        kind = type(self).__name__
        return AttributeError(
            f"No {what} rule defined for the {kind} function {self.__name__}: add one with {how}."
        )

    def _prepare(self, args, kwargs):
        """``(args, nondiff, diff, flat, in_tree)`` for one call."""
        args = _positional(self.fun, args, kwargs, self._has_defaults)
        nondiff, diff = _split(args, self.nondiff_argnums)
        flat, in_tree = tree_flatten(diff)
        return args, nondiff, diff, flat, in_tree

    def _call_with(self, nondiff, in_tree, leaves):
        return self.fun(*_merged(nondiff, tree_unflatten(in_tree, leaves)))

    def _fun_flat(self, nondiff, in_tree, structure):
        """The function on flat leaves; each call records its output type in
        ``structure``."""

        def fun_flat(*leaves):
            out_flat, out_tree = tree_flatten(self._call_with(nondiff, in_tree, leaves))
            structure.set_outputs(out_tree, [aval_of(o) for o in out_flat])
            return out_flat

        fun_flat.__name__ = self.__name__
        return fun_flat

    def _against_function(self, check, structure, fun_flat, in_tree, nondiff, primals):
        """``check()``, which checks a rule's primal output against the
        function's output type in ``structure``, with that type known.

        Known once the function has run or been traced for this call.
        Otherwise (the rule runs instead of the function: forward mode for
        custom_jvp, reverse mode for custom_vjp) the type of the function's
        last abstract trace on arguments of the same types is taken, if the
        rule agrees with it: a comparison only. Otherwise the function is
        traced now, or evaluated where it needs concrete values (remembered
        too: the next call evaluates it without trying to trace it).
        """
        if structure.avals is not None:
            return check()
        key = _type_key(in_tree, nondiff, primals)
        last = self._last_type
        if key is not None and last is not None and _same(last[0], key):
            if last[1] is None:  # it needs concrete values: its type may depend on them
                fun_flat(*primals)
                return check()
            structure.set_outputs(last[1], last[2])
            try:
                return check()
            except (TypeError, ValueError):
                pass  # the function's type may have changed since: trace it again
        traced = _output_type(fun_flat, primals)
        if key is not None:
            self._last_type = (key, structure.out, structure.avals) if traced else (key, None, None)
        return check()


class custom_jvp(_CustomRule):
    """A function with a forward-mode rule of your own, used by every transform.

    Define the function, then its rule with ``@f.defjvp``: ``rule(primals,
    tangents) -> (out, tangent_out)``, linear in the tangents. Reverse mode
    transposes the rule; ``grad`` of ``grad`` differentiates the rule itself.

    Args:
        fun: the function.
        nondiff_argnums: positions of arguments that are not differentiated
            (passed to the rule first, before ``primals``).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> @ft.custom_jvp
    ... def log1pexp(x):
    ...     return fnp.log1p(fnp.exp(x))
    >>> @log1pexp.defjvp
    ... def log1pexp_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return log1pexp(x), t / (1.0 + fnp.exp(-x))
    >>> print(ft.grad(log1pexp)(1000.0))
    1.0
    """

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp: Callable) -> Callable:
        """Sets the rule: ``jvp(*nondiff_args, primals, tangents) -> (out, tangent_out)``."""
        self.jvp = jvp
        return jvp

    def __call__(self, *args, **kwargs):
        if self.jvp is None:
            raise self._missing("JVP", f"@{self.__name__}.defjvp")
        args, nondiff, diff, flat, in_tree = self._prepare(args, kwargs)
        if not _rules_matter(flat) or id(self) in _converting.ids:
            # (while its rule is traced for a staged call, a call of the function
            # inside the rule is the function itself)
            return self.fun(*args)
        structure = _Structure()
        fun_flat = self._fun_flat(nondiff, in_tree, structure)

        def rule_flat(primals, tangents):
            rule_args = [nondiff[i] for i in sorted(nondiff)]
            result = self.jvp(
                *rule_args, tree_unflatten(in_tree, primals), tree_unflatten(in_tree, tangents)
            )
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise TypeError(
                    f"The custom_jvp rule of {self.__name__} must return a pair "
                    f"(out, tangent_out), but it returned {describe(result)}."
                )
            return self._against_function(
                lambda: _checked_rule_outputs(*result, structure, self.__name__),
                structure,
                fun_flat,
                in_tree,
                nondiff,
                primals,
            )

        rule_flat.__name__ = getattr(self.jvp, "__name__", "jvp")
        closures = []
        if _staged_for_later():  # staged: the call runs later
            _converting.ids.add(id(self))
            try:
                fun_flat, rule_flat, closures = _closure_converted(fun_flat, rule_flat, flat)
            finally:
                _converting.ids.discard(id(self))
        outs = custom_jvp_call_p.bind(
            *flat, *closures, fun=fun_flat, jvp=rule_flat, **_counted(closures)
        )
        return tree_unflatten(structure.out, list(outs))


def _staged_for_later() -> bool:
    """Whether a program being traced now runs after tracing ends (jit,
    make_jaxpr, a loop body), so that a call carrying user functions must not
    close over tracers."""
    return any(getattr(i, "runs_later", False) for i in current_stack())


class _Converting(threading.local):
    def __init__(self):
        self.ids = set()  # the custom_jvp functions whose rules are being traced


_converting = _Converting()


def _closure_converted(fun_flat, rule_flat, flat) -> tuple:
    """``(fun, rule, closures)``: the function and its JVP rule as programs
    that take the traced values they close over (``closures``, of a program
    being staged: jit, make_jaxpr) as trailing operands, so that the staged
    call can run after those tracers are gone. Unchanged, with no closures,
    where the function closes over none or needs concrete values."""
    n = len(flat)
    avals = [aval_of(x) for x in flat]
    try:
        fun_ir, fun_closures = trace_closed(fun_flat, avals)
        rule_ir, rule_closures = trace_closed(
            lambda *pt: _concat(rule_flat(list(pt[:n]), list(pt[n:]))), avals + avals
        )
    except errors.ConcretizationError:
        return fun_flat, rule_flat, []
    (fun_ir, rule_ir), closures = join_closed([(fun_ir, fun_closures), (rule_ir, rule_closures)])
    if not closures:
        return fun_flat, rule_flat, []

    def fun(*values):
        return eval_ir(fun_ir, *values)

    def rule(primals, tangents):
        outs = eval_ir(rule_ir, *primals[:n], *tangents[:n], *primals[n:])
        return outs[: len(outs) // 2], outs[len(outs) // 2 :]

    fun.__name__, rule.__name__ = fun_flat.__name__, rule_flat.__name__
    return fun, rule, closures


def _vjp_closure_converted(fun_flat, fwd_flat, bwd_flat, flat, structure) -> tuple:
    """``(fun, fwd, bwd, closures)``: a custom_vjp function and its rules as
    programs taking the traced values they close over (``closures``, of a
    program being staged) as trailing operands; ``fwd`` passes them on to
    ``bwd`` as trailing residuals. Unchanged where there are none, or where
    the functions need concrete values."""
    n = len(flat)
    avals = [aval_of(x) for x in flat]
    try:
        fun_ir, fun_closures = trace_closed(fun_flat, avals)
        fwd_ir, fwd_closures = trace_closed(fwd_flat, avals)
        n_out = structure.n_out
        res_avals = [v.aval for v in fwd_ir.outvars[n_out:]]
        out_avals = [v.aval for v in fwd_ir.outvars[:n_out]]
        n_res = len(res_avals)
        bwd_ir, bwd_closures = trace_closed(
            lambda *rc: bwd_flat(list(rc[:n_res]), list(rc[n_res:])), res_avals + out_avals
        )
    except errors.ConcretizationError:
        return fun_flat, fwd_flat, bwd_flat, []
    (fun_ir, fwd_ir, bwd_ir), closures = join_closed(
        [(fun_ir, fun_closures), (fwd_ir, fwd_closures), (bwd_ir, bwd_closures)]
    )
    if not closures:
        return fun_flat, fwd_flat, bwd_flat, []
    k = len(closures)

    def fun(*values):
        return eval_ir(fun_ir, *values)

    def fwd(*values):
        return [*eval_ir(fwd_ir, *values), *values[n:]]  # the closures, for bwd

    def bwd(residuals, cts):
        res, closed = residuals[: len(residuals) - k], residuals[len(residuals) - k :]
        return eval_ir(bwd_ir, *res, *cts, *closed) + [None] * k

    fun.__name__, fwd.__name__, bwd.__name__ = (
        fun_flat.__name__,
        fwd_flat.__name__,
        bwd_flat.__name__,
    )
    return fun, fwd, bwd, closures


def _type_key(in_tree, nondiff, primals):
    """What the type of a function's outputs depends on, traced abstractly:
    the arguments' structure and avals and the non-differentiated arguments;
    ``None`` where these cannot be compared (unhashable arguments)."""
    key = (in_tree, tuple(nondiff.items()), tuple(map(_leaf_type, primals)))
    if nondiff:  # the rest is always hashable
        try:
            hash(key[1])
        except TypeError:
            return None
    return key


def _leaf_type(x):
    """An argument's abstract value, for comparison only: a NumPy array's
    shape and dtype as they are (it is compared at every call)."""
    if type(x) is np.ndarray or isinstance(x, np.generic):
        return x.shape, x.dtype
    return aval_of(x)


def _same(key, other) -> bool:
    try:
        return bool(key == other)
    except Exception:  # a non-differentiated argument whose == gives no bool
        return False


def _output_type(fun_flat, primals) -> bool:
    """Runs ``fun_flat``, which records the structure and avals of its outputs:
    traced abstractly, which costs no arithmetic (returns True), or evaluated
    where it needs concrete values (Python control flow on them, NumPy or
    SciPy functions that do not trace)."""
    try:
        trace_shapes(fun_flat, [aval_of(p) for p in primals])
    except Exception:
        fun_flat(*primals)  # raises the function's own error if it fails here too
        return False
    return True


def _checked_rule_outputs(out, out_dot, structure, name: str):
    """The flat primal outputs and output tangents of a custom_jvp rule,
    checked against the function's outputs (``structure``)."""
    rule = f"custom_jvp rule of {name}"
    out_flat = _checked_primal_output(out, structure, rule)
    what = f"{rule}: the output tangent"
    dot_flat, dot_tree = tree_flatten(out_dot)
    if dot_tree != structure.out:
        raise errors.structure_mismatch(what, structure.out, dot_tree)
    return out_flat, [checked_like(t, o, what) for t, o in zip(dot_flat, out_flat)]


def _checked_primal_output(out, structure, rule: str) -> list:
    """The flat primal output ``out`` of a custom rule (``rule`` names it),
    checked against the function's output type in ``structure``."""
    out_flat, out_tree = tree_flatten(out)
    if out_tree != structure.out:
        raise errors.structure_mismatch(f"{rule}: the primal output", structure.out, out_tree)
    for i, (o, aval) in enumerate(zip(out_flat, structure.avals)):
        # an array of the function's type passes by this comparison alone
        if getattr(o, "shape", None) != aval.shape or getattr(o, "dtype", None) != aval.dtype:
            out_flat[i] = _checked_output(o, aval, f"{rule}: the primal output")
    return out_flat


def _checked_output(out, aval, what: str):
    """A custom rule's output ``out`` checked against the function's output of
    abstract value ``aval``: the same shape, and a dtype into which it converts
    without loss of kind (a float of another precision is cast to the function's)."""
    if not hasattr(out, "shape") and not isinstance(out, (bool, int, float, complex)):
        got = "None" if out is None else f"a {type(out).__name__}"
        raise TypeError(f"{what}: expected an array of shape {aval.shape}, but got {got}.")
    if tuple(shape_of(out)) != aval.shape:
        raise errors.shape_mismatch(what, aval.shape, shape_of(out))
    dtype = dtype_of(out)
    if dtype != aval.dtype:
        if aval.dtype.kind not in "fc" or not np.can_cast(dtype, aval.dtype, "same_kind"):
            raise errors.output_dtype_mismatch(what, aval.dtype, dtype)
        out = convert_element_type(out, dtype=aval.dtype)
    return out


class custom_vjp(_CustomRule):
    """A function with a reverse-mode rule of your own, used by every transform.

    Define the function, then ``f.defvjp(fwd, bwd)``: ``fwd(*args) -> (out,
    residuals)`` and ``bwd(residuals, ct) -> tuple`` with one cotangent per
    argument. ``jvp`` applied directly to such a function is an error (it has
    no forward rule); forward-over-reverse (``hessian``, ``hvp``) works by
    differentiating ``fwd`` and ``bwd``.

    Args:
        fun: the function.
        nondiff_argnums: positions of arguments that are not differentiated
            (passed to ``bwd`` first, before the residuals).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> @ft.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> def fwd(x):
    ...     return x, None
    >>> def bwd(residuals, ct):
    ...     return (fnp.clip(ct, -1.0, 1.0),)
    >>> clip_gradient.defvjp(fwd, bwd)
    >>> print(ft.grad(lambda x: 5.0 * clip_gradient(x))(2.0))
    1.0
    """

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """Sets the rule: ``fwd(*args) -> (out, residuals)``,
        ``bwd(*nondiff_args, residuals, ct) -> tuple of cotangents``."""
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args, **kwargs):
        if self.fwd is None:
            raise self._missing("VJP", f"{self.__name__}.defvjp(fwd, bwd)")
        args, nondiff, diff, flat, in_tree = self._prepare(args, kwargs)
        if not _rules_matter(flat):
            return self.fun(*args)
        modes = [i.differentiates for i in tracing(flat) if i.differentiates]
        if modes and modes[0] == "forward":
            if _inside_fwd.depth:  # forward mode differentiating a fwd that calls us
                return self.fun(*args)
            # forward mode meets this call before any reverse mode does (under a
            # tape, an enclosing jvp is forward-over-reverse, which
            # differentiates fwd and bwd)
            raise errors.jvp_of_custom_vjp(self.__name__)
        structure = _Structure()
        fun_flat = self._fun_flat(nondiff, in_tree, structure)
        fwd_rule = f"custom_vjp fwd of {self.__name__}"

        def fwd_flat(*leaves):
            result = self.fwd(*_merged(nondiff, tree_unflatten(in_tree, leaves)))
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise TypeError(
                    f"The fwd rule of {self.__name__} must return a pair "
                    f"(out, residuals), but it returned {describe(result)}."
                )
            out, res = result
            out_flat = self._against_function(
                lambda: _checked_primal_output(out, structure, fwd_rule),
                structure,
                fun_flat,
                in_tree,
                nondiff,
                leaves,
            )
            res_flat, structure.res = tree_flatten(res)
            return out_flat + res_flat

        def bwd_flat(res_flat, cts_flat):
            rule_args = [nondiff[i] for i in sorted(nondiff)]
            cts = self.bwd(
                *rule_args,
                tree_unflatten(structure.res, res_flat),
                tree_unflatten(structure.out, cts_flat),
            )
            if not isinstance(cts, tuple) or len(cts) != len(diff):
                raise TypeError(
                    f"The bwd rule of {self.__name__} must return a tuple with one "
                    f"cotangent per differentiated argument ({len(diff)}), but it "
                    f"returned {type(cts).__name__}"
                    + (f" of length {len(cts)}" if isinstance(cts, tuple) else "")
                    + "."
                )
            return _flat_cotangents(cts, diff, f"custom_vjp bwd of {self.__name__}")

        for rule, named in ((fwd_flat, self.fwd), (bwd_flat, self.bwd)):
            rule.__name__ = getattr(named, "__name__", "rule")
        closures = []
        if _staged_for_later() and id(self) not in _converting.ids:
            _converting.ids.add(id(self))  # staged: the call runs later
            try:
                fun_flat, fwd_flat, bwd_flat, closures = _vjp_closure_converted(
                    fun_flat, fwd_flat, bwd_flat, flat, structure
                )
            finally:
                _converting.ids.discard(id(self))
        outs = custom_vjp_call_p.bind(
            *flat,
            *closures,
            fun=fun_flat,
            fwd=fwd_flat,
            bwd=bwd_flat,
            n_out=_NOut(structure),
            **_counted(closures),
        )
        return tree_unflatten(structure.out, list(outs[: structure.n_out]))


def _counted(closures) -> dict:
    """The ``closures`` parameter of a staged call that takes closed-over
    values as its last operands (none otherwise: the program prints as before)."""
    return {"closures": len(closures)} if closures else {}


def _rules_matter(values) -> bool:
    """Whether a transform that differentiates ``values``, or records them into
    a program (which may be differentiated later), traces them: to any other
    (vmap), a function with custom rules is just the function."""
    return any(i.differentiates or i.records for i in tracing(values))


class _NOut:
    """The number of outputs of a custom_vjp call, known once fwd has run."""

    __slots__ = ("structure",)

    def __init__(self, structure):
        self.structure = structure

    def __index__(self):
        return self.structure.n_out

    def __repr__(self):
        return str(self.structure.n_out)


def _flat_cotangents(cts, diff, rule: str):
    """The cotangents as flat leaves matching the arguments, checked against
    them; ``None`` is zero."""
    flat = []
    for i, (ct, arg) in enumerate(zip(cts, diff)):
        arg_leaves, arg_tree = tree_flatten(arg)
        if ct is None:
            flat += [constants.zeros_like(a) for a in arg_leaves]
            continue
        what = f"{rule}: the cotangent of argument {i}"
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != arg_tree:
            raise errors.structure_mismatch(what, arg_tree, ct_tree)
        flat += [checked_like(c, a, what) for c, a in zip(ct_leaves, arg_leaves)]
    return flat
