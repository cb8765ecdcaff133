"""Op-table cases for complex numbers throughout (holomorphic and not).

Every case is ``complex_ok``: it is checked with real inputs and with complex
ones (the real draw plus an imaginary part in (-1, 1)), by finite differences
under JAX's convention. Domains keep the complex draws away from branch cuts
and poles: ``log`` and ``sqrt`` cut along the negative reals, ``arctan`` and
``arcsinh`` along the imaginary axis beyond ``±i`` (so their argument is
halved), ``arccosh`` along the reals below 1.
"""

from __future__ import annotations

import numpy as np
from hypothesis.extra import numpy as hnp

import fntrans.numpy as fnp
from tests.op_cases import binary, unary
from tests.strategies import _distinct_values, _elements

SHAPES = [(), (3,), (2, 3)]
FEW = [(3,)]
PAIRS = [((), ()), ((2, 3), (3,)), ((2, 1), (1, 3))]
POSITIVE = (0.2, 2.0)
UNIT = (-0.9, 0.9)


def _draw_real_and_complex(domains):
    """A draw of a real first argument and a second that is complex when the
    case is checked with complex inputs: the cotangent of the real operand must
    stay real (the real part of the complex one)."""

    def draw(data, shapes, with_imag=False):
        args = []
        for i, (shape, (low, high)) in enumerate(zip(shapes, domains)):
            x = data.draw(hnp.arrays(np.float64, shape, elements=_elements(low, high, ())))
            if with_imag and i > 0:
                x = x + 1j * data.draw(hnp.arrays(np.float64, shape, elements=_elements(-1, 1, ())))
            args.append(x)
        return args

    return draw


def _draw_distinct(data, shapes, with_imag=False):
    """Entries with distinct real parts (and any imaginary parts)."""
    (shape,) = shapes
    x = _distinct_values(data, int(np.prod(shape)), -2.0, 2.0).reshape(shape)
    if with_imag:
        x = x + 1j * data.draw(hnp.arrays(np.float64, shape, elements=_elements(-1, 1, ())))
    return [x]


def _real_and_imag(w):
    # a real result for real inputs (whose float32 results must stay float32)
    return fnp.real(w) + fnp.imag(w) ** 2


def _assigned(z, v):
    """Assignment of values into a copy, as plain NumPy code writes it."""
    y = fnp.copy(z)
    y[1:] = v[:2] * 2.0
    y[0] *= v[2]
    return y


def _hermitian_form(a, z):
    # conj(z)^T (A + A^T) z, real for real symmetric A + A^T
    return fnp.conj(z) @ (a + a.T) @ z


CASES = [
    # elementwise math: the holomorphic functions
    unary("complex_exp2", fnp.exp2, shapes=SHAPES, complex_ok=True),
    unary("complex_expm1", fnp.expm1, shapes=SHAPES, complex_ok=True),
    unary("complex_log2", fnp.log2, POSITIVE, shapes=SHAPES, complex_ok=True),
    unary("complex_log10", fnp.log10, POSITIVE, shapes=SHAPES, complex_ok=True),
    unary("complex_log1p", fnp.log1p, (-0.6, 2.0), shapes=SHAPES, complex_ok=True),
    unary("complex_tan", fnp.tan, (-1.0, 1.0), shapes=SHAPES, complex_ok=True),
    unary("complex_arcsin", fnp.arcsin, UNIT, shapes=SHAPES, complex_ok=True),
    unary("complex_arccos", fnp.arccos, UNIT, shapes=SHAPES, complex_ok=True),
    unary("complex_arctan", lambda z: fnp.arctan(0.5 * z), shapes=SHAPES, complex_ok=True),
    unary("complex_sinh", fnp.sinh, shapes=SHAPES, complex_ok=True),
    unary("complex_cosh", fnp.cosh, shapes=SHAPES, complex_ok=True),
    unary("complex_arcsinh", lambda z: fnp.arcsinh(0.5 * z), shapes=SHAPES, complex_ok=True),
    unary("complex_arccosh", fnp.arccosh, (1.2, 3.0), shapes=SHAPES, complex_ok=True),
    unary("complex_arctanh", fnp.arctanh, UNIT, shapes=SHAPES, complex_ok=True),
    unary("complex_reciprocal", fnp.reciprocal, POSITIVE, shapes=SHAPES, complex_ok=True),
    unary("complex_square", lambda z: fnp.square(z) * z, shapes=FEW, complex_ok=True),
    # powers: integer, real and complex exponents, a complex base of a real power
    unary(
        "complex_power_int",
        lambda z: z**3 + z**-2 + z**1 + z**0,
        away_from=(0.0,),
        shapes=SHAPES,
        complex_ok=True,
    ),
    unary(
        "complex_power_real",
        lambda z: z**2.5 + z**0.5 * z**-1.5,
        POSITIVE,
        shapes=FEW,
        complex_ok=True,
    ),
    unary(
        "complex_power_complex_exponent",
        lambda z: fnp.abs(z ** (1.5 - 0.5j)) + 2.0**z,
        POSITIVE,
        shapes=FEW,
        complex_ok=True,
    ),
    binary("complex_power", fnp.power, (POSITIVE, (-2.0, 2.0)), shapes=PAIRS, complex_ok=True),
    unary(
        "complex_float_power",
        lambda z: fnp.float_power(z, 1.5).astype(z.dtype),
        POSITIVE,
        shapes=FEW,
        complex_ok=True,
    ),
    # the non-holomorphic ones: parts, modulus, phase, sign
    unary(
        "complex_parts",
        lambda z: fnp.real(z) * fnp.imag(z) + fnp.conj(z) * fnp.real(z * z),
        shapes=SHAPES,
        complex_ok=True,
    ),
    unary(
        "complex_methods",
        lambda z: z.real * z.imag + z.conj() * z.conjugate() + fnp.conjugate(z.T).T,
        shapes=SHAPES,
        complex_ok=True,
    ),
    unary(
        "complex_abs_angle",
        lambda z: fnp.absolute(z) ** 3 + fnp.angle(z) * fnp.abs(z),
        POSITIVE,  # angle's branch cut is the negative reals
        shapes=SHAPES,
        complex_ok=True,
    ),
    unary(
        "complex_angle_deg", lambda z: fnp.angle(z, deg=True), POSITIVE, shapes=FEW, complex_ok=True
    ),
    unary(
        "complex_sign", lambda z: fnp.sign(z) * z, away_from=(0.0,), shapes=SHAPES, complex_ok=True
    ),
    # a real input's path through complex values: complex sign of a complex number
    unary(
        "complex_sign_phase",
        lambda x: fnp.imag(fnp.sign(x + 0.5j)) * x,
        shapes=FEW,
        complex_ok=True,
    ),
    unary(
        "complex_sinc_cos", lambda z: fnp.sinc(z) * fnp.cos(z), shapes=[(), (3,)], complex_ok=True
    ),
    # arithmetic: mixed real and complex operands, division by complex
    binary(
        "complex_mixed_arithmetic",
        lambda x, z: x * z + z / (x + 3.0) - (x + 3.0) / (z + 3.0) + x**2 - z,
        shapes=PAIRS,
        complex_ok=True,
        draw=_draw_real_and_complex(((-2.0, 2.0), (-2.0, 2.0))),
    ),
    binary(
        "complex_mixed_power",
        lambda x, z: z**x + x**z,
        shapes=PAIRS,
        complex_ok=True,
        draw=_draw_real_and_complex((POSITIVE, POSITIVE)),
    ),
    binary(
        "complex_python_scalars",
        lambda x, z: _real_and_imag(1j * x + (2 - 1j) * z - x / (2 + 1j) + (1 + 1j) ** z),
        shapes=PAIRS,
        complex_ok=True,
        draw=_draw_real_and_complex(((-2.0, 2.0), (-2.0, 2.0))),
    ),
    unary(
        "complex_astype",
        lambda x: fnp.real(x.astype(np.complex128) * (1 + 2j)).astype(x.dtype) * x,
        shapes=SHAPES,
        complex_ok=True,
    ),
    # reductions and cumulative operations; var and std of complex values are real
    unary(
        "complex_reductions",
        lambda z: fnp.mean(z, axis=0) * fnp.prod(z, axis=0) + fnp.sum(z * z, axis=0),
        shapes=[(3,), (2, 3)],
        complex_ok=True,
    ),
    unary(
        "complex_cumulative",
        lambda z: fnp.cumsum(z, axis=-1) + fnp.cumprod(z, axis=-1),
        shapes=[(3,), (2, 3)],
        complex_ok=True,
    ),
    unary(
        "complex_var_std",
        lambda z: fnp.var(z, axis=-1) + fnp.std(z, axis=-1, ddof=1) * fnp.var(z),
        shapes=[(3,), (2, 3)],
        complex_ok=True,
        draw=_draw_distinct,  # std is not differentiable where all entries are equal
    ),
    # products: Hermitian forms, dot, vdot, einsum, tensordot
    binary(
        "complex_hermitian_form",
        _hermitian_form,
        shapes=[((3, 3), (3,))],
        complex_ok=True,
        draw=_draw_real_and_complex(((-2.0, 2.0), (-2.0, 2.0))),
    ),
    binary(
        "complex_products",
        lambda a, b: (
            fnp.dot(a, b) + fnp.einsum("ij,j->i", a, fnp.conj(b)) + fnp.vdot(a[0], b) * b[0]
        ),
        shapes=[((2, 3), (3,))],
        complex_ok=True,
    ),
    binary(
        "complex_tensordot_outer",
        lambda a, b: fnp.tensordot(a, b, axes=1) * fnp.inner(b, b) + fnp.outer(b, b)[:2, 1],
        shapes=[((2, 3), (3,))],
        complex_ok=True,
        draw=_draw_real_and_complex(((-2.0, 2.0), (-2.0, 2.0))),
    ),
    binary(
        "complex_conj_matmul",
        lambda a, b: fnp.conj(a).T @ a @ b,
        shapes=[((2, 3), (3, 2))],
        complex_ok=True,
    ),
    # where, select, indexing and assignment
    binary(
        "complex_where",
        lambda x, z: fnp.where(x > 0, z, x) + fnp.select([x < -0.5, x > 0.5], [z * z, x], 0.5) * z,
        shapes=PAIRS,
        away_from=(-0.5, 0.0, 0.5),
        complex_ok=True,
    ),
    binary(
        "complex_indexing",
        lambda z, v: z[np.array([2, 0, 2])] * v + fnp.at(z)[1].set(v[0]) + fnp.at(z)[0].add(v[1]),
        shapes=[((3,), (3,))],
        complex_ok=True,
    ),
    binary("complex_setitem", _assigned, shapes=[((3,), (3,))], complex_ok=True),
    binary(
        "complex_at_into_real",
        lambda x, z: fnp.at(x.astype(z.dtype))[np.array([0, 0])].multiply(z[:2]) * x,
        shapes=[((3,), (3,))],
        complex_ok=True,
        draw=_draw_real_and_complex(((-2.0, 2.0), POSITIVE)),  # see at_multiply_repeated
    ),
]
