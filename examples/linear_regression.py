"""1-D linear regression, y = w * x + b, fitted by gradient descent.

Shows: a loss written with fntrans.numpy over a dict of parameters, and
ft.grad giving a gradient dict with the same keys (the autograd tutorial's
first example, ported). The fit is compared with the closed-form least-squares
line.

Run: python examples/linear_regression.py
"""

from __future__ import annotations

import numpy as np

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


def save_plot(path, x, t, params):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots()
    ax.plot(x, t, "r.", label="data")
    ax.plot(x, params["w"] * x + params["b"], "b-", label="fit")
    ax.legend()
    fig.savefig(path)
    plt.close(fig)
    print(f"saved {path}")


def main(num_epochs=5000, learning_rate=0.01, plot_path="linear_regression.png"):
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
    if plot_path:
        save_plot(plot_path, x, t, params)
    return params, losses


if __name__ == "__main__":
    main()
