"""The same transforms on CuPy arrays (CUDA). Skipped, with the reason, where
CuPy or a GPU is missing; tests/test_devices.py runs the same scenarios on a
strict stand-in for CuPy on every machine."""

from __future__ import annotations

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from tests.fake_backend import cupy_or_skip_reason
from tests.test_devices import KEEP_BACKEND

cupy, REASON = cupy_or_skip_reason()
pytestmark = pytest.mark.skipif(cupy is None, reason=REASON or "")


def loss(w, x):
    return fnp.sum(fnp.tanh(x @ w) ** 2)


def test_grad_runs_on_the_gpu_and_matches_numpy():
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    g = ft.grad(loss)(cupy.asarray(w), cupy.asarray(x))
    assert isinstance(g, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(g), ft.grad(loss)(w, x), rtol=1e-10)


def test_vmap_jacobians_and_assignment_on_the_gpu():
    x = cupy.asarray(np.linspace(0.1, 1.0, 4))
    J = ft.jacrev(lambda x: fnp.sin(x) * x[0])(x)
    assert isinstance(J, cupy.ndarray) and J.shape == (4, 4)
    per_example = ft.vmap(ft.grad(lambda v: fnp.sum(v**2)))(cupy.ones((3, 2)))
    assert isinstance(per_example, cupy.ndarray)

    def f(x):
        out = x * 1.0
        out[0] = 2.0 * x[1]
        return fnp.sum(out)

    assert isinstance(ft.grad(f)(x), cupy.ndarray)


def test_mixing_numpy_and_cupy_is_a_clear_error():
    with pytest.raises(TypeError, match="Arrays from two backends were mixed"):
        fnp.add(cupy.ones(2), np.ones(2))


def test_asarray_array_and_copy_keep_cupy_arrays():
    x = cupy.asarray([1.0, 2.0])
    assert fnp.asarray(x) is x
    for out in (fnp.array(x), fnp.copy(x), fnp.array([x, x]), fnp.asarray(x, dtype=np.float32)):
        assert isinstance(out, cupy.ndarray)


@pytest.mark.parametrize("f", KEEP_BACKEND, ids=lambda f: getattr(f, "__name__", "f"))
def test_numpy_functions_outside_transforms_stay_on_the_gpu(f):
    x = cupy.asarray([0.5, 1.5, 2.0])
    out = f(x)
    assert isinstance(out, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(out), f(np.array([0.5, 1.5, 2.0])))


def _made_inside(x):
    n = x.shape[0]
    vals = fnp.zeros(n)
    for i in range(n):
        vals[i] = x[i] ** 2
    total = vals + fnp.ones(n) + fnp.arange(n) + fnp.array([1.0] * n) + fnp.eye(n) @ x
    return fnp.sum(fnp.tanh(total + x[[0, 2, 2]]))


@pytest.mark.parametrize(
    "transform",
    [
        lambda f, x: ft.grad(f)(x),
        lambda f, x: ft.vmap(ft.grad(f))(fnp.stack([x, 2.0 * x])),
        lambda f, x: ft.jacrev(lambda x: fnp.tanh(x) * f(x))(x),
        lambda f, x: ft.hessian(f)(x),
    ],
    ids=["grad", "vmap-grad", "jacrev", "hessian"],
)
def test_arrays_made_inside_a_transform_are_made_on_the_gpu(transform):
    x = cupy.asarray([0.3, -0.2, 0.7])
    out = transform(_made_inside, x)
    assert isinstance(out, cupy.ndarray)
    np.testing.assert_allclose(
        cupy.asnumpy(out), transform(_made_inside, cupy.asnumpy(x)), rtol=1e-10
    )


def test_closed_over_cupy_params_and_in_axes_none():
    params = {"w": cupy.ones((2, 2)), "b": cupy.zeros(2)}

    def f(p, x):
        return fnp.sum(fnp.tanh(x @ p["w"] + p["b"]))

    x = cupy.ones((3, 2))
    g = ft.grad(f)(params, x)
    assert all(isinstance(leaf, cupy.ndarray) for leaf in ft.tree.tree_leaves(g))
    out = ft.vmap(lambda xi, p: f(p, xi), in_axes=(0, None))(x, params)
    assert isinstance(out, cupy.ndarray)


def test_like_default_device_and_device_put():
    x = cupy.ones(2)
    assert isinstance(fnp.zeros(3, like=x), cupy.ndarray)
    with ft.default_device("gpu"):
        assert isinstance(fnp.arange(3), cupy.ndarray)
    assert isinstance(fnp.arange(3), np.ndarray)
    tree = {"w": np.ones(2), "b": 0.5}
    on_gpu = ft.device_put(tree, "gpu")
    assert all(isinstance(leaf, cupy.ndarray) for leaf in ft.tree.tree_leaves(on_gpu))
    back = ft.device_put(on_gpu, "cpu")
    assert all(isinstance(leaf, np.ndarray) for leaf in ft.tree.tree_leaves(back))
    assert ft.devices()[:2] == ["cpu", "gpu:0"]
    assert isinstance(ft.device_put(np.ones(1), 0), cupy.ndarray)


def test_a_function_cupy_lacks_is_named():
    import cupyx.scipy.special as cs

    import fntrans.scipy.special as fsp

    if hasattr(cs, "betaincc"):
        pytest.skip("this CuPy has betaincc")
    with pytest.raises(NotImplementedError, match=r"cupyx\.scipy\.special has no function"):
        fsp.betaincc(0.5, 0.5, cupy.asarray([0.3]))
