"""Logistic regression trained by gradient descent, with its gradient checked.

Shows: writing a loss with fntrans.numpy, ft.value_and_grad over a dict of
parameters (one forward and one backward pass per step), and
fntrans.test_util.check_grads against finite differences. The figure shows
the training curve and the learned decision boundary next to the true one.

Run: python examples/logistic_regression.py
"""

from __future__ import annotations

import numpy as np
from _plotting import pyplot, save

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.test_util import check_grads


def make_data(rng, n=500, d=2):
    true_w = rng.standard_normal(d)
    true_w *= 2.0 / np.linalg.norm(true_w)
    X = rng.standard_normal((n, d))
    y = (X @ true_w + 0.5 * rng.standard_normal(n) > 0).astype(float)
    return X, y, true_w


def loss(params, X, y):
    """Mean negative log-likelihood of labels y under a logistic model."""
    logits = X @ params["w"] + params["b"]
    # log(1 + exp(-z)) written stably through logaddexp-like pieces
    log_p = -fnp.log1p(fnp.exp(-fnp.abs(logits))) + fnp.minimum(logits, 0.0)
    log_not_p = log_p - logits
    return -fnp.mean(y * log_p + (1 - y) * log_not_p)


def train(X, y, steps=200, step_size=0.5):
    params = {"w": np.zeros(X.shape[1]), "b": 0.0}
    value_and_grad = ft.value_and_grad(loss)
    losses = []
    for step in range(steps):
        value, g = value_and_grad(params, X, y)
        losses.append(float(value))
        params = ft.tree.tree_map(lambda p, dp: p - step_size * dp, params, g)
        if step % 50 == 0:
            print(f"step {step:4d}  loss {value:.4f}")
    return params, losses


def plot(params, losses, X, y, true_w):
    plt = pyplot()
    if plt is None:
        return
    fig, (ax_loss, ax_data) = plt.subplots(1, 2, figsize=(11, 4.5))
    ax_loss.plot(losses)
    ax_loss.set(
        title="Training curve",
        xlabel="gradient-descent step",
        ylabel="mean negative log-likelihood (nats)",
    )
    ax_loss.grid(alpha=0.3)

    lo, hi = X.min() - 0.3, X.max() + 0.3
    g0, g1 = np.meshgrid(np.linspace(lo, hi, 200), np.linspace(lo, hi, 200))
    z = params["w"][0] * g0 + params["w"][1] * g1 + params["b"]
    shading = ax_data.contourf(g0, g1, 1 / (1 + np.exp(-z)), levels=20, cmap="RdBu_r", alpha=0.45)
    fig.colorbar(shading, ax=ax_data, label="predicted P(y = 1)")
    ax_data.contour(g0, g1, z, levels=[0.0], colors="k")
    ax_data.contour(
        g0, g1, true_w[0] * g0 + true_w[1] * g1, levels=[0.0], colors="k", linestyles="--"
    )
    for label, colour in ((0, "tab:blue"), (1, "tab:red")):
        points = X[y == label]
        ax_data.scatter(
            points[:, 0],
            points[:, 1],
            s=10,
            c=colour,
            edgecolors="w",
            linewidths=0.3,
            label=f"y = {label}",
        )
    # contour lines carry no legend entry, so add proxies for them
    ax_data.plot([], [], "k-", label="learned boundary (P = 0.5)")
    ax_data.plot([], [], "k--", label="true boundary")
    ax_data.set(
        title="Decision boundary",
        xlabel="feature $x_1$",
        ylabel="feature $x_2$",
        xlim=(lo, hi),
        ylim=(lo, hi),
        aspect="equal",
    )
    ax_data.legend(loc="lower left", fontsize="small", framealpha=0.9)
    fig.suptitle("Logistic regression trained with ft.value_and_grad")
    save(fig, "logistic_regression")


def main(steps=200):
    rng = np.random.default_rng(0)
    X, y, true_w = make_data(rng)
    check_grads(
        lambda w, b: loss({"w": w, "b": b}, X, y), (rng.standard_normal(X.shape[1]), 0.1), order=2
    )
    print("gradient check passed (forward and reverse mode, to second order)")
    params, losses = train(X, y, steps=steps)
    accuracy = np.mean(((X @ params["w"] + params["b"]) > 0) == (y > 0.5))
    cosine = params["w"] @ true_w / np.linalg.norm(params["w"]) / np.linalg.norm(true_w)
    print(
        f"final loss {loss(params, X, y):.4f}, accuracy {accuracy:.3f}, "
        f"cosine to the true weights {cosine:.3f}"
    )
    plot(params, losses, X, y, true_w)
    return accuracy


if __name__ == "__main__":
    main()
