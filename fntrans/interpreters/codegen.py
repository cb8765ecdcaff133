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
from fntrans.interpreters.optimize.memory import computes_in_place

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

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> fn, source = generate(ft.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(1.0))
    >>> print(source)
    def program(x):
        v0 = np.sin(x)
        v1 = np.multiply(v0, 2.0)
        return (v1,)
    >>> fn(0.5)
    (np.float64(0.958851077208406),)
    """
    plan = plan or {}
    writer = _Writer(xp)
    params_of = writer.scope
    given = list(arg_names or ir.in_names or [])
    for i, v in enumerate(ir.invars):
        # an input's name in the arguments as an identifier: params['W1'] -> params_W1
        label = re.sub(r"\W+", "_", given[i]).strip("_") if i < len(given) else ""
        if not label.isidentifier() or keyword.iskeyword(label) or _GENERATED.match(label):
            label = f"a{i}"
        writer.names[v] = label if label not in writer.names.values() else f"a{i}"
    for v, value in zip(ir.constvars, ir.consts):
        writer.names[v] = f"c{len(params_of)}"
        params_of[writer.names[v]] = value
    checking = config.checking
    lines = [f"def {name}({', '.join(writer.var(v) for v in ir.invars)}):"]
    for i, eqn in enumerate(ir.eqns):
        args = [writer.var(v) for v in eqn.invars]
        outs = ", ".join(writer.var(v) for v in eqn.outvars)
        if eqn.prim.multiple_results:
            outs = f"({outs},)"
        expr = None if checking else _one_line(eqn, args, writer, plan.get(i))
        if expr is None:
            params_of[f"impl{i}"] = eqn.prim.impl
            for key, value in eqn.params.items():
                if key.isidentifier() and not keyword.iskeyword(key):
                    args.append(f"{key}={writer.constant(value, f'p{i}_')}")
                else:  # not a Python keyword argument: passed in a dict
                    params_of[f"params{i}"] = {
                        **params_of.get(f"params{i}", {}),
                        key: value,
                    }
            if f"params{i}" in params_of:
                args.append(f"**params{i}")
            expr = f"impl{i}(np, {', '.join(args)})"
        lines.append(f"    {outs} = {expr}")
    outs = [writer.var(v) for v in ir.outvars]
    lines.append(
        f"    return ({outs[0]},)" if len(outs) == 1 else f"    return ({', '.join(outs)})"
    )
    source = "\n".join(lines)
    filename = f"<fntrans.jit {name} #{next(_counter)}>"
    # registered so that tracebacks and debuggers show the generated lines
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source + "\n", filename, "exec"), writer.scope)
    return writer.scope[name], source


def _one_line(eqn, args, writer, out_position) -> str | None:
    """The equation as one call of the backend module, or None."""
    emit = eqn.prim.emit
    if emit is not None:
        return emit("np", *args, **eqn.params)
    ufunc = getattr(eqn.prim.unchecked_impl, "ufunc", None)
    if ufunc is None or eqn.params:
        return None
    out = f", out={args[out_position]}" if out_position is not None else ""
    return f"np.{ufunc.__name__}({', '.join(args)}{out})"


__all__ = ["computes_in_place", "generate"]
