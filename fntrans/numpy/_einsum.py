"""``einsum``: NumPy's subscripts (ellipses, implicit outputs, the interleaved
form) spelled out explicitly, then one ``einsum`` primitive."""

from __future__ import annotations

import string

import numpy as np

from fntrans.numpy._creation import asarray
from fntrans.primitives.elementwise import convert_element_type
from fntrans.primitives.products import einsum_p, unused_letters


def _interleaved_to_string(args):
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as ``("ab,bc->ac", [a, b])``."""

    def labels(sublist):
        return "".join("..." if s is Ellipsis else string.ascii_letters[s] for s in sublist)

    operands, specs = list(args[0::2]), list(args[1::2])
    output = None
    if len(operands) > len(specs):  # a trailing output sublist
        output = operands.pop()
    subscripts = ",".join(labels(s) for s in specs)
    if output is not None:
        subscripts += "->" + labels(output)
    return subscripts, operands


def explicit_subscripts(subscripts: str, shapes) -> str:
    """``subscripts`` with every ellipsis replaced by letters and the output
    written out (NumPy's implicit output: the labels used once, sorted, after
    the ellipsis dimensions).

    >>> explicit_subscripts("...ij,jk", [(5, 2, 3), (3, 4)])
    'aij,jk->aik'
    """
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(
            f"einsum: subscripts '{subscripts}' name {len(inputs)} operand(s), "
            f"but {len(shapes)} were given."
        )
    fresh = unused_letters(subscripts)
    ellipsis_rank = max(
        (len(shape) - len(s.replace("...", "")) for s, shape in zip(inputs, shapes) if "..." in s),
        default=0,
    )
    ellipsis = "".join(next(fresh) for _ in range(ellipsis_rank))
    expanded = []
    for s, shape in zip(inputs, shapes):
        if "..." in s:
            rank = len(shape) - len(s.replace("...", ""))
            s = s.replace("...", ellipsis[ellipsis_rank - rank :] if rank else "")
        expanded.append(s)
    if not arrow:
        labels = "".join(expanded).replace(" ", "")
        once = sorted(
            (c for c in set(labels) if labels.count(c) == 1 and c not in ellipsis), key=ord
        )
        output = ellipsis + "".join(once)
    else:
        output = output.replace("...", ellipsis)
    return ",".join(expanded) + "->" + output


def einsum(subscripts, *operands, dtype=None, optimize=None, **kwargs):
    """Einstein summation, as NumPy's ``einsum`` (ellipses and implicit outputs too).

    One primitive, whatever the subscripts: each operand's cotangent is
    another einsum. ``optimize`` is accepted for compatibility; fntrans picks
    a contraction path itself for large or many operands.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> A = fnp.array([[1.0, 2.0], [3.0, 4.0]])
    >>> fnp.einsum("ii", A)
    np.float64(5.0)
    >>> ft.grad(lambda A: fnp.einsum("ij,ij->", A, A))(A)
    array([[2., 4.],
           [6., 8.]])
    """
    if kwargs.get("out") is not None:
        raise TypeError("einsum: fntrans arrays are immutable, so out= is not supported.")
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved_to_string((subscripts,) + operands)
    operands = [asarray(o) for o in operands]
    if dtype is not None:
        operands = [convert_element_type(o, dtype=dtype) for o in operands]
    spec = explicit_subscripts(subscripts, [np.shape(o) for o in operands])
    return einsum_p.bind(*operands, subscripts=spec)
