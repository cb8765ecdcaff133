"""A multi-layer perceptron that separates two interleaved spirals, trained with Adam.

Shows: a classifier over a list of layer dicts, a softmax cross-entropy
written with fntrans.numpy (log-sum-exp stabilised with ft.stop_gradient on
the max), and fntrans.optimizers.adam over mini-batches chosen from the
iteration number i that it passes to grad_fn(params, i). A linear classifier
(the same code with one layer) reaches about 65% accuracy on this data.

Run: python examples/mlp_classifier.py
"""

from __future__ import annotations

import numpy as np

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.optimizers import adam


def make_spirals(rng, n_per_class=200, noise=0.2, turns=1.5):
    """Two interleaved spiral arms in the plane, labelled 0 and 1, shuffled."""
    r = np.linspace(0.2, 1.0, n_per_class) * 3.0
    angle = np.linspace(0.0, 2 * np.pi * turns, n_per_class)
    arms = [
        np.stack([r * np.cos(angle + shift), r * np.sin(angle + shift)], axis=1)
        for shift in (0.0, np.pi)
    ]
    X = np.concatenate(arms) + noise * rng.standard_normal((2 * n_per_class, 2))
    y = np.repeat([0, 1], n_per_class)
    order = rng.permutation(len(y))
    return X[order], y[order]


def init_params(rng, sizes=(2, 32, 32, 2)):
    return [
        {"W": rng.standard_normal((m, n)) / np.sqrt(m), "b": np.zeros(n)}
        for m, n in zip(sizes[:-1], sizes[1:])
    ]


def logits(params, X):
    h = X
    for layer in params[:-1]:
        h = fnp.tanh(h @ layer["W"] + layer["b"])
    return h @ params[-1]["W"] + params[-1]["b"]


def log_softmax(z):
    # shifting by the row max keeps exp from overflowing; the shift cancels
    # in the value, so its derivative is not needed
    shift = ft.stop_gradient(fnp.max(z, axis=1, keepdims=True))
    return z - shift - fnp.log(fnp.sum(fnp.exp(z - shift), axis=1, keepdims=True))


def cross_entropy(params, X, y):
    one_hot = (y[:, None] == np.arange(2)).astype(float)
    return -fnp.mean(fnp.sum(one_hot * log_softmax(logits(params, X)), axis=1))


def accuracy(params, X, y):
    return float(np.mean(np.argmax(logits(params, X), axis=1) == y))


def save_plot(path, params, X, y):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    grid = np.linspace(-4.0, 4.0, 200)
    gx, gy = np.meshgrid(grid, grid)
    z = np.argmax(logits(params, np.stack([gx.ravel(), gy.ravel()], axis=1)), axis=1)
    fig, ax = plt.subplots()
    ax.contourf(gx, gy, z.reshape(gx.shape), alpha=0.3, cmap="coolwarm")
    ax.scatter(X[:, 0], X[:, 1], c=y, s=8, cmap="coolwarm")
    fig.savefig(path)
    plt.close(fig)
    print(f"saved {path}")


def main(num_iters=1500, step_size=0.01, batch_size=100, plot_path="mlp_classifier.png"):
    rng = np.random.default_rng(0)
    X, y = make_spirals(rng)
    params = init_params(rng)
    num_batches = len(y) // batch_size

    def objective_grad(params, i):
        batch = slice((i % num_batches) * batch_size, (i % num_batches + 1) * batch_size)
        return ft.grad(cross_entropy)(params, X[batch], y[batch])

    def callback(params, i, g):
        if i % max(1, num_iters // 5) == 0:
            print(
                f"iteration {i:5d}  loss {cross_entropy(params, X, y):.4f}  "
                f"accuracy {accuracy(params, X, y):.3f}"
            )

    initial_loss = cross_entropy(params, X, y)
    params = adam(objective_grad, params, callback, num_iters=num_iters, step_size=step_size)
    final_loss, final_accuracy = cross_entropy(params, X, y), accuracy(params, X, y)
    print(f"final loss {final_loss:.4f}, training accuracy {final_accuracy:.3f}")
    if plot_path:
        save_plot(plot_path, params, X, y)
    return initial_loss, final_loss, final_accuracy


if __name__ == "__main__":
    main()
