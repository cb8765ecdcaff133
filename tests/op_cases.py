"""The table of operations that the rule tests are generated from.

Each ``OpCase`` is one function over fntrans.numpy, the domain its inputs are
drawn from (kept away from kinks and singularities), and the shapes to try.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

import fntrans.numpy as fnp

# Shapes: scalars, 0-d, vectors, matrices, broadcasting pairs, empty.
UNARY_SHAPES = [(), (3,), (2, 3), (0,)]
BINARY_SHAPES = [
    ((), ()),
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((2, 1), (1, 3)),
    ((), (2, 2)),
    ((0,), (0,)),
]


@dataclasses.dataclass(frozen=True)
class OpCase:
    name: str
    fn: Callable
    shapes: list  # one tuple of argument shapes per entry
    domain: tuple = (-2.0, 2.0)  # (low, high) for every argument, or one per argument
    away_from: tuple = ()  # values the inputs keep a distance of 0.1 from (kinks, poles)
    distinct: bool = False  # entries pairwise apart (ties are kinks for max/min/sort)
    complex_ok: bool = False  # also checked with complex inputs

    def __repr__(self):
        return self.name

    def domains(self, nargs):
        if isinstance(self.domain[0], tuple):
            return self.domain
        return (self.domain,) * nargs


def unary(name, fn, domain=(-2.0, 2.0), shapes=UNARY_SHAPES, **kw):
    return OpCase(name, fn, [(s,) for s in shapes], domain, **kw)


def binary(name, fn, domain=(-2.0, 2.0), shapes=BINARY_SHAPES, **kw):
    return OpCase(name, fn, list(shapes), domain, **kw)


POSITIVE = (0.2, 2.0)
UNIT = (-0.9, 0.9)

OP_CASES = [
    # elementwise, one argument
    unary("negative", fnp.negative, complex_ok=True),
    unary("exp", fnp.exp, complex_ok=True),
    unary("exp2", fnp.exp2),
    unary("expm1", fnp.expm1),
    unary("log", fnp.log, POSITIVE, complex_ok=True),
    unary("log2", fnp.log2, POSITIVE),
    unary("log10", fnp.log10, POSITIVE),
    unary("log1p", fnp.log1p, (-0.8, 2.0)),
    unary("sin", fnp.sin, complex_ok=True),
    unary("cos", fnp.cos, complex_ok=True),
    unary("tan", fnp.tan, (-1.2, 1.2)),
    unary("arcsin", fnp.arcsin, UNIT),
    unary("arccos", fnp.arccos, UNIT),
    unary("arctan", fnp.arctan),
    unary("sinh", fnp.sinh),
    unary("cosh", fnp.cosh),
    unary("tanh", fnp.tanh, complex_ok=True),
    unary("arcsinh", fnp.arcsinh),
    unary("arccosh", fnp.arccosh, (1.2, 3.0)),
    unary("arctanh", fnp.arctanh, UNIT),
    unary("sqrt", fnp.sqrt, POSITIVE, complex_ok=True),
    unary("cbrt", fnp.cbrt, POSITIVE),
    unary("square", fnp.square, complex_ok=True),
    unary("reciprocal", fnp.reciprocal, POSITIVE),
    unary("abs", fnp.abs, away_from=(0.0,), complex_ok=True),
    unary("sign", lambda x: fnp.sign(x) * x, away_from=(0.0,)),
    unary("floor", lambda x: fnp.floor(x) + x, away_from=(-2, -1, 0, 1, 2)),
    unary("ceil", lambda x: fnp.ceil(x) * x, away_from=(-2, -1, 0, 1, 2)),
    unary("rint", lambda x: fnp.rint(x) + x, away_from=(-1.5, -0.5, 0.5, 1.5)),
    unary("trunc", lambda x: fnp.trunc(x) + x, away_from=(-2, -1, 0, 1, 2)),
    unary("real", lambda x: fnp.real(x * x), complex_ok=True),
    unary("imag", lambda x: fnp.imag(x * x), complex_ok=True),
    unary("conjugate", lambda x: fnp.conjugate(x) * x, complex_ok=True),
    unary("astype", lambda x: fnp.imag(x.astype(np.complex128) * (1 + 2j)) * x),
    unary("where", lambda x: fnp.where(x > 0, fnp.sin(x), x**2), away_from=(0.0,)),
    unary(
        "logic",
        lambda x: (
            x * fnp.logical_and(x > 0, ~(x > 1))
            + x * fnp.logical_or(x < -1, fnp.logical_xor(x > 0, x > 1))
        ),
        away_from=(-1.0, 0.0, 1.0),
    ),
    unary(
        "comparisons",
        lambda x: x * (x >= 0.5) + (x < 0.5) * x**3 + (x == x) * x + (x != 0.5) * (x <= 0.5) * x,
        away_from=(0.5,),
    ),
    # elementwise, two arguments (broadcasting)
    binary("add", fnp.add, complex_ok=True),
    binary("subtract", fnp.subtract, complex_ok=True),
    binary("multiply", fnp.multiply, complex_ok=True),
    binary("divide", fnp.divide, POSITIVE, complex_ok=True),
    binary("power", fnp.power, (POSITIVE, (-2.0, 2.0))),
    binary("power_int", lambda x, y: x**3 + y**2 + x**0),
    binary("maximum", fnp.maximum, distinct=True),
    binary("minimum", fnp.minimum, distinct=True),
    binary("arctan2", fnp.arctan2, POSITIVE),
    binary("scalar_mix", lambda x, y: 2.0 * x - y / 3.0 + 1.0),
    # reductions
    unary("sum", fnp.sum, complex_ok=True),
    unary("sum_axis", lambda x: fnp.sum(x, axis=-1, keepdims=True), shapes=[(3,), (2, 3)]),
    unary("mean", lambda x: fnp.mean(x, axis=0), shapes=[(3,), (2, 3)]),
    unary("max", fnp.max, shapes=[(), (3,), (2, 3)], distinct=True),
    unary("max_axis", lambda x: fnp.max(x, axis=1), shapes=[(2, 3), (2, 3, 2)], distinct=True),
    unary("min", lambda x: fnp.min(x, axis=0, keepdims=True), shapes=[(3,), (2, 3)], distinct=True),
    unary("max_ties", lambda x: fnp.max(fnp.stack([x, x])), shapes=[(3,)], distinct=True),
    unary("argmax", lambda x: x[fnp.argmax(x)] * x, shapes=[(3,), (4,)], distinct=True),
    unary("argmin", lambda x: x[:, fnp.argmin(x, axis=1)] * 2, shapes=[(2, 3)], distinct=True),
    # contraction
    OpCase(
        "matmul",
        fnp.matmul,
        [
            ((2, 3), (3, 4)),
            ((3,), (3, 2)),
            ((2, 3), (3,)),
            ((3,), (3,)),
            ((2, 2, 3), (3, 1)),
            ((1, 2, 3), (4, 3, 2)),
        ],
        complex_ok=True,
    ),
    OpCase("dot", fnp.dot, [((2, 3), (3,)), ((), (3,)), ((2, 3), (2, 3, 2))]),
    OpCase(
        "tensordot",
        lambda a, b: fnp.tensordot(a, b, axes=([0, 2], [1, 0])),
        [((2, 3, 4), (4, 2, 5))],
    ),
    OpCase("outer", fnp.outer, [((3,), (2,))]),
    OpCase("vdot", fnp.vdot, [((2, 3), (2, 3))], complex_ok=True),
    # structure
    unary("reshape", lambda x: fnp.reshape(x, (-1, 2)), shapes=[(2, 3), (4,)]),
    unary("transpose", lambda x: fnp.transpose(x), shapes=[(2, 3), (2, 3, 4)]),
    unary("T", lambda x: x.T @ x, shapes=[(2, 3)]),
    unary("swapaxes", lambda x: fnp.swapaxes(x, 0, 2), shapes=[(2, 3, 4)]),
    unary("moveaxis", lambda x: fnp.moveaxis(x, 0, -1), shapes=[(2, 3, 4)]),
    unary(
        "expand_squeeze", lambda x: fnp.squeeze(fnp.expand_dims(x, 1)) * 2, shapes=[(3,), (2, 3)]
    ),
    unary("broadcast_to", lambda x: fnp.broadcast_to(x, (2, 3)), shapes=[(3,), (1, 3), ()]),
    binary(
        "concatenate",
        lambda x, y: fnp.concatenate([x, y, x], axis=0),
        shapes=[((2,), (3,)), ((2, 3), (1, 3))],
    ),
    binary(
        "concatenate_axis1", lambda x, y: fnp.concatenate([x, y], axis=1), shapes=[((2, 3), (2, 1))]
    ),
    binary(
        "stack", lambda x, y: fnp.stack([x, y], axis=-1), shapes=[((3,), (3,)), ((2, 3), (2, 3))]
    ),
    binary(
        "array_of_list", lambda x, y: fnp.array([[x, y], [y, x]]), shapes=[((), ()), ((2,), (2,))]
    ),
    binary(
        "hstack_vstack",
        lambda x, y: fnp.hstack([x, y]) + fnp.vstack([x, y]).sum(),
        shapes=[((3,), (3,))],
    ),
    unary(
        "split",
        lambda x: fnp.split(x, 2)[1] * fnp.array_split(x, 3, axis=0)[0].sum(),
        shapes=[(4,), (4, 2)],
    ),
    unary("split_one_piece_used", lambda x: fnp.split(x, [1, 3])[2], shapes=[(4,), (5, 2)]),
    # indexing
    unary("index_int", lambda x: x[1], shapes=[(3,), (3, 2)]),
    unary("index_slice", lambda x: x[::-2, 1:], shapes=[(4, 3)]),
    unary("index_newaxis", lambda x: x[None, ..., 0], shapes=[(2, 3)]),
    unary("index_array", lambda x: x[np.array([0, 2, 0])], shapes=[(3,), (3, 2)]),
    unary("index_mixed", lambda x: x[np.array([1, 1]), :, np.array([0, 2])], shapes=[(2, 3, 4)]),
    unary("index_mask", lambda x: x[np.array([True, False, True])], shapes=[(3,), (3, 2)]),
    unary("take", lambda x: fnp.take(x, np.array([2, 0, 2])), shapes=[(3,), (2, 2)]),
    unary(
        "iterate",
        lambda x: fnp.sum(fnp.array([row * i for i, row in enumerate(x)])),
        shapes=[(3,), (3, 2)],
    ),
    unary(
        "ravel_pytree",
        lambda x: __import__("fntrans").tree.ravel_pytree({"a": x, "b": [x, 2 * x]})[0],
        shapes=[(2,), (2, 2)],
    ),
]
