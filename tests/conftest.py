import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from tests.fake_backend import fake_backend  # noqa: F401  (a fixture for every test module)

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
