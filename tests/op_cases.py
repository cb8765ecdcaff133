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
# for elementwise functions beyond the basic set: broadcasting both ways, and a scalar
FEW_BINARY_SHAPES = [((2, 1), (1, 3)), ((), (3,))]


@dataclasses.dataclass(frozen=True)
class OpCase:
    name: str
    fn: Callable
    shapes: list  # one tuple of argument shapes per entry
    domain: tuple = (-2.0, 2.0)  # (low, high) for every argument, or one per argument
    away_from: tuple = ()  # values the inputs keep a distance of 0.1 from (kinks, poles)
    distinct: bool = False  # entries pairwise apart (ties are kinks for max/min/sort)
    complex_ok: bool = False  # also checked with complex inputs
    concrete_only: bool = False  # needs concrete values (not batched or abstract ones)
    # draw(data, shapes, with_imag=False) -> float64 (or complex) arguments, for
    # families whose inputs need structure (SPD matrices, distinct eigenvalues, ...)
    draw: Callable | None = None
    # (rtol, atol) for the float32 agreement check, for ill-conditioned families
    float32_tol: tuple = (2e-3, 2e-3)

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


def _assigned(x, v):
    """Assignment into a copy, as plain NumPy code writes it."""
    y = fnp.copy(x)
    y[1:] = v * 2.0
    y[0] *= v[0]
    return y


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
            x * fnp.logical_and(x > 0, fnp.logical_not(x > 1))
            + x * fnp.logical_or(x < -1, fnp.logical_xor(x > 0, x > 1))
        ),
        away_from=(-1.0, 0.0, 1.0),
    ),
    unary(
        "bitwise",
        lambda x: (
            x * ((x > 0) & ~(x > 1) | (x < -1) ^ (x < -1.5))
            + x * (((x > 0).astype(np.int8) << 2) >> 1)
        ),
        away_from=(-1.5, -1.0, 0.0, 1.0),
    ),
    unary(
        "floor_divide",
        lambda x: (x // 0.5) * x + x,
        away_from=(-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0),
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
    unary("reshape_F", lambda x: fnp.reshape(x, (3, -1), order="F")[:, 1] * 2.0, shapes=[(2, 3)]),
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
    # more elementwise math
    binary("logaddexp", fnp.logaddexp, shapes=FEW_BINARY_SHAPES),
    binary("logaddexp2", fnp.logaddexp2, shapes=FEW_BINARY_SHAPES),
    binary("hypot", fnp.hypot, POSITIVE, shapes=FEW_BINARY_SHAPES),
    # fmod's quotient stays -1 and remainder's 1: away from their jumps
    binary("fmod", fnp.fmod, ((-3.6, -3.2), (1.9, 2.5)), shapes=FEW_BINARY_SHAPES),
    binary("remainder", fnp.remainder, ((3.2, 3.6), (1.9, 2.5)), shapes=FEW_BINARY_SHAPES),
    binary("copysign", fnp.copysign, away_from=(0.0,), shapes=FEW_BINARY_SHAPES),
    binary(
        "float_power",
        lambda x, y: fnp.float_power(x, y).astype(x.dtype),
        (POSITIVE, (-2.0, 2.0)),
        shapes=FEW_BINARY_SHAPES,
    ),
    unary("sinc", fnp.sinc, shapes=[(), (2, 3)], complex_ok=True),
    unary(
        "angles",
        lambda x: fnp.deg2rad(x) * fnp.rad2deg(x) + fnp.angle(x),
        away_from=(0.0,),
        shapes=[(3,)],
    ),
    unary("angle_complex", lambda z: fnp.angle(z + 2.5), shapes=[(3,)], complex_ok=True),
    unary(
        "fix", lambda x: fnp.fix(x) * x + fnp.fabs(x), away_from=(-2, -1, 0, 1, 2), shapes=[(3,)]
    ),
    unary(
        "float_classes",
        lambda x: fnp.where(fnp.isfinite(x) & ~fnp.isnan(x) & ~fnp.isinf(x / x), x, 0.0),
        away_from=(0.0,),
        shapes=[(3,)],
    ),
    # more reductions
    unary("prod", lambda x: fnp.prod(x, axis=-1), shapes=[(2, 3)]),
    unary("prod_axes", lambda x: fnp.prod(x, axis=(0, 2), keepdims=True), shapes=[(2, 3, 2)]),
    unary(
        "prod_two_zeros",
        lambda x: fnp.prod(fnp.concatenate([x - x[:1], x - x[1:2]])),
        shapes=[(3,)],
    ),
    unary(
        "cumsum", lambda x: fnp.cumsum(x, axis=0) + fnp.cumsum(x).reshape(x.shape), shapes=[(3, 2)]
    ),
    unary("cumprod", lambda x: fnp.cumprod(x, axis=-1), shapes=[(2, 5)]),
    unary("cumprod_zero", lambda x: fnp.cumprod(x - x[1]), shapes=[(4,)]),
    unary(
        "var_std",
        lambda x: fnp.var(x, axis=-1, ddof=1) + fnp.std(x, axis=0).sum(),
        shapes=[(2, 3)],
        distinct=True,
    ),
    unary("ptp", lambda x: fnp.ptp(x, axis=0), shapes=[(3, 2)], distinct=True),
    unary(
        "any_all_count_nonzero",
        lambda x: (
            x * fnp.any(x > 0.5, axis=-1, keepdims=True)
            + x * fnp.all(x < 1.0)
            + fnp.where(fnp.count_nonzero(x > 0, axis=0) > 1, x, 0.0)
        ),
        shapes=[(2, 3)],
        away_from=(0.0, 0.5, 1.0),
    ),
    binary(
        "average",
        lambda x, w: fnp.average(x, axis=-1, weights=w),
        POSITIVE,
        shapes=[((2, 3), (3,))],
    ),
    unary("median", lambda x: fnp.median(x, axis=-1), shapes=[(2, 4)], distinct=True),
    unary(
        "quantile", lambda x: fnp.quantile(x, [0.3, 0.9], axis=0), shapes=[(5, 2)], distinct=True
    ),
    # sorting
    unary("sort", lambda x: fnp.sort(x, axis=0), shapes=[(3, 2)], distinct=True),
    unary(
        "argsort",
        lambda x: fnp.take_along_axis(x, fnp.argsort(x, axis=-1), axis=-1) * x,
        shapes=[(2, 3)],
        distinct=True,
    ),
    # einsum
    OpCase(
        "einsum_matmul",
        lambda a, b: fnp.einsum("ij,jk->ik", a, b),
        [((2, 3), (3, 4))],
        complex_ok=True,
    ),
    OpCase(
        "einsum_ellipsis_implicit",
        lambda a, b: fnp.einsum("...ij,...jk", a, b),
        [((1, 2, 3), (4, 1, 3, 2))],
    ),
    OpCase("einsum_broadcast_label", lambda a, b: fnp.einsum("ij,ij->j", a, b), [((1, 3), (4, 3))]),
    OpCase(
        "einsum_three", lambda a, b, c: fnp.einsum("ij,jk,k->i", a, b, c), [((2, 3), (3, 4), (4,))]
    ),
    OpCase("einsum_summed_alone", lambda a, b: fnp.einsum("ij,k->kj", a, b), [((2, 3), (4,))]),
    unary(
        "einsum_diagonal",
        lambda a: (
            fnp.einsum("ii->i", a) * fnp.einsum("ii", a)
            + fnp.einsum("iji->j", fnp.stack([a, 2 * a, a]))
        ),
        shapes=[(3, 3)],
    ),
    # more structure
    unary("flip", lambda x: fnp.flip(x, 0) + fnp.fliplr(fnp.flipud(x)) * 2, shapes=[(2, 3)]),
    unary(
        "roll",
        lambda x: fnp.roll(x, 1, axis=-1) + fnp.roll(x, (1, -4), axis=(0, 1)) + fnp.roll(x, 2),
        shapes=[(2, 3)],
    ),
    unary(
        "rot90",
        lambda x: fnp.rot90(x) + fnp.rot90(x, 3) * 2 + fnp.rot90(fnp.rot90(x, 2)),
        shapes=[(2, 3)],
    ),
    unary(
        "pad_constant", lambda x: fnp.pad(x, ((1, 0), (2, 1)), constant_values=3.0), shapes=[(2, 3)]
    ),
    unary(
        "pad_modes",
        lambda x: sum(
            fnp.pad(x, (1, 2), mode=m) * (i + 1)
            for i, m in enumerate(["edge", "reflect", "symmetric", "wrap"])
        ),
        shapes=[(2, 3)],
    ),
    unary("triangles", lambda x: fnp.triu(x, 1) + fnp.tril(x, -1) * 2, shapes=[(2, 3, 4)]),
    unary(
        "diagonal_trace",
        lambda x: fnp.diag(fnp.diagonal(x)) * fnp.trace(x) + fnp.diagonal(x, -1).sum(),
        shapes=[(3, 3)],
    ),
    unary("diagonal_axes", lambda x: fnp.diagonal(x, 1, 2, 0), shapes=[(2, 3, 4)]),
    unary("diag_vector", lambda x: fnp.diag(x, 1) + fnp.diagflat(x, -1), shapes=[(3,)]),
    binary("kron", fnp.kron, shapes=[((2, 2), (1, 3))]),
    binary("cross", fnp.cross, shapes=[((2, 3), (3,))]),
    unary("tile", lambda x: fnp.tile(x, (2, 1, 2)), shapes=[(2, 3)]),
    unary(
        "repeat",
        lambda x: fnp.repeat(x, 2, axis=0) * fnp.sum(fnp.repeat(x, [2, 0, 1], axis=-1)),
        shapes=[(2, 3)],
    ),
    binary(
        "stack_more",
        lambda x, y: fnp.sum(fnp.dstack([x, y])) * fnp.column_stack([x, y]),
        shapes=[((3,), (3,))],
    ),
    binary(
        "meshgrid",
        lambda x, y: fnp.meshgrid(x, y)[0] * fnp.meshgrid(x, y, indexing="ij")[1].T,
        shapes=[((3,), (2,))],
    ),
    unary(
        "atleast_3d_append",
        lambda x: fnp.atleast_3d(x) * fnp.sum(fnp.append(x, 2 * x)),
        shapes=[(3,)],
    ),
    unary("delete", lambda x: fnp.delete(x, 1, axis=0), shapes=[(3, 2)]),
    unary("full_like", lambda x: fnp.full_like(x, fnp.sum(x)) * x, shapes=[(2, 3)]),
    unary(
        "select",
        lambda x: fnp.select([x < -0.5, x > 0.5], [x**2, fnp.sin(x)], x * 3.0),
        away_from=(-0.5, 0.5),
    ),
    unary(
        "partition",
        lambda x: fnp.partition(x, 1) * fnp.arange(1.0, 4.0, like=x).astype(x.dtype),
        shapes=[(3,)],
        distinct=True,
    ),
    unary(
        "unique",
        lambda x: fnp.unique(fnp.concatenate([x, x])) * 2.0,
        shapes=[(3,)],
        distinct=True,
        concrete_only=True,
    ),
    binary(
        "interp",
        lambda x, f: fnp.interp(x, fnp.asarray([-3.0, -1.0, 0.5, 3.0], like=x), f),
        shapes=[((3,), (4,))],
        away_from=(-1.0, 0.5),
        concrete_only=True,
    ),
    # assignment
    binary(
        "at_set",
        lambda x, y: fnp.at(x)[np.array([2, 0])].set(y),
        shapes=[((3,), (2,)), ((3, 2), (2, 2)), ((3, 2), ())],
    ),
    binary(
        "at_add_repeated",
        lambda x, y: fnp.at(x)[np.array([1, 1, 0])].add(y),
        shapes=[((3,), (3,)), ((2, 2), ())],
    ),
    binary("setitem", _assigned, shapes=[((3,), (2,)), ((3, 2), (2, 2))]),
    binary(
        "at_multiply_repeated",
        lambda x, y: fnp.at(x)[np.array([1, 1, 0])].multiply(y),
        shapes=[((3,), (3,)), ((2, 2), ())],
        away_from=(0.0,),  # second derivatives at an exact zero: see the rule
    ),
    binary(
        "at_divide_power_repeated",
        lambda x, y: (
            fnp.at(x)[np.array([1, 1, 0])].divide(y) + fnp.at(x)[np.array([2, 2])].power(y[:2])
        ),
        (POSITIVE, POSITIVE),
        shapes=[((3,), (3,))],
    ),
    binary(
        "at_max_repeated",
        lambda x, y: fnp.at(x)[np.array([1, 1, 0])].max(y),
        shapes=[((3,), (3,)), ((2, 2), ())],
        distinct=True,
    ),
    binary(
        "at_min_repeated",
        lambda x, y: fnp.at(x)[np.array([1, 1, 0])].min(y),
        shapes=[((3,), (3,))],
        distinct=True,
    ),
]

# Each family's cases live beside its tests' strategies, in a module of its own.
from tests import (  # noqa: E402
    op_cases_complex,
    op_cases_control,
    op_cases_decompositions,
    op_cases_fft,
    op_cases_matrix_functions,
    op_cases_numpy_extra,
    op_cases_solve,
    op_cases_special,
    op_cases_stats,
)

OP_CASES += [
    *op_cases_complex.CASES,
    *op_cases_decompositions.CASES,
    *op_cases_solve.CASES,
    *op_cases_fft.CASES,
    *op_cases_numpy_extra.CASES,
    *op_cases_special.CASES,
    *op_cases_stats.CASES,
    *op_cases_matrix_functions.CASES,
    *op_cases_control.CASES,
]
