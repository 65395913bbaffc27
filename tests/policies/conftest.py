from __future__ import annotations

from collections.abc import Iterator

import pytest

from eksguard.protocol.analyzer import PolicyPackProcess
from tests.moto_server import moto_server

from .pack_driver import PACK_DIR, PackDriver


@pytest.fixture(scope="session")
def pack() -> Iterator[PackDriver]:
    """One real pack process per test worker, started exactly as the Pulumi CLI starts it."""
    with PolicyPackProcess(PACK_DIR) as process:
        yield PackDriver(process)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server on 127.0.0.1 (real HTTP) for the rules that may ask AWS; its URL."""
    with moto_server() as url:
        yield url
