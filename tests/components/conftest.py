"""Component tests run programs under Pulumi's mock engine through ``tests/components/harness.py``."""

from __future__ import annotations

import pytest

from tests.components import harness


@pytest.fixture
def run_program():
    """``run_program(lambda: Component(...), **harness_options)`` -> ``harness.Result`` (re-raises errors)."""
    return harness.run


@pytest.fixture
def attempt_program():
    """Like ``run_program`` but returns the error on ``result.error`` instead of raising."""
    return harness.attempt
