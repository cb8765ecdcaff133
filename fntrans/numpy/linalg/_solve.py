"""Solves, inverses, determinants, norms: NumPy's ``inv``, ``det``, ``slogdet``,
``solve``, ``norm``, ``matrix_power``, ``multi_dot``, ``tensorsolve`` and
``tensorinv``, on stacks of matrices where NumPy takes them.

Integer and boolean inputs compute in float64, as NumPy's do.
"""

from __future__ import annotations

import math
import operator
from typing import NamedTuple

import numpy as np

from fntrans import errors
from fntrans.core import constants
from fntrans.core.tracer import Tracer
from fntrans.numpy._products import dot
from fntrans.numpy._reductions import max as _max
from fntrans.numpy._reductions import min as _min
from fntrans.numpy._reductions import sum as _sum
from fntrans.numpy._shape import moveaxis
from fntrans.numpy._util import asarray
from fntrans.primitives import elementwise as ew
from fntrans.primitives import linear_systems as ls
from fntrans.primitives import math_functions as mf
from fntrans.primitives.broadcasting import broadcast_to
from fntrans.primitives.products import matmul
from fntrans.primitives.shape import reshape, transpose

__all__ = [
    "inv",
    "det",
    "slogdet",
    "solve",
    "norm",
    "matrix_power",
    "multi_dot",
    "tensorsolve",
    "tensorinv",
]


def _inexact(a):
    """``a`` as an array of a float or complex dtype (float64 for integers and booleans)."""
    a = asarray(a)
    if a.dtype.kind not in "fc":
        a = ew.convert_element_type(a, dtype=np.float64)
    return a


def _square(a):
    a = _inexact(a)
    ls._check_square(a.shape)
    return a


def inv(a):
    """The inverse of a square matrix, or of each matrix in a stack.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> fnp.linalg.inv(fnp.array([[2.0, 0.0], [0.0, 4.0]]))
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    >>> print(ft.grad(lambda a: fnp.linalg.inv(a)[0, 0])(fnp.array([[2.0]])))
    [[-0.25]]
    """
    return ls.inv(_square(a))


def det(a):
    """The determinant of a square matrix, or of each matrix in a stack.

    Its derivative is the adjugate, defined (and computed) also where the
    matrix is singular.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> a = fnp.array([[1.0, 2.0], [2.0, 4.0]])  # singular
    >>> print(fnp.linalg.det(a))
    0.0
    >>> ft.grad(fnp.linalg.det)(a)
    array([[ 4., -2.],
           [-2.,  1.]])
    """
    return ls.det(_square(a))


class SlogdetResult(NamedTuple):
    """``(sign, logabsdet)``, as NumPy 2's ``slogdet`` returns."""

    sign: object
    logabsdet: object


def slogdet(a) -> SlogdetResult:
    """The sign and the log of the absolute value of the determinant, without
    overflow: ``det(a) == sign * exp(logabsdet)``. For complex matrices the
    sign has modulus 1. A singular matrix gives ``(0, -inf)``.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> sign, logabsdet = fnp.linalg.slogdet(fnp.array([[2.0, 0.0], [0.0, -3.0]]))
    >>> print(sign, round(float(logabsdet), 6))
    -1.0 1.791759
    >>> ft.grad(lambda a: fnp.linalg.slogdet(a).logabsdet)(fnp.array([[2.0, 0.0], [0.0, 4.0]]))
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    sign, logabsdet = ls.slogdet(_square(a))
    return SlogdetResult(sign, logabsdet)


def solve(a, b):
    """``x`` with ``a @ x == b``, with NumPy 2's rules: ``b`` is a vector only
    when it is 1-d, otherwise a (stack of) matrices; batch axes broadcast.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> a = fnp.array([[3.0, 1.0], [1.0, 2.0]])
    >>> fnp.linalg.solve(a, fnp.array([9.0, 8.0]))
    array([2., 3.])
    """
    a, b = _square(a), _inexact(b)
    if b.ndim == 1:
        if b.shape[0] != a.shape[-1]:
            raise ValueError(
                f"solve: b has {b.shape[0]} entries but a has {a.shape[-1]} rows "
                f"(shapes {a.shape} and {b.shape})"
            )
        x = ls.solve(a, reshape(b, b.shape + (1,)))
        return reshape(x, x.shape[:-1])
    return ls.solve(a, b)


# ---- norms ----


def _sum_of_squares(x, axes, keepdims=False):
    """``sum(|x|**2)`` over ``axes``; a 1-d real vector through one dot product."""
    if x.dtype.kind == "c":
        squares = ew.real(ew.mul(ew.conj(x), x))
    elif x.ndim == 1 and not keepdims:
        return matmul(x, x)
    else:
        squares = ew.mul(x, x)
    return _sum(squares, axis=axes, keepdims=keepdims)


def _root(s, p=2):
    """``s ** (1 / p)`` (``sqrt`` for 2), whose derivative is taken as 0 where
    ``s == 0``: the norm of a zero vector gets a zero gradient, not ``0 * inf``."""
    if not isinstance(s, Tracer):  # nothing to differentiate
        return mf.sqrt(s) if p == 2 else mf.pow(s, 1.0 / p)
    zero = ew.eq(s, 0)
    if isinstance(zero, (np.ndarray, np.generic)) and not zero.any():
        return mf.sqrt(s) if p == 2 else mf.pow(s, 1.0 / p)
    safe = ew.select(zero, 1.0, s)
    root = mf.sqrt(safe) if p == 2 else mf.pow(safe, 1.0 / p)
    return ew.select(zero, 0.0, root)


def _power_of_abs(x, p):
    """``|x| ** p`` for a p-norm; where ``x == 0`` its derivative is taken as 0."""
    a = mf.abs_p.bind(x)
    if p >= 1 or not isinstance(a, Tracer):  # finite derivative at 0, or none wanted
        return mf.pow(a, p)
    zero = ew.eq(a, 0)
    if isinstance(zero, (np.ndarray, np.generic)) and not zero.any():
        return mf.pow(a, p)
    return ew.select(zero, 0.0 if p > 0 else np.inf, mf.pow(ew.select(zero, 1.0, a), p))


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or (not isinstance(ord, str) and ord == 2):
        return _root(_sum_of_squares(x, axis, keepdims))
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    if ord == np.inf:
        return _max(mf.abs_p.bind(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return _min(mf.abs_p.bind(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # the number of nonzero entries: no derivative
        count = ew.convert_element_type(ew.ne_p.bind(x, 0), dtype=np.empty(0, x.dtype).real.dtype)
        return _sum(count, axis=axis, keepdims=keepdims)
    if ord == 1:
        return _sum(mf.abs_p.bind(x), axis=axis, keepdims=keepdims)
    p = float(ord)
    return _root(_sum(_power_of_abs(x, p), axis=axis, keepdims=keepdims), p)


def _singular_values(x, row_axis, col_axis):
    from fntrans.numpy.linalg._decompositions import svd

    return svd(moveaxis(x, (row_axis, col_axis), (-2, -1)), compute_uv=False)


def _matrix_norm(x, ord, row_axis, col_axis):
    if ord == 2:
        return _max(_singular_values(x, row_axis, col_axis), axis=-1)
    if ord == -2:
        return _min(_singular_values(x, row_axis, col_axis), axis=-1)
    if ord in (1, -1):
        if col_axis > row_axis:
            col_axis -= 1
        column_sums = _sum(mf.abs_p.bind(x), axis=row_axis)
        return (_max if ord == 1 else _min)(column_sums, axis=col_axis)
    if ord in (np.inf, -np.inf):
        if row_axis > col_axis:
            row_axis -= 1
        row_sums = _sum(mf.abs_p.bind(x), axis=col_axis)
        return (_max if ord == np.inf else _min)(row_sums, axis=row_axis)
    if ord in (None, "fro", "f"):
        return _root(_sum_of_squares(x, (row_axis, col_axis)))
    if ord == "nuc":
        return _sum(_singular_values(x, row_axis, col_axis), axis=-1)
    raise ValueError("Invalid norm order for matrices.")


def norm(x, ord=None, axis=None, keepdims: bool = False):
    """A vector or matrix norm, as NumPy's ``norm``: every ``ord`` NumPy takes
    (vectors: ``None``/2, ``inf``, ``-inf``, 0, 1, -1, any p; matrices:
    ``None``/``'fro'``, ``'nuc'``, ``inf``, ``-inf``, 1, -1, 2, -2), over
    ``axis`` (an int for vectors, a pair for matrices), with ``keepdims``.

    At a zero vector (or matrix) the gradient of the 2-norm, the Frobenius
    norm and the p-norms is 0 (a subgradient), not NaN as
    ``sqrt(sum(x**2))`` gives.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> print(fnp.linalg.norm(fnp.array([3.0, 4.0])))
    5.0
    >>> ft.grad(fnp.linalg.norm)(fnp.zeros(2))
    array([0., 0.])
    """
    x = _inexact(x)
    nd = x.ndim
    if axis is None:
        if (
            ord is None
            or (isinstance(ord, str) and ord in ("f", "fro") and nd == 2)
            or (not isinstance(ord, str) and ord == 2 and nd == 1)
        ):
            ret = _root(_sum_of_squares(reshape(x, (x.size,)), (0,)))
            return reshape(ret, (1,) * nd) if keepdims else ret
        axis = tuple(range(nd))
    elif not isinstance(axis, tuple):
        try:
            axis = (operator.index(axis),)
        except TypeError as e:
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from e
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    if len(axis) == 2:
        row_axis, col_axis = (_axis_index(a, nd) for a in axis)
        if row_axis == col_axis:
            raise ValueError("Duplicate axes given.")
        ret = _matrix_norm(x, ord, row_axis, col_axis)
        if keepdims:
            shape = list(x.shape)
            shape[row_axis] = shape[col_axis] = 1
            ret = reshape(ret, tuple(shape))
        return ret
    raise ValueError("Improper number of dimensions to norm.")


def _axis_index(axis, ndim):
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


# ---- products and powers ----


def matrix_power(a, n):
    """``a`` to the integer power ``n`` by repeated squaring (``inv(a)`` first
    for a negative ``n``; the identity for 0), for a matrix or a stack.

    >>> import fntrans.numpy as fnp
    >>> fnp.linalg.matrix_power(fnp.array([[1.0, 1.0], [0.0, 1.0]]), 3)
    array([[1., 3.],
           [0., 1.]])
    """
    a = asarray(a)
    ls._check_square(a.shape)
    try:
        n = operator.index(n)
    except TypeError as e:
        raise TypeError("exponent must be an integer") from e
    if n == 0:
        eye = constants.eye(a.shape[-1], a.dtype, like=a)
        out = broadcast_to(eye, a.shape)
        return out.copy() if isinstance(out, np.ndarray) else out
    if n < 0:
        a, n = inv(a), -n
    result = z = None
    while n > 0:
        z = a if z is None else matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def _chain_order(shapes):
    """The cheapest parenthesization of a matrix chain (NumPy's dynamic
    program): ``split[i][j]`` is where the product of ``i..j`` splits."""
    dims = [s[0] for s in shapes] + [shapes[-1][1]]
    n = len(shapes)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain_product(arrays, split, i, j):
    if i == j:
        return arrays[i]
    k = split[i][j]
    return matmul(_chain_product(arrays, split, i, k), _chain_product(arrays, split, k + 1, j))


def multi_dot(arrays, *, out=None):
    """The product of two or more matrices in the cheapest order; the first
    may be a row vector and the last a column vector given as 1-d arrays.

    >>> import fntrans.numpy as fnp
    >>> fnp.linalg.multi_dot([fnp.ones(2), fnp.eye(2), fnp.ones((2, 3))])
    array([2., 2., 2.])
    """
    if out is not None:
        raise errors.out_argument("linalg.multi_dot")
    arrays = [asarray(a) for a in arrays]
    n = len(arrays)
    if n < 2:
        raise ValueError("Expecting at least two arrays.")
    if n == 2:
        return dot(arrays[0], arrays[1])
    first, last = arrays[0].ndim, arrays[-1].ndim
    if first == 1:
        arrays[0] = reshape(arrays[0], (1,) + arrays[0].shape)
    if last == 1:
        arrays[-1] = reshape(arrays[-1], arrays[-1].shape + (1,))
    for a in arrays:
        if a.ndim != 2:
            raise np.linalg.LinAlgError(
                f"{a.ndim}-dimensional array given. Array must be two-dimensional"
            )
    split = _chain_order([a.shape for a in arrays])
    result = _chain_product(arrays, split, 0, n - 1)
    if first == 1 and last == 1:
        return reshape(result, ())
    if first == 1 or last == 1:
        return reshape(result, (result.size,))
    return result


# ---- tensor equations ----


def tensorsolve(a, b, axes=None):
    """``x`` with ``tensordot(a, x, axes=x.ndim) == b``, where the trailing
    axes of ``a`` (after moving ``axes`` to the end) are ``x``'s.

    >>> import fntrans.numpy as fnp
    >>> a = fnp.eye(6).reshape((6, 2, 3))
    >>> fnp.linalg.tensorsolve(a, fnp.arange(6.0)).shape
    (2, 3)
    """
    a, b = _inexact(a), _inexact(b)
    an = a.ndim
    if axes is not None:
        order = list(range(an))
        for k in axes:
            order.remove(k)
            order.insert(an, k)
        a = transpose(a, tuple(order))
    old_shape = a.shape[-(an - b.ndim) :]
    size = math.prod(old_shape)
    if a.size != size**2:
        raise np.linalg.LinAlgError(
            "Input arrays must satisfy the requirement "
            "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])"
        )
    x = solve(reshape(a, (size, size)), reshape(b, (b.size,)))
    return reshape(x, old_shape)


def tensorinv(a, ind: int = 2):
    """The inverse of ``a`` for ``tensordot`` over its first ``ind`` axes.

    >>> import fntrans.numpy as fnp
    >>> fnp.linalg.tensorinv(fnp.eye(6).reshape((6, 2, 3)), ind=1).shape
    (2, 3, 6)
    """
    a = _inexact(a)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    shape = a.shape
    size = math.prod(shape[ind:])
    inverse = inv(reshape(a, (size, a.size // size if size else 0)))
    return reshape(inverse, shape[ind:] + shape[:ind])
