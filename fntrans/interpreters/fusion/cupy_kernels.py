"""GPU kernels: a fused group as a ``cupy.ElementwiseKernel``.

The kernel's C body is generated from the group's program; CuPy broadcasts
the operands, compiles the kernel on its first call and keeps it on disk.
Nothing here imports CuPy: the array module comes with the arrays.
Reductions are not fused on the GPU (groups there are elementwise only).
"""

from __future__ import annotations

import hashlib

from fntrans.core.ir import IR, Literal
from fntrans.interpreters.fusion.ops import loop_dtypes, number_text, operation

C_TYPES = {"float64": "double", "float32": "float", "bool": "bool"}
_OPERATORS = {
    "add": "+",
    "subtract": "-",
    "multiply": "*",
    "divide": "/",
    "equal": "==",
    "not_equal": "!=",
    "less": "<",
    "less_equal": "<=",
    "greater": ">",
    "greater_equal": ">=",
    "logical_and": "&&",
    "logical_or": "||",
}
_FUNCTIONS = {
    "absolute": "fabs",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arctan2": "atan2",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "power": "pow",
}
_SPECIAL = {
    "nan": "(0.0 / 0.0)",
    "inf": "(1.0 / 0.0)",
    "-inf": "(-1.0 / 0.0)",
    "bool": lambda b: "true" if b else "false",
}
_kernels = {}  # (array module, source) -> kernel


def supports(xp) -> bool:
    """Whether ``xp`` is CuPy (or looks like it): it has ``ElementwiseKernel``."""
    return hasattr(xp, "ElementwiseKernel")


def _expression(op: str, a: list, c_type: str) -> str:
    if op in _OPERATORS:
        return f"{a[0]} {_OPERATORS[op]} {a[1]}"
    if op == "negative":
        return f"-{a[0]}"
    if op == "positive":
        return f"+{a[0]}"
    if op == "logical_not":
        return f"!{a[0]}"
    if op == "logical_xor":
        return f"(bool){a[0]} != (bool){a[1]}"
    if op == "square":
        return f"{a[0]} * {a[0]}"
    if op == "reciprocal":
        return f"({c_type})1 / {a[0]}"
    if op in ("maximum", "minimum"):  # NaN wins, as in NumPy (fmax, fmin ignore it)
        order = ">" if op == "maximum" else "<"
        return f"(isnan({a[0]}) || {a[0]} {order} {a[1]}) ? {a[0]} : {a[1]}"
    if op == "select":
        return f"{a[0]} ? {a[1]} : {a[2]}"
    if op == "convert":
        return f"{a[0]} != 0" if c_type == "bool" else f"({c_type}){a[0]}"
    return f"{_FUNCTIONS.get(op, op)}({', '.join(a)})"


def kernel_parts(program: IR) -> tuple:
    """``(in_params, out_params, operation, name)`` of the ElementwiseKernel
    computing ``program``: CuPy's typed parameter lists and the C body.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> program = ft.make_jaxpr(lambda x, y: 1.0 - fnp.tanh(x) * y)(fnp.ones(3), 2.0)
    >>> ins, outs, body, name = kernel_parts(program)
    >>> ins, outs
    ('float64 a0, float64 a1', 'float64 o0')
    >>> print(body)
    double t0 = (double)(tanh(a0));
    double t1 = (double)(t0 * a1);
    double t2 = (double)((double)1.0 - t1);
    o0 = t2;
    """
    names = {v: f"a{k}" for k, v in enumerate(program.invars)}
    ins = ", ".join(f"{v.aval.dtype.name} a{k}" for k, v in enumerate(program.invars))
    outs = ", ".join(f"{v.aval.dtype.name} o{k}" for k, v in enumerate(program.outvars))
    lines = []
    for count, eqn in enumerate(program.eqns):
        operands = []
        for v, dtype in zip(eqn.invars, loop_dtypes(eqn)):
            c = C_TYPES[dtype.name]
            if type(v) is Literal:
                operands.append(number_text(v.value, dtype, f"({c}){{}}", _SPECIAL))
            elif v.aval.dtype != dtype:
                operands.append(f"({c}){names[v]}")
            else:
                operands.append(names[v])
        (out,) = eqn.outvars
        c_type = C_TYPES[out.aval.dtype.name]
        expr = _expression(operation(eqn), operands, c_type)
        names[out] = f"t{count}"
        lines.append(f"{c_type} t{count} = ({c_type})({expr});")
    for k, v in enumerate(program.outvars):
        lines.append(f"o{k} = {names[v]};")
    body = "\n".join(lines)
    digest = hashlib.sha256(f"{ins}|{outs}|{body}".encode()).hexdigest()[:16]
    return ins, outs, body, f"fntrans_fused_{digest}"


def make_runner(program: IR, xp):
    """A function of the group's inputs (arrays of ``xp``) returning the tuple
    of its outputs through one ElementwiseKernel, made once per source."""
    parts = kernel_parts(program)
    key = (xp, parts)
    kernel = _kernels.get(key)
    if kernel is None:
        kernel = _kernels[key] = xp.ElementwiseKernel(*parts)

    def run(*args):
        outs = kernel(*args)
        return outs if isinstance(outs, tuple) else (outs,)

    run.parts = parts
    return run
