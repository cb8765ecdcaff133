"""Op-table cases for matrix functions: expm, sqrtm and the Sylvester solve
behind sqrtm's derivative."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fntrans.primitives.matrix_functions import expm, solve_sylvester, sqrtm
from tests.op_cases import OpCase


def _entries(data, shape, low, high, with_imag):
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    x = data.draw(hnp.arrays(np.float64, shape, elements=floats))
    if with_imag:
        x = x + 1j * data.draw(hnp.arrays(np.float64, shape, elements=floats))
    return x


def _moderate(data, shapes, with_imag=False):
    """Matrices with entries in [-1, 1]: moderate norms, so expm is well conditioned."""
    return [_entries(data, s, -1.0, 1.0, with_imag) for s in shapes]


def _near_identity(data, shapes, with_imag=False):
    """I + E with |E_ij| <= 0.3 / n: eigenvalues well inside the right half plane."""
    return [np.eye(s[-1]) + _entries(data, s, -0.3, 0.3, with_imag) / s[-1] for s in shapes]


def _spd(data, shapes, with_imag=False):
    """M Mᵀ + I/2: symmetric positive definite, eigenvalues at least 1/2."""
    out = []
    for s in shapes:
        m = _entries(data, s, -1.0, 1.0, False)
        out.append(m @ np.swapaxes(m, -1, -2) / s[-1] + 0.5 * np.eye(s[-1]))
    return out


def _sylvester_system(data, shapes, with_imag=False):
    """a and b near 2 I (a + b never singular as a Sylvester operator), any q."""
    a_shape, b_shape, q_shape = shapes
    a, b = (2 * x for x in _near_identity(data, [a_shape, b_shape], with_imag))
    return [a, b, _entries(data, q_shape, -1.0, 1.0, with_imag)]


CASES = [
    OpCase(
        "expm",
        expm,
        [((3, 3),), ((2, 2, 2),), ((1, 1),)],
        draw=_moderate,
        complex_ok=True,
    ),
    OpCase(
        "expm_of_sum",
        lambda a, b: expm(a + 0.5 * b) @ b,
        [((2, 2), (2, 2))],
        draw=_moderate,
    ),
    OpCase("sqrtm", sqrtm, [((3, 3),), ((2, 2, 2),)], draw=_near_identity, complex_ok=True),
    OpCase("sqrtm_spd", sqrtm, [((3, 3),), ((2, 3, 3),)], draw=_spd),
    OpCase(
        "solve_sylvester",
        solve_sylvester,
        [((3, 3), (2, 2), (3, 2)), ((2, 2, 2), (2, 2), (2, 2))],
        draw=_sylvester_system,
        complex_ok=True,
    ),
]
