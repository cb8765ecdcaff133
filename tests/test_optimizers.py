"""fntrans.optimizers: convergence, callbacks, pytree structure and dtypes, known steps."""

import re
import sys
import types

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.optimizers import adam, rmsprop, schedules, sgd, stateful
from fntrans.tree import ravel_pytree, tree_leaves, tree_map, tree_structure

TARGET = {"layer": [np.array([1.0, -2.0]), np.array([[0.5], [3.0]])], "bias": -1.5}


def quadratic(params, i):
    """Squared distance to TARGET, over a nested dict/list pytree."""
    diffs = tree_map(lambda p, t: fnp.sum((p - t) ** 2), params, TARGET)
    return sum(tree_leaves(diffs))


def zeros_like_target():
    return {"layer": [np.zeros(2), np.zeros((2, 1))], "bias": 0.0}


CONVERGING = [
    (sgd, dict(step_size=0.5, num_iters=200)),
    (rmsprop, dict(step_size=0.05, num_iters=300)),
    (adam, dict(step_size=0.1, num_iters=300)),
]


@pytest.mark.parametrize("optimizer, options", CONVERGING, ids=["sgd", "rmsprop", "adam"])
def test_optimizer_minimizes_quadratic_over_nested_pytree(optimizer, options):
    params = optimizer(ft.grad(quadratic), zeros_like_target(), **options)
    assert quadratic(params, 0) < 1e-3
    for p, t in zip(tree_leaves(params), tree_leaves(TARGET)):
        np.testing.assert_allclose(p, t, atol=0.03)


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_callback_gets_params_iteration_and_gradient(optimizer):
    grad_fn = ft.grad(quadratic)
    calls = []

    def callback(params, i, g):
        calls.append(i)
        assert tree_structure(params) == tree_structure(TARGET)
        expected = grad_fn(params, i)
        for leaf, expected_leaf in zip(tree_leaves(g), tree_leaves(expected)):
            np.testing.assert_array_equal(leaf, expected_leaf)

    optimizer(grad_fn, zeros_like_target(), callback=callback, num_iters=4)
    assert calls == [0, 1, 2, 3]


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_grad_fn_gets_the_iteration_number(optimizer):
    seen = []

    def grad_fn(params, i):
        seen.append(i)
        return tree_map(lambda p: p - 1.0, params)

    optimizer(grad_fn, [np.zeros(2)], num_iters=3)
    assert seen == [0, 1, 2]


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_structure_and_dtypes_are_kept(optimizer):
    init = {"w": (np.ones(3, np.float32), [np.ones((2, 2))]), "b": 1.0, "none": None}

    def loss(params, i):
        return fnp.sum(params["w"][0] ** 2) + fnp.sum(params["w"][1][0] ** 2) + params["b"] ** 2

    final = optimizer(ft.grad(loss), init, num_iters=3)
    assert tree_structure(final) == tree_structure(init)
    assert final["w"][0].dtype == np.float32
    assert final["w"][1][0].dtype == np.float64
    assert final["b"].shape == () and final["b"].dtype == np.float64
    assert final["none"] is None


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_float64_gradient_does_not_promote_float32_params(optimizer):
    def grad_fn(params, i):
        return [p.astype(np.float64) for p in params]

    final = optimizer(grad_fn, [np.ones(2, np.float32)], num_iters=2)
    assert final[0].dtype == np.float32


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_init_params_are_not_modified(optimizer):
    init = zeros_like_target()
    copy = tree_map(np.copy, init)
    optimizer(ft.grad(quadratic), init, num_iters=3)
    for leaf, original in zip(tree_leaves(init), tree_leaves(copy)):
        np.testing.assert_array_equal(leaf, original)


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_zero_iterations_return_the_initial_params_as_arrays(optimizer):
    final = optimizer(ft.grad(quadratic), zeros_like_target(), num_iters=0)
    assert isinstance(final["bias"], np.ndarray)
    np.testing.assert_array_equal(ravel_pytree(final)[0], np.zeros(5))


def test_gradient_with_another_structure_raises():
    def grad_fn(params, i):
        return {"w": params["w"]}

    with pytest.raises(ValueError, match=re.escape("grad_fn(params, 0) must return a gradient")):
        sgd(grad_fn, {"w": np.ones(2), "b": np.ones(1)}, num_iters=1)


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_integer_params_raise(optimizer):
    msg = f"{optimizer.__name__} updates params by fractional steps, but init_params has a leaf of dtype int64. Convert it with .astype(float)"
    with pytest.raises(TypeError, match=re.escape(msg)):
        optimizer(lambda p, i: p, {"w": np.ones(2), "n": np.array([1, 2])}, num_iters=1)


# One step from known values: p = [1, -2], g = 2 * (p - 0) = [2, -4].
P0 = np.array([1.0, -2.0])
G0 = 2 * P0


def one_step(optimizer, **options):
    return optimizer(lambda p, i: 2 * p, P0, num_iters=1, **options)


def test_sgd_step_without_momentum_is_p_minus_step_size_times_g():
    np.testing.assert_allclose(one_step(sgd, step_size=0.1, mass=0.0), P0 - 0.1 * G0, rtol=1e-15)


def test_first_sgd_step_with_momentum_is_scaled_by_one_minus_mass():
    np.testing.assert_allclose(one_step(sgd, step_size=0.1, mass=0.9), P0 - 0.1 * 0.1 * G0)


def test_second_sgd_step_carries_the_velocity():
    p1 = P0 - 0.1 * 0.1 * G0
    velocity = 0.9 * (-0.1 * G0) - 0.1 * (2 * p1)
    p2 = sgd(lambda p, i: 2 * p, P0, num_iters=2, step_size=0.1, mass=0.9)
    np.testing.assert_allclose(p2, p1 + 0.1 * velocity)


def test_first_rmsprop_step_divides_by_rms_started_at_one():
    # avg_sq starts at ones (autograd's choice): avg_sq = 0.9 + 0.1 * g**2
    expected = P0 - 0.1 * G0 / (np.sqrt(0.9 + 0.1 * G0**2) + 1e-8)
    np.testing.assert_allclose(one_step(rmsprop, step_size=0.1), expected)


@pytest.mark.parametrize("scale", [1e-4, 1.0, 1e4])
def test_first_adam_step_moves_each_coordinate_by_step_size(scale):
    # bias correction makes m_hat = g and v_hat = g**2, so the step is step_size * sign(g)
    final = adam(lambda p, i: scale * p, P0, num_iters=1, step_size=0.01)
    np.testing.assert_allclose(final - P0, -0.01 * np.sign(P0), rtol=1e-3)


def autograd_adam(grad, x, num_iters, step_size, b1=0.9, b2=0.999, eps=1e-8):
    """autograd.misc.optimizers.adam (HIPS/autograd 1.6), on a flat vector: the reference."""
    m = np.zeros(len(x))
    v = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * (g**2) + b2 * v
        mhat = m / (1 - b1 ** (i + 1))
        vhat = v / (1 - b2 ** (i + 1))
        x = x - step_size * mhat / (np.sqrt(vhat) + eps)
    return x


def test_adam_matches_autograds_flat_vector_adam_over_many_steps():
    def loss(params, i):
        return fnp.sum(fnp.sin(params["a"]) * params["b"][0]) + fnp.sum(params["b"][1] ** 4)

    init = {"a": np.linspace(-1.0, 1.0, 4), "b": [1.5, np.array([0.3, -0.7])]}
    flat, unravel = ravel_pytree(init)
    flat_grad = lambda x, i: ravel_pytree(ft.grad(loss)(unravel(x), i))[0]  # noqa: E731
    expected = autograd_adam(flat_grad, flat, num_iters=20, step_size=0.05)
    final = adam(ft.grad(loss), init, num_iters=20, step_size=0.05)
    np.testing.assert_allclose(ravel_pytree(final)[0], expected, rtol=1e-12)


# --- autograd's shape, extended: grad_fn(params), value_and_grad, history, aliases ---


def loss_of_params(params):
    return quadratic(params, 0)


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_grad_fn_of_params_alone_matches_grad_fn_of_params_and_i(optimizer):
    one = optimizer(ft.grad(loss_of_params), zeros_like_target(), num_iters=5)
    two = optimizer(ft.grad(quadratic), zeros_like_target(), num_iters=5)
    np.testing.assert_array_equal(ravel_pytree(one)[0], ravel_pytree(two)[0])


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_value_and_grad_gives_the_same_steps_and_the_loss_history(optimizer):
    seen = []
    params, losses = optimizer(
        ft.value_and_grad(loss_of_params),
        zeros_like_target(),
        callback=lambda p, i, g: seen.append(loss_of_params(p)),
        num_iters=6,
        return_history=True,
    )
    plain = optimizer(ft.grad(loss_of_params), zeros_like_target(), num_iters=6)
    np.testing.assert_array_equal(ravel_pytree(params)[0], ravel_pytree(plain)[0])
    assert losses.dtype == np.float64 and losses.shape == (6,)
    np.testing.assert_allclose(losses, seen, rtol=1e-15)


def test_value_and_grad_of_params_and_i_is_called_with_i():
    def loss(params, i):
        return fnp.sum((params - i) ** 2)

    _, losses = sgd(
        ft.value_and_grad(loss), np.zeros(1), num_iters=3, mass=0.0, return_history=True
    )
    # p0 = 0, loss0 = 0; g0 = 0 so p1 = 0, loss1 = (0 - 1)**2; p2 = 0 - 0.1 * 2 * (0 - 1) = 0.2
    np.testing.assert_allclose(losses, [0.0, 1.0, (0.2 - 2) ** 2])


def test_value_and_grad_on_a_bare_array_is_not_mistaken_for_a_gradient():
    _, losses = adam(
        ft.value_and_grad(lambda p: fnp.sum(p**2)), np.ones(2), num_iters=2, return_history=True
    )
    assert losses[0] == 2.0


def test_return_history_without_the_loss_raises():
    msg = "sgd(..., return_history=True) records the loss, but grad_fn returns only the gradient. Pass ft.value_and_grad(loss) as grad_fn."
    with pytest.raises(ValueError, match=re.escape(msg)):
        sgd(ft.grad(loss_of_params), zeros_like_target(), num_iters=2, return_history=True)


def test_grad_fn_taking_neither_form_raises_a_clear_error():
    def grad_fn(params, i, batch):
        return params

    msg = "adam calls grad_fn(params, i) or grad_fn(params), but grad_fn has the signature (params, i, batch), which takes neither. Wrap it, e.g. lambda params, i: grad_fn(params, batch[i])."
    with pytest.raises(TypeError, match=re.escape(msg)):
        adam(grad_fn, np.zeros(2), num_iters=1)


def test_grad_fn_that_is_not_callable_raises():
    msg = "adam takes grad_fn as its first argument, a function of params, but got float 0.001."
    with pytest.raises(TypeError, match=re.escape(msg)):
        adam(1e-3, np.zeros(2))


def test_wrong_structure_message_shows_the_one_argument_form():
    with pytest.raises(ValueError, match=re.escape("grad_fn(params) must return a gradient")):
        sgd(lambda params: [params], np.ones(2), num_iters=1)


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_learning_rate_is_another_name_for_step_size(optimizer):
    by_step_size = optimizer(ft.grad(quadratic), zeros_like_target(), num_iters=3, step_size=0.03)
    by_learning_rate = optimizer(
        ft.grad(quadratic), zeros_like_target(), num_iters=3, learning_rate=0.03
    )
    np.testing.assert_array_equal(ravel_pytree(by_step_size)[0], ravel_pytree(by_learning_rate)[0])


def test_step_size_and_learning_rate_together_raise():
    msg = "adam got both step_size=0.1 and learning_rate=0.2; they are two names for one setting, pass one."
    with pytest.raises(TypeError, match=re.escape(msg)):
        adam(ft.grad(quadratic), zeros_like_target(), step_size=0.1, learning_rate=0.2)


def test_step_size_may_be_a_schedule_of_i():
    p = sgd(lambda p, i: 2 * p, P0, num_iters=2, step_size=lambda i: 0.1 * (i + 1), mass=0.0)
    p1 = P0 - 0.1 * 2 * P0
    np.testing.assert_allclose(p, p1 - 0.2 * 2 * p1)


# --- progress ---


def test_progress_without_tqdm_prints_a_line_every_tenth_of_the_run(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError
    _, losses = sgd(
        ft.value_and_grad(loss_of_params),
        zeros_like_target(),
        num_iters=20,
        progress=True,
        return_history=True,
    )
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"sgd: step {k}/20, loss {losses[k - 1]:.6g}" for k in range(2, 21, 2)]


def test_progress_every_n_steps_with_the_loss_unknown(capsys):
    adam(ft.grad(loss_of_params), zeros_like_target(), num_iters=7, progress=3)
    assert capsys.readouterr().err.splitlines() == [
        "adam: step 3/7",
        "adam: step 6/7",
        "adam: step 7/7",
    ]


def test_no_progress_prints_nothing(capsys):
    adam(ft.grad(loss_of_params), zeros_like_target(), num_iters=3)
    assert capsys.readouterr() == ("", "")


class FakeTqdm:
    """Stands in for tqdm.tqdm and records how it is driven."""

    made = []

    def __init__(self, total, desc):
        self.total, self.desc, self.updates, self.postfix, self.closed = total, desc, 0, None, False
        FakeTqdm.made.append(self)

    def update(self, n):
        self.updates += n

    def set_postfix(self, refresh=True, **values):
        self.postfix = values

    def close(self):
        self.closed = True


def test_progress_with_tqdm_drives_a_bar(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeTqdm))
    FakeTqdm.made = []
    _, losses = rmsprop(
        ft.value_and_grad(loss_of_params),
        zeros_like_target(),
        num_iters=5,
        progress=True,
        return_history=True,
    )
    (bar,) = FakeTqdm.made
    assert (bar.total, bar.desc, bar.updates, bar.closed) == (5, "rmsprop", 5, True)
    assert bar.postfix == {"loss": f"{losses[-1]:.6g}"}
    assert capsys.readouterr().err == ""


def test_tqdm_bar_is_closed_when_the_run_raises(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeTqdm))
    FakeTqdm.made = []
    with pytest.raises(FloatingPointError):
        adam(lambda p: p * np.nan, np.ones(1), progress=True, stop_on_nan=True)
    assert FakeTqdm.made[0].closed


# --- stop_on_nan ---


def nan_at_step(step):
    """A gradient of the TARGET quadratic whose params['layer'][1][1, 0] is NaN from ``step`` on."""

    def grad_fn(params, i):
        g = ft.grad(quadratic)(params, i)
        if i >= step:
            g["layer"][1][1, 0] = np.nan
        return g

    return grad_fn


@pytest.mark.parametrize("optimizer", [sgd, rmsprop, adam])
def test_stop_on_nan_names_the_step_and_the_leaf_path(optimizer):
    seen, callbacks = [], []

    def grad_fn(params, i):
        seen.append(params)
        return nan_at_step(2)(params, i)

    with pytest.raises(FloatingPointError) as info:
        optimizer(
            grad_fn,
            zeros_like_target(),
            callback=lambda p, i, g: callbacks.append(i),
            num_iters=10,
            stop_on_nan=True,
        )
    msg = f"{optimizer.__name__} stopped at step 2 of 10: the gradient for params['layer'][1] is nan at index (1, 0). The error's .params attribute holds the params before this step. Lower the step size, or find the operation that makes it with ft.config.update('debug_nans', True)."
    assert str(info.value) == msg
    assert callbacks == [0, 1]  # the callback never sees the NaN gradient
    assert info.value.params is seen[2]


def test_stop_on_nan_reports_the_loss_with_the_gradient():
    def value_and_grad_fn(params):
        return np.float64(np.inf), {"w": np.array([np.inf, 0.0])}

    msg = (
        "adam stopped at step 0 of 3: the gradient for params['w'] is inf at index (0,) (loss inf)."
    )
    with pytest.raises(FloatingPointError, match=re.escape(msg)):
        adam(value_and_grad_fn, {"w": np.zeros(2)}, num_iters=3, stop_on_nan=True)


def test_stop_on_nan_catches_a_non_finite_loss_with_a_finite_gradient():
    def value_and_grad_fn(params):
        return np.float64(np.nan), params

    with pytest.raises(
        FloatingPointError, match=re.escape("sgd stopped at step 0 of 3: the loss is nan.")
    ):
        sgd(value_and_grad_fn, np.zeros(2), num_iters=3, stop_on_nan=True)


def test_without_stop_on_nan_nans_pass_into_params():
    final = sgd(nan_at_step(0), zeros_like_target(), num_iters=2)
    assert np.isnan(final["layer"][1][1, 0])


def test_stop_on_nan_returns_the_same_params_when_all_is_finite():
    checked = adam(ft.grad(quadratic), zeros_like_target(), num_iters=5, stop_on_nan=True)
    plain = adam(ft.grad(quadratic), zeros_like_target(), num_iters=5)
    np.testing.assert_array_equal(ravel_pytree(checked)[0], ravel_pytree(plain)[0])


# --- optax's stateful shape, against optax's published update formulas written out here ---


def run_stateful(opt, grad, params, steps):
    """The loop a user writes: init once, then update and apply_updates."""
    state = opt.init(params)
    for _ in range(steps):
        updates, state = opt.update(grad(params), state, params)
        params = stateful.apply_updates(params, updates)
    return params, state


def flat_grad(p):
    """Gradient of sum(sin(p) * p**2): not a quadratic, so steps do not line up by accident."""
    return np.cos(p) * p**2 + 2 * p * np.sin(p)


X0 = np.array([0.7, -1.3, 2.1])


def test_stateful_sgd_is_p_minus_learning_rate_times_g():
    expected = X0
    for _ in range(3):
        expected = expected - 0.05 * flat_grad(expected)
    final, _ = run_stateful(stateful.sgd(0.05), flat_grad, X0, 3)
    np.testing.assert_allclose(final, expected, rtol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_stateful_sgd_momentum_follows_optax_trace(nesterov):
    # optax.trace: t <- g + momentum * t; update = -lr * (g + momentum * t if nesterov else t)
    x, t = X0, np.zeros(3)
    for _ in range(4):
        g = flat_grad(x)
        t = g + 0.9 * t
        x = x - 0.05 * (g + 0.9 * t if nesterov else t)
    final, _ = run_stateful(stateful.sgd(0.05, momentum=0.9, nesterov=nesterov), flat_grad, X0, 4)
    np.testing.assert_allclose(final, x, rtol=1e-14)


def test_stateful_rmsprop_follows_optax_scale_by_rms():
    # optax.scale_by_rms: nu <- decay * nu + (1 - decay) * g**2 from initial_scale;
    # update = -lr * g / sqrt(nu + eps) (eps inside the root, unlike autograd's rmsprop)
    x, nu = X0, np.full(3, 0.5)
    for _ in range(4):
        g = flat_grad(x)
        nu = 0.8 * nu + 0.2 * g**2
        x = x - 0.01 * g / np.sqrt(nu + 1e-3)
    opt = stateful.rmsprop(0.01, decay=0.8, eps=1e-3, initial_scale=0.5)
    np.testing.assert_allclose(run_stateful(opt, flat_grad, X0, 4)[0], x, rtol=1e-14)


def optax_adam(x, steps, lr, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, weight_decay=None):
    """optax.adam / optax.adamw, written out: scale_by_adam, then (adamw) + wd * params, then -lr."""
    mu, nu = np.zeros_like(x), np.zeros_like(x)
    for count in range(1, steps + 1):
        g = flat_grad(x)
        mu = (1 - b1) * g + b1 * mu
        nu = (1 - b2) * g**2 + b2 * nu
        mu_hat, nu_hat = mu / (1 - b1**count), nu / (1 - b2**count)
        u = mu_hat / (np.sqrt(nu_hat + eps_root) + eps)
        if weight_decay is not None:
            u = u + weight_decay * x
        x = x - lr * u
    return x


def test_stateful_adam_follows_optax_formulas():
    opt = stateful.adam(0.02, b1=0.8, b2=0.99, eps=1e-6, eps_root=1e-9)
    final, state = run_stateful(opt, flat_grad, X0, 10)
    expected = optax_adam(X0, 10, 0.02, b1=0.8, b2=0.99, eps=1e-6, eps_root=1e-9)
    np.testing.assert_allclose(final, expected, rtol=1e-13)
    adam_state, lr_state = state
    assert adam_state.count == 10 and isinstance(adam_state, stateful.ScaleByAdamState)


def test_stateful_adam_first_step_is_learning_rate_times_sign():
    opt = stateful.adam(learning_rate=1e-3)
    updates, _ = opt.update(np.array([1e-4, -1e4]), opt.init(np.zeros(2)))
    np.testing.assert_allclose(updates, [-1e-3, 1e-3], rtol=1e-3)


def test_stateful_adam_matches_autograd_shape_adam():
    # the same rule in both shapes: a check that neither drifts
    final, _ = run_stateful(stateful.adam(0.05), flat_grad, X0, 20)
    np.testing.assert_allclose(
        final, adam(lambda p, i: flat_grad(p), X0, num_iters=20, step_size=0.05), rtol=1e-12
    )


def test_adamw_decay_is_decoupled_from_the_adam_scaling():
    final, _ = run_stateful(stateful.adamw(0.02, weight_decay=0.3), flat_grad, X0, 10)
    np.testing.assert_allclose(final, optax_adam(X0, 10, 0.02, weight_decay=0.3), rtol=1e-13)
    # coupled L2 (decay added to the gradient, then scaled by Adam) is a different rule
    coupled, _ = run_stateful(stateful.adam(0.02), lambda p: flat_grad(p) + 0.3 * p, X0, 10)
    assert np.abs(coupled - final).max() > 1e-3


def test_adamw_with_a_zero_gradient_shrinks_params_by_lr_times_decay():
    opt = stateful.adamw(0.1, weight_decay=0.5)
    params = {"w": np.array([2.0, -4.0]), "b": np.array([1.0])}
    updates, _ = opt.update(tree_map(np.zeros_like, params), opt.init(params), params)
    np.testing.assert_allclose(updates["w"], -0.1 * 0.5 * params["w"])


def test_adamw_mask_leaves_unmasked_leaves_undecayed():
    opt = stateful.adamw(0.1, weight_decay=0.5, mask=lambda p: {"w": True, "b": False})
    params = {"w": np.array([2.0]), "b": np.array([1.0])}
    updates, _ = opt.update(tree_map(np.zeros_like, params), opt.init(params), params)
    assert updates["w"][0] == -0.1 and updates["b"][0] == 0.0


def test_weight_decay_without_params_raises():
    opt = stateful.adamw(0.1)
    msg = "add_decayed_weights (weight decay, as in adamw) needs the params: call update(grads, state, params)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        opt.update(np.ones(2), opt.init(np.zeros(2)))


def test_clip_by_global_norm_scales_all_leaves_together():
    clip = stateful.clip_by_global_norm(1.0)
    grads = {"a": np.array([3.0]), "b": [np.array([[0.0, 4.0]])]}  # global norm 5
    clipped, _ = clip.update(grads, clip.init(grads))
    np.testing.assert_allclose(clipped["a"], [0.6])
    np.testing.assert_allclose(clipped["b"][0], [[0.0, 0.8]])
    assert stateful.global_norm(clipped) == pytest.approx(1.0)


def test_clip_by_global_norm_leaves_small_updates_alone():
    clip = stateful.clip_by_global_norm(10.0)
    grads = [np.array([3.0, 4.0])]
    assert clip.update(grads, clip.init(grads))[0] is grads


def test_chain_applies_transformations_in_order():
    g = np.array([3.0, 4.0])
    clip_then_scale = stateful.chain(stateful.clip_by_global_norm(1.0), stateful.scale(10.0))
    scale_then_clip = stateful.chain(stateful.scale(10.0), stateful.clip_by_global_norm(1.0))
    np.testing.assert_allclose(clip_then_scale.update(g, clip_then_scale.init(g))[0], [6.0, 8.0])
    np.testing.assert_allclose(scale_then_clip.update(g, scale_then_clip.init(g))[0], [0.6, 0.8])


def test_chain_with_the_wrong_state_raises():
    opt = stateful.chain(stateful.scale(1.0))
    msg = "chain of 1 transformations got a state of 2 entries; make it with this chain's init(params)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        opt.update(np.ones(1), ((), ()))


def test_learning_rate_schedule_is_read_at_counts_0_1_2():
    lrs = []
    opt = stateful.sgd(lambda count: lrs.append(count) or 0.1 * 2.0**-count)
    final, _ = run_stateful(opt, lambda p: np.ones(1), np.zeros(1), 3)
    assert lrs == [0, 1, 2]
    np.testing.assert_allclose(final, [-(0.1 + 0.05 + 0.025)])


def test_apply_updates_keeps_dtypes_and_structure():
    params = {"w": np.ones(2, np.float32), "b": 1.0, "none": None}
    updates = {"w": np.array([0.5, 0.25]), "b": np.float64(0.5), "none": None}
    new = stateful.apply_updates(params, updates)
    assert new["w"].dtype == np.float32 and new["b"].dtype == np.float64 and new["none"] is None
    np.testing.assert_array_equal(new["w"], [1.5, 1.25])


def test_apply_updates_to_integer_params_raises():
    msg = "apply_updates adds fractional steps, but params has a leaf of dtype int64. Convert it with .astype(float)"
    with pytest.raises(TypeError, match=re.escape(msg)):
        stateful.apply_updates(np.array([1, 2]), np.array([0.5, 0.5]))


def test_stateful_adam_keeps_float32_params():
    params = {"w": np.ones(3, np.float32)}
    final, state = run_stateful(stateful.adam(0.1), lambda p: {"w": 2 * p["w"]}, params, 3)
    assert final["w"].dtype == np.float32 and state[0].mu["w"].dtype == np.float32


# --- schedules: values by hand ---


def test_schedule_values():
    assert schedules.constant_schedule(0.3)(10**6) == 0.3
    assert [
        schedules.linear_schedule(2.0, 1.0, 4, transition_begin=2)(s) for s in (0, 2, 4, 6, 9)
    ] == [2.0, 2.0, 1.5, 1.0, 1.0]
    decay = schedules.exponential_decay(1.0, 10, 0.1, transition_begin=5)
    assert (
        decay(5) == 1.0 and decay(15) == pytest.approx(0.1) and decay(10) == pytest.approx(0.1**0.5)
    )
    assert schedules.exponential_decay(1.0, 10, 0.1, staircase=True)(19) == pytest.approx(0.1)
    assert schedules.exponential_decay(1.0, 1, 0.1, end_value=0.01)(5) == 0.01
    cosine = schedules.cosine_decay_schedule(2.0, 100, alpha=0.1)
    assert (
        cosine(0) == 2.0
        and cosine(50) == pytest.approx(2.0 * (0.9 * 0.5 + 0.1))
        and cosine(500) == pytest.approx(0.2)
    )
    assert schedules.cosine_decay_schedule(1.0, 100, exponent=2.0)(50) == pytest.approx(0.25)


def test_warmup_is_linear_then_the_wrapped_schedule_shifted():
    lr = schedules.warmup(schedules.exponential_decay(0.4, 10, 0.5), warmup_steps=4, init_value=0.2)
    assert [lr(s) for s in (0, 1, 2, 3)] == pytest.approx([0.2, 0.25, 0.3, 0.35])
    assert lr(4) == 0.4 and lr(14) == pytest.approx(0.2)
    assert schedules.warmup(0.5, warmup_steps=2)(1) == 0.25
    assert schedules.warmup(schedules.constant_schedule(0.5), warmup_steps=0)(0) == 0.5


def test_warmup_cosine_decay_schedule_matches_optax_definition():
    # optax: linear init -> peak over warmup_steps, then cosine from peak over
    # decay_steps - warmup_steps with alpha = end_value / peak_value
    lr = schedules.warmup_cosine_decay_schedule(
        0.0, 1.0, warmup_steps=10, decay_steps=110, end_value=0.1
    )
    assert lr(5) == 0.5 and lr(10) == 1.0
    assert lr(60) == pytest.approx(0.9 * 0.5 * (1 + np.cos(np.pi * 50 / 100)) + 0.1)
    assert lr(110) == pytest.approx(0.1) and lr(1000) == pytest.approx(0.1)


def test_schedule_with_no_steps_raises():
    with pytest.raises(
        ValueError,
        match=re.escape("cosine_decay_schedule needs decay_steps > 0, but got decay_steps=0."),
    ):
        schedules.cosine_decay_schedule(1.0, 0)


# --- fit ---


def test_fit_records_the_loss_before_each_update():
    seen = []
    params, losses = stateful.fit(
        loss_of_params,
        zeros_like_target(),
        stateful.adam(0.1),
        num_steps=200,
        callback=lambda p, i, g: seen.append(loss_of_params(p)),
    )
    np.testing.assert_allclose(losses, seen, rtol=1e-15)
    assert losses[-1] < 1e-3 and losses[0] == loss_of_params(zeros_like_target())
    expected, _ = run_stateful(
        stateful.adam(0.1), ft.grad(loss_of_params), zeros_like_target(), 200
    )
    np.testing.assert_allclose(ravel_pytree(params)[0], ravel_pytree(expected)[0], rtol=1e-13)


def test_fit_passes_the_step_to_a_loss_of_params_and_i():
    data = np.array([1.0, 2.0, 3.0])
    _, losses = stateful.fit(
        lambda p, i: (p - data[i % 3]) ** 2, 0.0, stateful.sgd(0.0), num_steps=3
    )
    np.testing.assert_array_equal(losses, [1.0, 4.0, 9.0])


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt")
def test_fit_stop_on_nan_names_the_leaf():
    msg = (
        "fit stopped at step 0 of 4: the gradient for params['w'] is nan at index (1,) (loss nan)."
    )
    with pytest.raises(FloatingPointError, match=re.escape(msg)):
        stateful.fit(
            lambda p: fnp.sum(fnp.sqrt(p["w"])),
            {"w": np.array([1.0, -1.0])},
            stateful.sgd(0.1),
            4,
            stop_on_nan=True,
        )


def test_fit_progress_prints_the_loss(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    _, losses = stateful.fit(
        loss_of_params, zeros_like_target(), stateful.sgd(0.1), 4, progress=True
    )
    expected = [f"fit: step {k}/4, loss {losses[k - 1]:.6g}" for k in range(1, 5)]
    assert capsys.readouterr().err.splitlines() == expected


def test_fit_with_a_loss_of_three_arguments_raises():
    msg = "fit calls loss(params, i) or loss(params), but loss has the signature (p, x, y), which takes neither."
    with pytest.raises(TypeError, match=re.escape(msg)):
        stateful.fit(lambda p, x, y: p, 0.0, stateful.sgd(0.1))


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam"])
def test_optax_style_call_of_the_loop_points_to_stateful(name):
    import fntrans.optimizers

    with pytest.raises(
        TypeError, match=rf"fntrans.optimizers.stateful.{name}\(learning_rate=...\)"
    ):
        getattr(fntrans.optimizers, name)(learning_rate=1e-3)
