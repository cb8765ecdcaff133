"""``jit``: trace a function once per input signature, optimize its program,
generate straight-line code for it, and replay that code on later calls.

A jitted function called with arrays runs its generated code directly. Called
with traced values (under ``grad``, ``vmap``, another ``jit``...) it binds the
``jit_call`` primitive, whose rules derive new programs from the traced one
(the pull-back of a gradient, a batched version) and compile those too.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Sequence

import numpy as np
import optree

from fntrans import backend
from fntrans.core.aval import aval_of
from fntrans.core.config import config
from fntrans.core.ir import IR, eval_ir, format_ir
from fntrans.core.primitive import Primitive
from fntrans.core.tracer import Tracer
from fntrans.interpreters.codegen import generate
from fntrans.interpreters.flat import jvp_flat, pull_back, trace_program, vmap_flat
from fntrans.interpreters.fusion import fuse
from fntrans.interpreters.optimize import optimize, plan_memory
from fntrans.interpreters.staging import input_names, output_names
from fntrans.tree import tree_flatten, tree_unflatten
from fntrans.tree.pytrees import NAMESPACE, tree_paths

CacheInfo = namedtuple("CacheInfo", ["hits", "misses", "maxsize", "currsize"])

_SCALARS = (float, int, bool, complex)
# arguments that are leaves themselves (NumPy's scalars: what 0-d results are)
_PLAIN = {np.ndarray, float, int, bool, complex, np.float64, np.float32, np.int64, np.complex128}


class Program:
    """One traced signature of a jitted function: its optimized IR, the
    generated source and the function compiled from it."""

    __slots__ = (
        "name",
        "ir",
        "traced",
        "source",
        "fn",
        "out_avals",
        "seconds",
        "returns",
        "_derived",
    )

    def __init__(self, name: str, traced: IR, xp, donated=()):
        start = time.perf_counter()
        self.name = name
        self.traced = traced
        self.ir = optimize(traced, CALLS)
        # fused kernels only in the code: derived programs start from the plain IR
        code = self.ir if config.fusion == "off" else fuse(self.ir, xp)
        self.fn, self.source = generate(code, xp, plan_memory(code, donated), name)
        # the types the trace gave (optimizing may forget a weak type)
        self.out_avals = tuple(v.aval for v in traced.outvars)
        self.seconds = time.perf_counter() - start  # optimize + codegen
        self.returns = None  # a pull-back's: which arguments get a cotangent
        self._derived = {}

    def __call__(self, *args) -> tuple:
        return self.fn(*args)

    def __repr__(self):
        return f"<jitted {self.name}>"

    __str__ = __repr__  # how the IR printer shows a jit_call's parameter

    def derived(self, key, make: Callable[[], Program]) -> Program:
        """The program derived from this one by ``make`` (a gradient, a batched
        version), compiled once per ``key``."""
        program = self._derived.get(key)
        if program is None:
            program = self._derived[key] = make()
        return program

    def evaluate(self, *args) -> list:
        """The outputs by binding each equation: traceable by any transform."""
        return eval_ir(self.ir, *args)


def _compile(fun, avals, inputs, name, donated=(), names=None, labels=None) -> Program:
    module = backend.array_module(inputs) if inputs else np
    start = time.perf_counter()
    traced = trace_program(fun, avals, inputs, name, names, labels)
    tracing = time.perf_counter() - start
    program = Program(name, traced, module, donated)
    program.seconds += tracing
    return program


# ---- the call primitive ----


def _jit_jvp(primals, tangents, *, program):
    # inputs without a tangent stay constants of the JVP (not zero-tangent tracers)
    moving = [t is not None for t in tangents]

    def along_moving(*values):
        values = iter(values)
        return program.evaluate(*(next(values) if m else p for p, m in zip(primals, moving)))

    varying = [p for p, m in zip(primals, moving) if m]
    return jvp_flat(along_moving, varying, [t for t in tangents if t is not None])


def _jit_vjp(cts, ans, *args, needs, program):
    given = tuple(c is not None for c in cts)
    known = [c for c in cts if c is not None]
    avals = [aval_of(a) for a in args] + [aval_of(c) for c in known]
    returned = []  # which needed arguments get a cotangent, found while tracing

    def pull(*values):
        ins, rest = values[: len(args)], iter(values[len(args) :])
        full = [next(rest) if g else None for g in given]
        out = pull_back(program.evaluate, ins, needs, full)
        returned[:] = [c is not None for c in out]
        return [c for c in out if c is not None]

    def make():
        derived = _compile(pull, avals, list(args) + known, f"{program.name}_vjp")
        derived.returns = tuple(returned)
        return derived

    derived = program.derived(("vjp", tuple(needs), tuple(avals)), make)
    outs = iter(jit_call_p.bind(*args, *known, program=derived))
    return tuple(next(outs) if r else None for r in derived.returns)


def _jit_batch(prim, vals, dims, *, program):
    avals = tuple(aval_of(v) for v in vals)

    def make():
        return _compile(vmap_flat(program.evaluate, dims), avals, vals, f"{program.name}_vmap")

    derived = program.derived(("vmap", tuple(dims), avals), make)
    outs = prim.bind(*vals, program=derived)
    return outs, (0,) * len(outs)


jit_call_p = Primitive(
    "jit_call",
    impl=lambda xp, *args, program: program.fn(*args),
    shape=lambda *avals, program: program.out_avals,
    jvp=_jit_jvp,
    vjp=_jit_vjp,
    batch=_jit_batch,
    multiple_results=True,
)

# call primitives whose programs the optimizer inlines into their callers.
# Not checkpoint's: its recording is a tape, whose custom_vjp calls list
# their residuals among their outputs (it runs as a call, through its impl).
CALLS = {jit_call_p: lambda params: params["program"].ir}


# ---- the user's function ----


class Lowered:
    """What ``jit`` makes of one call signature: the traced program
    (``traced``), the optimized one (``ir``), the generated Python
    ``source``, and ``seconds`` spent tracing, optimizing and generating."""

    def __init__(self, program: Program):
        self.traced = program.traced
        self.ir = program.ir
        self.source = program.source
        self.seconds = program.seconds

    def as_text(self) -> str:
        """The optimized program and the generated source, for reading."""
        return f"{format_ir(self.ir)}\n\n{self.source}"

    def __str__(self):
        return self.as_text()


def _leaf_key(x):
    """What about a leaf the generated code depends on: its type, shape and
    dtype (None for what cannot be traced)."""
    t = type(x)  # (a NumPy array's key is made inline by the caller)
    if t in _SCALARS:
        return t
    if isinstance(x, Tracer):
        aval = x.aval
        return (x._interp.backend, aval.shape, aval.dtype, aval.weak_type)
    if isinstance(x, np.generic) or backend.known_module(x) is not None:
        return (t, x.shape, x.dtype)
    return None


def _flat_arguments(args) -> tuple[list, object]:
    """The leaves of ``args`` (in pytree order) and what identifies their
    structure, quickly for arrays and dicts of arrays (a step function's
    parameters), by ``optree`` otherwise. Plain loops: this runs on every call."""
    leaves, shape = [], []
    plain = _PLAIN
    for a in args:
        t = type(a)
        if t in plain:
            leaves.append(a)
            shape.append(None)
            continue
        if t is not dict:
            return optree.tree_flatten(args, namespace=NAMESPACE)
        try:
            keys = sorted(a)  # pytrees order a dict's entries by key
        except TypeError:  # keys that do not compare
            return optree.tree_flatten(args, namespace=NAMESPACE)
        for k in keys:
            v = a[k]
            if type(v) not in plain:
                return optree.tree_flatten(args, namespace=NAMESPACE)
            leaves.append(v)
        shape.append(tuple(keys))
    return leaves, tuple(shape)


def _untraceable(where: str, x) -> TypeError:
    return TypeError(
        f"jit: {where} is a {type(x).__name__}, not an array or a number, so it cannot "
        f"be traced. Mark it static (static_argnums or static_argnames) if it "
        f"configures the function, or pass it as an array."
    )


class Jitted:
    """A jitted function; see :func:`jit`."""

    def __init__(self, fun, static_argnums, static_argnames, donate_argnums, cache_size):
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._static_nums = _ints(static_argnums, "static_argnums")
        self._static_names = (
            (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
        )
        self._donate = _ints(donate_argnums, "donate_argnums")
        try:
            params = list(inspect.signature(fun).parameters.values())
        except (TypeError, ValueError):
            params = []
        positional = [
            p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        # a static name may be passed by position, a static position by name
        self._static_nums |= {positional.index(n) for n in self._static_names if n in positional}
        self._static_names += tuple(
            positional[i] for i in self._static_nums if 0 <= i < len(positional)
        )
        self._cache = OrderedDict()
        self._maxsize = cache_size
        self._hits = self._misses = 0

    def __get__(self, instance, owner=None):
        # a jitted method: bound like a function (self is then argument 0)
        return self if instance is None else functools.partial(self, instance)

    def _split(self, args, kwargs):
        n = len(args)
        static_nums = {i % n for i in self._static_nums if -n <= i < n}
        static = tuple((i, args[i]) for i in sorted(static_nums)) + tuple(
            sorted((k, v) for k, v in kwargs.items() if k in self._static_names)
        )
        dynamic_args = tuple(a for i, a in enumerate(args) if i not in static_nums)
        dynamic_kwargs = {k: v for k, v in kwargs.items() if k not in self._static_names}
        try:
            hash(static)
        except TypeError:
            which, value = next((w, v) for w, v in static if not _hashable(v))
            what = f"argument {which}" if isinstance(which, int) else f"argument {which!r}"
            raise TypeError(
                f"jit: static {what} of {_name(self._fun)} is an unhashable "
                f"{type(value).__name__}; static arguments key the cache of traced "
                f"programs, so they must be hashable (pass a tuple instead of a list, "
                f"or make it a traced argument)."
            ) from None
        return static, static_nums, dynamic_args, dynamic_kwargs

    def _program(self, args, kwargs):
        if kwargs or self._static_nums:
            static, static_nums, dyn_args, dyn_kwargs = self._split(args, kwargs)
            leaves, in_tree = optree.tree_flatten((dyn_args, dyn_kwargs), namespace=NAMESPACE)
            key_tree = (in_tree, static)
        else:  # the common case, kept short: it is paid on every call
            static_nums, dyn_args, dyn_kwargs = (), args, {}
            leaves, key_tree = _flat_arguments(args)
            in_tree = None  # made on a miss
        ndarray = np.ndarray
        signature = tuple(
            [(x.shape, x.dtype) if type(x) is ndarray else _leaf_key(x) for x in leaves]
        )
        key = (key_tree, signature)
        entry = self._cache.get(key)
        if entry is not None:
            self._hits += 1
            return entry, leaves
        if None in signature:
            i = signature.index(None)
            names = _leaf_paths(dyn_args, dyn_kwargs, static_nums, len(args))[1]
            raise _untraceable(names[i], leaves[i])
        self._misses += 1
        if in_tree is None:
            in_tree = optree.tree_flatten((args, {}), namespace=NAMESPACE)[1]
        entry = self._trace(args, kwargs, static_nums, dyn_args, dyn_kwargs, leaves, in_tree)
        self._cache[key] = entry
        if len(self._cache) > self._maxsize:
            self._cache.popitem(last=False)
        return entry, leaves

    def _trace(self, args, kwargs, static_nums, dyn_args, dyn_kwargs, leaves, in_tree):
        labels, names = _leaf_paths(dyn_args, dyn_kwargs, static_nums, len(args), self._fun)
        out_tree = []

        def fun_flat(*values):
            call_args, call_kwargs = tree_unflatten(in_tree, list(values))
            call_args = iter(call_args)
            merged = [a if i in static_nums else next(call_args) for i, a in enumerate(args)]
            static_kwargs = {k: v for k, v in kwargs.items() if k in self._static_names}
            out = self._fun(*merged, **call_kwargs, **static_kwargs)
            out_leaves, tree = tree_flatten(out)
            out_tree[:] = [tree, output_names(tree_paths(out))]
            return out_leaves

        donated = _donated_leaves(self._donate, static_nums, dyn_args, len(args))
        program = _compile(
            fun_flat,
            [aval_of(x) for x in leaves],
            leaves,
            _name(self._fun),
            donated,
            names,
            labels,
        )
        program.ir.out_names = out_tree[1]
        traced = any(isinstance(x, Tracer) for x in leaves)
        return program, out_tree[0], donated, traced

    def __call__(self, *args, **kwargs):
        (program, out_tree, donated, traced), leaves = self._program(args, kwargs)
        for i in donated:
            leaves[i] = _donatable(leaves[i], leaves)
        if not traced:  # whether leaves are tracers is part of the signature
            outs = program.fn(*leaves)
        else:
            outs = jit_call_p.bind(*leaves, program=program)
        return optree.tree_unflatten(out_tree, outs)

    def lower(self, *args, **kwargs) -> Lowered:
        """The traced and optimized program for these arguments, and the
        generated source (traced and cached as a call would be).

        >>> import fntrans as ft, fntrans.numpy as fnp
        >>> f = ft.jit(lambda x: fnp.sum(fnp.tanh(x) * 1.0))
        >>> print(f.lower(fnp.ones(3)).source)
        def _lambda_(x):
            v0 = np.tanh(x)
            v1 = v0.sum(axis=(0,))
            return (v1,)
        """
        (program, *_), _ = self._program(args, kwargs)
        return Lowered(program)

    def cache_info(self) -> CacheInfo:
        """Hits, misses, the bound and the number of cached signatures.

        >>> import fntrans as ft, fntrans.numpy as fnp
        >>> f = ft.jit(fnp.sin)
        >>> _ = f(1.0), f(2.0), f(fnp.ones(2))
        >>> f.cache_info()
        CacheInfo(hits=1, misses=2, maxsize=64, currsize=2)
        """
        return CacheInfo(self._hits, self._misses, self._maxsize, len(self._cache))

    def cache_clear(self) -> None:
        """Forgets every traced program (the next call traces again)."""
        self._cache.clear()
        self._hits = self._misses = 0


def jit(
    fun: Callable | None = None,
    *,
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    donate_argnums: int | Sequence[int] = (),
    cache_size: int = 64,
) -> Callable:
    """``fun`` traced once per input signature, optimized and compiled to
    straight-line code that later calls replay.

    The signature is the pytree structure of the arguments, each array's
    shape, dtype and backend (Python scalars by type), and the values of the
    static arguments; a new one traces again (at most ``cache_size`` are
    kept). Tracing runs ``fun`` on abstract values: Python control flow,
    ``float()``, ``bool()`` or ``int()`` on a traced value raise
    :class:`~fntrans.ConcretizationError`; mark such arguments static or use
    :mod:`fntrans.lax`. Side effects (printing, appending to a list) happen
    when tracing, not on every call.

    Args:
        fun: a function of arrays (pytrees of them) returning arrays.
        static_argnums: positions of arguments passed as they are (hashable
            Python values that the program depends on); each value traces anew.
        static_argnames: the same, by parameter name.
        donate_argnums: positions of array arguments whose buffers the
            program may overwrite (elementwise results are written there when
            no other value needs them): a step function then updates its
            parameters in place. Do not read a donated array after the call.
        cache_size: how many signatures to keep.

    It composes with every transform, in either order: ``jit(grad(f))``
    compiles the gradient; ``grad(jit(f))``, ``vmap(jit(f))`` and the like
    compile the derived programs (a gradient through a jitted function
    recomputes its forward pass inside the compiled pull-back).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> @ft.jit
    ... def loss(w, x):
    ...     return fnp.sum(fnp.tanh(x @ w) ** 2)
    >>> w, x = fnp.ones(3), fnp.ones((2, 3))
    >>> print(round(float(loss(w, x)), 6))
    1.980268
    >>> g = ft.jit(ft.grad(loss))(w, x)
    >>> g.shape
    (3,)
    """
    if fun is None:
        return functools.partial(
            jit,
            static_argnums=static_argnums,
            static_argnames=static_argnames,
            donate_argnums=donate_argnums,
            cache_size=cache_size,
        )
    if not callable(fun):
        raise TypeError(f"jit expects a function, but got a {type(fun).__name__}.")
    return Jitted(fun, static_argnums, static_argnames, donate_argnums, cache_size)


def _ints(value, what: str) -> set:
    values = (value,) if isinstance(value, int) else tuple(value)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise TypeError(f"jit: {what} must be an int or a sequence of ints, got {value!r}.")
    return set(values)


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _name(fun) -> str:
    name = getattr(fun, "__name__", type(fun).__name__)
    return "".join(c if c.isalnum() else "_" for c in name) or "program"


def _leaf_paths(dyn_args, dyn_kwargs, static_nums, n, fun=None):
    """``(labels, names)`` of the traced leaves: ``params['W1']`` for the
    printed program, ``argument 0['W1']`` for errors."""
    positions = [i for i in range(n) if i not in static_nums]
    paths = [(p, path) for p, a in zip(positions, dyn_args) for path in tree_paths(a)]
    labels, names = input_names(fun or (lambda *a: None), n, paths)
    for key in sorted(dyn_kwargs):
        for path in tree_paths(dyn_kwargs[key]):
            text = "".join(f"[{k!r}]" for k in path)
            labels.append(f"{key}{text}")
            names.append(f"argument {key!r}{text}")
    return labels, names


def _donated_leaves(donate, static_nums, dyn_args, n) -> tuple:
    positions = [i for i in range(n) if i not in static_nums]
    donated, start = [], 0
    for p, a in zip(positions, dyn_args):
        count = len(tree_flatten(a)[0])
        if p in donate or p - n in donate:
            donated += range(start, start + count)
        start += count
    return tuple(donated)


def _donatable(x, leaves):
    """A donated leaf as the program may overwrite it: a writeable array that
    no other argument shares (else a copy)."""
    if type(x) is not np.ndarray or not x.shape:
        return x
    if not x.flags.writeable or sum(leaf is x for leaf in leaves) > 1:
        return x.copy()
    return x


__all__ = ["CacheInfo", "Jitted", "Lowered", "Program", "jit", "jit_call_p"]
