"""Every primitive's rules, generated from the op table: finite differences in
forward and reverse mode to second order, the dot-product test, and float32."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fntrans
import fntrans as ft
import fntrans.numpy as fnp
from fntrans.core.primitive import Primitive
from fntrans.test_util import check_grads
from tests.fake_backend import assert_on_backend, to_backend, to_host
from tests.op_cases import OP_CASES
from tests.strategies import draw_args

CASES = [(case, shapes) for case in OP_CASES for shapes in case.shapes]
IDS = [f"{case.name}-{'x'.join(str(s) for s in shapes)}" for case, shapes in CASES]
COMPLEX = [(c, s) for c, s in CASES if c.complex_ok]
COMPLEX_IDS = [f"{c.name}-{s}" for c, s in COMPLEX]


@pytest.mark.parametrize("case,shapes", CASES, ids=IDS)
@given(data=st.data())
def test_derivatives_match_finite_differences(case, shapes, data):
    args = draw_args(data, case, shapes)
    check_grads(case.fn, args, order=2)


@pytest.mark.parametrize("case,shapes", COMPLEX, ids=COMPLEX_IDS)
@given(data=st.data())
def test_complex_derivatives_match_finite_differences(case, shapes, data):
    args = draw_args(data, case, shapes, with_imag=True)
    check_grads(case.fn, args, order=2)


@pytest.mark.parametrize("case,shapes", CASES, ids=IDS)
@given(data=st.data())
def test_float32_keeps_dtypes_and_agrees_with_float64(case, shapes, data):
    args64 = draw_args(data, case, shapes)
    args32 = [a.astype(np.float32) for a in args64]
    eager32 = case.fn(*args32)
    out32, vjp32 = ft.vjp(case.fn, *args32)
    out64, vjp64 = ft.vjp(case.fn, *args64)
    rtol, atol = case.float32_tol
    assert out32.dtype == np.asarray(to_host(eager32)).dtype
    if case.name not in ("astype", "interp"):  # NumPy gives float64 for these
        assert out32.dtype == np.float32
    ct64 = np.cos(np.arange(np.size(out64), dtype=np.float64)).reshape(np.shape(out64))
    ct64 = to_backend(ct64)
    cts32 = vjp32(ct64.astype(out32.dtype))
    cts64 = vjp64(ct64)
    assert_on_backend((eager32, out32, out64, cts32, cts64))
    for ct32, ct, arg in zip(cts32, cts64, args32):
        assert ct32.dtype == np.float32 and ct32.shape == arg.shape
        np.testing.assert_allclose(to_host(ct32), to_host(ct), rtol=rtol, atol=atol)
    np.testing.assert_allclose(to_host(out32), to_host(out64), rtol=rtol, atol=atol)


def _primitives_used(case, shapes):
    args = [np.full(s, 0.7) for s in shapes]
    forward = ft.make_jaxpr(lambda *a: ft.jvp(case.fn, a, a))(*args)
    backward = ft.make_jaxpr(
        ft.grad(lambda *a: fnp.sum(fnp.real(case.fn(*a))), tuple(range(len(args))))
    )(*args)
    return {eqn.prim.name for ir in (forward, backward) for eqn in ir.eqns}


def all_primitives() -> list:
    """Every primitive defined at the top level of a fntrans module."""
    found = {}
    for info in pkgutil.walk_packages(fntrans.__path__, "fntrans."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, Primitive):
                found[id(value)] = value
    return list(found.values())


def test_every_primitive_is_reached_by_some_case():
    reached = set()
    for case in OP_CASES:
        if not case.concrete_only:  # staging is abstract
            reached |= _primitives_used(case, case.shapes[0])
    # stop_gradient is not a derivative of anything: tests/test_transforms.py covers it;
    # the call primitives carry user functions: tests/test_custom.py covers them.
    # while_loop is forward-mode only: tests/test_lax.py; the collectives need
    # several processes: tests/test_distributed.py; jit's fused kernels exist only
    # in optimized programs: tests/test_fusion.py.
    not_ops = {"stop_gradient", "custom_jvp_call", "custom_vjp_call", "checkpoint", "while"}
    not_ops |= {"psum", "pmean", "pmax", "pmin", "all_gather", "reduce_scatter", "broadcast"}
    not_ops |= {"fused_elementwise"}
    missing = {p.name for p in all_primitives()} - reached - not_ops
    assert not missing, f"no op case reaches: {sorted(missing)}"


def test_check_grads_detects_a_wrong_rule():
    from fntrans.core.primitive import Primitive
    from fntrans.primitives.elementwise import ufunc_shape

    def sin_with(jvp_scale, vjp_scale):
        def jvp(primals, tangents):
            return prim.bind(primals[0]), tangents[0] * jvp_scale * fnp.cos(primals[0])

        prim = Primitive(
            "sin_with_rules",
            impl=lambda xp, x: xp.sin(x),
            shape=ufunc_shape(np.sin),
            jvp=jvp,
            vjp=lambda ct, ans, x, *, needs: (ct * vjp_scale * fnp.cos(x),),
        )
        return prim.bind

    x = (np.array([0.3, 0.5]),)
    check_grads(sin_with(1.0, 1.0), x, order=1)
    with pytest.raises(AssertionError, match="forward mode"):
        check_grads(sin_with(1.01, 1.0), x, order=1, modes=("fwd",))
    with pytest.raises(AssertionError, match="reverse mode"):
        check_grads(sin_with(1.0, 1.01), x, order=1, modes=("rev",))
    with pytest.raises(AssertionError, match="dot-product test|reverse mode"):
        check_grads(sin_with(1.0, 1.01), x, order=1)
