"""benchmarks/bench_gpu.py stays runnable without a GPU: its dry run (NumPy,
tiny sizes) goes through every workload and implementation installed, and
without a GPU the plain command says how to run it."""

import pathlib
import subprocess
import sys

import numpy as np
import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPT = BENCHMARKS / "bench_gpu.py"


def run_script(*args):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120
    )


def has_module(name):
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def has_gpu():
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # `from harness import ...`, as when run
    import bench_gpu

    return bench_gpu


def test_dry_run_checks_and_times_every_workload():
    result = run_script("--dry-run", "--repeats", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "FAILED" not in out
    for title in ("mlp: value_and_grad", "jacobian: Jacobian", "rnn: grad of a tanh RNN"):
        assert title in out
    impls = ["fntrans eager", "fntrans jit", "fntrans jit fusion"]
    impls += ["jax jit"] if has_module("jax") else []
    impls += ["torch eager"] if has_module("torch") else []
    for impl in impls:
        for variant in ("", " jacrev", " jacfwd"):
            assert f"  {impl}{variant} " in out, f"no row for {impl}{variant}"
    if not has_module("torch"):
        assert "PyTorch is not installed" in out
    assert "mlp  fntrans jit / jax jit" in out
    assert "these verdicts mean nothing" in out


def test_only_picks_workloads_and_rejects_unknown_ones(bench, monkeypatch, capsys):
    monkeypatch.setattr(bench, "load_torch", lambda platform: None)  # fntrans alone: fast
    monkeypatch.setattr(bench, "load_jax", lambda platform: None)
    assert bench.main(["--dry-run", "--only", "rnn", "--repeats", "2"]) == 0
    out = capsys.readouterr().out
    assert "rnn: grad" in out and "mlp:" not in out and "jacobian:" not in out
    with pytest.raises(SystemExit):
        bench.main(["--dry-run", "--only", "mlp,cnn"])
    assert "unknown workload(s) cnn; choose from mlp, jacobian, rnn" in capsys.readouterr().err


@pytest.mark.skipif(has_gpu(), reason="a GPU is here: the plain command would run the benchmark")
def test_without_a_gpu_it_says_how_to_run_and_exits_0():
    result = run_script()
    assert result.returncode == 0
    assert "no GPU to measure on" in result.stdout
    assert "fntrans[cuda12]" in result.stdout and "--dry-run" in result.stdout


def test_a_wrong_or_float64_result_is_reported_and_not_timed(bench):
    library = bench.Library(put=lambda t: t, sync=lambda out: None, host=np.asarray)
    x = np.linspace(0.0, 1.0, 5, dtype=np.float32)
    w = bench.Workload("w", "title", min_time=0.001, repeats=2)
    w.measure("reference", library, lambda: lambda: {"g": np.sin(x)})
    w.measure("close", library, lambda: lambda: {"g": np.sin(x) * np.float32(1 + 1e-5)})
    w.measure("wrong", library, lambda: lambda: {"g": np.sin(x) + np.float32(0.01)})
    w.measure("float64", library, lambda: lambda: {"g": np.sin(x.astype(np.float64))})
    w.measure("shape", library, lambda: lambda: {"g": np.sin(x[:4])})
    w.measure("raises", library, lambda: lambda: 1 / 0)
    w.time_all()
    errors = {row.label: row.error for row in w.rows}
    assert errors["reference"] is None and errors["close"] is None
    assert "disagrees with fntrans eager" in errors["wrong"]
    assert errors["float64"] == "output 0 is float64, not float32"
    assert "shape (4,)" in errors["shape"]
    assert errors["raises"].startswith("ZeroDivisionError")
    timed = {row.label for row in w.rows if row.seconds is not None}
    assert timed == {"reference", "close"}


def test_a_block_of_calls_is_synchronized_once_at_its_end(bench):
    events = []
    seconds = bench.block_seconds(
        lambda: events.append("call"), lambda out: events.append("sync"), 3
    )
    assert events == ["call", "call", "call", "sync"] and seconds >= 0
