"""Code generation: an IR program as one straight-line Python function.

Each equation becomes one line that calls the backend module directly
(``np.tanh(v3)``, ``np.add(v4, v5, out=v4)``) or, for primitives without a
one-line form, the primitive's implementation (``impl7(np, v6, axes=(0,))``).
No interpreter loop, tracer or pytree work runs per equation: a call costs
what the backend's functions cost, plus Python's call overhead.
"""

from __future__ import annotations

import itertools
import keyword
import linecache
import math
import re
from collections.abc import Callable

import numpy as np

from fntrans.core.config import config
from fntrans.core.ir import IR, Literal
from fntrans.core.primitive import plain_ufunc
from fntrans.core.tracer import Tracer

_counter = itertools.count()
_INLINE = (bool, int, str, type(None))
# the names the generator gives; an argument's own name is kept unless it is one
_GENERATED = re.compile(r"np$|math$|program$|(v|c|k|a|impl|params)\d+$|p\d+_")


def _inline_text(value) -> str | None:
    """``value`` as Python source, when it reads back as itself."""
    if type(value) in _INLINE:
        return repr(value)
    if type(value) is float and math.isfinite(value):
        return repr(value)
    if type(value) is tuple:
        parts = [_inline_text(v) for v in value]
        if None in parts:
            return None
        return f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"
    return None


class _Writer:
    """Names values and keeps the non-inline objects the source refers to."""

    def __init__(self, xp):
        self.scope = {"np": xp}
        self.names = {}
        self.count = 0

    def constant(self, value, hint: str) -> str:
        text = _inline_text(value)
        if text is not None:
            return text
        name = f"{hint}{len(self.scope)}"
        self.scope[name] = value
        return name

    def var(self, v) -> str:
        if type(v) is Literal:
            return self.constant(v.value, "k")
        name = self.names.get(v)
        if name is None:
            name = self.names[v] = f"v{self.count}"
            self.count += 1
        return name


def generate(
    ir: IR,
    xp=np,
    plan: dict[int, int] | None = None,
    name: str = "program",
    arg_names=None,
) -> tuple[Callable, str]:
    """``(function, source)``: ``ir`` as a Python function of its inputs that
    returns the tuple of its outputs, calling the array module ``xp``.

    ``plan`` (from :func:`~fntrans.interpreters.optimize.plan_memory`) says
    which elementwise equations write into an input's buffer (``out=``).
    A program of float64 scalars alone (nested derivatives of a scalar
    function) runs on Python floats and the ``math`` module, about ten times
    faster than NumPy's 0-d arrays, falling back to NumPy where ``math``
    refuses (a domain error, an overflow, a division by zero).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> fn, source = generate(ft.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(fnp.ones(3)))
    >>> print(source)
    def program(x):
        v0 = np.sin(x)
        v1 = np.multiply(v0, 2.0)
        return (v1,)
    """
    writer = _Writer(xp)
    given = list(arg_names or ir.in_names or [])
    for i, v in enumerate(ir.invars):
        # an input's name in the arguments as an identifier: params['W1'] -> params_W1
        label = re.sub(r"\W+", "_", given[i]).strip("_") if i < len(given) else ""
        if not label.isidentifier() or keyword.iskeyword(label) or _GENERATED.match(label):
            label = f"a{i}"
        writer.names[v] = label if label not in writer.names.values() else f"a{i}"
    for v, value in zip(ir.constvars, ir.consts):
        writer.names[v] = f"c{len(writer.scope)}"
        writer.scope[writer.names[v]] = value
    inputs = ", ".join(writer.var(v) for v in ir.invars)
    body = _array_body(ir, writer, plan or {})
    # Python floats live on the host: only NumPy programs may become them
    scalar = None if config.checking or xp is not np else _scalar_body(ir, writer)
    if scalar is None:
        source = "\n".join([f"def {name}({inputs}):", *body])
    else:  # the NumPy version is the fallback
        source = "\n".join(
            [f"def {name}_arrays({inputs}):", *body, "", "", f"def {name}({inputs}):"]
            + ["    try:"]
            + ["    " + line for line in scalar]
            + ["    except (ValueError, OverflowError, ZeroDivisionError):"]
            + [f"        return {name}_arrays({inputs})"]
        )
    filename = f"<fntrans.jit {name} #{next(_counter)}>"
    # registered so that tracebacks and debuggers show the generated lines
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source + "\n", filename, "exec"), writer.scope)
    return writer.scope[name], source


def _returned(names: list) -> str:
    return f"    return ({names[0]},)" if len(names) == 1 else f"    return ({', '.join(names)})"


def _array_body(ir: IR, writer: _Writer, plan: dict) -> list[str]:
    """One line per equation, calling the backend module (or an impl)."""
    scope = writer.scope
    checking = config.checking
    lines = []
    # values the program computes; on NumPy, 0-d ones are NumPy scalars
    computed = set() if writer.scope["np"] is np else frozenset()
    numbers = {v for v in (*ir.invars, *ir.constvars) if not v.aval.shape}
    scipy = scope if scope["np"] is np else None  # where SciPy's ufuncs may be bound
    for i, eqn in enumerate(ir.eqns):
        args = [writer.var(v) for v in eqn.invars]
        outs = ", ".join(writer.var(v) for v in eqn.outvars)
        if eqn.prim.multiple_results:
            outs = f"({outs},)"
        expr = None if checking else _one_line(eqn, args, plan.get(i), computed, numbers, scipy)
        if expr is None:
            scope[f"impl{i}"] = eqn.prim.impl
            rest = {}
            for key, value in eqn.params.items():
                if key.isidentifier() and not keyword.iskeyword(key):
                    args.append(f"{key}={writer.constant(value, f'p{i}_')}")
                else:  # not a Python keyword argument: passed in a dict
                    rest[key] = value
            if rest:
                scope[f"params{i}"] = rest
                args.append(f"**params{i}")
            expr = f"impl{i}(np, {', '.join(args)})"
        lines.append(f"    {outs} = {expr}")
        if type(computed) is set:
            computed.update(eqn.outvars)
    lines.append(_returned([writer.var(v) for v in ir.outvars]))
    return lines


# ufuncs as Python float arithmetic: an operator or a function of ``math``
_BINARY_OPERATORS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/"}
_MATH = {
    "negative": "-",
    "power": "math.pow",
    **{
        name: f"math.{name}"
        for name in "sin cos tan sinh cosh tanh exp expm1 log log1p sqrt".split()
    },
    **{f"arc{name}": f"math.a{name}" for name in "sin cos tan sinh cosh tanh".split()},
}


def _is_float64_scalar(aval) -> bool:
    return not aval.shape and aval.dtype == np.float64


def _real_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value)


def _float_text(value) -> str:
    """A literal as Python source: an int stays an int (``x ** 2``), NumPy's
    scalars become Python numbers (else the arithmetic would be NumPy's)."""
    return repr(int(value)) if isinstance(value, (int, np.integer)) else repr(float(value))


def _scalar_body(ir: IR, writer: _Writer) -> list[str] | None:
    """The program on Python floats, or None unless every value is a float64
    scalar and every equation an arithmetic operation or a ``math`` function."""
    variables = [*ir.invars, *ir.constvars, *(v for e in ir.eqns for v in e.outvars)]
    if not ir.eqns or not all(_is_float64_scalar(v.aval) for v in variables):
        return None
    if any(isinstance(c, Tracer) for c in ir.consts):
        return None  # a value a jitted function closes over, traced by a transform outside
    for eqn in ir.eqns:
        ufunc = plain_ufunc(eqn)
        if ufunc is None:
            return None
        if ufunc.__name__ not in _BINARY_OPERATORS and ufunc.__name__ not in _MATH:
            return None
        if any(type(v) is Literal and not _real_number(v.value) for v in eqn.invars):
            return None
    writer.scope["math"] = math
    lines = [f"    {writer.var(v)} = float({writer.var(v)})" for v in ir.invars]
    for v, value in zip(ir.constvars, ir.consts):
        lines.append(f"    {writer.var(v)} = {_float_text(float(value))}")
    for eqn in ir.eqns:
        args = [_float_text(v.value) if type(v) is Literal else writer.var(v) for v in eqn.invars]
        name = eqn.prim.unchecked_impl.ufunc.__name__
        if name in _BINARY_OPERATORS:
            expr = f"{args[0]} {_BINARY_OPERATORS[name]} {args[1]}"
        elif name == "negative":
            expr = f"-{args[0]}"
        else:
            expr = f"{_MATH[name]}({', '.join(args)})"
        lines.append(f"    {writer.var(eqn.outvars[0])} = {expr}")
    outs = [f"np.float64({writer.var(v)})" for v in ir.outvars]
    lines.append(_returned(outs))
    return lines


def _one_line(eqn, args, out_position, computed, numbers, scipy) -> str | None:
    """The equation as one call of the backend module, or None.

    Arithmetic on a 0-d value uses Python's operator: NumPy's scalars answer
    it about ten times faster than a ufunc call. Only where an operand was
    computed by the program (a NumPy scalar, never a Python number, so that
    ``1.0 / 0.0`` stays NumPy's ``inf``)."""
    emit = eqn.prim.emit
    if emit is not None:
        # a 0-d input may be a Python number, without the array methods an
        # emitted line may call
        if any(v in numbers for v in eqn.invars if type(v) is not Literal):
            return None
        return emit("np", *args, **eqn.params)
    ufunc = plain_ufunc(eqn)
    if ufunc is None:
        return None
    name = ufunc.__name__
    if getattr(np, name, None) is not ufunc:
        # SciPy's ufuncs, called directly in NumPy programs (on other backends
        # the impl picks the backend's); one argument, so no weak-type rules
        if scipy is None or len(args) != 1:
            return None
        scipy[f"scipy_{name}"] = ufunc
        out = f", out={args[out_position]}" if out_position is not None else ""
        return f"scipy_{name}({args[0]}{out})"
    if (
        name in _BINARY_OPERATORS
        and not eqn.outvars[0].aval.shape
        and any(type(v) is not Literal and v in computed for v in eqn.invars)
    ):
        return f"{args[0]} {_BINARY_OPERATORS[name]} {args[1]}"
    out = f", out={args[out_position]}" if out_position is not None else ""
    return f"np.{name}({', '.join(args)}{out})"


__all__ = ["generate"]
