"""A small convolutional network that tells horizontal bars from vertical ones.

Shows: a 2-D convolution written as fnp.einsum over the k x k shifted views
(patches) of the images, checked against scipy.signal.correlate2d and its
derivatives against finite differences (check_grads); a
convolution - tanh - max-pool - dense network over a dict of
parameters; softmax cross-entropy; and fntrans.optimizers.adam over
mini-batches picked from the iteration number. The data are generated:
8 x 8 noisy images with one bright horizontal or vertical bar of random
position, length and brightness. Max-pooling each filter's response over
all positions makes the classifier indifferent to where the bar is. The
figure shows the learned filters on one colour scale, sample inputs and the
training curve.

Run: python examples/convnet.py
"""

from __future__ import annotations

import numpy as np
import scipy.signal
from _plotting import pyplot, save

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.optimizers import adam
from fntrans.test_util import check_grads


def make_bars(rng, n, size=8, noise=0.2):
    """n images with one bar each; label 0 for horizontal bars, 1 for vertical."""
    images = noise * rng.standard_normal((n, size, size))
    labels = rng.integers(0, 2, n)
    for image, label in zip(images, labels):
        line, start = rng.integers(0, size), rng.integers(0, size // 2)
        length = rng.integers(size // 2, size - start + 1)
        brightness = rng.uniform(0.8, 1.2)
        if label == 0:
            image[line, start : start + length] += brightness
        else:
            image[start : start + length, line] += brightness
    return images, labels


def conv2d(images, filters):
    """'Valid' cross-correlation: (N, H, W) images, (C, k, k) filters -> (N, C, H-k+1, W-k+1)."""
    k = filters.shape[-1]
    rows, cols = images.shape[1] - k + 1, images.shape[2] - k + 1
    # patches[n, i, j, r, c] = images[n, r + i, c + j]: one shifted view per filter tap
    patches = fnp.stack(
        [fnp.stack([images[:, i : i + rows, j : j + cols] for j in range(k)]) for i in range(k)]
    )
    return fnp.einsum("ijnrc,fij->nfrc", patches, filters)


def init_params(rng, channels=4, k=3):
    return {
        "filters": 0.5 * rng.standard_normal((channels, k, k)),
        "conv_bias": np.zeros((channels, 1, 1)),
        "W": rng.standard_normal((channels, 2)) / np.sqrt(channels),
        "b": np.zeros(2),
    }


def logits(params, images):
    h = fnp.tanh(conv2d(images, params["filters"]) + params["conv_bias"])
    pooled = fnp.max(fnp.max(h, axis=3), axis=2)  # each filter's strongest response
    return pooled @ params["W"] + params["b"]


def cross_entropy(params, images, labels):
    z = logits(params, images)
    shift = ft.stop_gradient(fnp.max(z, axis=1, keepdims=True))
    log_probs = z - shift - fnp.log(fnp.sum(fnp.exp(z - shift), axis=1, keepdims=True))
    one_hot = (labels[:, None] == np.arange(2)).astype(float)
    return -fnp.mean(fnp.sum(one_hot * log_probs, axis=1))


def accuracy(params, images, labels):
    return float(np.mean(np.argmax(logits(params, images), axis=1) == labels))


def plot(params, losses, images, labels):
    plt = pyplot()
    if plt is None:
        return
    fig = plt.figure(figsize=(11, 6.5), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.1])

    filters = params["filters"]
    # which class a strong response of each filter argues for, through the dense layer
    votes = params["W"][:, 1] - params["W"][:, 0]
    limit = np.max(np.abs(filters))
    axes = top.subplots(1, len(filters))
    for k, (ax, f) in enumerate(zip(axes, filters)):
        image = ax.imshow(f, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"filter {k} (votes {'vertical' if votes[k] > 0 else 'horizontal'})")
        ax.set_xticks(range(f.shape[1]))
        ax.set_yticks(range(f.shape[0]))
        ax.set_xlabel("column (pixels)")
    axes[0].set_ylabel("row (pixels)")
    top.colorbar(image, ax=list(axes), label="filter weight")
    top.suptitle("Learned 3 x 3 convolution filters (shared colour scale)")

    ax_h, ax_v, ax_loss = bottom.subplots(1, 3, width_ratios=[1, 1, 1.6])
    for ax, label, name in ((ax_h, 0, "horizontal"), (ax_v, 1, "vertical")):
        shown = ax.imshow(images[np.argmax(labels == label)], cmap="gray", vmin=-0.6, vmax=1.4)
        ax.set(title=f"a {name} bar (class {label})", xlabel="column (pixels)")
    ax_h.set_ylabel("row (pixels)")
    bottom.colorbar(shown, ax=[ax_h, ax_v], label="pixel intensity", shrink=0.8)
    ax_loss.semilogy(losses, lw=0.8)
    ax_loss.set(
        title="Training curve",
        xlabel="Adam iteration",
        ylabel="cross-entropy of the mini-batch (nats)",
    )
    ax_loss.grid(alpha=0.3, which="both")
    bottom.suptitle("Two test images (8 x 8, one bar each) and the training curve")
    save(fig, "convnet")


def main(num_iters=300, step_size=0.05, batch_size=50):
    rng = np.random.default_rng(0)
    train_images, train_labels = make_bars(rng, 500)
    test_images, test_labels = make_bars(rng, 200)
    params = init_params(rng)

    reference = np.stack(
        [
            [scipy.signal.correlate2d(image, f, mode="valid") for f in params["filters"]]
            for image in test_images[:5]
        ]
    )
    conv_error = np.max(np.abs(conv2d(test_images[:5], params["filters"]) - reference))
    print(f"einsum convolution vs scipy.signal.correlate2d: max difference {conv_error:.1e}")
    check_grads(lambda filters: conv2d(test_images[:3], filters), (params["filters"],), order=2)
    print("gradient check of the convolution passed (fwd and rev, order 2)")

    num_batches = len(train_labels) // batch_size

    loss_and_grad = ft.value_and_grad(cross_entropy)
    losses = []

    def objective_grad(params, i):
        batch = slice((i % num_batches) * batch_size, (i % num_batches + 1) * batch_size)
        value, g = loss_and_grad(params, train_images[batch], train_labels[batch])
        losses.append(float(value))
        return g

    def callback(params, i, g):
        if i % max(1, num_iters // 5) == 0:
            loss = cross_entropy(params, train_images, train_labels)
            test_accuracy = accuracy(params, test_images, test_labels)
            print(f"iteration {i:4d}  train loss {loss:.4f}  test accuracy {test_accuracy:.3f}")

    initial_loss = cross_entropy(params, train_images, train_labels)
    params = adam(objective_grad, params, callback, num_iters=num_iters, step_size=step_size)
    final_loss = cross_entropy(params, train_images, train_labels)
    test_accuracy = accuracy(params, test_images, test_labels)
    print(f"final train loss {final_loss:.4f}, test accuracy {test_accuracy:.3f}")
    plot(params, losses, test_images, test_labels)
    return {
        "conv_error": conv_error,
        "initial_loss": initial_loss,
        "final_loss": final_loss,
        "test_accuracy": test_accuracy,
    }


if __name__ == "__main__":
    main()
