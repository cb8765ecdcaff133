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


def test_logsumexp_custom_rule_is_finite_where_naive_overflows(capsys):
    results = load("logsumexp_custom_rule").main(num_iters=60)
    huge = np.array([1000.0, 1000.5, 999.0])
    softmax = np.exp(huge - huge.max()) / np.exp(huge - huge.max()).sum()
    assert np.all(np.isnan(results["naive_grad"]))
    assert np.isnan(results["naive_loss"])
    np.testing.assert_allclose(results["stable_grad"], softmax, rtol=1e-12)
    assert "gradient check passed" in capsys.readouterr().out
    assert results["final_loss"] < results["initial_loss"] / 10
    assert results["accuracy"] > 0.9


def test_probit_primitive_gradient_checks_and_fits_the_dose_response_slope(capsys):
    results = load("probit").main(num_iters=300)
    assert "gradient check passed" in capsys.readouterr().out
    assert results["final"] < results["initial"] / 2
    assert abs(results["b"] - 1.5) < 0.3  # the slope the data were drawn with


def test_convnet_einsum_convolution_matches_scipy_and_learns_bars(tmp_path):
    results = load("convnet").main(num_iters=60, plot_path=tmp_path / "filters.png")
    assert results["conv_error"] < 1e-12
    assert results["final_loss"] < results["initial_loss"] / 4
    assert results["test_accuracy"] > 0.9  # chance is 0.5


def test_fluidsim_gradient_is_right_and_lowers_the_distance_to_target(tmp_path):
    losses, directional, forward, numerical = load("fluidsim").main(
        num_iters=3, plot_path=tmp_path / "fluidsim.png"
    )
    np.testing.assert_allclose(directional, forward, rtol=1e-10)
    np.testing.assert_allclose(directional, numerical, rtol=1e-4)
    assert np.all(np.diff(losses) < 0)
    assert losses[-1] < losses[0] / 4
