"""The intermediate representation: variables, literals, equations, programs.

An ``IR`` is a list of equations in order of evaluation, with input variables,
constants (arrays closed over) and outputs. It prints readably (its inputs
named by their paths in the arguments, ``params['W1']``), draws as a Graphviz
graph (``to_dot``, ``render``) and evaluates by binding its primitives, so
evaluating an IR can itself be transformed.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
from collections.abc import Callable

import numpy as np

from fntrans.core.aval import ShapedArray, aval_of


class Var:
    """A value in a program, known by its abstract value."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval


class Literal:
    """A Python or NumPy scalar written into a program."""

    __slots__ = ("value", "aval")

    def __init__(self, value):
        self.value = value
        self.aval = aval_of(value)


class Eqn:
    """One primitive application: ``outvars = prim(*invars, **params)``."""

    __slots__ = ("prim", "invars", "outvars", "params")

    def __init__(self, prim, invars, outvars, params):
        self.prim = prim
        self.invars = invars
        self.outvars = outvars
        self.params = params

    def renamed(self, rename: dict) -> Eqn:
        """This equation reading its inputs through ``rename`` (variable ->
        variable or literal); itself where none of them is renamed."""
        if rename and any(type(v) is Var and v in rename for v in self.invars):
            return Eqn(self.prim, renamed(self.invars, rename), self.outvars, self.params)
        return self


def renamed(atoms, rename: dict) -> list:
    """Variables and literals ``atoms``, each variable through ``rename``."""
    return [rename.get(v, v) if type(v) is Var else v for v in atoms]


class IR:
    """A program: ``outvars = eqns(invars)``, with ``constvars`` bound to ``consts``.

    ``in_names`` (optional) names the first inputs in the printed program and
    the graph, e.g. ``params['W1']``; other variables get letters.
    ``out_names`` (optional) names the outputs in the graph, e.g. ``out['W1']``.
    """

    __slots__ = ("invars", "constvars", "consts", "eqns", "outvars", "in_names", "out_names")

    def __init__(self, invars, constvars, consts, eqns, outvars, in_names=None, out_names=None):
        self.invars = list(invars)
        self.constvars = list(constvars)
        self.consts = list(consts)
        self.eqns = list(eqns)
        self.outvars = list(outvars)
        self.in_names = list(in_names) if in_names is not None else []
        self.out_names = list(out_names) if out_names is not None else []

    def __call__(self, *args):
        return eval_ir(self, *args)

    def __str__(self):
        return format_ir(self)

    __repr__ = __str__

    def to_dot(self) -> str:
        """The program as a Graphviz DOT graph; see :func:`to_dot`."""
        return to_dot(self)

    def render(self, path: str | os.PathLike, format: str | None = None) -> str:
        """Draws the program into ``path`` with Graphviz's ``dot``; see :func:`render`."""
        return render(self, path, format)


def eval_ir(ir: IR, *args):
    """Evaluates ``ir`` on ``args`` by binding each equation's primitive.

    Returns a list with one value per output.
    """
    env = {}
    for var, value in zip(ir.constvars, ir.consts):
        env[var] = value
    for var, value in zip(ir.invars, args):
        env[var] = value

    def read(v):
        return v.value if type(v) is Literal else env[v]

    for eqn in ir.eqns:
        ans = eqn.prim.bind(*map(read, eqn.invars), **eqn.params)
        if eqn.prim.multiple_results:
            for var, value in zip(eqn.outvars, ans):
                env[var] = value
        else:
            env[eqn.outvars[0]] = ans
    return [read(v) for v in ir.outvars]


def _var_names():
    letters = "abcdefghijklmnopqrstuvwxyz"
    for n in itertools.count(1):
        for chars in itertools.product(letters, repeat=n):
            yield "".join(chars)


def _format_param(value, short: bool = False) -> str:
    if isinstance(value, IR):  # a branch or loop body: the program, indented under it
        if short:
            return f"<program: {len(value.eqns)} eqns>"
        indent = "        "
        return "\n" + indent + format_ir(value).replace("\n", "\n" + indent)
    if isinstance(value, np.dtype):
        return str(value)
    if isinstance(value, tuple):
        inner = ", ".join(_format_param(v, short) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, slice):
        parts = ["" if p is None else str(p) for p in (value.start, value.stop, value.step)]
        return ":".join(parts[:2]) + (f":{parts[2]}" if value.step is not None else "")
    if value is Ellipsis:
        return "..."
    if callable(value):
        return getattr(value, "__name__", repr(value))
    return str(value)


def _namer(ir: IR) -> Callable:
    """``name(var)``: the input's given name, else a letter, given in order of
    definition (so the text and the graph agree) and never the first word of
    a given name (no ``a`` beside ``a[0]``)."""
    names = {}
    for var, given in zip(ir.invars, ir.in_names):
        names.setdefault(var, given)
    taken = {re.match(r"[^\[.]*", n).group() for n in names.values()}
    fresh = (n for n in _var_names() if n not in taken)
    defined = itertools.chain(
        ir.constvars, ir.invars, (v for eqn in ir.eqns for v in eqn.outvars), ir.outvars
    )
    for var in defined:
        if type(var) is not Literal and var not in names:
            names[var] = next(fresh)

    def name(v):
        return str(v.value) if type(v) is Literal else names[v]

    return name


def format_ir(ir: IR) -> str:
    """Renders ``ir`` in a jaxpr-like text form, inputs named by their paths.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> def affine(params, x):
    ...     return params["w"] @ x + params["b"]
    >>> params = {"w": fnp.ones(3), "b": 0.0}
    >>> print(format_ir(ft.make_jaxpr(affine)(params, fnp.ones(3))))
    { lambda ; params['b']:f64[] params['w']:f64[3] x:f64[3]. let
        a:f64[] = matmul params['w'] x
        b:f64[] = add a params['b']
      in (b,) }
    """
    name = _namer(ir)

    def binder(v):
        return f"{name(v)}:{v.aval.str_short()}"

    consts = " ".join(binder(v) for v in ir.constvars)
    inputs = " ".join(binder(v) for v in ir.invars)
    lines = [f"{{ lambda {consts}; {inputs}. let"]
    for eqn in ir.eqns:
        outs = " ".join(binder(v) for v in eqn.outvars)
        params = ", ".join(f"{k}={_format_param(v)}" for k, v in sorted(eqn.params.items()))
        params = f"[{params}]" if params else ""
        args = " ".join(name(v) for v in eqn.invars)
        lines.append(f"    {outs} = {eqn.prim.name}{params} {args}")
    outs = ", ".join(name(v) for v in ir.outvars)
    lines.append(f"  in ({outs},) }}" if len(ir.outvars) == 1 else f"  in ({outs}) }}")
    return "\n".join(lines)


def _format_params(params: dict, width: int = 32) -> list[str]:
    """``key=value`` for each parameter, values cut to ``width`` characters."""
    out = []
    for key, value in sorted(params.items()):
        text = _format_param(value, short=True)
        if len(text) > width:
            text = text[: width - 3] + "..."
        out.append(f"{key}={text}")
    return out


def _dot_label(*lines: str) -> str:
    text = "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)
    return f'"{text}"'


def _const_label(name: str, value) -> str:
    """A constant as it reads in the graph: its values when there are a few."""
    array = np.asarray(value)
    if array.size > 4:
        return name
    return f"{name} = " + np.array2string(array, precision=4, separator=",").replace("\n", "")


def to_dot(ir: IR) -> str:
    r"""``ir`` as a Graphviz DOT graph: inputs, constants and outputs as boxes,
    one node per equation labelled with its primitive and parameters, and an
    edge for each value an equation reads, labelled with its variable name and
    type (the names of the printed program). Inputs are named by their paths
    in the arguments and outputs by their paths in the result (``out['W1']``)
    when the program comes from ``make_jaxpr``. Python scalars written into
    an equation appear as small plain-text nodes; constants show their values
    when they have at most four.

    Render it with Graphviz's ``dot -Tsvg ir.dot -o ir.svg``, or
    :func:`render`.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> print(to_dot(ft.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(1.0)))
    digraph IR {
      rankdir=TB;
      ordering=in;
      node [fontname="Helvetica", fontsize=11];
      edge [fontname="Helvetica", fontsize=9];
      in0 [label="x\nf64[]", shape=box, style="rounded,filled", fillcolor="#dbe9f6"];
      eqn0 [label="sin", shape=ellipse];
      in0 -> eqn0;
      eqn1 [label="mul", shape=ellipse];
      eqn0 -> eqn1 [label="a:f64[]"];
      lit0 [label="2.0", shape=plaintext];
      lit0 -> eqn1;
      out0 [label="out\nf64[]", shape=box, style="rounded,filled", fillcolor="#fde7c8"];
      eqn1 -> out0 [label="b:f64[]"];
    }
    """
    name = _namer(ir)
    lines = [
        "digraph IR {",
        "  rankdir=TB;",
        "  ordering=in;",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    source = {}  # Var -> the node that produces it
    for i, var in enumerate(ir.invars):
        source[var] = f"in{i}"
        label = _dot_label(name(var), var.aval.str_short())
        lines.append(
            f'  in{i} [label={label}, shape=box, style="rounded,filled", fillcolor="#dbe9f6"];'
        )
    for i, (var, value) in enumerate(zip(ir.constvars, ir.consts)):
        source[var] = f"const{i}"
        label = _dot_label(_const_label(name(var), value), var.aval.str_short())
        lines.append(f'  const{i} [label={label}, shape=box, style="filled", fillcolor="#eeeeee"];')
    literals = itertools.count()

    def edge(v, target, extra=""):
        if type(v) is Literal:
            lit = f"lit{next(literals)}"
            lines.append(f"  {lit} [label={_dot_label(str(v.value))}, shape=plaintext];")
            lines.append(f"  {lit} -> {target}{extra};")
        elif source[v].startswith("eqn"):
            label = _dot_label(f"{name(v)}:{v.aval.str_short()}")
            lines.append(f"  {source[v]} -> {target} [label={label}];")
        else:  # an input or constant: its box already says its name and type
            lines.append(f"  {source[v]} -> {target};")

    for i, eqn in enumerate(ir.eqns):
        label = _dot_label(eqn.prim.name, *_format_params(eqn.params))
        lines.append(f"  eqn{i} [label={label}, shape=ellipse];")
        for v in eqn.invars:
            edge(v, f"eqn{i}")
        for v in eqn.outvars:
            source[v] = f"eqn{i}"
    out_names = ir.out_names + [f"out {i}" for i in range(len(ir.out_names), len(ir.outvars))]
    for i, (var, out_name) in enumerate(zip(ir.outvars, out_names)):
        label = _dot_label(out_name, var.aval.str_short())
        lines.append(
            f'  out{i} [label={label}, shape=box, style="rounded,filled", fillcolor="#fde7c8"];'
        )
        edge(var, f"out{i}")
    lines.append("}")
    return "\n".join(lines)


def render(ir: IR, path: str | os.PathLike, format: str | None = None) -> str:
    """Draws ``ir`` into the file ``path`` with Graphviz's ``dot`` program (not
    a Python package; install Graphviz, e.g. ``apt-get install graphviz``).

    Args:
        ir: the program.
        path: the file to write.
        format: any ``dot -T`` format; by default the suffix of ``path``
            (``.svg``, ``.png``, ``.pdf``).

    Returns the path written. Raises ``RuntimeError`` when ``dot`` is not
    installed, and ``subprocess.CalledProcessError`` when it fails.

    >>> import shutil, tempfile, os, fntrans as ft, fntrans.numpy as fnp
    >>> ir = ft.make_jaxpr(fnp.tanh)(1.0)
    >>> if shutil.which("dot"):
    ...     out = ir.render(os.path.join(tempfile.mkdtemp(), "tanh.svg"))
    """
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(
            "render needs Graphviz's dot program, which is not on the PATH: install "
            "Graphviz (apt-get install graphviz, brew install graphviz, conda install "
            "graphviz), or write ir.to_dot() to a file and render it elsewhere."
        )
    path = os.fspath(path)
    fmt = format or os.path.splitext(path)[1].lstrip(".") or "svg"
    subprocess.run(
        [dot, f"-T{fmt}", "-o", path], input=to_dot(ir).encode(), check=True, capture_output=True
    )
    return path
