"""Every example runs (with fewer iterations than its default)."""

import importlib.util
import pathlib

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
