"""Products of vectors, matrices and tensors: ``matmul``, ``dot``, ``tensordot``,
``inner``, ``outer`` and ``vdot`` (all through the ``matmul`` primitive),
``einsum`` (NumPy's subscripts spelled out, then one ``einsum`` primitive),
``kron``, ``cross`` and ``trace``."""

from __future__ import annotations

import math
import string

import numpy as np

from fntrans.numpy._indexing import diagonal
from fntrans.numpy._math import conjugate
from fntrans.numpy._reductions import sum
from fntrans.numpy._shape import moveaxis
from fntrans.numpy._util import asarray
from fntrans.primitives import elementwise as ew
from fntrans.primitives.broadcasting import broadcast_to, reduce_sum
from fntrans.primitives.indexing import getitem
from fntrans.primitives.joining import join
from fntrans.primitives.products import einsum_p, matmul_p, unused_letters
from fntrans.primitives.shape import reshape, transpose


def matmul(a, b, /):
    """NumPy's ``matmul`` (the ``@`` operator).

    >>> import fntrans.numpy as fnp
    >>> fnp.matmul(fnp.eye(2), fnp.array([1.0, 2.0]))
    array([1., 2.])
    """
    return matmul_p.bind(asarray(a), asarray(b))


def tensordot(a, b, axes=2):
    """Sum of products over the given axes of ``a`` and ``b``, as NumPy's ``tensordot``."""
    a, b = asarray(a), asarray(b)
    if isinstance(axes, (int, np.integer)):
        axes_a = list(range(a.ndim - axes, a.ndim))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
    axes_a = [x % a.ndim for x in axes_a]
    axes_b = [x % b.ndim for x in axes_b]
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [i for i in range(b.ndim) if i not in axes_b]
    k = math.prod([a.shape[i] for i in axes_a])
    a2 = reshape(transpose(a, tuple(free_a + axes_a)), (_prod(a.shape, free_a), k))
    b2 = reshape(transpose(b, tuple(axes_b + free_b)), (k, _prod(b.shape, free_b)))
    out_shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b)
    return reshape(matmul_p.bind(a2, b2), out_shape)


def _prod(shape, axes):
    return math.prod([shape[i] for i in axes])


def dot(a, b, /):
    """NumPy's ``dot``: matrix product for 1-d and 2-d operands, ``tensordot`` over
    the last axis of ``a`` and the second-to-last of ``b`` beyond.

    >>> import fntrans.numpy as fnp
    >>> fnp.dot(fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0]))
    np.float64(11.0)
    """
    a, b = asarray(a), asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return ew.mul(a, b)
    if b.ndim <= 2:
        return matmul_p.bind(a, b)
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2]))


def inner(a, b, /):
    """Sum of products over the last axes of ``a`` and ``b``."""
    a, b = asarray(a), asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return ew.mul(a, b)
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


def outer(a, b, /):
    """Outer product of two vectors (flattened first, as NumPy does)."""
    a, b = asarray(a), asarray(b)
    return ew.mul(reshape(a, (a.size, 1)), reshape(b, (1, b.size)))


def vdot(a, b, /):
    """Dot product of flattened arrays, conjugating the first."""
    a, b = asarray(a), asarray(b)
    if a.dtype.kind == "c":
        a = conjugate(a)
    return reduce_sum(ew.mul(reshape(a, (a.size,)), reshape(b, (b.size,))), (0,))


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
        operands = [ew.convert_element_type(o, dtype=dtype) for o in operands]
    spec = explicit_subscripts(subscripts, [np.shape(o) for o in operands])
    return einsum_p.bind(*operands, subscripts=spec)


def kron(a, b):
    """The Kronecker product: blocks of ``b`` scaled by each entry of ``a``.

    >>> import fntrans.numpy as fnp
    >>> fnp.kron(fnp.array([1.0, 10.0]), fnp.array([1.0, 2.0]))
    array([ 1.,  2., 10., 20.])
    """
    a, b = asarray(a), asarray(b)
    d = max(a.ndim, b.ndim)
    a_shape = (1,) * (d - a.ndim) + a.shape
    b_shape = (1,) * (d - b.ndim) + b.shape
    a = reshape(a, tuple(x for n in a_shape for x in (n, 1)))
    b = reshape(b, tuple(x for n in b_shape for x in (1, n)))
    return reshape(ew.mul(a, b), tuple(m * n for m, n in zip(a_shape, b_shape)))


def cross(a, b, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis=None):
    """The cross product of 3-vectors (or 2-vectors, as vectors in the plane z = 0).

    >>> import fntrans.numpy as fnp
    >>> fnp.cross(fnp.array([1.0, 0.0, 0.0]), fnp.array([0.0, 1.0, 0.0]))
    array([0., 0., 1.])
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(asarray(a), axisa, -1), moveaxis(asarray(b), axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(
            f"cross: vectors must have 2 or 3 components, not {a.shape[-1]} and {b.shape[-1]}."
        )

    def component(v, i):
        return getitem(v, (Ellipsis, i)) if i < v.shape[-1] else 0.0

    a0, a1, a2 = (component(a, i) for i in range(3))
    b0, b1, b2 = (component(b, i) for i in range(3))
    z = ew.sub(ew.mul(a0, b1), ew.mul(a1, b0))
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return z
    x = ew.sub(ew.mul(a1, b2), ew.mul(a2, b1))
    y = ew.sub(ew.mul(a2, b0), ew.mul(a0, b2))
    shape = np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(z))
    c = join([broadcast_to(v, shape) for v in (x, y, z)], axis=len(shape), new_axis=True)
    return moveaxis(c, -1, axisc)


def trace(a, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype=None):
    """The sum along the ``offset``-th diagonal.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ft.grad(fnp.trace)(fnp.ones((2, 2)))
    array([[1., 0.],
           [0., 1.]])
    """
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)
