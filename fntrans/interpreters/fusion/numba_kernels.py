"""CPU kernels: a fused group as a Numba-compiled loop nest.

The kernel's source is generated from the group's program (shapes are
static, so the loops and every operand's index are written out; an operand
of lower rank or with axes of length 1 is indexed as NumPy broadcasts it),
written into a cache directory under a name that hashes the source, and
imported from there: Numba's ``cache=True`` then keeps the machine code on
disk beside it, so another process does not compile it again. Numba is
imported on a kernel's first call, not before.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pathlib
import sys
import tempfile

import numpy as np

from fntrans.core.ir import IR, Literal
from fntrans.interpreters.fusion.ops import loop_dtypes, number_text, operation

_OPERATORS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/"}
_SPECIAL = {
    "nan": "np.nan",
    "inf": "np.inf",
    "-inf": "-np.inf",
    "bool": repr,
}
_loaded = {}  # source hash -> the compiled kernel (a Numba dispatcher)


def available() -> bool:
    """Whether Numba is installed (without importing it)."""
    return importlib.util.find_spec("numba") is not None


def cache_directory() -> pathlib.Path:
    """Where kernels' sources and Numba's machine code are kept:
    ``$FNTRANS_CACHE_DIR/numba``, by default ``~/.cache/fntrans/numba``."""
    root = os.environ.get("FNTRANS_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "fntrans"
    )
    return pathlib.Path(root) / "numba"


def _expression(eqn, operands: list) -> str:
    op = operation(eqn)
    if op in _OPERATORS:
        return f"{operands[0]} {_OPERATORS[op]} {operands[1]}"
    if op == "negative":
        return f"-{operands[0]}"
    if op == "square":
        return f"{operands[0]} * {operands[0]}"
    if op == "select":
        return f"{operands[1]} if {operands[0]} else {operands[2]}"
    if op == "convert":
        if eqn.params["dtype"].kind == "b":
            return f"{operands[0]} != 0"
        return operands[0]
    return f"np.{op}({', '.join(operands)})"


def kernel_source(sub: IR, shape: tuple) -> str:
    """The Python source of the Numba kernel computing ``sub`` (elementwise
    equations over ``shape``, maybe closed by ``reduce_sum``): a function
    ``kernel`` of the inputs returning the outputs (a reduction to a scalar
    as an array of one element).

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> sub = ft.make_jaxpr(lambda x, b: fnp.sum(fnp.tanh(x + b) * 2.0, axis=0))(
    ...     fnp.ones((2, 3)), fnp.ones(3))
    >>> print(kernel_source(sub, (2, 3)))
    import numba
    import numpy as np
    <BLANKLINE>
    <BLANKLINE>
    @numba.njit(cache=True, error_model="numpy", nogil=True)
    def kernel(a0, a1):
        r0 = np.zeros((3,), np.float64)
        for i0 in range(2):
            for i1 in range(3):
                x0 = a0[i0, i1]
                x1 = a1[i1]
                t0 = x0 + x1
                t1 = np.tanh(t0)
                t2 = t1 * np.float64(2.0)
                r0[i1] += t2
        return (r0,)
    """
    names = {}
    head, loads, body = [], [], []
    rank = len(shape)
    index = [f"i{k}" for k in range(rank)]
    for k, v in enumerate(sub.invars):
        names[v] = f"x{k}"
        dims = v.aval.shape
        if not dims:
            head.append(f"x{k} = np.{v.aval.dtype.name}(a{k})")
            continue
        at = [
            "0" if d == 1 and shape[rank - len(dims) + j] != 1 else index[rank - len(dims) + j]
            for j, d in enumerate(dims)
        ]
        loads.append(f"x{k} = a{k}[{', '.join(at)}]")
    outputs = {v: k for k, v in enumerate(sub.outvars)}
    results = {}  # output position -> its array
    for count, eqn in enumerate(sub.eqns):
        (out,) = eqn.outvars
        if operation(eqn) == "reduce_sum":
            k = outputs[out]
            axes = eqn.params["axes"]
            kept = [index[j] for j in range(rank) if j not in axes] or ["0"]
            reduced = tuple(d for j, d in enumerate(shape) if j not in axes) or (1,)
            head.append(f"r{k} = np.zeros({reduced!r}, np.float64)")
            body.append(f"r{k}[{', '.join(kept)}] += {names[eqn.invars[0]]}")
            dtype = out.aval.dtype.name
            results[k] = f"r{k}" if dtype == "float64" else f"r{k}.astype(np.{dtype})"
            continue
        operands = []
        for v, dtype in zip(eqn.invars, loop_dtypes(eqn)):
            if type(v) is Literal:
                operands.append(number_text(v.value, dtype, f"np.{dtype.name}({{}})", _SPECIAL))
            elif v.aval.dtype != dtype:
                operands.append(f"np.{dtype.name}({names[v]})")
            else:
                operands.append(names[v])
        expr = _expression(eqn, operands)
        dtype = out.aval.dtype
        names[out] = f"t{count}"
        if dtype != np.float64 and dtype.kind != "b" or operation(eqn) == "convert":
            expr = f"np.{dtype}({expr})"  # Numba would promote float32 arithmetic
        body.append(f"t{count} = {expr}")
        if out in outputs:
            k = outputs[out]
            head.append(f"o{k} = np.empty({shape!r}, np.{dtype.name})")
            body.append(f"o{k}[{', '.join(index)}] = t{count}")
            results[k] = f"o{k}"
    args = ", ".join(f"a{k}" for k in range(len(sub.invars)))
    lines = [
        "import numba",
        "import numpy as np",
        "",
        "",
        '@numba.njit(cache=True, error_model="numpy", nogil=True)',
        f"def kernel({args}):",
        *(f"    {line}" for line in head),
    ]
    indent = "    "
    for k in range(rank):
        lines.append(f"{indent}for i{k} in range({shape[k]}):")
        indent += "    "
    lines += [indent + line for line in loads + body]
    returned = ", ".join(results[k] for k in range(len(sub.outvars)))
    lines.append(f"    return ({returned},)")
    return "\n".join(lines) + "\n"


def load_kernel(source: str):
    """The compiled kernel of ``source`` (from :func:`kernel_source`): its
    module is written into the cache directory once and imported; Numba
    compiles it on its first call, or loads it from its disk cache."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    kernel = _loaded.get(digest)
    if kernel is not None:
        return kernel
    directory = cache_directory()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"fused_{digest}.py"
    if not path.exists() or path.read_text() != source:
        # written whole, then renamed: a process beside this one never reads half a file
        fd, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(temporary, path)
    name = f"fntrans_fused_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    # registered as imported: Numba's disk cache finds a kernel's globals by its module's name
    sys.modules[name] = module
    spec.loader.exec_module(module)
    kernel = _loaded[digest] = module.kernel
    return kernel


def make_runner(sub: IR, shape: tuple):
    """A function of the group's inputs returning the tuple of its outputs,
    which compiles (or loads) the kernel on its first call."""
    source = kernel_source(sub, shape)
    scalars = [not v.aval.shape for v in sub.invars]
    reduced_to_scalar = [not v.aval.shape for v in sub.outvars]
    any_scalar, any_reduced = any(scalars), any(reduced_to_scalar)
    kernel = None

    def run(*args):
        nonlocal kernel
        if kernel is None:
            kernel = load_kernel(source)
        if any_scalar:
            args = [_python_scalar(a) if s else a for a, s in zip(args, scalars)]
        outs = kernel(*args)
        if any_reduced:
            outs = tuple(o[0] if s else o for o, s in zip(outs, reduced_to_scalar))
        return outs

    return run


def _python_scalar(x):
    # a 0-d array or NumPy scalar as Numba takes it; the kernel casts it back
    return x.item() if isinstance(x, (np.ndarray, np.generic)) else x
