"""Per-example gradients with ft.vmap(ft.grad(loss)), checked against a Python loop.

Shows: the gradient of one example's loss, mapped over a batch in one pass
with in_axes=(None, 0, 0) (parameters shared, one row of data per example);
the result is the parameters' pytree with a leading batch axis. It agrees
with a loop of ft.grad calls, its mean is the gradient of the mean loss, and
it gives per-example gradient norms (used for clipping, as in differentially
private SGD, or to find outliers) that the batch gradient cannot. The figure
shows their distribution, where one mislabelled example stands out.

Run: python examples/per_example_gradients.py
"""

from __future__ import annotations

import time

import numpy as np
from _plotting import pyplot, save

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.tree import tree_leaves, tree_map


def init_params(rng, d_in=8, hidden=32):
    return {
        "hidden": {"W": rng.standard_normal((d_in, hidden)) / np.sqrt(d_in), "b": np.zeros(hidden)},
        "output": {"W": rng.standard_normal(hidden) / np.sqrt(hidden), "b": 0.0},
    }


def example_loss(params, x, y):
    """Squared error of a one-hidden-layer network on one example x (shape (d_in,))."""
    h = fnp.tanh(x @ params["hidden"]["W"] + params["hidden"]["b"])
    prediction = h @ params["output"]["W"] + params["output"]["b"]
    return 0.5 * (prediction - y) ** 2


def mean_loss(params, X, y):
    return fnp.mean(ft.vmap(example_loss, in_axes=(None, 0, 0))(params, X, y))


def max_difference(tree_a, tree_b):
    return max(
        float(np.max(np.abs(a - b))) for a, b in zip(tree_leaves(tree_a), tree_leaves(tree_b))
    )


def plot(norms, losses):
    plt = pyplot()
    if plt is None:
        return
    outlier = int(np.argmax(norms))
    fig, (ax_hist, ax_scatter) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    bins = np.geomspace(norms.min(), norms.max(), 40)
    counts, _, _ = ax_hist.hist(norms, bins=bins, color="tab:blue", label="examples")
    ax_hist.set_ylim(top=1.5 * counts.max())  # room for the legend and the label
    ax_hist.set_xscale("log")
    ax_hist.axvline(np.median(norms), color="k", ls="--", lw=1, label="median")
    ax_hist.annotate(
        f"example {outlier}\n(its target shifted by +10)",
        xy=(norms[outlier], 1.2),
        xytext=(0.98, 0.95),
        textcoords="axes fraction",
        ha="right",
        va="top",
        arrowprops={"arrowstyle": "->", "color": "tab:red"},
        color="tab:red",
    )
    ax_hist.set(
        title="Distribution of per-example gradient norms",
        xlabel="norm of one example's gradient (all parameters, L2)",
        ylabel="number of examples",
    )
    ax_hist.legend(loc="upper left")
    # for a squared error 0.5 r^2 the gradient is r times d prediction / d params,
    # so its norm grows in proportion to the residual |r| = sqrt(2 * loss)
    residuals = np.sqrt(2 * losses)
    ax_scatter.loglog(residuals, norms, ".", color="tab:blue", label="examples")
    ax_scatter.loglog(
        residuals[outlier],
        norms[outlier],
        "o",
        mfc="none",
        ms=10,
        color="tab:red",
        label=f"example {outlier}",
    )
    ax_scatter.set(
        title="Large errors give large gradients",
        xlabel="|prediction - target|",
        ylabel="per-example gradient norm",
    )
    ax_scatter.legend(loc="upper left")
    ax_scatter.grid(alpha=0.3, which="both")
    fig.suptitle(
        f"Per-example gradients of a batch of {len(norms)}, from one ft.vmap(ft.grad(loss))"
    )
    save(fig, "per_example_gradients")


def main(batch_size=256, d_in=8):
    rng = np.random.default_rng(0)
    params = init_params(rng, d_in)
    X = rng.standard_normal((batch_size, d_in))
    y = np.sin(X.sum(axis=1)) + 0.1 * rng.standard_normal(batch_size)
    y[0] += 10.0  # one outlier, to be found by its gradient norm

    per_example_grad = ft.vmap(ft.grad(example_loss), in_axes=(None, 0, 0))
    start = time.perf_counter()
    batched = per_example_grad(params, X, y)
    vmap_time = time.perf_counter() - start

    start = time.perf_counter()
    rows = [ft.grad(example_loss)(params, X[n], y[n]) for n in range(batch_size)]
    looped = tree_map(lambda *leaves: np.stack(leaves), *rows)
    loop_time = time.perf_counter() - start

    loop_difference = max_difference(batched, looped)
    mean_difference = max_difference(
        tree_map(lambda g: g.mean(axis=0), batched), ft.grad(mean_loss)(params, X, y)
    )
    print(f"per-example gradient of hidden W: shape {batched['hidden']['W'].shape}")
    print(f"vmap vs loop: max difference {loop_difference:.2e}")
    print(f"mean of per-example gradients vs gradient of the mean: {mean_difference:.2e}")
    print(f"vmap {1e3 * vmap_time:.1f} ms, loop of {batch_size} grads {1e3 * loop_time:.1f} ms")

    norms = np.sqrt(
        sum(np.sum(g.reshape(batch_size, -1) ** 2, axis=1) for g in tree_leaves(batched))
    )
    print(
        f"largest gradient norm: example {np.argmax(norms)} ({norms.max():.2f}); "
        f"median {np.median(norms):.2f}"
    )
    plot(norms, ft.vmap(example_loss, in_axes=(None, 0, 0))(params, X, y))
    return loop_difference, mean_difference, norms


if __name__ == "__main__":
    main()
