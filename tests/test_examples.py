"""Every example runs (with fewer iterations than its default) and draws its figure.

Figures go to a temporary folder through FNTRANS_EXAMPLES_OUTPUT. Where
matplotlib (the `examples` extra) is installed each example must write its
PNG there; where it is not, the example must still run and say how to get
the plots.
"""

import importlib.util
import pathlib
import struct
import sys

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
try:
    import matplotlib  # noqa: F401

    HAS_MATPLOTLIB = True
except ImportError:
    HAS_MATPLOTLIB = False
INSTALL_HINT = "plots skipped: matplotlib is not installed (pip install 'fntrans[examples]')"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def figures(tmp_path, monkeypatch):
    """The folder figures go to: one that does not exist yet, so examples must create it."""
    monkeypatch.syspath_prepend(str(EXAMPLES))  # `import _plotting`, as when run as a script
    folder = tmp_path / "figures"
    monkeypatch.setenv("FNTRANS_EXAMPLES_OUTPUT", str(folder))
    return folder


def png_size(path):
    """(width, height) from a PNG file's header, which must be a PNG's."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def expect_figure(name, folder, output):
    """With matplotlib: name.png in folder, and its path printed last. Without: the hint."""
    if HAS_MATPLOTLIB:
        path = folder / f"{name}.png"
        width, height = png_size(path)
        assert width > 300 and height > 200
        assert output.rstrip().splitlines()[-1] == f"figure saved to {path}"
    else:
        assert INSTALL_HINT in output
        assert not folder.exists()


def test_logistic_regression_learns(capsys, figures):
    accuracy = load("logistic_regression").main(steps=60)
    assert accuracy > 0.8
    output = capsys.readouterr().out
    assert "gradient check passed" in output
    expect_figure("logistic_regression", figures, output)


def test_linear_regression_approaches_least_squares(capsys, figures):
    params, losses = load("linear_regression").main(num_epochs=1000)
    assert losses[-1] < losses[0] / 100
    assert abs(params["w"] - 4.02) < 0.2  # least squares gives w = 4.02 on this data
    expect_figure("linear_regression", figures, capsys.readouterr().out)


def test_polynomial_regression_reaches_least_squares_optimum(capsys, figures):
    losses, optimum = load("polynomial_regression").main(num_epochs=1500)
    assert losses[-1] < losses[0] / 50
    assert losses[-1] < 1.5 * optimum
    expect_figure("polynomial_regression", figures, capsys.readouterr().out)


def test_neural_net_regression_with_sgd_lowers_loss(capsys, figures):
    initial, final = load("neural_net_regression").main(num_iters=300)
    assert final < initial / 4
    expect_figure("neural_net_regression", figures, capsys.readouterr().out)


def test_mlp_classifier_beats_chance_and_linear_model(capsys, figures):
    initial, final, accuracy = load("mlp_classifier").main(num_iters=200)
    assert final < initial
    assert accuracy > 0.7  # chance is 0.5, a linear classifier about 0.65
    expect_figure("mlp_classifier", figures, capsys.readouterr().out)


def test_rnn_beats_repeating_the_last_value(capsys, figures):
    initial, test_loss, baseline = load("rnn").main(num_iters=40)
    assert test_loss < initial / 10
    assert test_loss < baseline / 2
    expect_figure("rnn", figures, capsys.readouterr().out)


def test_lstm_beats_repeating_the_last_value(capsys, figures):
    initial, test_loss, baseline = load("lstm").main(num_iters=40)
    assert test_loss < initial / 10
    assert test_loss < baseline / 2
    expect_figure("lstm", figures, capsys.readouterr().out)


def test_hvp_matches_analytic_value_and_dense_hessian_and_drives_newton_cg(capsys, figures):
    error, small_error, cost_ratio = load("hessian_vector_product").main(
        d=2000, repeats=1, small_d=20, newton_d=20
    )
    assert error < 1e-12
    assert small_error < 1e-12
    assert cost_ratio > 0
    output = capsys.readouterr().out
    newton = next(line for line in output.splitlines() if "Newton-CG ends at gradient norm" in line)
    assert float(newton.split("gradient norm ")[1].split()[0]) < 1e-6
    expect_figure("hessian_vector_product", figures, output)


def test_per_example_gradients_match_loop_and_find_outlier(capsys, figures):
    loop_difference, mean_difference, norms = load("per_example_gradients").main(batch_size=16)
    assert loop_difference < 1e-12
    assert mean_difference < 1e-12
    assert np.argmax(norms) == 0
    expect_figure("per_example_gradients", figures, capsys.readouterr().out)


def test_logsumexp_custom_rule_is_finite_where_naive_overflows(capsys, figures):
    results = load("logsumexp_custom_rule").main(num_iters=60)
    huge = np.array([1000.0, 1000.5, 999.0])
    softmax = np.exp(huge - huge.max()) / np.exp(huge - huge.max()).sum()
    assert np.all(np.isnan(results["naive_grad"]))
    assert np.isnan(results["naive_loss"])
    np.testing.assert_allclose(results["stable_grad"], softmax, rtol=1e-12)
    output = capsys.readouterr().out
    assert "gradient check passed" in output
    assert results["final_loss"] < results["initial_loss"] / 10
    assert results["accuracy"] > 0.9
    expect_figure("logsumexp_custom_rule", figures, output)


def test_probit_primitive_gradient_checks_and_fits_the_dose_response_slope(capsys, figures):
    results = load("probit").main(num_iters=300)
    output = capsys.readouterr().out
    assert "gradient check passed" in output
    assert results["final"] < results["initial"] / 2
    assert abs(results["b"] - 1.5) < 0.3  # the slope the data were drawn with
    expect_figure("probit", figures, output)


def test_convnet_einsum_convolution_matches_scipy_and_learns_bars(capsys, figures):
    results = load("convnet").main(num_iters=60)
    assert results["conv_error"] < 1e-12
    assert results["final_loss"] < results["initial_loss"] / 4
    assert results["test_accuracy"] > 0.9  # chance is 0.5
    expect_figure("convnet", figures, capsys.readouterr().out)


def test_fluidsim_gradient_is_right_and_lowers_the_distance_to_target(capsys, figures):
    losses, directional, forward, numerical = load("fluidsim").main(num_iters=3)
    np.testing.assert_allclose(directional, forward, rtol=1e-10)
    np.testing.assert_allclose(directional, numerical, rtol=1e-4)
    assert np.all(np.diff(losses) < 0)
    assert losses[-1] < losses[0] / 4
    expect_figure("fluidsim", figures, capsys.readouterr().out)


def test_data_parallel_matches_one_process(capsys, figures):
    # in one process (a one-rank world without mpiexec); tests/test_distributed.py runs 2 and 3
    parallel_loss, single_loss, gap = load("data_parallel").main(num_iters=100)
    assert abs(parallel_loss - single_loss) < 1e-10 and gap < 1e-10
    expect_figure("data_parallel", figures, capsys.readouterr().out)


def test_every_example_is_run_and_its_figure_checked_above():
    scripts = {path.stem for path in EXAMPLES.glob("*.py") if not path.stem.startswith("_")}
    source = pathlib.Path(__file__).read_text()
    unchecked = {name for name in scripts if f'expect_figure("{name}"' not in source}
    assert not unchecked, f"examples without a test of their figure: {sorted(unchecked)}"


def test_without_matplotlib_an_example_runs_and_says_how_to_get_the_plots(
    capsys, figures, monkeypatch
):
    # a None entry in sys.modules makes `import matplotlib` raise ImportError
    for module in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert load("logistic_regression").main(steps=20) > 0.5
    output = capsys.readouterr().out
    assert output.count(INSTALL_HINT) == 1
    assert not figures.exists()


def test_figures_go_to_examples_output_unless_the_variable_names_a_folder(monkeypatch, figures):
    plotting = load("_plotting")
    assert plotting.output_dir() == figures
    monkeypatch.delenv("FNTRANS_EXAMPLES_OUTPUT")
    assert plotting.output_dir() == EXAMPLES / "output"


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib (the `examples` extra) is not installed")
def test_saved_figures_are_drawn_off_screen(figures):
    plotting = load("_plotting")
    plt = plotting.pyplot()
    assert plt.get_backend().lower() == "agg"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = plotting.save(fig, "line")
    assert path == figures / "line.png"
    assert png_size(path)[0] > 100
    assert not plt.get_fignums()  # closed after saving, so long runs do not pile up figures
