"""Op-table cases for linear solves, inverses, determinants and norms."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fntrans.numpy as fnp
from tests.op_cases import OpCase

L = fnp.linalg


def _uniform(data, shape, low=-1.0, high=1.0):
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    return data.draw(hnp.arrays(np.float64, shape, elements=floats))


def _well_conditioned(data, shape, with_imag):
    """``n I`` plus small entries: a (stack of) well-conditioned square matrices
    whose determinant is positive, far from any kink of slogdet's sign."""
    n = shape[-1]
    a = n * np.eye(n) + 0.5 * _uniform(data, shape)
    if with_imag:
        a = a + 0.5j * _uniform(data, shape)
    return a


def _plain(data, shape, with_imag):
    x = _uniform(data, shape, -2.0, 2.0)
    return x + 1j * _uniform(data, shape) if with_imag else x


def matrices_first(n_square=1):
    """A draw whose first ``n_square`` arguments are well-conditioned square
    matrices (stacks allowed) and the rest plain."""

    def draw(data, shapes, with_imag=False):
        return [
            _well_conditioned(data, s, with_imag) if i < n_square else _plain(data, s, with_imag)
            for i, s in enumerate(shapes)
        ]

    return draw


def _tensor_draw(ind):
    """A tensor whose first ``ind`` axes against the others reshape to a
    well-conditioned square matrix; further arguments plain."""

    def draw(data, shapes, with_imag=False):
        shape = shapes[0]
        n = math.prod(shape[:ind])
        a = _well_conditioned(data, (n, n), with_imag).reshape(shape)
        return [a] + [_plain(data, s, with_imag) for s in shapes[1:]]

    return draw


def _distinct_sums(data, shape):
    """Entries away from 0 whose absolute row sums and column sums are all far
    apart (ties are kinks of the max and min over them)."""
    rows, cols = shape
    magnitude = 0.2 + 0.1 * (_uniform(data, shape) + 1) + 0.37 * np.arange(rows)[:, None]
    magnitude = magnitude + 0.53 * np.arange(cols)
    signs = np.where(_uniform(data, shape) < 0, -1.0, 1.0)
    return signs * magnitude


def _spread_singular_values(data, shapes, with_imag=False):
    """Matrices near ``diag(1, 2, ...)``: singular values about 1 apart (ties are
    kinks of the spectral norms)."""
    out = []
    for shape in shapes:
        rows, cols = shape[-2:]
        base = np.zeros((rows, cols))
        k = min(rows, cols)
        base[range(k), range(k)] = np.arange(1.0, k + 1)
        x = base + 0.15 * _uniform(data, shape)
        out.append(x + 0.15j * _uniform(data, shape) if with_imag else x)
    return out


def _logabsdet_and_sign(a):
    sign, logabsdet = L.slogdet(a)
    # the sign is constant for real matrices; for complex ones it moves
    return logabsdet + fnp.real(sign * (1.0 + 2.0j)) if fnp.iscomplexobj(a) else logabsdet + sign


SQUARE = [((3, 3),), ((2, 3, 3),)]

CASES: list = [
    OpCase(
        "linalg_solve_vector",
        L.solve,
        [((3, 3), (3,)), ((2, 3, 3), (3,))],
        draw=matrices_first(),
        complex_ok=True,
    ),
    OpCase(
        "linalg_solve_matrix",
        L.solve,
        [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2)), ((2, 3, 3), (3, 1)), ((3, 3), (2, 3, 2))],
        draw=matrices_first(),
        complex_ok=True,
    ),
    OpCase("linalg_inv", L.inv, SQUARE, draw=matrices_first(), complex_ok=True),
    OpCase("linalg_slogdet", _logabsdet_and_sign, SQUARE, draw=matrices_first(), complex_ok=True),
    OpCase("linalg_det", L.det, SQUARE, draw=matrices_first(), complex_ok=True),
    OpCase(
        "linalg_matrix_power",
        lambda a: L.matrix_power(a, 3) + L.matrix_power(a, -2) + L.matrix_power(a, 0),
        SQUARE,
        draw=matrices_first(),
    ),
    OpCase(
        "linalg_multi_dot",
        lambda a, b, c, d: L.multi_dot([a, b, c, d]),
        [((3,), (3, 4), (4, 2), (2,)), ((2, 3), (3, 4), (4, 1), (1, 2))],
    ),
    OpCase(
        "linalg_tensorsolve",
        L.tensorsolve,
        [((6, 2, 3), (6,)), ((2, 3, 6), (2, 3))],
        draw=lambda data, shapes, with_imag=False: _tensor_draw(len(shapes[1]))(
            data, shapes, with_imag
        ),
    ),
    OpCase(
        "linalg_tensorinv",
        lambda a: L.tensorinv(a, ind=1),
        [((6, 2, 3),)],
        draw=_tensor_draw(1),
    ),
    # vector norms, away from the kinks of |x| and of max/min at ties
    OpCase(
        "linalg_norm_2",
        lambda x: L.norm(x) + L.norm(x, 2, axis=-1, keepdims=True),
        [((3,),), ((2, 3),)],
        away_from=(0.0,),
        complex_ok=True,
    ),
    OpCase(
        "linalg_norm_1_inf",
        lambda x: L.norm(x, 1, axis=0) + L.norm(x, np.inf, axis=0) + L.norm(x, -np.inf, axis=0),
        [((4,),), ((4, 2),)],
        distinct=True,
        domain=(0.2, 2.0),
    ),
    OpCase(
        "linalg_norm_p",
        lambda x: L.norm(x, 3, axis=-1) + L.norm(x, 0.5, axis=-1) + L.norm(x, -1, axis=-1),
        [((3,),), ((2, 3),)],
        away_from=(0.0,),
    ),
    OpCase(
        "linalg_norm_0",
        lambda x: L.norm(x, 0) * x,
        [((3,),)],
        away_from=(0.0,),
    ),
    # matrix norms
    OpCase(
        "linalg_norm_fro",
        lambda x: L.norm(x, "fro", axis=(-2, -1), keepdims=True) + L.norm(x, axis=(0, -1)),
        [((2, 3),), ((2, 2, 3),)],
        away_from=(0.0,),
        complex_ok=True,
    ),
    OpCase(
        "linalg_norm_matrix_1_inf",
        lambda x: (
            L.norm(x, 1) + L.norm(x, -1) + L.norm(x, np.inf) + L.norm(x, -np.inf, axis=(1, 0))
        ),
        [((3, 4),)],
        draw=lambda data, shapes, with_imag=False: [_distinct_sums(data, shapes[0])],
    ),
    OpCase(
        "linalg_norm_svd",
        lambda x: (
            L.norm(x, 2, axis=(-2, -1))
            + L.norm(x, -2, axis=(-2, -1))
            + L.norm(x, "nuc", axis=(-1, -2))
        ),
        [((3, 3),), ((2, 3),), ((2, 3, 2),)],
        draw=_spread_singular_values,
    ),
]
