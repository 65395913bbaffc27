from __future__ import annotations

from collections.abc import Iterator

import pytest

from eksguard.protocol.analyzer import PolicyPackProcess

from .pack_driver import PACK_DIR, PackDriver


@pytest.fixture(scope="session")
def pack() -> Iterator[PackDriver]:
    """One real pack process per test worker, started exactly as the Pulumi CLI starts it."""
    with PolicyPackProcess(PACK_DIR) as process:
        yield PackDriver(process)
