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


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server on 127.0.0.1 (real HTTP) for the rules that may ask AWS; its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
