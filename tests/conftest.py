import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from tests import fake_backend as backends
from tests.fake_backend import (  # noqa: F401  (fixtures for every test module)
    fake_backend,
    strict_fake_backend,
)

# the modules whose tests run on the backend that --backend selects
SWITCHED = {"test_rules.py", "test_vmap.py", "test_jacobians.py", "test_backend_fake.py"}


def pytest_addoption(parser):
    parser.addoption(
        "--backend",
        choices=backends.BACKENDS,
        default=None,
        help="run the op table and the transform tests on numpy (default), on the "
        "strict fake CuPy of tests/fake_backend.py, or on CuPy; the environment "
        "variable FNTRANS_TEST_BACKEND does the same (the option wins)",
    )


def pytest_configure(config):
    name = config.getoption("--backend") or os.environ.get("FNTRANS_TEST_BACKEND") or "numpy"
    backends.select(name)


def pytest_report_header(config):
    return f"fntrans test backend: {backends.current()}"


def pytest_collection_modifyitems(config, items):
    reason = backends.skip_reason()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=f"--backend=cupy: {reason}")
    for item in items:
        if item.path.name in SWITCHED:
            item.add_marker(skip)


settings.register_profile(
    "ci",
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
settings.register_profile(
    "dev",
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _no_interpreter_left_behind():
    """Every test must leave the interpreter stack as it found it."""
    from fntrans.core.interpreter import current_stack

    yield
    assert current_stack() == []


@pytest.fixture
def rng():
    return np.random.default_rng(0)
