"""Fusion of elementwise chains: the fused program computes what the program
computes, in its dtypes, under every transform, and the kernels' sources are
well formed (the GPU's compiled here by a C++ compiler in a fake CuPy)."""

from __future__ import annotations

import ctypes
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.core.ir import eval_ir
from fntrans.interpreters.codegen import generate
from fntrans.interpreters.fusion import cupy_kernels, fuse, numba_kernels
from fntrans.interpreters.optimize import optimize, plan_memory
from fntrans.test_util import check_grads

pytestmark = pytest.mark.skipif(not numba_kernels.available(), reason="needs numba")

ALL = {"min_elements": 0, "transcendental": True, "reductions": True}


def programs(f, *args):
    """``f``'s optimized program and its fused version (every group fused)."""
    ir = optimize(ft.make_jaxpr(f)(*args))
    return ir, fuse(ir, **ALL)


def run(ir, *args):
    fn, _ = generate(ir, np, plan_memory(ir))
    return fn(*args)


def fused_count(ir) -> int:
    return sum(e.prim.name == "fused_elementwise" for e in ir.eqns)


def assert_same(f, *args, rtol=1e-12, atol=1e-12, fused=1):
    ir, fused_ir = programs(f, *args)
    assert fused_count(fused_ir) == fused, fused_ir
    for got, want in zip(run(fused_ir, *args), run(ir, *args), strict=True):
        assert np.asarray(got).dtype == np.asarray(want).dtype
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# ---- random chains, broadcasting included ----

UNARY = [fnp.tanh, fnp.sin, fnp.cos, lambda x: -x, lambda x: x * x, lambda x: fnp.sqrt(1.0 + x * x)]
BINARY = [
    lambda x, y: x + y,
    lambda x, y: x - y,
    lambda x, y: x * y,
    lambda x, y: x / (2.0 + fnp.abs(y)),
    fnp.maximum,
    lambda x, y: fnp.where(x > y, x, 0.5 * y),
]
SHAPES = {"full": (4, 5), "row": (5,), "column": (4, 1), "scalar": ()}


@st.composite
def chains(draw):
    steps = draw(
        st.lists(
            st.tuples(
                st.booleans(),
                st.integers(0, len(UNARY) - 1),
                st.integers(0, len(BINARY) - 1),
                st.sampled_from(sorted(SHAPES)),
            ),
            min_size=3,
            max_size=8,
        )
    )
    return steps, draw(st.booleans())


@settings(max_examples=15, deadline=None)
@given(chains())
def test_random_chains_compute_what_numpy_computes(chain):
    steps, reduce = chain
    rng = np.random.default_rng(len(steps))
    inputs = {name: rng.uniform(-2, 2, shape) for name, shape in SHAPES.items()}

    def f(full, row, column, scalar):
        operands = {"full": full, "row": row, "column": column, "scalar": scalar}
        x = full
        for unary, u, b, other in steps:
            x = UNARY[u](x) if unary else BINARY[b](x, operands[other])
        return fnp.sum(x, axis=0) if reduce else x

    args = [inputs[n] for n in ("full", "row", "column", "scalar")]
    ir, fused_ir = programs(f, *args)
    for got, want in zip(run(fused_ir, *args), run(ir, *args), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_float32_stays_float32():
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    assert_same(lambda x: fnp.tanh(x) * 2.0 + x * x - 1.0, x, rtol=1e-6, atol=1e-6)
    assert_same(lambda x: fnp.sum(x * 2.0 + x * x - 1.0, axis=1), x, rtol=1e-6, atol=1e-6)


def test_a_chain_closed_by_sums_over_several_axes():
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    assert_same(lambda x: (fnp.sum((x * x + 1.0) * 0.5), fnp.sum(x * x - x, axis=(0, 2))), x)


def test_broadcast_operands_and_literals():
    rng = np.random.default_rng(1)
    x, b, c = rng.standard_normal((4, 5)), rng.standard_normal(5), rng.standard_normal((4, 1))
    assert_same(lambda x, b, c: (x + b) * c - 2.0 * x + fnp.inf * 0.0 + 1, x, b, c)


# ---- groups ----


def test_short_groups_stay_numpy_calls():
    x = np.ones((4, 5))
    ir, fused_ir = programs(lambda x: fnp.tanh(x) * 2.0, x)
    assert fused_ir is ir


def test_a_group_is_not_fused_across_an_outside_equation():
    # tanh(x) -> matmul -> back into the chain: the chain splits around the matmul
    rng = np.random.default_rng(2)
    x, W = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))

    def f(x, W):
        h = fnp.tanh(x) * 2.0 + 1.0
        return (h @ W) * h - h * 3.0 + 1.0

    assert_same(f, x, W, fused=2)


def test_a_group_output_read_by_an_earlier_equation_is_computed_first():
    # s is read by the matmul, which comes before the end of the group in order
    rng = np.random.default_rng(3)
    x, W = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))

    def f(x, W):
        s = fnp.sin(x) + 1.0
        m = s @ W
        return m, s * s - x * 2.0

    assert_same(f, x, W)


def test_a_reduction_is_not_fused_with_what_reads_it():
    x = np.random.default_rng(4).standard_normal((4, 5))
    assert_same(lambda x: (x * x + 1.0) - fnp.sum(x * x + 1.0, axis=0), x, fused=1)


def test_cpu_default_leaves_transcendental_functions_and_small_arrays_to_numpy():
    x = np.ones((4, 5))
    ir = optimize(ft.make_jaxpr(lambda x: fnp.tanh(fnp.exp(fnp.sin(x))))(x))
    assert fuse(ir, min_elements=0) is ir
    ir = optimize(ft.make_jaxpr(lambda x: (x * 2.0 + 1.0) * x)(x))
    assert fused_count(fuse(ir, min_elements=0)) == 1
    assert fuse(ir) is ir  # 20 elements: below the default size


def test_fuse_is_a_no_op_without_numba(monkeypatch):
    monkeypatch.setattr(numba_kernels, "available", lambda: False)
    ir = optimize(ft.make_jaxpr(lambda x: (x * 2.0 + 1.0) * x)(np.ones(3)))
    assert fuse(ir, **ALL) is ir


# ---- transforms through a fused equation ----


def _fused_function():
    rng = np.random.default_rng(5)
    x, b = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, 4)
    ir, fused_ir = programs(lambda x, b: fnp.sum(fnp.tanh(x + b) * x - b * 2.0, axis=0), x, b)
    assert fused_count(fused_ir) == 1
    return (lambda x, b: eval_ir(fused_ir, x, b)[0]), (lambda x, b: eval_ir(ir, x, b)[0]), x, b


def test_derivatives_through_a_fused_equation():
    fused, plain, x, b = _fused_function()
    check_grads(fused, (x, b), order=2, modes=("fwd", "rev"))
    g = ft.grad(lambda x, b: fnp.sum(fused(x, b) ** 2), argnums=(0, 1))(x, b)
    want = ft.grad(lambda x, b: fnp.sum(plain(x, b) ** 2), argnums=(0, 1))(x, b)
    for a, w in zip(g, want):
        np.testing.assert_allclose(a, w, rtol=1e-12)


def test_vmap_and_jit_through_a_fused_equation():
    fused, plain, x, b = _fused_function()
    bs = np.random.default_rng(6).uniform(-1, 1, (7, 4))
    np.testing.assert_allclose(
        ft.vmap(fused, in_axes=(None, 0))(x, bs),
        ft.vmap(plain, in_axes=(None, 0))(x, bs),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        ft.jit(ft.grad(lambda b: fnp.sum(fused(x, b))))(bs[0]),
        ft.grad(lambda b: fnp.sum(plain(x, b)))(bs[0]),
        rtol=1e-12,
    )


# ---- Numba's disk cache, and what is imported when ----


def _child(code: str, cache: pathlib.Path) -> str:
    env = dict(os.environ, FNTRANS_CACHE_DIR=str(cache))
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


CHILD = """
    import sys, numpy as np, fntrans as ft, fntrans.numpy as fnp
    from fntrans.interpreters.fusion import fuse, numba_kernels
    from fntrans.interpreters.codegen import generate
    ir = ft.make_jaxpr(lambda x: fnp.sum((x * 2.0 + 1.0) * x - 3.0))(np.ones((7, 3)))
    fused = fuse(ir, min_elements=0)
    fn, _ = generate(fused)
    before = "numba" in sys.modules or "cupy" in sys.modules
    value = float(fn(np.ones((7, 3)))[0])
    (kernel,) = numba_kernels._loaded.values()
    print(before, value, sum(kernel.stats.cache_hits.values()), "cupy" in sys.modules)
"""


def test_a_second_process_loads_kernels_from_disk(tmp_path):
    first = _child(CHILD, tmp_path).split()
    second = _child(CHILD, tmp_path).split()
    assert first[0] == "False"  # fusing imports neither Numba nor CuPy
    assert first[1] == second[1] == "0.0"
    assert first[2] == "0" and second[2] == "1"  # compiled, then loaded
    assert first[3] == "False"


# ---- the GPU's kernels, through a fake CuPy whose kernels a C++ compiler builds ----


class FakeElementwiseKernel:
    """CuPy's ElementwiseKernel on NumPy arrays: the body is compiled as C++
    inside a loop over the broadcast operands and run through ctypes."""

    C = {"float64": "double", "float32": "float", "bool": "bool"}

    def __init__(self, in_params, out_params, operation, name, directory):
        self.ins = [p.split() for p in in_params.split(", ")]
        self.outs = [p.split() for p in out_params.split(", ")]
        args = [f"const {self.C[t]}* {n}_" for t, n in self.ins]
        args += [f"{self.C[t]}* {n}_" for t, n in self.outs]
        load = " ".join(f"{self.C[t]} {n} = {n}_[i];" for t, n in self.ins)
        declare = " ".join(f"{self.C[t]} {n};" for t, n in self.outs)
        store = " ".join(f"{n}_[i] = {n};" for _, n in self.outs)
        source = (
            "#include <cmath>\nusing namespace std;\n"
            f'extern "C" void {name}(long n, {", ".join(args)}) {{\n'
            f"  for (long i = 0; i < n; ++i) {{ {load} {declare}\n{operation}\n{store} }}\n}}\n"
        )
        path = directory / f"{name}.cpp"
        path.write_text(source)
        library = directory / f"{name}.so"
        subprocess.run(
            [
                "g++",
                "-O1",
                "-shared",
                "-fPIC",
                "-Wall",
                "-Werror",
                "-Wno-div-by-zero",
                "-o",
                str(library),
                str(path),
            ],
            check=True,
            capture_output=True,
        )
        self.function = getattr(ctypes.CDLL(str(library)), name)

    def __call__(self, *args):
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
        ins = [
            np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=t), shape))
            for a, (t, _) in zip(args, self.ins)
        ]
        outs = [np.empty(shape, dtype=t) for t, _ in self.outs]
        pointers = [a.ctypes.data_as(ctypes.c_void_p) for a in ins + outs]
        self.function(ctypes.c_long(int(np.prod(shape))), *pointers)
        return tuple(outs) if len(outs) > 1 else outs[0]


def run_on(ir, xp, *args):
    """``ir``'s outputs, its fused equations computed by ``xp``, the others by NumPy."""
    env = dict(zip(ir.invars, args))
    for eqn in ir.eqns:
        values = [env[v] if v in env else v.value for v in eqn.invars]
        fused = eqn.prim.name == "fused_elementwise"
        outs = eqn.prim.impl(xp if fused else np, *values, **eqn.params)
        env.update(zip(eqn.outvars, outs if fused else [outs]))
    return [env[v] for v in ir.outvars]


class FakeCupy:
    """The array module a fused equation sees: NumPy's functions, and
    ElementwiseKernel built by the C++ compiler."""

    def __init__(self, directory):
        self.directory = directory
        self.built = []

    def ElementwiseKernel(self, *parts):
        self.built.append(parts)
        return FakeElementwiseKernel(*parts, self.directory)

    def __getattr__(self, name):
        return getattr(np, name)


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs a C++ compiler")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gpu_kernels_compile_and_compute_what_numpy_computes(tmp_path, dtype):
    rng = np.random.default_rng(7)
    x, b = rng.uniform(-2, 2, (4, 5)).astype(dtype), rng.uniform(-2, 2, 5).astype(dtype)

    def f(x, b):
        y = fnp.tanh(x + b) * 0.5 - fnp.exp(-x * x) / (1.0 + fnp.abs(b))
        z = fnp.where(y > 0, fnp.maximum(y, x), fnp.minimum(y, -fnp.inf * 0.0 + b))
        return z * fnp.sqrt(1.0 + x * x) + fnp.log1p(x * x), y > 0.1

    ir = optimize(ft.make_jaxpr(f)(x, b))
    xp = FakeCupy(tmp_path)
    fused = fuse(ir, xp, min_elements=0)
    assert fused_count(fused) == 1  # the operations on b alone are too few for a kernel
    got = run_on(fused, xp, x, b)
    assert len(xp.built) == 1
    ins, outs, body, name = xp.built[0]
    assert ins == ", ".join(f"{np.dtype(dtype).name} a{k}" for k in range(4))  # x, b, two of b's
    want = eval_ir(ir, x, b)
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for g, w in zip(got, want, strict=True):
        assert g.dtype == np.asarray(w).dtype
        np.testing.assert_allclose(g, w, rtol=tolerance, atol=tolerance)


def test_gpu_groups_leave_reductions_out(tmp_path):
    ir = optimize(ft.make_jaxpr(lambda x: fnp.sum(x * 2.0 + x * x - 1.0, axis=0))(np.ones((3, 4))))
    fused = fuse(ir, FakeCupy(tmp_path), min_elements=0, reductions=True)
    assert [e.prim.name for e in fused.eqns] == ["fused_elementwise", "reduce_sum"]


def test_kernels_are_made_once_per_source(tmp_path):
    xp = FakeCupy(tmp_path)
    program = ft.make_jaxpr(lambda x: x * 2.0 + x * x - 1.0)(np.ones(3))
    first, second = cupy_kernels.make_runner(program, xp), cupy_kernels.make_runner(program, xp)
    assert first.parts == second.parts and len(xp.built) == 1
