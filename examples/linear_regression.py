"""1-D linear regression, y = w * x + b, fitted by gradient descent.

Shows: a loss written with fntrans.numpy over a dict of parameters, and
ft.grad giving a gradient dict with the same keys (the autograd tutorial's
first example, ported). The fit is compared with the closed-form least-squares
line, in a figure of the fit and of the training curve.

Run: python examples/linear_regression.py
"""

from __future__ import annotations

import numpy as np
from _plotting import pyplot, save

import fntrans as ft
import fntrans.numpy as fnp


def make_data(rng, n=100):
    """Points on t = 4 x + 10 with Gaussian noise of variance 2, x in [0, 10]."""
    x = np.linspace(0.0, 10.0, n)
    t = 4.0 * x + 10.0 + rng.normal(0.0, np.sqrt(2.0), x.shape)
    return x, t


def cost(params, x, t):
    """Half the mean squared error of the line through params["w"], params["b"]."""
    y = params["w"] * x + params["b"]
    return fnp.mean(0.5 * fnp.square(y - t))


def plot(x, t, params, losses, w_exact, b_exact):
    plt = pyplot()
    if plt is None:
        return
    fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax_fit.plot(x, t, ".", color="tab:red", label="data")
    ax_fit.plot(x, params["w"] * x + params["b"], "-", color="tab:blue", label="gradient descent")
    ax_fit.plot(x, w_exact * x + b_exact, "k--", lw=1, label="least squares")
    ax_fit.set(title="Fitted line", xlabel="input x", ylabel="target t")
    ax_fit.legend()
    ax_loss.semilogy(losses, label="gradient descent")
    ax_loss.axhline(
        cost({"w": w_exact, "b": b_exact}, x, t), color="k", ls="--", lw=1, label="least squares"
    )
    ax_loss.set(title="Training curve", xlabel="epoch", ylabel="cost (half mean squared error)")
    ax_loss.legend()
    ax_loss.grid(alpha=0.3)
    fig.suptitle("Linear regression t = w x + b by gradient descent")
    save(fig, "linear_regression")


def main(num_epochs=5000, learning_rate=0.01):
    rng = np.random.default_rng(0)
    x, t = make_data(rng)
    params = {"w": rng.normal(0.0, 1.0), "b": rng.normal(0.0, 1.0)}
    cost_grad = ft.grad(cost)
    losses = [cost(params, x, t)]
    for epoch in range(num_epochs):
        g = cost_grad(params, x, t)
        params = {name: params[name] - learning_rate * g[name] for name in params}
        losses.append(cost(params, x, t))
        if epoch % max(1, num_epochs // 5) == 0:
            print(f"epoch {epoch:5d}  cost {losses[-1]:.4f}")
    w_exact, b_exact = np.polyfit(x, t, 1)
    print(f"gradient descent: w = {params['w']:.4f}, b = {params['b']:.4f}")
    print(f"least squares:    w = {w_exact:.4f}, b = {b_exact:.4f}")
    plot(x, t, params, losses, w_exact, b_exact)
    return params, losses


if __name__ == "__main__":
    main()
