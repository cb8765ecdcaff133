"""Devices and backends: arrays stay on the backend of the data, arrays made
from nothing go where the transform's inputs are (or ``like=``, or
``ft.default_device``), and ``device_put``/``devices`` move and list them.

Checked on the strict fake CuPy of tests/fake_backend.py: NumPy data inside an
array type that, as CuPy does, refuses implicit conversion to NumPy
(``__array__`` raises ``TypeError``) and refuses to meet a ``numpy.ndarray``
in one operation.
"""

from __future__ import annotations

import re
import types

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans import backend
from fntrans.device import default_device, device_put, devices
from tests.fake_backend import FAKE_CUPY, TRANSFERS, FakeCupyArray, fake_cupy


# the strict fake CuPy of tests/fake_backend.py, registered as the GPU
@pytest.fixture
def on_strict(strict_fake_backend):
    """The strict fake CuPy, registered for one test."""


def strict(x, dtype=float) -> FakeCupyArray:
    return fake_cupy(np.array(x, dtype=dtype))


# ---- data stays on its backend ----


def test_asarray_array_and_copy_keep_device_arrays(on_strict):
    x = strict([1.0, 2.0])
    assert fnp.asarray(x) is x
    assert type(fnp.asarray(x, dtype=np.float32)) is FakeCupyArray
    for out in (fnp.array(x), fnp.copy(x), fnp.array([x, x]), fnp.asarray([x, 2.0 * x])):
        assert type(out) is FakeCupyArray
    copied = fnp.array(x)
    copied[0] = 5.0
    assert x.get()[0] == 1.0  # a copy, not a view
    assert fnp.array([x, x]).shape == (2, 2)


# fntrans.numpy functions that keep their input's backend outside any transform
# (also run on a real GPU by tests/test_cuda.py)
KEEP_BACKEND = [
    fnp.sum,
    fnp.mean,
    fnp.max,
    fnp.prod,
    fnp.cumsum,
    fnp.std,
    lambda x: fnp.reshape(x, (3, 1)),
    lambda x: fnp.concatenate([x, x]),
    lambda x: fnp.take(x, [0, 2]),
    lambda x: fnp.add(x, [1.0, 2.0, 3.0]),
    lambda x: fnp.where(x > 1.0, x, [0.0, 0.0, 0.0]),
    lambda x: fnp.at(x)[[0, 0]].add(1.0),
    lambda x: fnp.at(x)[0].set(2.0),
    fnp.diag,
    fnp.zeros_like,
    fnp.ones_like,
    lambda x: fnp.full_like(x, 2.0),
    lambda x: fnp.tril(fnp.outer(x, x)),
    lambda x: fnp.diagonal(fnp.outer(x, x)),
]


@pytest.mark.parametrize(
    "f",
    KEEP_BACKEND,
    ids=lambda f: getattr(f, "__name__", "f"),
)
def test_numpy_functions_outside_transforms_stay_on_the_device(on_strict, f):
    x = strict([0.5, 1.5, 2.0])
    out = f(x)
    assert type(out) is FakeCupyArray
    expected = f(np.array([0.5, 1.5, 2.0]))
    np.testing.assert_allclose(out.get(), expected)


def test_a_python_list_index_meets_a_device_array(on_strict):
    x = strict([1.0, 2.0, 3.0])
    g = ft.grad(lambda x: fnp.sum(x[[0, 2, 2]] * x[np.array([1, 1])].sum()))(x)
    assert type(g) is FakeCupyArray
    expected = ft.grad(lambda x: fnp.sum(x[[0, 2, 2]] * x[np.array([1, 1])].sum()))(x.get())
    np.testing.assert_allclose(g.get(), expected)

    def assign(x):
        y = fnp.zeros(3)
        y[[0, 1]] = x[:2]
        return fnp.sum(y * [1.0, 2.0, 3.0])

    np.testing.assert_allclose(ft.grad(assign)(x).get(), [1.0, 2.0, 0.0])


# ---- arrays made from nothing ----


def _made_inside(x):
    """Uses every creation function inside the function that is transformed."""
    n = x.shape[0]
    vals = fnp.zeros(n)
    for i in range(n):
        vals[i] = x[i] ** 2
    total = vals + fnp.ones(n) + fnp.full(n, 0.5) + fnp.arange(n) + fnp.array([1.0] * n)
    total = total + fnp.eye(n) @ x + fnp.zeros_like(x) + fnp.linspace(0.0, 1.0, n)
    total = total + fnp.asarray([2.0] * n) + fnp.identity(n)[0] + fnp.tri(n)[-1]
    return fnp.sum(fnp.tanh(total))


@pytest.mark.parametrize(
    "transform",
    [
        lambda f, x: ft.grad(f)(x),
        lambda f, x: ft.vmap(ft.grad(f))(fnp.stack([x, 2.0 * x])),
        lambda f, x: ft.jacrev(lambda x: fnp.tanh(x) * f(x))(x),
        lambda f, x: ft.jacfwd(lambda x: fnp.tanh(x) * f(x))(x),
        lambda f, x: ft.hessian(f)(x),
        lambda f, x: ft.jvp(f, (x,), (fnp.ones_like(x),))[1],
    ],
    ids=["grad", "vmap-grad", "jacrev", "jacfwd", "hessian", "jvp"],
)
def test_arrays_made_inside_a_transform_go_where_its_inputs_are(on_strict, transform):
    x = strict([0.3, -0.2, 0.7])
    out = transform(_made_inside, x)
    assert type(out) is FakeCupyArray
    np.testing.assert_allclose(out.get(), transform(_made_inside, x.get()), rtol=1e-12)


def test_closed_over_and_undifferentiated_device_arrays(on_strict):
    w = strict([[1.0, 2.0], [3.0, 4.0]])
    params = {"w": w, "b": strict([0.1, 0.2])}

    def loss(p, x):
        return fnp.sum(fnp.tanh(x @ p["w"] + p["b"]) ** 2)

    x = strict([[0.5, -0.5]])
    g = ft.grad(loss, argnums=0)(params, x)
    assert type(g["w"]) is FakeCupyArray and type(g["b"]) is FakeCupyArray
    batched = ft.vmap(lambda xi: loss(params, xi[None]), in_axes=0)(strict([[0.5, -0.5]] * 2))
    assert type(batched) is FakeCupyArray
    assert type(ft.vmap(lambda a, b: a * b, in_axes=(0, None))(w, w[0])) is FakeCupyArray


def test_no_transfer_to_the_host_during_grad_of_an_mlp(on_strict):
    rng = np.random.default_rng(0)
    params = [
        (strict(rng.standard_normal((4, 8))), strict(np.zeros(8))),
        (strict(rng.standard_normal((8, 1))), strict(np.zeros(1))),
    ]
    x = strict(rng.standard_normal((16, 4)))

    def loss(params):
        h = x
        for w, b in params:
            h = fnp.tanh(h @ w + b)
        return fnp.mean(h**2)

    with TRANSFERS.expect_none():
        g = ft.grad(loss)(params)
    assert all(type(leaf) is FakeCupyArray for leaf in ft.tree.tree_leaves(g))


def test_like_keyword_picks_the_backend(on_strict):
    x = strict([1.0])
    for out in (
        fnp.zeros(2, like=x),
        fnp.ones(2, like=x),
        fnp.empty(2, like=x),
        fnp.full(2, 3.0, like=x),
        fnp.arange(3, like=x),
        fnp.eye(2, like=x),
        fnp.asarray([1.0], like=x),
        fnp.array([1.0], like=x),
    ):
        assert type(out) is FakeCupyArray
    assert type(fnp.zeros(2)) is np.ndarray
    assert type(fnp.zeros(2, like=np.ones(1))) is np.ndarray


def test_default_device_context(on_strict):
    with default_device("gpu"):
        made = [fnp.zeros(2), fnp.arange(3), fnp.eye(2), fnp.array([1.0]), fnp.linspace(0, 1)]
        assert all(type(a) is FakeCupyArray for a in made)
        with default_device("cpu"):
            assert type(fnp.ones(2)) is np.ndarray
        # a transform's inputs decide inside it, not the default
        g = ft.grad(lambda x: fnp.sum(x * fnp.ones(2)))(np.ones(2))
        assert type(g) is np.ndarray
    assert type(fnp.zeros(2)) is np.ndarray


def test_default_device_is_per_thread(on_strict):
    import threading

    seen = []
    with default_device("gpu"):
        thread = threading.Thread(target=lambda: seen.append(type(fnp.zeros(1))))
        thread.start()
        thread.join()
    assert seen == [np.ndarray]


# ---- moving data ----


def test_device_put_moves_a_pytree_both_ways(on_strict):
    tree = {"w": np.ones((2, 2)), "b": [np.zeros(2), 3.0]}
    on_gpu = device_put(tree, "gpu")
    leaves = ft.tree.tree_leaves(on_gpu)
    assert all(type(leaf) is FakeCupyArray for leaf in leaves)
    assert device_put(on_gpu, "gpu")["w"] is on_gpu["w"]  # already there
    back = device_put(on_gpu, "cpu")
    assert all(type(leaf) is np.ndarray for leaf in ft.tree.tree_leaves(back))
    np.testing.assert_array_equal(back["w"], tree["w"])
    assert devices() == ["cpu", "gpu:0"]
    with default_device("gpu"):
        assert type(device_put(np.ones(1))) is FakeCupyArray


def test_device_put_and_devices_on_the_cpu():
    assert devices()[0] == "cpu"
    x = np.ones(2)
    assert device_put(x, "cpu") is x
    with pytest.raises(ValueError, match="Unknown device 'tpu'"):
        device_put(x, "tpu")


def test_device_put_without_a_gpu_says_what_to_install(monkeypatch):
    if any(name.startswith("gpu") for name in devices()):
        pytest.skip("a GPU backend is present")
    monkeypatch.setattr(backend, "_FOREIGN", {})
    with pytest.raises(RuntimeError, match=re.escape("fntrans[cuda12]")):
        device_put(np.ones(1), "gpu")


def test_device_put_of_a_traced_value_is_a_clear_error(on_strict):
    with pytest.raises(TypeError, match="device_put cannot move a traced value"):
        ft.grad(lambda x: fnp.sum(device_put(x, "gpu")))(np.ones(2))


# ---- what stays an error ----


def test_mixing_numpy_and_device_arrays_is_still_a_clear_error(on_strict):
    with pytest.raises(TypeError, match="Arrays from two backends were mixed"):
        fnp.add(strict([1.0]), np.ones(1))
    with pytest.raises(TypeError, match="Arrays from two backends were mixed"):
        ft.grad(lambda x: fnp.sum(x * np.ones(2)))(strict([1.0, 2.0]))
    assert type(fnp.multiply(strict([1.0]), np.float64(2.0))) is FakeCupyArray


def test_a_scipy_function_the_backend_lacks_is_named(on_strict, monkeypatch):
    special = FAKE_CUPY.scipy.special

    class Lacking:  # as cupyx.scipy.special, which has no betaincc
        def __getattr__(self, name):
            if name == "betaincc":
                raise AttributeError(name)
            return getattr(special, name)

    monkeypatch.setattr(FAKE_CUPY, "scipy", types.SimpleNamespace(special=Lacking()))
    import fntrans.scipy.special as fsp

    x = strict([0.3, 0.6])
    assert type(fsp.gammaln(x)) is FakeCupyArray
    msg = r"scipy\.special has no function 'betaincc', so scipy\.special\.betaincc cannot run"
    with TRANSFERS.expect_none(), pytest.raises(NotImplementedError, match=msg):
        fsp.betaincc(0.5, 0.5, x)
    assert getattr(backend.scipy_module(FAKE_CUPY, "special"), "betaincc", None) is None
