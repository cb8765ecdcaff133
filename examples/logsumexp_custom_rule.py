"""A numerically stable log-sum-exp with a derivative rule of its own (ft.custom_jvp).

Shows: the naive log(sum(exp(x))) overflows at x ~ 1000 (value inf, gradient
nan), while the stable version, max(x) + log(sum(exp(x - max(x)))), with the
JVP rule d lse = sum(t * softmax(x)) written as exp(x - lse) (never exp(x)),
gives finite values and gradients there; fntrans.test_util.check_grads checks
the rule (forward and reverse mode, to second order, where reverse mode
transposes the rule and second order differentiates the rule itself) against
finite differences at small and at huge inputs. Then the stable log-sum-exp
is the normalizer of a softmax classifier whose logits are in the thousands,
trained with fntrans.optimizers.adam, where the naive loss is nan from the
first step. The figure shows the training curve and the decision regions.

Run: python examples/logsumexp_custom_rule.py
"""

from __future__ import annotations

import numpy as np
from _plotting import pyplot, save

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.optimizers import adam
from fntrans.test_util import check_grads


def naive_logsumexp(x):
    return fnp.log(fnp.sum(fnp.exp(x), axis=-1))


@ft.custom_jvp
def logsumexp(x):
    """log(sum(exp(x))) over the last axis, without overflow."""
    # the shift cancels in the value; it only keeps exp's argument <= 0
    shift = fnp.max(x, axis=-1, keepdims=True)
    return shift[..., 0] + fnp.log(fnp.sum(fnp.exp(x - shift), axis=-1))


@logsumexp.defjvp
def logsumexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    ans = logsumexp(x)
    # d lse / dx = softmax(x) = exp(x - lse): bounded by 1, so it cannot overflow
    return ans, fnp.sum(t * fnp.exp(x - ans[..., None]), axis=-1)


def make_blobs(rng, n_per_class=60, scale=1000.0):
    """Three Gaussian blobs in the plane, measured in large units."""
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    X = np.concatenate([c + 0.6 * rng.standard_normal((n_per_class, 2)) for c in centres])
    y = np.repeat(np.arange(3), n_per_class)
    return scale * X, y


def cross_entropy(params, X, y, lse=logsumexp):
    logits = X @ params["W"] + params["b"]
    one_hot = (y[:, None] == np.arange(3)).astype(float)
    return fnp.mean(lse(logits) - fnp.sum(one_hot * logits, axis=1))


def accuracy(params, X, y):
    return float(np.mean(np.argmax(X @ params["W"] + params["b"], axis=1) == y))


def plot(params, X, y, losses, naive_loss):
    plt = pyplot()
    if plt is None:
        return
    fig, (ax_loss, ax_data) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    ax_loss.plot(losses, label="stable log-sum-exp (custom_jvp)")
    # logarithmic above 0.01, linear below: the loss of a separated training set reaches 0.0
    ax_loss.set_yscale("symlog", linthresh=1e-2)
    ax_loss.set_ylim(bottom=0.0)
    ax_loss.set(
        title="Training curve",
        xlabel="Adam iteration",
        ylabel="cross-entropy (nats)",
    )
    ax_loss.text(
        0.97,
        0.95,
        f"naive log(sum(exp)): loss = {naive_loss} from the first step",
        transform=ax_loss.transAxes,
        ha="right",
        va="top",
        color="tab:red",
    )
    ax_loss.legend(loc="upper right", bbox_to_anchor=(1.0, 0.88))
    ax_loss.grid(alpha=0.3)

    lo, hi = X.min() - 500, X.max() + 500
    g0, g1 = np.meshgrid(np.linspace(lo, hi, 200), np.linspace(lo, hi, 200))
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1)
    predicted = np.argmax(grid @ params["W"] + params["b"], axis=1).reshape(g0.shape)
    colours = ["tab:blue", "tab:orange", "tab:green"]
    ax_data.contourf(g0, g1, predicted, levels=[-0.5, 0.5, 1.5, 2.5], colors=colours, alpha=0.25)
    for label, colour in enumerate(colours):
        points = X[y == label]
        ax_data.scatter(points[:, 0], points[:, 1], s=10, c=colour, label=f"class {label}")
    ax_data.set(
        title="Decision regions (shaded by predicted class)",
        xlabel="$x_1$",
        ylabel="$x_2$",
        aspect="equal",
    )
    ax_data.legend(loc="upper left", fontsize="small")
    fig.suptitle(
        "Softmax classifier with logits in the thousands, normalized by a stable log-sum-exp"
    )
    save(fig, "logsumexp_custom_rule")


def main(num_iters=200, step_size=0.1):
    huge = np.array([1000.0, 1000.5, 999.0])
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        naive_value = naive_logsumexp(huge)
        naive_grad = ft.grad(naive_logsumexp)(huge)
    stable_value, stable_grad = ft.value_and_grad(logsumexp)(huge)
    print(f"naive:  lse = {naive_value}, grad = {naive_grad}")
    print(f"stable: lse = {stable_value:.6f}, grad = {stable_grad}")

    small = np.array([[0.1, -0.3, 0.7], [1.0, 2.0, -1.0]])
    check_grads(logsumexp, (small,), order=2)
    check_grads(logsumexp, (huge,), order=2)
    print("gradient check passed at small and huge inputs (fwd and rev, order 2)")

    rng = np.random.default_rng(0)
    X, y = make_blobs(rng)
    params = {"W": rng.standard_normal((2, 3)), "b": np.zeros(3)}
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        naive_loss = cross_entropy(params, X, y, lse=naive_logsumexp)
    initial_loss = cross_entropy(params, X, y)
    print(f"initial loss: naive {naive_loss}, stable {initial_loss:.1f}")

    loss_and_grad = ft.value_and_grad(cross_entropy)
    losses = []

    def objective_grad(params, i):
        value, g = loss_and_grad(params, X, y)
        losses.append(float(value))
        return g

    def callback(params, i, g):
        if i % max(1, num_iters // 5) == 0:
            print(
                f"iteration {i:4d}  loss {cross_entropy(params, X, y):10.4f}  "
                f"accuracy {accuracy(params, X, y):.3f}"
            )

    params = adam(objective_grad, params, callback, num_iters=num_iters, step_size=step_size)
    final_loss, final_accuracy = cross_entropy(params, X, y), accuracy(params, X, y)
    print(f"final loss {final_loss:.4f}, training accuracy {final_accuracy:.3f}")
    plot(params, X, y, losses, naive_loss)
    return {
        "naive_grad": naive_grad,
        "stable_grad": stable_grad,
        "naive_loss": naive_loss,
        "initial_loss": initial_loss,
        "final_loss": final_loss,
        "accuracy": final_accuracy,
    }


if __name__ == "__main__":
    main()
