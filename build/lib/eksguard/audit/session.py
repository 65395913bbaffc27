"""A boto3 session that can only read.

Every API call passes botocore's ``before-call`` event, which fires after the parameters are built and
before the request is signed or sent. The hook refuses any operation whose name does not start with a
read prefix, so a write can never leave the process, whatever the credentials allow.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

READ_PREFIXES = ("Describe", "Get", "List", "Lookup")
RETRY_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, connect_timeout=10, read_timeout=30)


class WriteRefusedError(PermissionError):
    """The audit tried an operation that is not a read; it was refused before signing."""

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(
            f"eksguard audit is read-only: {service}:{operation} refused before signing "
            f"(allowed prefixes: {', '.join(READ_PREFIXES)})"
        )
        self.service = service
        self.operation = operation


def is_read_operation(operation_name: str) -> bool:
    return operation_name.startswith(READ_PREFIXES)


def _refuse_writes(model: Any, **_: Any) -> None:
    if not is_read_operation(model.name):
        raise WriteRefusedError(model.service_model.service_name, model.name)


class ReadOnlySession:
    """Creates read-only clients, with adaptive retries, for one credential source and endpoint."""

    def __init__(
        self,
        profile: str | None = None,
        endpoint_url: str | None = None,
        boto_session: boto3.Session | None = None,
        config: Config | None = None,
    ) -> None:
        self.boto_session = boto_session or boto3.Session(profile_name=profile)
        self.boto_session.events.register("before-call.*.*", _refuse_writes, unique_id="eksguard-read-only")
        self.endpoint_url = endpoint_url
        self.config = RETRY_CONFIG.merge(config) if config else RETRY_CONFIG
        self._lock = threading.Lock()  # boto3 sessions are not thread-safe; the clients they make are

    def client(self, service: str, region: str) -> Any:
        with self._lock:
            return self.boto_session.client(
                service, region_name=region, endpoint_url=self.endpoint_url, config=self.config
            )

    def available_regions(self, service: str = "eks") -> list[str]:
        return sorted(self.boto_session.get_available_regions(service))
