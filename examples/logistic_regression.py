"""Logistic regression trained by gradient descent, with its gradient checked.

Shows: writing a loss with fntrans.numpy, ft.value_and_grad over a dict of
parameters (one forward and one backward pass per step), and
fntrans.test_util.check_grads against finite differences.

Run: python examples/logistic_regression.py
"""

from __future__ import annotations

import numpy as np

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.test_util import check_grads


def make_data(rng, n=500, d=3):
    true_w = rng.standard_normal(d)
    X = rng.standard_normal((n, d))
    y = (X @ true_w + 0.3 * rng.standard_normal(n) > 0).astype(float)
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
    for step in range(steps):
        value, g = value_and_grad(params, X, y)
        params = ft.tree.tree_map(lambda p, dp: p - step_size * dp, params, g)
        if step % 50 == 0:
            print(f"step {step:4d}  loss {value:.4f}")
    return params


def main(steps=200):
    rng = np.random.default_rng(0)
    X, y, true_w = make_data(rng)
    check_grads(lambda w, b: loss({"w": w, "b": b}, X, y), (rng.standard_normal(3), 0.1), order=2)
    print("gradient check passed (forward and reverse mode, to second order)")
    params = train(X, y, steps=steps)
    accuracy = np.mean(((X @ params["w"] + params["b"]) > 0) == (y > 0.5))
    cosine = params["w"] @ true_w / np.linalg.norm(params["w"]) / np.linalg.norm(true_w)
    print(
        f"final loss {loss(params, X, y):.4f}, accuracy {accuracy:.3f}, "
        f"cosine to the true weights {cosine:.3f}"
    )
    return accuracy


if __name__ == "__main__":
    main()
