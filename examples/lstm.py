"""A long short-term memory (LSTM) network that predicts the next value of noisy sine waves.

Shows: an LSTM cell written with fntrans.numpy (one matrix product for the
four gates, split with fnp.split), a Python loop over time differentiated by
ft.value_and_grad, and fntrans.optimizers.adam over a dict of parameters.
Same task as examples/rnn.py; the model is scored on held-out sequences
against the "repeat the last value" baseline.

Run: python examples/lstm.py
"""

from __future__ import annotations

import numpy as np
from _plotting import pyplot, save

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.optimizers import adam


def sine_waves(rng, num_sequences, length=40, noise=0.05):
    """Sine waves of random frequency, phase and amplitude, plus Gaussian noise.

    Returns an array of shape (num_sequences, length).
    """
    t = np.arange(length) * 0.3
    frequency = rng.uniform(0.5, 1.5, (num_sequences, 1))
    phase = rng.uniform(0.0, 2 * np.pi, (num_sequences, 1))
    amplitude = rng.uniform(0.5, 1.0, (num_sequences, 1))
    clean = amplitude * np.sin(frequency * t + phase)
    return clean + noise * rng.standard_normal(clean.shape)


def init_params(rng, hidden=16, scale=0.3):
    b = np.zeros(4 * hidden)
    b[hidden : 2 * hidden] = 1.0  # forget gates start open, so memory lasts from the start
    return {
        "W": scale * rng.standard_normal((1 + hidden, 4 * hidden)),
        "b": b,
        "W_out": scale * rng.standard_normal((hidden, 1)),
        "b_out": np.zeros(1),
    }


def sigmoid(z):
    return 0.5 * (fnp.tanh(0.5 * z) + 1.0)  # 1 / (1 + exp(-z)), without overflow


def predict(params, sequences):
    """The prediction of value t + 1 after reading values 0..t, for every t."""
    batch, length = sequences.shape
    hidden = params["W_out"].shape[0]
    h = fnp.zeros((batch, hidden))
    cell = fnp.zeros((batch, hidden))
    outputs = []
    for t in range(length):
        x_and_h = fnp.concatenate([sequences[:, t : t + 1], h], axis=1)
        z = x_and_h @ params["W"] + params["b"]
        input_gate, forget_gate, output_gate, candidate = fnp.split(z, 4, axis=1)
        cell = sigmoid(forget_gate) * cell + sigmoid(input_gate) * fnp.tanh(candidate)
        h = sigmoid(output_gate) * fnp.tanh(cell)
        outputs.append(h @ params["W_out"] + params["b_out"])
    return fnp.concatenate(outputs, axis=1)


def loss(params, sequences, warm_up=5):
    """Mean squared error of next-value predictions, after warm_up steps of context."""
    predictions = predict(params, sequences[:, :-1])
    return fnp.mean(fnp.square(predictions[:, warm_up:] - sequences[:, warm_up + 1 :]))


def persistence_loss(sequences, warm_up=5):
    """The error of predicting that the next value repeats the current one."""
    return float(np.mean(np.square(sequences[:, warm_up:-1] - sequences[:, warm_up + 1 :])))


def plot(params, sequences, losses, baseline, warm_up=5):
    plt = pyplot()
    if plt is None:
        return
    fig, (ax_seq, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    steps = np.arange(1, sequences.shape[1])
    prediction = predict(params, sequences[:1, :-1])[0]
    ax_seq.plot(steps, sequences[0, 1:], "o", color="tab:red", ms=4, label="next value (truth)")
    ax_seq.plot(steps, prediction, "-", color="tab:blue", label="prediction")
    ax_seq.plot(steps, sequences[0, :-1], ":", color="gray", label="repeat the last value")
    ax_seq.axvspan(0, warm_up + 0.5, color="gray", alpha=0.15, label="warm-up (not scored)")
    ax_seq.set(
        title="A held-out sequence",
        xlabel="time step",
        ylabel="value",
    )
    ax_seq.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    ax_loss.semilogy(losses, label="training loss")
    ax_loss.axhline(baseline, color="gray", ls=":", label="repeat the last value (held out)")
    ax_loss.set(title="Training curve", xlabel="Adam iteration", ylabel="mean squared error")
    ax_loss.legend()
    ax_loss.grid(alpha=0.3)
    fig.suptitle("LSTM (16 cells) predicting the next value of noisy sine waves")
    save(fig, "lstm")


def main(num_iters=300, step_size=0.01):
    rng = np.random.default_rng(0)
    train, test = sine_waves(rng, 64), sine_waves(rng, 64)
    params = init_params(rng)
    loss_and_grad = ft.value_and_grad(loss)
    losses = []

    def objective_grad(params, i):
        value, g = loss_and_grad(params, train)
        losses.append(float(value))
        if i % max(1, num_iters // 5) == 0:
            print(f"iteration {i:5d}  train loss {value:.5f}")
        return g

    initial_loss = loss(params, test)
    params = adam(objective_grad, params, num_iters=num_iters, step_size=step_size)
    test_loss, baseline = loss(params, test), persistence_loss(test)
    print(f"held-out loss {test_loss:.5f}; repeating the last value gives {baseline:.5f}")
    plot(params, test, losses, baseline)
    return initial_loss, test_loss, baseline


if __name__ == "__main__":
    main()
