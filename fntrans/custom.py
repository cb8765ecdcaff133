"""User-defined derivative rules: ``custom_jvp`` and ``custom_vjp``, with JAX's API."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence

from fntrans import errors
from fntrans.core.tracer import Tracer
from fntrans.primitives.calls import custom_jvp_call_p, custom_vjp_call_p
from fntrans.tree import tree_flatten, tree_unflatten


class _Structure:
    """Pytree structures of a call's outputs (and residuals), known once it runs."""

    __slots__ = ("out", "res", "n_out")

    def __init__(self):
        self.out = self.res = self.n_out = None


def _positional(fun, args, kwargs):
    """The call's arguments as one positional tuple: keywords and defaults bound
    through ``fun``'s signature, as JAX does."""
    if not kwargs and not _has_defaults(fun):
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


def _top_interpreter(leaves):
    top = None
    for x in leaves:
        if isinstance(x, Tracer) and (top is None or x._interp.level > top.level):
            top = x._interp
    return top


class _CustomRule:
    """What custom_jvp and custom_vjp share: the function, its non-differentiated
    arguments, and the call's flattening."""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)

    def _missing(self, what: str, how: str) -> AttributeError:
        kind = type(self).__name__
        return AttributeError(
            f"No {what} rule defined for the {kind} function {self.__name__}: add one with {how}."
        )

    def _prepare(self, args, kwargs):
        """``(args, nondiff, diff, flat, in_tree)`` for one call."""
        args = _positional(self.fun, args, kwargs)
        nondiff, diff = _split(args, self.nondiff_argnums)
        flat, in_tree = tree_flatten(diff)
        return args, nondiff, diff, flat, in_tree

    def _call_with(self, nondiff, in_tree, leaves):
        return self.fun(*_merged(nondiff, tree_unflatten(in_tree, leaves)))


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
        if _top_interpreter(flat) is None:
            return self.fun(*args)
        structure = _Structure()

        def fun_flat(*leaves):
            out_flat, structure.out = tree_flatten(self._call_with(nondiff, in_tree, leaves))
            return out_flat

        def jvp_flat(primals, tangents):
            rule_args = [nondiff[i] for i in sorted(nondiff)]
            out, out_dot = self.jvp(
                *rule_args, tree_unflatten(in_tree, primals), tree_unflatten(in_tree, tangents)
            )
            out_flat, structure.out = tree_flatten(out)
            return out_flat, tree_flatten(out_dot)[0]

        fun_flat.__name__ = self.__name__
        jvp_flat.__name__ = getattr(self.jvp, "__name__", "jvp")
        outs = custom_jvp_call_p.bind(*flat, fun=fun_flat, jvp=jvp_flat)
        return tree_unflatten(structure.out, list(outs))


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
        top = _top_interpreter(flat)
        if top is None:
            return self.fun(*args)
        if _forward_mode_first(top):
            raise errors.jvp_of_custom_vjp(self.__name__)
        structure = _Structure()

        def fun_flat(*leaves):
            return tree_flatten(self._call_with(nondiff, in_tree, leaves))[0]

        def fwd_flat(*leaves):
            out, res = self.fwd(*_merged(nondiff, tree_unflatten(in_tree, leaves)))
            out_flat, structure.out = tree_flatten(out)
            res_flat, structure.res = tree_flatten(res)
            structure.n_out = len(out_flat)
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
            return _flat_cotangents(cts, diff)

        for rule, name in ((fun_flat, self.__name__), (fwd_flat, self.fwd), (bwd_flat, self.bwd)):
            rule.__name__ = name if isinstance(name, str) else getattr(name, "__name__", "rule")
        outs = custom_vjp_call_p.bind(
            *flat, fun=fun_flat, fwd=fwd_flat, bwd=bwd_flat, n_out=_NOut(structure)
        )
        return tree_unflatten(structure.out, list(outs[: structure.n_out]))


def _forward_mode_first(top) -> bool:
    """Whether forward mode would meet this call before any reverse mode does:
    walking down from the innermost transform involved, past batching and
    staging, a JVP comes before a tape. (Under a tape, an enclosing JVP is
    forward-over-reverse, which differentiates fwd and bwd.)"""
    from fntrans.core.interpreter import current_stack
    from fntrans.interpreters.jvp import JVP
    from fntrans.interpreters.reverse import Tape

    for interp in reversed(current_stack()[: top.level + 1]):
        if isinstance(interp, Tape):
            return False
        if isinstance(interp, JVP):
            return True
    return False


class _NOut:
    """The number of outputs of a custom_vjp call, known once fwd has run."""

    __slots__ = ("structure",)

    def __init__(self, structure):
        self.structure = structure

    def __index__(self):
        return self.structure.n_out

    def __repr__(self):
        return str(self.structure.n_out)


def _flat_cotangents(cts, diff):
    """The cotangents as flat leaves matching the arguments; ``None`` is zero."""
    from fntrans.api import zeros_like_value

    flat = []
    for ct, arg in zip(cts, diff):
        arg_leaves, arg_tree = tree_flatten(arg)
        if ct is None:
            flat += [zeros_like_value(a) for a in arg_leaves]
            continue
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != arg_tree:
            raise errors.structure_mismatch("custom_vjp bwd: a cotangent", arg_tree, ct_tree)
        flat += ct_leaves
    return flat
