"""A small convolutional network that tells horizontal bars from vertical ones.

Shows: a 2-D convolution written as fnp.einsum over the k x k shifted views
(patches) of the images, checked against scipy.signal.correlate2d and its
derivatives against finite differences (check_grads); a
convolution - tanh - max-pool - dense network over a dict of
parameters; softmax cross-entropy; and fntrans.optimizers.adam over
mini-batches picked from the iteration number. The data are generated:
8 x 8 noisy images with one bright horizontal or vertical bar of random
position, length and brightness. Max-pooling each filter's response over
all positions makes the classifier indifferent to where the bar is.

Run: python examples/convnet.py
"""

from __future__ import annotations

import numpy as np
import scipy.signal

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


def save_plot(path, params):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    filters = params["filters"]
    fig, axes = plt.subplots(1, len(filters), figsize=(2 * len(filters), 2))
    for ax, f in zip(axes, filters):
        ax.imshow(f, cmap="coolwarm")
        ax.set_axis_off()
    fig.savefig(path)
    plt.close(fig)
    print(f"saved {path}")


def main(num_iters=300, step_size=0.05, batch_size=50, plot_path="convnet_filters.png"):
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

    def objective_grad(params, i):
        batch = slice((i % num_batches) * batch_size, (i % num_batches + 1) * batch_size)
        return ft.grad(cross_entropy)(params, train_images[batch], train_labels[batch])

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
    if plot_path:
        save_plot(plot_path, params)
    return {
        "conv_error": conv_error,
        "initial_loss": initial_loss,
        "final_loss": final_loss,
        "test_accuracy": test_accuracy,
    }


if __name__ == "__main__":
    main()
