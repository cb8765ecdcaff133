"""Every example runs (with fewer iterations than its default)."""

import importlib.util
import pathlib

import numpy as np

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_logistic_regression_learns(capsys):
    accuracy = load("logistic_regression").main(steps=60)
    assert accuracy > 0.8
    assert "gradient check passed" in capsys.readouterr().out


def test_linear_regression_approaches_least_squares(tmp_path):
    params, losses = load("linear_regression").main(num_epochs=1000, plot_path=tmp_path / "fit.png")
    assert losses[-1] < losses[0] / 100
    assert abs(params["w"] - 4.02) < 0.2  # least squares gives w = 4.02 on this data


def test_polynomial_regression_reaches_least_squares_optimum(tmp_path):
    losses, optimum = load("polynomial_regression").main(
        num_epochs=1500, plot_path=tmp_path / "fit.png"
    )
    assert losses[-1] < losses[0] / 50
    assert losses[-1] < 1.5 * optimum


def test_neural_net_regression_with_sgd_lowers_loss(tmp_path):
    initial, final = load("neural_net_regression").main(
        num_iters=300, plot_path=tmp_path / "fit.png"
    )
    assert final < initial / 4


def test_mlp_classifier_beats_chance_and_linear_model(tmp_path):
    initial, final, accuracy = load("mlp_classifier").main(
        num_iters=200, plot_path=tmp_path / "fit.png"
    )
    assert final < initial
    assert accuracy > 0.7  # chance is 0.5, a linear classifier about 0.65


def test_rnn_beats_repeating_the_last_value(tmp_path):
    initial, test_loss, baseline = load("rnn").main(num_iters=40, plot_path=tmp_path / "fit.png")
    assert test_loss < initial / 10
    assert test_loss < baseline / 2


def test_lstm_beats_repeating_the_last_value(tmp_path):
    initial, test_loss, baseline = load("lstm").main(num_iters=40, plot_path=tmp_path / "fit.png")
    assert test_loss < initial / 10
    assert test_loss < baseline / 2


def test_hvp_matches_analytic_value_and_dense_hessian():
    error, small_error, cost_ratio = load("hessian_vector_product").main(
        d=2000, repeats=1, small_d=20
    )
    assert error < 1e-12
    assert small_error < 1e-12
    assert cost_ratio > 0


def test_per_example_gradients_match_loop_and_find_outlier():
    loop_difference, mean_difference, norms = load("per_example_gradients").main(batch_size=16)
    assert loop_difference < 1e-12
    assert mean_difference < 1e-12
    assert np.argmax(norms) == 0
