"""Autograd's way of adding primitives: ``primitive``, ``defvjp``, ``defjvp``.

``primitive(f)`` makes a real fntrans primitive whose body runs on plain
arrays, so SciPy or C code inside works, as in autograd. Its rules take
autograd's signatures and may use ``fntrans.numpy``, so they differentiate
again. Batching loops over the batch unless ``defbatch`` gives a rule.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from fntrans import errors
from fntrans.core.aval import ShapedArray
from fntrans.core.primitive import Primitive
from fntrans.core.tracer import Tracer
from fntrans.interpreters.ad_util import checked_like
from fntrans.interpreters.batching import looped_batch
from fntrans.interpreters.transpose import jvp_from_vjp, vjp_from_jvp


class _Bound:
    """Marks where a bound (array) argument goes among the positional ones."""

    __slots__ = ()

    def __repr__(self):
        return "*"


_ARG = _Bound()


def _is_array_like(x) -> bool:
    return isinstance(x, (Tracer, np.ndarray, np.generic, bool, int, float, complex))


class primitive:
    """Makes ``fun`` a primitive: transforms treat it as one operation, and its
    derivatives come from ``defvjp`` / ``defjvp``.

    >>> import numpy as np, scipy.special
    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> from fntrans.extend import primitive, defvjp
    >>> @primitive
    ... def erf(x):
    ...     return scipy.special.erf(x)  # runs on plain arrays
    >>> defvjp(erf, lambda ans, x: lambda g: g * 2 / fnp.sqrt(fnp.pi) * fnp.exp(-x ** 2))
    >>> print(round(float(ft.grad(erf)(0.0)), 6))
    1.128379
    """

    def __init__(self, fun: Callable):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.vjpmakers = {}
        self.jvpfuns = {}
        self.batch_rule = None
        self.prim = Primitive(
            getattr(fun, "__name__", "primitive"),
            impl=self._impl,
            shape=self._shape,
            jvp=self._jvp,
            vjp=self._vjp,
            batch=self._batch,
        )

    def __call__(self, *args, **kwargs):
        if not any(isinstance(a, Tracer) for a in args):
            return self.fun(*args, **kwargs)
        arrays = [a for a in args if _is_array_like(a)]
        layout = tuple(_ARG if _is_array_like(a) else a for a in args)
        return self.prim.bind(*arrays, layout=layout, kwargs=tuple(sorted(kwargs.items())))

    @staticmethod
    def _positional(arrays, layout):
        it = iter(arrays)
        return [next(it) if item is _ARG else item for item in layout]

    @staticmethod
    def _positions(layout):
        """The positional index of each bound argument."""
        return [i for i, item in enumerate(layout) if item is _ARG]

    def _impl(self, xp, *arrays, layout, kwargs):
        return self.fun(*self._positional(arrays, layout), **dict(kwargs))

    def _shape(self, *avals, layout, kwargs):
        stand_ins = [np.zeros(a.shape, a.dtype) for a in avals]
        out = self._impl(np, *stand_ins, layout=layout, kwargs=kwargs)
        return ShapedArray(np.shape(out), np.asarray(out).dtype)

    def _vjp(self, ct, ans, *arrays, needs, layout, kwargs):
        if not self.vjpmakers:
            return vjp_from_jvp(self.prim)(
                ct, ans, *arrays, needs=needs, layout=layout, kwargs=kwargs
            )
        args = self._positional(arrays, layout)
        cts = []
        for position, need in zip(self._positions(layout), needs):
            if not need:
                cts.append(None)
                continue
            maker = self.vjpmakers.get(position)
            if maker is None:
                raise errors.missing_extend_rule(
                    f"{self.prim.name} (argument {position})", "reverse-mode (VJP)", "defvjp"
                )
            what = f"the defvjp rule of {self.prim.name} (argument {position})"
            cts.append(checked_like(maker(ans, *args, **dict(kwargs))(ct), args[position], what))
        return tuple(cts)

    def _jvp(self, primals, tangents, *, layout, kwargs):
        if not self.jvpfuns:
            if self.vjpmakers:  # forward mode from the VJP rules, as autograd's hessian works
                return jvp_from_vjp(self.prim)(primals, tangents, layout=layout, kwargs=kwargs)
            raise errors.missing_extend_rule(self.prim.name, "forward-mode (JVP)", "defjvp")
        ans = self.prim.bind(*primals, layout=layout, kwargs=kwargs)
        args = self._positional(primals, layout)
        out = None
        for position, t in zip(self._positions(layout), tangents):
            if t is None:
                continue
            jvpfun = self.jvpfuns.get(position)
            if jvpfun is None:
                raise errors.missing_extend_rule(
                    f"{self.prim.name} (argument {position})", "forward-mode (JVP)", "defjvp"
                )
            what = f"the defjvp rule of {self.prim.name} (argument {position})"
            term = checked_like(jvpfun(t, ans, *args, **dict(kwargs)), ans, what)
            out = term if out is None else out + term
        return ans, out

    def _batch(self, prim, vals, dims, *, layout, kwargs):
        if self.batch_rule is None:
            return looped_batch(prim, vals, dims, layout=layout, kwargs=kwargs)
        args = self._positional(vals, layout)
        all_dims = self._positional(dims, layout)
        return self.batch_rule(args, all_dims, **dict(kwargs))


def _target(fun) -> primitive:
    if not isinstance(fun, primitive):
        raise TypeError(
            f"{getattr(fun, '__name__', fun)!r} is not a fntrans.extend.primitive; "
            f"decorate it with @primitive first."
        )
    return fun


def defvjp(fun: primitive, *vjpmakers, argnums=None) -> None:
    """Gives ``fun`` reverse-mode rules, autograd's way: one maker per positional
    argument (``None``: not differentiable), each ``maker(ans, *args, **kwargs)``
    returning ``lambda g: cotangent``."""
    fun = _target(fun)
    argnums = range(len(vjpmakers)) if argnums is None else argnums
    for position, maker in zip(argnums, vjpmakers):
        if maker is not None:
            fun.vjpmakers[position] = maker


def defjvp(fun: primitive, *jvpfuns, argnums=None) -> None:
    """Gives ``fun`` forward-mode rules, autograd's way: one per positional
    argument, ``jvpfun(g, ans, *args, **kwargs)`` returning the tangent of the
    output, linear in ``g``. Reverse mode transposes them when no ``defvjp``."""
    fun = _target(fun)
    argnums = range(len(jvpfuns)) if argnums is None else argnums
    for position, jvpfun in zip(argnums, jvpfuns):
        if jvpfun is not None:
            fun.jvpfuns[position] = jvpfun


def defbatch(fun: primitive, rule: Callable) -> None:
    """Gives ``fun`` a batching rule ``rule(args, dims, **kwargs) -> (out, out_dim)``,
    where ``dims[i]`` is the batch axis of ``args[i]`` (``None``: not batched)."""
    _target(fun).batch_rule = rule


__all__ = ["primitive", "defvjp", "defjvp", "defbatch"]
