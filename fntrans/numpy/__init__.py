"""``fntrans.numpy``: NumPy's API over fntrans primitives.

Outside a transform these functions return plain NumPy arrays; inside one they
are traced and differentiated.

>>> import fntrans as ft, fntrans.numpy as fnp
>>> print(ft.grad(lambda x: fnp.sum(fnp.tanh(x)))(fnp.zeros(2)))
[1. 1.]
"""

import numpy as _np
from numpy import (  # noqa: F401  NumPy's constants, dtypes and helpers, re-exported
    bool_,
    complex64,
    complex128,
    dtype,
    e,
    finfo,
    float16,
    float32,
    float64,
    floating,
    iinfo,
    inf,
    int8,
    int16,
    int32,
    int64,
    integer,
    issubdtype,
    nan,
    ndarray,
    newaxis,
    pi,
    random,
    uint8,
)

from fntrans.numpy._creation import (
    arange,
    array,
    asarray,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    identity,
    linspace,
    logspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from fntrans.numpy._indexing import nonzero, take
from fntrans.numpy._manipulation import (
    array_split,
    atleast_1d,
    atleast_2d,
    broadcast_to,
    concatenate,
    expand_dims,
    hstack,
    moveaxis,
    ndim,
    ravel,
    reshape,
    result_type,
    shape,
    size,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
    vstack,
)
from fntrans.numpy._products import dot, inner, matmul, outer, tensordot, vdot
from fntrans.numpy._reductions import amax, amin, argmax, argmin, max, mean, min, sum
from fntrans.numpy._ufuncs import (
    abs,
    absolute,
    add,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    around,
    cbrt,
    ceil,
    clip,
    conj,
    conjugate,
    cos,
    cosh,
    divide,
    equal,
    exp,
    exp2,
    expm1,
    floor,
    floor_divide,
    greater,
    greater_equal,
    imag,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    positive,
    power,
    real,
    reciprocal,
    rint,
    round,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    true_divide,
    trunc,
    where,
)

float_ = _np.float64
int_ = _np.int_


def _install():
    from fntrans.numpy._methods import attach_methods

    attach_methods()


_install()
