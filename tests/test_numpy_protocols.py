"""Unmodified NumPy code on traced values: every op-table function that NumPy
also has, called as ``numpy.<name>`` on tracers, dispatches to fntrans and gives
the same values and derivatives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fntrans as ft
import fntrans.numpy as fnp
from tests.op_cases import OP_CASES
from tests.strategies import draw_args


def _numpy_twin(case):
    """NumPy's function of the same name, when the row is an fntrans.numpy function."""
    name = getattr(case.fn, "__name__", "")
    if getattr(fnp, name, None) is not case.fn:
        return None
    twin = getattr(np, name, None)
    return twin if callable(twin) else None


CASES = [(c, c.shapes[0], _numpy_twin(c)) for c in OP_CASES if _numpy_twin(c) is not None]


def test_the_table_covers_many_numpy_functions():
    assert len(CASES) >= 40, [c.name for c, _, _ in CASES]


@pytest.mark.parametrize("case,shapes,twin", CASES, ids=[c.name for c, _, _ in CASES])
@given(data=st.data())
def test_numpy_function_on_tracers_matches_fntrans(case, shapes, twin, data):
    args = draw_args(data, case, shapes)
    ct_shape = np.shape(case.fn(*args))
    ct = np.cos(np.arange(int(np.prod(ct_shape)))).reshape(ct_shape)
    for f in (case.fn, twin):
        out, vjp_fn = ft.vjp(f, *args)
        np.testing.assert_allclose(out, case.fn(*args), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(
            np.concatenate([np.ravel(g) for g in vjp_fn(ct)]),
            np.concatenate([np.ravel(g) for g in ft.vjp(case.fn, *args)[1](ct)]),
            rtol=1e-12,
            atol=1e-12,
        )
    tangents = tuple(np.ones_like(a) for a in args)
    np.testing.assert_allclose(
        ft.jvp(twin, tuple(args), tangents)[1],
        ft.jvp(case.fn, tuple(args), tangents)[1],
        rtol=1e-12,
    )
    batched = [np.stack([a, a]) for a in args]  # stays in the domain
    np.testing.assert_allclose(ft.vmap(twin)(*batched), ft.vmap(case.fn)(*batched), rtol=1e-12)


def test_ndarray_methods_on_tracers():
    x = np.array([[0.5, -1.0], [2.0, 3.0]])

    def f(x):
        return (
            x.dot(x).sum()
            + x.mean()
            + x.max()
            + x.clip(0.0, 2.0).sum()
            + x.flatten()[0]
            + x.squeeze().T[0, 1]
            + x.real.sum()
        )

    np.testing.assert_allclose(
        ft.grad(f)(x),
        ft.grad(
            lambda x: (
                fnp.sum(fnp.dot(x, x))
                + fnp.mean(x)
                + fnp.max(x)
                + fnp.sum(fnp.clip(x, 0.0, 2.0))
                + x[0, 0]
                + x[1, 0]
                + fnp.sum(x)
            )
        )(x),
    )
