"""Polynomial regression: a linear model on the feature map phi(x) = (1, x, ..., x^M).

Shows: ft.value_and_grad of a least-squares cost (value and gradient from one
pass), with the model linear in its weights but not in x; the fit converges
to the least-squares solution computed with numpy.linalg.lstsq. Features are
scaled to [-1, 1] first, so plain gradient descent converges in few steps.

Run: python examples/polynomial_regression.py
"""

from __future__ import annotations

import numpy as np
from _plotting import pyplot, save

import fntrans as ft
import fntrans.numpy as fnp


def make_data(rng, n=100):
    """Points on t = x^4 - 10 x^2 + 10 x with Gaussian noise of variance 4, x in [-3, 3]."""
    x = np.linspace(-3.0, 3.0, n)
    t = x**4 - 10.0 * x**2 + 10.0 * x + rng.normal(0.0, 2.0, x.shape)
    return x, t


def feature_map(x, degree, scale):
    """Columns 1, u, u^2, ..., u^degree of u = x / scale, one row per point."""
    u = x / scale
    return fnp.stack([u**k for k in range(degree + 1)], axis=1)


def cost(weights, features, t):
    y = fnp.dot(features, weights)
    return fnp.mean(0.5 * fnp.square(y - t))


def plot(x, t, fitted, losses, optimum, degree):
    plt = pyplot()
    if plt is None:
        return
    fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax_fit.plot(x, t, ".", color="tab:red", label="data")
    ax_fit.plot(x, x**4 - 10 * x**2 + 10 * x, "k--", lw=1, label="true curve")
    ax_fit.plot(x, fitted, "-", color="tab:blue", label=f"degree-{degree} fit")
    ax_fit.set(title="Fitted polynomial", xlabel="input x", ylabel="target t")
    ax_fit.legend()
    ax_loss.semilogy(losses, label="gradient descent")
    ax_loss.axhline(optimum, color="k", ls="--", lw=1, label="least-squares optimum")
    ax_loss.set(title="Training curve", xlabel="epoch", ylabel="cost (half mean squared error)")
    ax_loss.legend()
    ax_loss.grid(alpha=0.3)
    fig.suptitle("Polynomial regression by gradient descent on scaled features")
    save(fig, "polynomial_regression")


def main(num_epochs=5000, learning_rate=0.5, degree=4):
    rng = np.random.default_rng(0)
    x, t = make_data(rng)
    scale = np.max(np.abs(x))
    features = feature_map(x, degree, scale)
    weights = rng.standard_normal(degree + 1)
    cost_and_grad = ft.value_and_grad(cost)
    losses = []
    for epoch in range(num_epochs):
        value, g = cost_and_grad(weights, features, t)
        weights = weights - learning_rate * g
        losses.append(value)
        if epoch % max(1, num_epochs // 5) == 0:
            print(f"epoch {epoch:6d}  cost {value:.4f}")
    losses.append(cost(weights, features, t))
    exact = np.linalg.lstsq(features, t, rcond=None)[0]
    optimum = cost(exact, features, t)
    print(f"final cost {losses[-1]:.4f}, least-squares optimum {optimum:.4f}")
    coefficients = weights / scale ** np.arange(degree + 1)
    print("coefficients of 1, x, ..., x^M:", np.round(coefficients, 3), "(true: 0 10 -10 0 1)")
    plot(x, t, features @ weights, losses, optimum, degree)
    return losses, optimum


if __name__ == "__main__":
    main()
