"""fntrans.distributed: collectives, data parallelism and faults.

The multi-process checks are programs under tests/distributed_scripts/, each
launched with ``mpiexec -n 2`` and ``-n 3``: they compare every rank's
results with a single process computing on all ranks' data and exit
non-zero on a disagreement. They are skipped where mpi4py or mpiexec is
missing (``pip install 'fntrans[mpi]'``). The rest runs in this process, a
world of one rank.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans import distributed as dist
from fntrans.distributed import (
    all_gather,
    broadcast,
    data_parallel_value_and_grad,
    pmax,
    pmean,
    pmin,
    psum,
    reduce_scatter,
    shard,
    shard_slice,
)
from fntrans.distributed._comm import world
from fntrans.test_util import check_grads

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "tests" / "distributed_scripts"


def _mpiexec() -> str | None:
    beside_python = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(beside_python) if beside_python.exists() else shutil.which("mpiexec")


def _missing() -> str | None:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install 'fntrans[mpi]')"
    if _mpiexec() is None:
        return "mpiexec is not on PATH nor beside the Python executable (pip install mpich)"
    return None


needs_mpi = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def launch(script: str, ranks: int, *args: str, timeout: float = 60):
    """Runs tests/distributed_scripts/<script> on ``ranks`` processes."""
    command = [_mpiexec(), "-n", str(ranks)]
    version = subprocess.run([_mpiexec(), "--version"], capture_output=True, text=True)
    if "Open MPI" in version.stdout + version.stderr:
        command.append("--oversubscribe")  # more ranks than cores; MPICH allows it already
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [*command, sys.executable, str(SCRIPTS / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def expect_success(run):
    assert run.returncode == 0, run.stdout + run.stderr


# ---- several processes ----


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_collectives_and_their_derivatives_match_one_process(ranks):
    run = launch("collectives_check.py", ranks)
    expect_success(run)
    assert run.stdout.count("agree with the single-process reference") == ranks


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_data_parallel_training_matches_one_process_step_for_step(ranks):
    run = launch("training_check.py", ranks)
    expect_success(run)
    assert run.stdout.count("data-parallel training matches one process") == ranks


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_a_rank_that_raises_stops_every_rank_naming_itself_and_the_error(ranks):
    start = time.perf_counter()
    run = launch("faults_check.py", ranks, "raise", timeout=30)
    assert run.returncode != 0
    assert time.perf_counter() - start < 20
    output = run.stdout + run.stderr
    assert "ValueError: rank 1 fails on purpose" in output  # the traceback
    assert (
        f"fntrans.distributed: rank 1 of {ranks} raised ValueError: rank 1 fails on purpose "
        f"(traceback above); aborting all ranks"
    ) in output
    assert "the other ranks were not stopped" not in output


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_mismatched_arguments_are_reported_on_every_rank_before_data_moves(ranks):
    run = launch("faults_check.py", ranks, "mismatch", timeout=30)
    expect_success(run)
    assert run.stdout.count("mismatches reported") == ranks


# ---- one process: the world of one rank ----


def test_collectives_of_one_rank_return_their_input():
    x = {"w": np.arange(6.0).reshape(2, 3), "b": np.float32(2.0)}
    for collective in (psum, pmean, pmax, pmin, broadcast):
        out = collective(x)
        np.testing.assert_array_equal(out["w"], x["w"])
        assert out["b"].dtype == np.float32
    assert all_gather(x["w"]).shape == (1, 2, 3)
    assert all_gather(x["w"], axis=-1).shape == (2, 3, 1)
    assert all_gather(x["w"], axis=1, tiled=True).shape == (2, 3)
    np.testing.assert_array_equal(reduce_scatter(x["w"], axis=1), x["w"])
    assert reduce_scatter(np.ones((2, 1)), axis=1, tiled=False).shape == (2,)


def test_a_collectives_result_is_a_new_array():
    x = np.ones(3)
    for collective in (psum, pmax, broadcast, all_gather, reduce_scatter):
        out = collective(x)
        assert not np.shares_memory(out, x), collective


@pytest.mark.parametrize(
    "collective",
    [
        psum,
        pmean,
        pmax,
        pmin,
        lambda x: all_gather(x, axis=1),
        lambda x: all_gather(x, axis=1, tiled=True),
        lambda x: broadcast(x, root=0),
        lambda x: reduce_scatter(x, axis=1),
    ],
)
def test_rules_of_one_rank_pass_finite_difference_checks(collective, rng):
    # one rank: every rule must reduce to the identity's, to second order
    x = rng.standard_normal((2, 3))
    check_grads(lambda x: fnp.sin(collective(x)) * fnp.sum(x), (x,), order=2)
    batched = ft.vmap(collective)(rng.standard_normal((4, 2, 3)))
    expected = np.stack([collective(b) for b in rng.standard_normal((4, 2, 3))])
    assert batched.shape == expected.shape


@pytest.mark.parametrize(
    "collective",
    [
        psum,
        pmean,
        pmax,
        all_gather,
        lambda x: all_gather(x, axis=1, tiled=True),
        broadcast,
        reduce_scatter,
    ],
)
def test_collectives_stage_with_the_shape_of_their_result(collective):
    x = np.ones((2, 3), np.float32)
    ir = ft.make_jaxpr(collective)(x)
    (outvar,) = ir.outvars
    result = collective(x)
    assert (outvar.aval.shape, outvar.aval.dtype) == (result.shape, result.dtype)


def test_pmean_of_integers_is_a_float():
    out = pmean(np.arange(3))
    assert out.dtype == np.float64
    assert ft.make_jaxpr(pmean)(np.arange(3)).outvars[0].aval.dtype == np.float64


def test_psum_of_booleans_raises_saying_to_convert():
    with pytest.raises(
        TypeError,
        match=re.escape(
            "psum of a boolean array is not defined: convert it first, x.astype(int) to "
            "count the True entries over the ranks."
        ),
    ):
        psum(np.array([True, False]))


def test_pmax_of_complex_numbers_raises():
    with pytest.raises(TypeError, match=re.escape("pmax of a complex array (complex128)")):
        pmax(np.ones(2, complex))


def test_all_gather_axis_out_of_range_raises():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "all_gather: axis 3 is out of range for an array of shape (2, 3): pass an axis "
            "from -3 to 2."
        ),
    ):
        all_gather(np.ones((2, 3)), axis=3)


def test_tiled_all_gather_of_a_scalar_raises():
    with pytest.raises(ValueError, match="all_gather with tiled=True concatenates along an axis"):
        all_gather(1.0, tiled=True)


def test_reduce_scatter_of_an_axis_of_the_wrong_length_raises():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "reduce_scatter splits axis 1 into one block per rank, so its length must be 1 "
            "with tiled=False (the number of ranks), but an array of shape (2, 3) was passed."
        ),
    ):
        reduce_scatter(np.ones((2, 3)), axis=1, tiled=False)


def test_broadcast_from_a_rank_that_does_not_exist_raises():
    with pytest.raises(ValueError, match=re.escape("broadcast: root must be a rank from 0 to 0")):
        broadcast(np.ones(2), root=1)


def test_a_communicator_that_is_not_one_raises():
    with pytest.raises(TypeError, match="comm must be an mpi4py communicator"):
        psum(np.ones(2), comm="world")


@pytest.fixture
def fresh_world():
    """The world looked up again (it is cached), and again after the test."""
    world.cache_clear()
    yield
    world.cache_clear()


def test_without_mpi4py_one_process_is_a_world_of_one(monkeypatch, fresh_world):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # `import mpi4py` raises ImportError
    for variable in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE"):
        monkeypatch.delenv(variable, raising=False)
    assert dist.rank() == 0 and dist.world_size() == 1
    np.testing.assert_array_equal(psum(np.ones(2)), np.ones(2))
    value, grads = data_parallel_value_and_grad(lambda w, b: fnp.mean(b * w))(2.0, np.ones(3))
    assert value == 2.0 and grads == 1.0


def test_without_mpi4py_a_process_started_by_mpiexec_raises(monkeypatch, fresh_world):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setenv("PMI_SIZE", "4")
    with pytest.raises(ImportError, match=re.escape("fntrans.distributed needs mpi4py")):
        psum(np.ones(2))


def test_importing_fntrans_does_not_import_mpi4py():
    code = "import sys, fntrans; assert 'mpi4py' not in sys.modules; print('ok')"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.stdout.strip() == "ok", run.stderr


def test_abort_on_error_installs_and_removes_its_hook():
    dist.abort_on_error(False)
    try:
        assert sys.excepthook.__name__ != "_abort_all_ranks"
    finally:
        dist.abort_on_error(True)
    assert sys.excepthook.__name__ == "_abort_all_ranks"


# ---- sharding and the data-parallel step, on one rank ----


@pytest.mark.parametrize("n", [0, 1, 7, 10])
@pytest.mark.parametrize("size", [1, 3, 4])
@pytest.mark.parametrize("strided", [False, True])
def test_shards_cover_every_example_once_with_sizes_one_apart(n, size, strided):
    parts = [np.arange(n)[shard_slice(n, r, size, strided)] for r in range(size)]
    assert sorted(np.concatenate(parts).tolist()) == list(range(n))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_shard_of_arrays_of_different_lengths_raises():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "shard needs arrays whose leading axes count the same examples, but their leading "
            "lengths are {data['x']: 3, data['y']: 4} (None: a scalar)."
        ),
    ):
        shard({"x": np.ones(3), "y": np.ones(4)})


def test_data_parallel_step_with_assignment_into_a_parameter_is_value_and_grad():
    # the gradient was read from the handle after loss moved it: zeros
    def loss(w, batch):
        w[0] = w[0] * 3.0
        return fnp.mean(batch["x"] @ w)

    batch = {"x": np.eye(2)}
    value, grads = data_parallel_value_and_grad(loss)(np.ones(2), batch)
    expected_value, expected_grads = ft.value_and_grad(loss)(np.ones(2), batch)
    assert value == expected_value
    np.testing.assert_allclose(grads, expected_grads)
    np.testing.assert_allclose(grads, [1.5, 0.5])


def test_data_parallel_step_on_one_rank_is_value_and_grad(rng):
    params = {"w": rng.standard_normal(3), "b": 0.5}
    batch = {"x": rng.standard_normal((5, 3)), "y": rng.standard_normal(5)}

    def loss(params, batch):
        return fnp.mean((batch["x"] @ params["w"] + params["b"] - batch["y"]) ** 2)

    value, grads = data_parallel_value_and_grad(loss, bucket_bytes=16)(params, batch)
    expected_value, expected_grads = ft.value_and_grad(loss)(params, batch)
    np.testing.assert_allclose(value, expected_value, rtol=1e-14)
    np.testing.assert_allclose(grads["w"], expected_grads["w"], rtol=1e-14)
    np.testing.assert_allclose(grads["b"], expected_grads["b"], rtol=1e-14)


def test_data_parallel_step_of_a_non_scalar_loss_raises():
    step = data_parallel_value_and_grad(lambda w, batch: batch * w)
    with pytest.raises(TypeError, match="data_parallel_value_and_grad requires f to return"):
        step(1.0, np.ones(3))


def test_data_parallel_step_of_a_batch_with_different_lengths_raises():
    step = data_parallel_value_and_grad(lambda w, batch: fnp.sum(batch["x"]) * w)
    with pytest.raises(ValueError, match=re.escape("{batch['x']: 2, batch['y']: 3}")):
        step(1.0, {"x": np.ones(2), "y": np.ones(3)})


def test_bucket_bytes_must_be_positive():
    with pytest.raises(ValueError, match="bucket_bytes must be a positive int or None, not 0"):
        data_parallel_value_and_grad(lambda w, b: w, bucket_bytes=0)
