"""Transforms and a slice of the op table on a device backend: the strict fake
CuPy of tests/fake_backend.py (in every run, so CI exercises it on each push),
or CuPy itself under ``--backend=cupy``.

Each result must stay on the device, agree with NumPy, and (inside
transforms) come with no device-to-host transfer.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fntrans as ft
import fntrans.numpy as fnp
import fntrans.scipy.linalg as fsl
import fntrans.scipy.stats as fst
from fntrans.optimizers import adam, stateful
from fntrans.primitives import decompositions
from fntrans.tree import tree_leaves, tree_map
from tests import fake_backend as backends
from tests.fake_backend import FAKE_CUPY, IMPLICIT_CONVERSION, TRANSFERS, FakeCupyArray
from tests.op_cases import OP_CASES
from tests.strategies import draw_host_args


class Device:
    """The device backend of these tests: moving data, and checking where it is."""

    def __init__(self, xp, no_host_transfers):
        self.xp = xp
        self.array_type = xp.ndarray
        self.no_host_transfers = no_host_transfers

    def put(self, tree):
        return tree_map(lambda a: self.xp.asarray(a) if isinstance(a, np.ndarray) else a, tree)

    def host(self, tree):
        return tree_map(lambda a: self.xp.asnumpy(a) if type(a) is self.array_type else a, tree)

    def assert_on(self, tree):
        for leaf in tree_leaves(tree):
            assert type(leaf) is self.array_type, f"{type(leaf).__name__} is not on the device"

    def assert_close(self, got, want, rtol=1e-10, atol=1e-12):
        """``got`` is on the device and agrees with ``want`` (NumPy)."""
        self.assert_on(got)
        for g, w in zip(tree_leaves(self.host(got)), tree_leaves(want), strict=True):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


@pytest.fixture
def dev(request):
    if backends.current() == "cupy":
        cupy, reason = backends.cupy_or_skip_reason()
        if cupy is None:
            pytest.skip(reason)
        import cupyx

        return Device(cupy, lambda: cupyx.allow_synchronize(False))
    request.getfixturevalue("strict_fake_backend")
    return Device(FAKE_CUPY, TRANSFERS.expect_none)


# ---- the fake itself is as strict as CuPy ----


def test_the_strict_fake_refuses_what_cupy_refuses_and_counts_transfers(strict_fake_backend):
    x = FAKE_CUPY.asarray([1.0, 2.0])
    with pytest.raises(TypeError, match=IMPLICIT_CONVERSION.split(".")[0]):
        np.asarray(x)
    for mixed in (
        lambda: x + np.ones(2),
        lambda: np.ones(2) * x,
        lambda: np.stack([x, np.ones(2)]),
    ):
        with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
            mixed()
    assert type(x * np.float32(2.0) + 1) is FakeCupyArray  # scalars mix freely
    # NumPy hands a scalar's comparison over as a 0-d array; CuPy takes it back
    assert type(np.float64(1.5) < x) is FakeCupyArray
    with pytest.raises(TypeError, match="Unsupported type"):
        np.ones(()) + x  # a 0-d array is still an array elsewhere
    total = np.sum(x)
    assert type(total) is FakeCupyArray and total.shape == ()  # 0-d, as CuPy's
    assert type(FAKE_CUPY.linalg.inv(FAKE_CUPY.eye(2))) is FakeCupyArray
    assert type(FAKE_CUPY.scipy.special.gammaln(x)) is FakeCupyArray
    before = TRANSFERS.count
    assert float(total) == 3.0 and x.get().tolist() == [1.0, 2.0]
    assert TRANSFERS.count == before + 2
    with pytest.raises(AssertionError, match="1 device-to-host transfer"):
        with TRANSFERS.expect_none():
            bool(total > 0)


# ---- a slice of the op table: one or two cases per family ----

SLICE_NAMES = [
    "exp", "tanh", "add", "power", "maximum", "where", "sum_axis", "mean", "max_axis",
    "matmul", "einsum_matmul", "tensordot", "reshape", "transpose", "concatenate",
    "stack", "index_int", "index_slice", "index_array", "take", "at_set",
    "at_add_repeated", "setitem", "prod", "cumsum", "var_std", "sort", "logaddexp",
    "linalg_cholesky", "linalg_eigh", "linalg_svd", "linalg_solve_matrix", "linalg_inv",
    "linalg_slogdet", "scipy_solve_triangular", "fft.fft", "fft.irfft", "convolve",
    "special_gammaln", "special_logsumexp", "stats_norm_density", "expm",
    "pad_constant", "complex_products",
]  # fmt: skip
SLICE = [c for c in OP_CASES if c.name in SLICE_NAMES]
assert len(SLICE) == len(SLICE_NAMES), "a case of the slice was renamed"


def _cotangent_like(out):
    return np.cos(np.arange(np.size(out), dtype=np.float64)).reshape(np.shape(out))


@pytest.mark.parametrize("case", SLICE, ids=[c.name for c in SLICE])
@given(data=st.data())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # one device per test
def test_op_slice_stays_on_the_device_and_agrees_with_numpy(dev, case, data):
    host = draw_host_args(data, case, case.shapes[0])
    args = dev.put(host)
    dev.assert_close(case.fn(*args), case.fn(*host))

    out_host, vjp_host = ft.vjp(case.fn, *host)
    ct = _cotangent_like(out_host).astype(np.result_type(out_host))
    with dev.no_host_transfers():
        out, vjp_fn = ft.vjp(case.fn, *args)
        cts = vjp_fn(dev.put(ct))
    dev.assert_close(out, out_host)
    dev.assert_close(cts, vjp_host(ct))

    tangents = [np.sin(np.arange(a.size) + 1.0).reshape(a.shape).astype(a.dtype) for a in host]
    with dev.no_host_transfers():
        _, tangent = ft.jvp(case.fn, tuple(args), tuple(dev.put(tangents)))
    dev.assert_close(tangent, ft.jvp(case.fn, tuple(host), tuple(tangents))[1])

    if not case.concrete_only and all(a.size for a in host):
        batch_host = [np.stack([a, 0.5 * a]) for a in host]
        with dev.no_host_transfers():
            batched = ft.vmap(case.fn)(*dev.put(batch_host))
        dev.assert_close(batched, ft.vmap(case.fn)(*batch_host))


# ---- the whole op table: no host transfer inside the transforms ----

# where a value decides what happens, one boolean comes back (docs/gpu.md)
READ_BACK = {
    "linalg_lstsq": "lstsq's rank is a Python int",
    "linalg_lstsq_vector": "lstsq's rank is a Python int",
    "linalg_norm_2": "whether some norm is zero",
    "linalg_norm_p": "whether some norm is zero",
    "linalg_norm_fro": "whether some norm is zero",
    "nanargmax": "NumPy raises for an all-NaN slice",
    "geomspace": "NumPy raises for a sequence through zero",
    "real_if_close": "the result's dtype depends on the values",
    # eagerly, a branch is chosen on the host (JAX's cond does the same); under
    # jit the choice is part of the program
    "lax_cond": "cond's predicate chooses the branch to run",
    "lax_switch": "switch's index chooses the branch to run",
}


@pytest.mark.parametrize("case", OP_CASES, ids=[c.name for c in OP_CASES])
@given(data=st.data())
@settings(max_examples=1, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_op_table_transforms_read_nothing_back(dev, case, data):
    if case.name in READ_BACK:
        pytest.skip(READ_BACK[case.name])
    host = draw_host_args(data, case, case.shapes[0])
    args = dev.put(host)
    out_host = case.fn(*host)
    ct = _cotangent_like(out_host).astype(np.result_type(out_host))
    with dev.no_host_transfers():
        out, vjp_fn = ft.vjp(case.fn, *args)
        vjp_fn(dev.put(ct))
        ft.jvp(case.fn, tuple(args), tuple(args))
        if not case.concrete_only and all(a.size for a in host):
            ft.vmap(case.fn)(*dev.put([np.stack([a, 0.5 * a]) for a in host]))
    dev.assert_on(out)


# ---- transforms ----


def _mlp_params(rng, widths):
    return [
        {"W": rng.standard_normal((m, n)) / np.sqrt(m), "b": 0.1 * rng.standard_normal(n)}
        for m, n in zip(widths[:-1], widths[1:])
    ]


def mlp_loss(params, x, y):
    h = x
    for layer in params[:-1]:
        h = fnp.tanh(h @ layer["W"] + layer["b"])
    out = h @ params[-1]["W"] + params[-1]["b"]
    return fnp.mean((out - y) ** 2)


def test_grad_of_an_mlp_makes_no_host_transfer(dev, rng):
    params = _mlp_params(rng, [5, 8, 8, 3])
    x, y = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    want_loss, want_grads = ft.value_and_grad(mlp_loss)(params, x, y)
    on_device = dev.put((params, x, y))
    with dev.no_host_transfers():
        loss, grads = ft.value_and_grad(mlp_loss)(*on_device)
        grads_again = ft.grad(mlp_loss)(*on_device)
    assert loss.shape == ()  # a 0-d device array, as CuPy's reductions give
    dev.assert_close(loss, want_loss)
    dev.assert_close(grads, want_grads)
    dev.assert_close(grads_again, want_grads)


def test_jit_of_an_mlp_gradient_runs_on_the_device_without_host_transfers(dev, rng):
    params = _mlp_params(rng, [5, 8, 8, 3])
    x, y = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    want_loss, want_grads = ft.value_and_grad(mlp_loss)(params, x, y)
    on_device = dev.put((params, x, y))
    step = ft.jit(ft.value_and_grad(mlp_loss))
    with dev.no_host_transfers():
        loss, grads = step(*on_device)  # traced, optimized and generated for the device
        loss, grads = step(*on_device)  # replayed
        through = ft.grad(ft.jit(mlp_loss))(*on_device)
        batched = ft.jit(ft.vmap(mlp_loss, in_axes=(None, 0, 0)))(*on_device)
    assert step.cache_info().misses == 1
    dev.assert_close(loss, want_loss)
    dev.assert_close(grads, want_grads)
    dev.assert_close(through, want_grads)
    dev.assert_close(batched, ft.vmap(mlp_loss, in_axes=(None, 0, 0))(params, x, y))


def test_jit_of_a_scalar_program_stays_on_the_device(dev):
    f = ft.jit(ft.grad(ft.grad(lambda x: fnp.sin(x) * fnp.exp(x))))
    (x,) = dev.put((np.array(0.3),))
    with dev.no_host_transfers():
        out = f(x)
    dev.assert_close(out, ft.grad(ft.grad(lambda x: fnp.sin(x) * fnp.exp(x)))(0.3))


def test_grad_over_a_dict_with_argnums_and_closed_over_device_constants(dev, rng):
    W, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    Wd, bd, Xd, Yd = dev.put((W, b, X, Y))

    def loss(p, x, y):
        return fnp.sum((fnp.tanh(x @ p["W"] + p["b"]) - y) ** 2)

    want = ft.grad(loss)({"W": W, "b": b}, X, Y)
    with dev.no_host_transfers():
        got = ft.grad(loss, argnums=0)({"W": Wd, "b": bd}, Xd, Yd)
        closed = ft.grad(lambda p: loss(p, Xd, Yd))({"W": Wd, "b": bd})
    dev.assert_close(got, want)
    dev.assert_close(closed, want)


def test_jacobians_hessian_and_hvp(dev, rng):
    W, b, x = rng.standard_normal((4, 4)), rng.standard_normal(4), rng.standard_normal(4)
    Wd, bd, xd = dev.put((W, b, x))

    def f_on(W, b):
        return lambda x: fnp.tanh(W @ x + b) * x

    def scalar_on(W):
        return lambda x: fnp.sum(fnp.sin(W @ x) ** 2)

    with dev.no_host_transfers():
        jr = ft.jacrev(f_on(Wd, bd))(xd)
        jf = ft.jacfwd(f_on(Wd, bd))(xd)
        H = ft.hessian(scalar_on(Wd))(xd)
        (hv,) = ft.hvp(scalar_on(Wd), (xd,), (xd,))
    dev.assert_close(jr, ft.jacrev(f_on(W, b))(x))
    dev.assert_close(jf, ft.jacfwd(f_on(W, b))(x))
    dev.assert_close(H, ft.hessian(scalar_on(W))(x))
    dev.assert_close(hv, ft.hessian(scalar_on(W))(x) @ x)


def test_vmap_with_unbatched_arguments_and_per_example_gradients(dev, rng):
    W = rng.standard_normal((3, 2))
    X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))

    def loss(W, x, y):
        return fnp.sum((fnp.tanh(x @ W) - y) ** 2)

    per_example = ft.vmap(ft.grad(loss), in_axes=(None, 0, 0))
    with dev.no_host_transfers():
        got = per_example(*dev.put((W, X, Y)))
        scaled = ft.vmap(lambda x, w: x @ w, in_axes=(0, None))(*dev.put((X, W)))
    dev.assert_close(got, per_example(W, X, Y))
    dev.assert_close(scaled, X @ W)


@ft.custom_vjp
def clipped_sin(x):
    return fnp.sin(x)


clipped_sin.defvjp(
    lambda x: (fnp.sin(x), fnp.cos(x)), lambda cos_x, ct: (fnp.clip(cos_x * ct, -0.5, 0.5),)
)


@ft.custom_jvp
def softplus(x):
    return fnp.log1p(fnp.exp(x))


softplus.defjvp(
    lambda primals, tangents: (softplus(primals[0]), tangents[0] / (1.0 + fnp.exp(-primals[0])))
)


def test_custom_rules_and_checkpoint(dev):
    x = np.linspace(-1.0, 1.0, 5)
    (xd,) = dev.put((x,))

    def f(x):
        return fnp.sum(clipped_sin(x) * softplus(x))

    def g(x):
        return fnp.sum(ft.checkpoint(lambda x: fnp.sin(fnp.sin(x)) * x)(x))

    with dev.no_host_transfers():
        got_f, got_g = ft.grad(f)(xd), ft.grad(g)(xd)
        got_gg = ft.grad(lambda x: fnp.sum(ft.grad(g)(x) ** 2))(xd)
    dev.assert_close(got_f, ft.grad(f)(x))
    dev.assert_close(got_g, ft.grad(g)(x))
    dev.assert_close(got_gg, ft.grad(lambda x: fnp.sum(ft.grad(g)(x) ** 2))(x))


def test_array_assignment_and_list_indices(dev):
    x = np.array([0.5, 1.0, 2.0])
    (xd,) = dev.put((x,))

    def f(x):
        out = x * 1.0
        out[0] = 2.0 * x[1]
        out[1:] += x[:2] ** 2
        return fnp.sum(out * x[[0, 2, 2]])

    with dev.no_host_transfers():
        got = ft.grad(f)(xd)
    dev.assert_close(got, ft.grad(f)(x))
    dev.assert_close(fnp.at(xd)[[0, 0]].add(1.0), fnp.at(x)[[0, 0]].add(1.0))
    dev.assert_close(xd[[0, 2, 2]], x[[0, 2, 2]])


def test_arrays_made_from_nothing_inside_a_transform_are_on_its_device(dev):
    x = np.array([0.5, 1.0, 2.0])
    (xd,) = dev.put((x,))

    def f(x):
        made = fnp.ones(3) + fnp.zeros_like(x) + fnp.arange(3.0) + fnp.full(3, 0.5)
        return fnp.sum(x * made + fnp.eye(3) @ x) + fnp.prod(x)

    with dev.no_host_transfers():
        got = ft.grad(f)(xd)
        hess = ft.hessian(f)(xd)
    dev.assert_close(got, ft.grad(f)(x))
    dev.assert_close(hess, ft.hessian(f)(x))


@pytest.mark.parametrize(
    "name,fn",
    [
        ("sum", fnp.sum),
        ("mean", fnp.mean),
        ("max", fnp.max),
        ("prod", fnp.prod),
        ("cumsum", fnp.cumsum),
        ("std", fnp.std),
        ("reshape", lambda x: fnp.reshape(x, (3, 2))),
        ("concatenate", lambda x: fnp.concatenate([x, x])),
        ("asarray", fnp.asarray),
        ("array", fnp.array),
        ("copy", fnp.copy),
        ("where", lambda x: fnp.where(x > 0.3, x, 0.0)),
        ("linalg.norm", fnp.linalg.norm),
        ("fft.rfft", fnp.fft.rfft),
    ],
)
def test_numpy_functions_outside_transforms_stay_on_the_device(dev, name, fn):
    x = np.linspace(0.1, 0.6, 6)
    (xd,) = dev.put((x,))
    with dev.no_host_transfers():
        got = fn(xd)
    dev.assert_close(got, fn(x))


def test_optimizers_keep_params_on_the_device(dev, rng):
    params = {"w": rng.standard_normal(3), "b": np.zeros(1)}
    target = rng.standard_normal(3)
    (td,) = dev.put((target,))

    def loss_on(t):
        return lambda p: fnp.sum((p["w"] + p["b"] - t) ** 2)

    got = adam(ft.grad(loss_on(td)), dev.put(params), num_iters=5, step_size=0.1)
    dev.assert_close(got, adam(ft.grad(loss_on(target)), params, num_iters=5, step_size=0.1))

    opt = stateful.adam(0.1)
    p, state = dev.put(params), opt.init(dev.put(params))
    p_host, state_host = params, opt.init(params)
    for _ in range(3):
        updates, state = opt.update(ft.grad(loss_on(td))(p), state, p)
        p = stateful.apply_updates(p, updates)
        updates_host, state_host = opt.update(ft.grad(loss_on(target))(p_host), state_host, p_host)
        p_host = stateful.apply_updates(p_host, updates_host)
    dev.assert_close(p, p_host)
    dev.assert_on([leaf for leaf in tree_leaves(state) if np.ndim(leaf)])


def _lu_solved(a, b, trans):
    return fsl.lu_solve(fsl.lu_factor(a), b, trans=trans)


@pytest.mark.parametrize("trans", [0, 1])
def test_lu_factor_and_lu_solve_read_no_pivots_back(dev, rng, trans):
    a = rng.standard_normal((2, 4, 4)) + 4.0 * np.eye(4)
    b = rng.standard_normal((4, 2))
    ad, bd = dev.put((a, b))

    def f(a, b):
        return fnp.sum(_lu_solved(a, b, trans) ** 2)

    with dev.no_host_transfers():
        solved = _lu_solved(ad[0], bd, trans)
        grads = ft.grad(f, argnums=(0, 1))(ad[0], bd)
        _, tangent = ft.jvp(f, (ad[0], bd), (ad[1], bd))
        batched = ft.vmap(_lu_solved, in_axes=(0, None, None))(ad, bd, trans)
    dev.assert_close(solved, _lu_solved(a[0], b, trans))
    dev.assert_close(grads, ft.grad(f, argnums=(0, 1))(a[0], b))
    dev.assert_close(tangent, ft.jvp(f, (a[0], b), (a[1], b))[1])
    dev.assert_close(batched, ft.vmap(_lu_solved, in_axes=(0, None, None))(a, b, trans))


@pytest.mark.parametrize("shape", [(5, 5), (3, 4, 4), (1, 1)])
def test_lu_pivots_make_scipys_permutation_on_the_device(dev, rng, shape):
    a = rng.standard_normal(shape)
    flat = a.reshape((-1,) + shape[-2:])
    # scipy.linalg.lu: a = P L U, so a[perm] = L U with perm[i] the row of P's 1 in column i
    want = np.stack([scipy.linalg.lu(m)[0].argmax(axis=0) for m in flat]).reshape(shape[:-1])
    _, piv = fsl.lu_factor(dev.put((a,))[0])
    with dev.no_host_transfers():
        perm = decompositions.pivots_to_permutation(piv)
        inverse = decompositions.pivots_to_permutation(piv, inverse=True)
    dev.assert_close(perm, want, rtol=0, atol=0)
    dev.assert_close(inverse, np.argsort(want, axis=-1), rtol=0, atol=0)


def test_discrete_distributions_with_fixed_scalar_parameters(dev):
    p = np.array([0.2, 0.7])
    (pd,) = dev.put((p,))

    def f(p):  # fixed k and n: NumPy scalars meet device (and traced) arrays
        return fst.binom.logpmf(2, 5, p) + fst.binom.cdf(2, 5, p) + fst.poisson.logsf(1, 3 * p)

    with dev.no_host_transfers():
        values = f(pd)
        grads = ft.grad(lambda p: fnp.sum(f(p)))(pd)
        batched = ft.vmap(f)(pd)
        jacobian = ft.jacfwd(f)(pd)
    dev.assert_close(values, f(p))
    dev.assert_close(grads, ft.grad(lambda p: fnp.sum(f(p)))(p))
    dev.assert_close(batched, f(p))
    dev.assert_close(jacobian, ft.jacfwd(f)(p))


@pytest.mark.parametrize(
    "cov,bad",  # bad is indefinite: SciPy raises on host values, a device gives NaN
    [
        (np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([[1.0, 2.0], [2.0, 1.0]])),
        (np.array([2.0, 1.0]), np.array([2.0, -1.0])),
    ],
)
def test_multivariate_normal_checks_its_covariance_on_the_device(dev, cov, bad):
    x, mean = np.array([[0.3, -0.2], [1.0, 0.5]]), np.array([0.1, 0.0])
    xd, meand, covd, badd = dev.put((x, mean, cov, bad))

    def f(x, mean, cov):
        return fst.multivariate_normal.logpdf(x, mean, cov)

    with dev.no_host_transfers():
        values = f(xd, meand, covd)
        grads = ft.grad(lambda *a: fnp.sum(f(*a)), argnums=(0, 1, 2))(xd, meand, covd)
        invalid = f(xd, meand, badd)
    dev.assert_close(values, f(x, mean, cov))
    dev.assert_close(grads, ft.grad(lambda *a: fnp.sum(f(*a)), argnums=(0, 1, 2))(x, mean, cov))
    assert np.isnan(dev.host(invalid)).all()


def test_mixing_a_numpy_array_with_a_device_array_is_a_clear_error(dev):
    (xd,) = dev.put((np.ones(2),))
    with pytest.raises(TypeError, match="Arrays from two backends were mixed"):
        fnp.add(xd, np.ones(2))
    with pytest.raises(TypeError, match="Arrays from two backends were mixed"):
        ft.grad(lambda x: fnp.sum(x * np.ones(2)))(xd)
    dev.assert_on(fnp.add(xd, np.float32(2.0)) * 3)  # scalars mix freely


def test_device_put_and_default_device(dev):
    tree = {"a": np.ones(2), "b": [np.arange(3.0)]}
    on = ft.device_put(tree, "gpu")
    dev.assert_on(on)
    back = ft.device_put(on, "cpu")
    assert all(type(leaf) is np.ndarray for leaf in tree_leaves(back))
    np.testing.assert_array_equal(back["b"][0], tree["b"][0])
    assert ft.devices()
    with ft.default_device("gpu"):
        dev.assert_on(fnp.zeros(3))
    assert type(fnp.zeros(3)) is np.ndarray


def test_no_transfer_check_can_fail(dev):
    """The zero-transfer checks above would see a transfer."""
    (xd,) = dev.put((np.ones(2),))
    with pytest.raises(Exception):  # noqa: B017 (the fake's AssertionError or CuPy's sync error)
        with dev.no_host_transfers():
            float(fnp.sum(xd))


def test_numpy_scalar_compared_with_a_traced_device_array(dev):
    # NumPy passes the scalar to __array_ufunc__ as a 0-d ndarray, which mixed backends
    (x,) = dev.put((np.array([0.5, 2.0]),))
    with dev.no_host_transfers():
        g = ft.grad(lambda x: fnp.sum(fnp.where(np.float64(1.0) < x, x**2, x)))(x)
    dev.assert_close(g, np.array([1.0, 4.0]))


def test_asarray_of_a_numpy_array_like_a_device_array_moves_it(dev):
    (like,) = dev.put((np.zeros(2),))
    moved = fnp.asarray(np.arange(3.0), like=like)
    assert type(moved) is type(like)
